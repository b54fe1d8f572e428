# 6. Failover (issue 4): as for the drain, but A is killed with SIGKILL (its connection closes), and
# then stopped with SIGSTOP (a hung worker: only the liveness window finds it).
phase "failover: SIGKILL of a worker holding $FAILOVER_COUNTS subtasks; SIGSTOP with $STALL_COUNTS (heartbeat $FAILOVER_HEARTBEAT, liveness $FAILOVER_LIVENESS)"
measure failover "$LATENCY" failover --herd "$HERD" --logs "$LOGS" --counts "$FAILOVER_COUNTS" --trials "$FAILOVER_TRIALS" \
    --heartbeat "$FAILOVER_HEARTBEAT" --liveness "$FAILOVER_LIVENESS" --how kill
R[failover_json]="$MEASURED"
mkdir -p "$LOGS/failover-stall"
measure failover-stall "$LATENCY" failover --herd "$HERD" --logs "$LOGS/failover-stall" --counts "$STALL_COUNTS" --trials "$STALL_TRIALS" \
    --heartbeat "$FAILOVER_HEARTBEAT" --liveness "$FAILOVER_LIVENESS" --how stop
R[stall_json]="$MEASURED"
