# 4b. A vanished client (issue 13): `herd submit` of VANISH_SUBTASKS exec subtasks (`sleep 60`, each
# writing its pid) is killed with SIGKILL once every child runs; timed from the kill until every
# child has exited (polled every 10 ms), with the coordinator's defaults (client heartbeats,
# client-liveness 1.5 s, a broken connection noticed within two heartbeats). Target: 2 s.
phase "vanished client: kill -9 of herd submit with $VANISH_SUBTASKS exec children running, $VANISH_TRIALS trials"
VANISH_PIDS="$LOGS/vanish.pids"
HERD_BENCH_EXEC="nap=echo \$\$ >> $VANISH_PIDS; exec sleep 60" herd_cluster herd-vanish 2 "$VANISH_SUBTASKS" vanish
vanish_ms=()
for ((t = 1; t <= VANISH_TRIALS; t++)); do
    : >"$VANISH_PIDS"
    start "vanish-submit-$t" "$HERD" submit --connect "$ENDPOINT" --group vanish --kind nap --fanout "$VANISH_SUBTASKS" --json
    submit_pid="$LAST_PID"; drain "$LAST_FD" "vanish-submit-$t"
    deadline=$((SECONDS + READY_TIMEOUT))
    while [ "$(wc -l <"$VANISH_PIDS")" -lt "$VANISH_SUBTASKS" ]; do
        [ "$SECONDS" -lt "$deadline" ] || { say "bench/run: only $(wc -l <"$VANISH_PIDS") of $VANISH_SUBTASKS exec children started"; exit 1; }
        sleep 0.02
    done
    mapfile -t children <"$VANISH_PIDS"
    t0="$(date +%s%N)"; kill -KILL "$submit_pid"; wait "$submit_pid" 2>/dev/null || true
    deadline=$((SECONDS + 30))
    while :; do
        alive=0; for pid in "${children[@]}"; do if kill -0 "$pid" 2>/dev/null; then alive=1; break; fi; done
        [ "$alive" = 0 ] && break
        [ "$SECONDS" -lt "$deadline" ] || { say "bench/run: exec children still alive 30 s after their client was killed"; break; }
        sleep 0.01
    done
    t1="$(date +%s%N)"
    vanish_ms+=("$(calc "($t1 - $t0) / 1000000" 0)")
    say "      trial $t: every child gone $(calc "($t1 - $t0) / 1000000" 0) ms after the kill"
done
R[vanish_median_ms]="$(median "${vanish_ms[@]}")"; R[vanish_runs_ms]="${vanish_ms[*]}"
R[vanish_max_ms]="$(printf '%s\n' "${vanish_ms[@]}" | sort -g | tail -1)"
stop_cluster
