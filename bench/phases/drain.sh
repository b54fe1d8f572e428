# 5. Drain (issue 4): a worker A holds N subtasks of a `herd submit --json` job, a worker B with room
# for all of them registers, then A is drained (DRAIN-REQUEST, what `herd drain --worker A --grace G`
# sends). Measured from the request: B's restarts (its handlers' start reports), A's exit, the
# DRAIN-REPLY and the last result at `herd submit`, whose output gives lost and duplicated results.
phase "drain: a worker holding $DRAIN_COUNTS subtasks, grace 0${DRAIN_GRACE_RUNS:+; and $DRAIN_GRACE_RUNS (count:grace ms)}"
measure drain "$LATENCY" drain --herd "$HERD" --logs "$LOGS" --counts "$DRAIN_COUNTS" --trials "$DRAIN_TRIALS" --grace-ms 0
R[drain_json]="$MEASURED"
R[drain_grace_json]=""
for run in $DRAIN_GRACE_RUNS; do
    mkdir -p "$LOGS/drain-grace"
    measure drain-grace "$LATENCY" drain --herd "$HERD" --logs "$LOGS/drain-grace" --counts "${run%%:*}" --trials "$DRAIN_TRIALS" --grace-ms "${run##*:}"
    R[drain_grace_json]="$MEASURED"
done
