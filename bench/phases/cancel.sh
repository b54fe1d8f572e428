# 4. Cancel latency (issue 3). herd-latency starts its own coordinator and workers, waits for every
# subtask to be running (start reports, or the exec children's pids through a FIFO), notes
# CLOCK_MONOTONIC, sends CANCEL-JOB on its already-connected DEALER, and takes the time at which
# (a) the last handler observed the cancellation (reported by the workers, same clock), (b) the
# last exec child exited (pidfds), and CANCEL-REPLY arrived. Next to it, in the same phase: a raw
# libzmq round trip (zmqbench), the OS's floor for ending as many processes (killfloor) and the
# Swift runtime's floor for cancelling as many sleeping tasks from one thread (herd-latency swift-floor).
phase "cancel latency: ${CANCEL_COUNTS[*]} subtasks in flight over $CANCEL_WORKERS workers; libzmq round trip; OS kill floor"
baseline_cluster 1
ZMQ_PIDS=("${CLUSTER[@]}")
: >"$LOGS/cancel-rtt-zmq.samples"
measure cancel-zmq-latency "$ZMQBENCH" latency "$ENDPOINT" "$CANCEL_RTT_COUNT" $((CANCEL_RTT_COUNT / 10)) "$PAYLOAD_SIZE" "$LOGS/cancel-rtt-zmq.samples"
R[cancel_zmq_p50]="$(pooled "$LOGS/cancel-rtt-zmq.samples" 0.50)"; R[cancel_zmq_p99]="$(pooled "$LOGS/cancel-rtt-zmq.samples" 0.99)"
stop "${ZMQ_PIDS[@]}"; CLUSTER=()
measure cancel-swift "$LATENCY" cancel --herd "$HERD" --logs "$LOGS" --workers "$CANCEL_WORKERS" --capacity "$CANCEL_CAPACITY" \
    --counts "$(list "${CANCEL_COUNTS[@]}")" --trials "$(list "${CANCEL_TRIALS[@]}")" --warmup "$CANCEL_WARMUP"
R[cancel_swift_json]="$MEASURED"
say "      swift handlers: $(for n in "${CANCEL_COUNTS[@]}"; do printf '%s in flight p99 %s us; ' "$n" "$(json_field "$MEASURED" "n${n}_observed_p99_us")"; done)"
measure cancel-exec "$LATENCY" exec-cancel --herd "$HERD" --logs "$LOGS" --workers "$CANCEL_WORKERS" --capacity "$CANCEL_CAPACITY" \
    --counts "$(list "${CANCEL_COUNTS[@]}")" --trials "$(list "${EXEC_TRIALS[@]}")" --warmup "$EXEC_WARMUP"
R[cancel_exec_json]="$MEASURED"
say "      exec children:  $(for n in "${CANCEL_COUNTS[@]}"; do printf '%s in flight p99 %s us; ' "$n" "$(json_field "$MEASURED" "n${n}_exited_p99_us")"; done)"
floors=()
for i in "${!CANCEL_COUNTS[@]}"; do
    measure "killfloor-${CANCEL_COUNTS[$i]}" "$KILLFLOOR" "${CANCEL_COUNTS[$i]}" "${EXEC_TRIALS[$i]}" "$EXEC_WARMUP" "$LOGS/killfloor.samples"
    R[floor_${CANCEL_COUNTS[$i]}_json]="$MEASURED"; floors+=("$MEASURED")
done
say "      OS floor:       $(for n in "${CANCEL_COUNTS[@]}"; do printf '%s processes p99 %s us; ' "$n" "$(json_field "${R[floor_${n}_json]}" p99_us)"; done)"
swift_floors=()
for i in "${!CANCEL_COUNTS[@]}"; do
    measure "swift-floor-${CANCEL_COUNTS[$i]}" "$LATENCY" swift-floor "${CANCEL_COUNTS[$i]}" "${CANCEL_TRIALS[$i]}" "$CANCEL_WARMUP" "$LOGS/swift-floor.samples"
    R[swift_floor_${CANCEL_COUNTS[$i]}_json]="$MEASURED"; swift_floors+=("$MEASURED")
done
say "      Swift floor:    $(for n in "${CANCEL_COUNTS[@]}"; do printf '%s tasks p99 %s us; ' "$n" "$(json_field "${R[swift_floor_${n}_json]}" p99_us)"; done)"
