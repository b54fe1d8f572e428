# 3. Scaling: 1/2/4 workers x 64 B/4 KiB/64 KiB; total capacity = WINDOW; baseline cell by cell.
phase "scaling: baseline and herd over ${SCALE_WORKERS[*]} workers x ${SCALE_SIZES[*]} B"
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
