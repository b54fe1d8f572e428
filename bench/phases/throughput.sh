# 1. The headline shape: 2 workers; Herd's of capacity 500 each (1,000 in flight = the baseline's window).
phase "libzmq baseline and herd, 2 workers: throughput, round trip, idle CPU"
clusters_pair 2 $((WINDOW / 2)) bench herd-w2
herd_workers=("${WORKER_PIDS[@]}")
base_rates=(); herd_rates=(); cpus=(); wcpus=()
for ((r = 1; r <= REPEATS; r++)); do
    ENDPOINT="$ZMQ_ENDPOINT"; baseline_throughput "zmq-throughput-run$r" "$THROUGHPUT_SUBTASKS" "$PAYLOAD_SIZE"
    base_rates+=("$BT_RATE")
    ENDPOINT="$HERD_ENDPOINT"; w0="$(ticks_sum "${herd_workers[@]}")"
    herd_throughput "herd-throughput-run$r" bench "$THROUGHPUT_SUBTASKS" "$PAYLOAD_SIZE"
    w1="$(ticks_sum "${herd_workers[@]}")"
    herd_rates+=("$HT_RATE"); cpus+=("$HT_CPU"); wcpus+=("$(calc "($w1 - $w0) * 1000000 / $TICK_HZ / $THROUGHPUT_SUBTASKS" 2)")
    say "      run $r: baseline $BT_RATE/s, herd $HT_RATE/s"
done
R[baseline_rate]="$(median "${base_rates[@]}")"; R[baseline_rates]="${base_rates[*]}"
R[herd_rate]="$(median "${herd_rates[@]}")"; R[herd_rates]="${herd_rates[*]}"
R[herd_coord_cpu_us]="$(median "${cpus[@]}")"; R[herd_worker_cpu_us]="$(median "${wcpus[@]}")"

# Round trips: RTT_ROUNDS rounds of (baseline, herd wire, HerdClient), samples pooled per kind.
per_round=$((RTT_COUNT / RTT_ROUNDS)); warm=$((RTT_WARMUP / RTT_ROUNDS))
: >"$LOGS/rtt-zmq.samples"; : >"$LOGS/rtt-wire.samples"; : >"$LOGS/rtt-client.samples"
zmq_ticks=0; wire_ticks=0; wire_wticks=0
for ((r = 1; r <= RTT_ROUNDS; r++)); do
    t0="$(ticks_sum "${ZMQ_PIDS[0]}")"
    measure "zmq-latency-$r" "$ZMQBENCH" latency "$ZMQ_ENDPOINT" "$per_round" "$warm" "$PAYLOAD_SIZE" "$LOGS/rtt-zmq.samples"
    zmq_ticks=$((zmq_ticks + $(ticks_sum "${ZMQ_PIDS[0]}") - t0))
    t0="$(ticks_sum "$COORD_PID")"; w0="$(ticks_sum "${herd_workers[@]}")"
    measure "herd-latency-wire-$r" "$LATENCY" wire "$HERD_ENDPOINT" bench "$per_round" "$warm" "$PAYLOAD_SIZE" "$LOGS/rtt-wire.samples"
    wire_ticks=$((wire_ticks + $(ticks_sum "$COORD_PID") - t0)); wire_wticks=$((wire_wticks + $(ticks_sum "${herd_workers[@]}") - w0))
    measure "herd-latency-client-$r" "$LATENCY" client "$HERD_ENDPOINT" bench "$per_round" "$warm" "$PAYLOAD_SIZE" "$LOGS/rtt-client.samples"
done
for kind in zmq wire client; do
    R[${kind}_p50]="$(pooled "$LOGS/rtt-$kind.samples" 0.50)"
    R[${kind}_p99]="$(pooled "$LOGS/rtt-$kind.samples" 0.99)"
    R[${kind}_mean]="$(mean_of "$LOGS/rtt-$kind.samples")"
done
R[baseline_p50]="${R[zmq_p50]}"; R[baseline_p99]="${R[zmq_p99]}"; R[baseline_mean]="${R[zmq_mean]}"
rtt_jobs=$((per_round * RTT_ROUNDS))
R[rtt_broker_cpu_us]="$(calc "$zmq_ticks * 1000000 / $TICK_HZ / $rtt_jobs" 0)"
R[rtt_coord_cpu_us]="$(calc "$wire_ticks * 1000000 / $TICK_HZ / $rtt_jobs" 0)"
R[rtt_worker_cpu_us]="$(calc "$wire_wticks * 1000000 / $TICK_HZ / $rtt_jobs" 0)"

# Idle: the Herd cluster after its work, nothing submitted, over IDLE_SECONDS.
stop "${ZMQ_PIDS[@]}"
c0="$(cpu_ticks "$COORD_PID")"; w0="$(cpu_ticks "${herd_workers[0]}")"
thread_ns "$COORD_PID" >"$LOGS/idle-coord-0"; thread_ns "${herd_workers[0]}" >"$LOGS/idle-worker-0"
sleep "$IDLE_SECONDS"   # the measurement window itself, not synchronisation
c1="$(cpu_ticks "$COORD_PID")"; w1="$(cpu_ticks "${herd_workers[0]}")"
thread_ns "$COORD_PID" >"$LOGS/idle-coord-1"; thread_ns "${herd_workers[0]}" >"$LOGS/idle-worker-1"
R[idle_coord_pct]="$(calc "($c1 - $c0) * 100 / $TICK_HZ / $IDLE_SECONDS" 2)"
R[idle_worker_pct]="$(calc "($w1 - $w0) * 100 / $TICK_HZ / $IDLE_SECONDS" 2)"
R[idle_coord_ticks]=$((c1 - c0)); R[idle_worker_ticks]=$((w1 - w0))
R[idle_coord_pct_ns]="$(calc "$(thread_ns_delta "$LOGS/idle-coord-0" "$LOGS/idle-coord-1") / 1e7 / $IDLE_SECONDS" 3)"
R[idle_worker_pct_ns]="$(calc "$(thread_ns_delta "$LOGS/idle-worker-0" "$LOGS/idle-worker-1") / 1e7 / $IDLE_SECONDS" 3)"
stop_pair

# The same job with the coordinator's journal on (SQLite WAL, one transaction per flush), against
# this phase's baseline rate.
if "$HERD" up --help 2>/dev/null | grep -q -- '--journal'; then
    HERD_JOURNAL="$LOGS/journal-w2/journal.sqlite" herd_cluster herd-w2-journal 2 $((WINDOW / 2)) bench
    journal_rates=(); journal_cpus=()
    for ((r = 1; r <= REPEATS; r++)); do
        herd_throughput "herd-journal-throughput-run$r" bench "$THROUGHPUT_SUBTASKS" "$PAYLOAD_SIZE"
        journal_rates+=("$HT_RATE"); journal_cpus+=("$HT_CPU")
        say "      run $r: herd with its journal $HT_RATE/s"
    done
    R[herd_journal_rate]="$(median "${journal_rates[@]}")"; R[herd_journal_rates]="${journal_rates[*]}"
    R[herd_journal_coord_cpu_us]="$(median "${journal_cpus[@]}")"
    R[journal_bytes]="$(du -cb "$LOGS/journal-w2/" 2>/dev/null | tail -1 | cut -f1)"
    stop_herd
    CLUSTER=(); WORKER_PIDS=(); COORD_PID=""
fi
