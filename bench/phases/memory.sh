# 2. Coordinator memory per queued subtask: a group whose only worker is stopped (SIGSTOP), so the
# job's subtasks stay queued (one is dispatched to the stopped worker before it is declared dead).
phase "herd: coordinator memory with $MEMORY_SUBTASKS queued subtasks"
herd_cluster herd-mem 1 1 mem
kill -STOP "${WORKER_PIDS[0]}"
rss0="$(rss_kib "$COORD_PID")"
start_err herd-mem-submit "$HERD" submit --connect "$ENDPOINT" --group mem --kind echo --fanout "$MEMORY_SUBTASKS" --payload "$(payload_of "$PAYLOAD_SIZE")"
submit_pid="$LAST_PID"
wait_line "$LAST_FD" "accepted" herd-mem-submit >/dev/null
drain "$LAST_FD" herd-mem-submit
measure herd-mem-status "$HERD" status --connect "$ENDPOINT" --json; status="$MEASURED"
rss1="$(rss_kib "$COORD_PID")"; hwm1="$(hwm_kib "$COORD_PID")"
R[mem_queued]="$(grep -o '"queued":[0-9]*' <<<"$status" | head -1 | sed 's/.*://')"
R[mem_rss_before_kib]="$rss0"; R[mem_rss_after_kib]="$rss1"; R[mem_hwm_kib]="$hwm1"
R[mem_bytes_per_subtask]="$(calc "($rss1 - $rss0) * 1024 / $MEMORY_SUBTASKS" 1)"
stop "$submit_pid"
kill -CONT "${WORKER_PIDS[0]}"   # so that it can stop when herd up tells it to
stop_cluster
