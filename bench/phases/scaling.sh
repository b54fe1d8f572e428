# 3. Scaling (issue 13): (a) by workers: 1/2/4/8 workers x 64 B/4 KiB/64 KiB, total capacity =
# WINDOW, baseline cell by cell; (b) by job size: one job of 10^2 ... 10^6 subtasks (2 workers),
# throughput and the coordinator's CPU per subtask, small jobs repeated one after another until
# the cell has run at least SCALE_JOB_MIN_TOTAL subtasks (CPU ticks are 10 ms).
phase "scaling: baseline and herd over ${SCALE_WORKERS[*]} workers x ${SCALE_SIZES[*]} B; jobs of ${SCALE_JOB_SIZES[*]} subtasks"
for n in "${SCALE_WORKERS[@]}"; do
    clusters_pair "$n" $((WINDOW / n)) scale "herd-scale-w$n"
    for size in "${SCALE_SIZES[@]}"; do
        ENDPOINT="$ZMQ_ENDPOINT"; baseline_throughput "zmq-scale-w$n-$size" "$(scale_count "$size")" "$size"
        R[scale_base_${n}_${size}]="$BT_RATE"
        ENDPOINT="$HERD_ENDPOINT"; herd_throughput "herd-scale-w$n-$size" scale "$(scale_count "$size")" "$size"
        R[scale_herd_${n}_${size}]="$HT_RATE"; R[scale_cpu_${n}_${size}]="$HT_CPU"
    done
    stop_pair
done
herd_cluster herd-scale-jobs 2 $((WINDOW / 2)) jobsize
for count in "${SCALE_JOB_SIZES[@]}"; do
    jobs=$(( (SCALE_JOB_MIN_TOTAL + count - 1) / count )); total=$((jobs * count)); elapsed_total=0
    c0="$(cpu_ticks "$COORD_PID")"
    for ((j = 1; j <= jobs; j++)); do
        herd_throughput "herd-jobsize-$count-$j" jobsize "$count" "$PAYLOAD_SIZE"
        elapsed_total=$((elapsed_total + $(json_field "$MEASURED" elapsed_ms)))
    done
    c1="$(cpu_ticks "$COORD_PID")"
    R[jobsize_jobs_$count]="$jobs"
    R[jobsize_rate_$count]="$(calc "$total * 1000 / ($elapsed_total > 0 ? $elapsed_total : 1)" 0)"
    R[jobsize_cpu_$count]="$(calc "($c1 - $c0) * 1000000 / $TICK_HZ / $total" 2)"
    R[jobsize_rss_$count]="$(rss_kib "$COORD_PID")"
    say "      job of $count subtasks (x$jobs): ${R[jobsize_rate_$count]}/s, coordinator ${R[jobsize_cpu_$count]} us/subtask"
done
stop_cluster
