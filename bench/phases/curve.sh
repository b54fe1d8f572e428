# CURVE's cost (issue 11): the raw libzmq broker with CURVE on and Herd with CURVE on (CURVE, its
# ZAP handler and role checks), 2 workers, in the same run: throughput and one-subtask round trip.
# Compared with the throughput phase's figures (CURVE off), it shows what encryption costs each.
phase "CURVE on: libzmq baseline (CURVE) and herd (CURVE + ZAP + roles), 2 workers: throughput, round trip"
if ! "$HERD" up --help 2>/dev/null | grep -q -- '--insecure'; then
    say "      skipped: this revision of herd has no CURVE"
else
    "$HERD" keygen --out "$LOGS/zmq-curve" >/dev/null
    export ZMQBENCH_SERVER_SECRET ZMQBENCH_SERVER_PUBLIC
    ZMQBENCH_SERVER_SECRET="$(sed -n 's/^secret-key = "\(.*\)"$/\1/p' "$LOGS/zmq-curve.key")"
    ZMQBENCH_SERVER_PUBLIC="$(sed -n 's/^public-key = "\(.*\)"$/\1/p' "$LOGS/zmq-curve.key")"
    # herd up generates the cluster's keys in $LOGS/.herd/keys (next to its cluster file) and runs CURVE.
    HERD_BENCH_CURVE=1 clusters_pair 2 $((WINDOW / 2)) bench herd-curve-w2
    export HERD_SERVER_KEY="$LOGS/.herd/keys/coordinator.pub" HERD_KEY="$LOGS/.herd/keys/client.key"
    curve_base=(); curve_herd=()
    for ((r = 1; r <= REPEATS; r++)); do
        ENDPOINT="$ZMQ_ENDPOINT"; baseline_throughput "zmq-curve-throughput-run$r" "$THROUGHPUT_SUBTASKS" "$PAYLOAD_SIZE"
        curve_base+=("$BT_RATE")
        ENDPOINT="$HERD_ENDPOINT"; herd_throughput "herd-curve-throughput-run$r" bench "$THROUGHPUT_SUBTASKS" "$PAYLOAD_SIZE"
        curve_herd+=("$HT_RATE")
        say "      run $r: baseline with CURVE $BT_RATE/s, herd with CURVE $HT_RATE/s"
    done
    R[curve_baseline_rate]="$(median "${curve_base[@]}")"; R[curve_herd_rate]="$(median "${curve_herd[@]}")"
    per_round=$((RTT_COUNT / RTT_ROUNDS)); warm=$((RTT_WARMUP / RTT_ROUNDS))
    : >"$LOGS/rtt-curve-zmq.samples"; : >"$LOGS/rtt-curve-wire.samples"
    for ((r = 1; r <= RTT_ROUNDS; r++)); do
        measure "zmq-curve-latency-$r" "$ZMQBENCH" latency "$ZMQ_ENDPOINT" "$per_round" "$warm" "$PAYLOAD_SIZE" "$LOGS/rtt-curve-zmq.samples"
        measure "herd-curve-latency-wire-$r" "$LATENCY" wire "$HERD_ENDPOINT" bench "$per_round" "$warm" "$PAYLOAD_SIZE" "$LOGS/rtt-curve-wire.samples"
    done
    for kind in zmq wire; do
        R[curve_${kind}_p50]="$(pooled "$LOGS/rtt-curve-$kind.samples" 0.50)"
        R[curve_${kind}_p99]="$(pooled "$LOGS/rtt-curve-$kind.samples" 0.99)"
    done
    say "      round trip p50/p99 (us): baseline with CURVE ${R[curve_zmq_p50]}/${R[curve_zmq_p99]}, herd with CURVE ${R[curve_wire_p50]}/${R[curve_wire_p99]}"
    unset HERD_SERVER_KEY HERD_KEY ZMQBENCH_SERVER_SECRET ZMQBENCH_SERVER_PUBLIC
    stop_pair
fi
