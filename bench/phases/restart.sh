# 7. Restart (issue 10): a journaling coordinator killed with SIGKILL while 100,000 subtasks are
# queued, restarted on its journal: from the new process's start until it listens (its journal
# read and its state machine rebuilt). bench/restart does one trial; the median is reported.
phase "restart: a journaling coordinator with $RESTART_SUBTASKS subtasks queued, killed and restarted ($RESTART_TRIALS trials)"
restart_ms=()
for ((t = 1; t <= RESTART_TRIALS; t++)); do
    line="$(HERD="$HERD" "$BENCH/restart" "$RESTART_SUBTASKS" 1 2>"$LOGS/restart-$t.err" | tee "$LOGS/restart-$t.out" | sed -n 's/^RESTART //p')"
    [ -n "$line" ] || { echo "bench/run: the restart trial $t gave no figure (see $LOGS/restart-$t.err)" >&2; exit 1; }
    read -r R[restart_queued] R[restart_journal_bytes] ms <<<"$line"
    restart_ms+=("$ms")
    say "      trial $t: ${R[restart_queued]} queued, journal ${R[restart_journal_bytes]} B: restart $ms ms"
done
R[restart_ms]="$(median "${restart_ms[@]}")"; R[restart_runs]="${restart_ms[*]}"
