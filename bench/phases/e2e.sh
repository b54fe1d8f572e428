# 1b. End to end, as a user runs it (issue 13): `herd submit --json` of E2E_SUBTASKS echo subtasks
# of 64 B with every result line written to a file, timed by the wall clock from the command's
# start to its exit (process start, connection, output and summary included), with 2 workers of
# capacity 64 and of capacity 500. Against the same run's libzmq broker (bench/baseline/zmqbench.c,
# window WINDOW), timed the same way: from `zmqbench throughput`'s start to its exit. The two
# alternate, run by run.
phase "end to end: herd submit --json to a file, 2 workers of capacity ${E2E_CAPACITIES[*]}, against the libzmq broker"
# wall_rate NAME COUNT CMD...: runs CMD like `measure`, sets WALL_RATE (COUNT per wall-clock second).
wall_rate() {
    local name="$1" count="$2" t0 t1; shift 2
    t0="$(date +%s%N)"; measure "$name" "$@"; t1="$(date +%s%N)"
    WALL_RATE="$(calc "$count * 1000000000 / ($t1 - $t0)" 0)"
}
for capacity in "${E2E_CAPACITIES[@]}"; do
    clusters_pair 2 "$capacity" e2e "herd-e2e-c$capacity"
    base_rates=(); herd_rates=(); cpus=()
    for ((r = 1; r <= REPEATS; r++)); do
        wall_rate "zmq-e2e-c$capacity-run$r" "$E2E_SUBTASKS" "$ZMQBENCH" throughput "$ZMQ_ENDPOINT" "$E2E_SUBTASKS" "$WINDOW" "$PAYLOAD_SIZE"
        base_rates+=("$WALL_RATE")
        c0="$(cpu_ticks "$COORD_PID")"
        wall_rate "herd-e2e-c$capacity-run$r" "$E2E_SUBTASKS" "$HERD" submit --connect "$HERD_ENDPOINT" --group e2e --kind echo \
            --fanout "$E2E_SUBTASKS" --payload "$(payload_of "$PAYLOAD_SIZE")" --json
        c1="$(cpu_ticks "$COORD_PID")"
        lines="$(grep -c '"status":"ok"' "$LOGS/herd-e2e-c$capacity-run$r.out" || true)"
        [ "$lines" = "$E2E_SUBTASKS" ] || { say "bench/run: herd-e2e-c$capacity-run$r: $lines of $E2E_SUBTASKS result lines are ok"; exit 1; }
        herd_rates+=("$WALL_RATE"); cpus+=("$(calc "($c1 - $c0) * 1000000 / $TICK_HZ / $E2E_SUBTASKS" 2)")
        say "      capacity $capacity, run $r: baseline ${base_rates[-1]}/s (wall), herd submit --json $WALL_RATE/s (wall)"
    done
    R[e2e_base_$capacity]="$(median "${base_rates[@]}")"; R[e2e_base_runs_$capacity]="${base_rates[*]}"
    R[e2e_herd_$capacity]="$(median "${herd_rates[@]}")"; R[e2e_herd_runs_$capacity]="${herd_rates[*]}"
    R[e2e_cpu_$capacity]="$(median "${cpus[@]}")"
    rm -f "$LOGS"/herd-e2e-c"$capacity"-run*.out   # 100,000 result lines each
    stop_pair
done
