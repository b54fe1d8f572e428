# JSON: the same figures; the multi-process phases embed herd-latency's own JSON lines verbatim.
JSON="$OUT/results-$STAMP.json"
declare -a SECTIONS=()
if has throughput; then
    SECTIONS+=("$(printf '  "throughput": {"herd_per_s": %s, "baseline_per_s": %s, "ratio": %s, "target": 0.40, "verdict": "%s", "herd_runs": [%s], "baseline_runs": [%s], "coordinator_cpu_us_per_subtask": %s, "workers_cpu_us_per_subtask": %s}' \
        "${R[herd_rate]}" "${R[baseline_rate]}" "${R[ratio_rate]}" "$V_RATE" "$(tr ' ' ',' <<<"${R[herd_rates]}")" "$(tr ' ' ',' <<<"${R[baseline_rates]}")" "${R[herd_coord_cpu_us]}" "${R[herd_worker_cpu_us]}")")
    if [ -n "${R[herd_journal_rate]:-}" ]; then
        SECTIONS+=("$(printf '  "throughput_journal": {"herd_per_s": %s, "baseline_per_s": %s, "ratio": %s, "target": 0.30, "verdict": "%s", "herd_runs": [%s], "coordinator_cpu_us_per_subtask": %s, "journal_bytes": %s}' \
            "${R[herd_journal_rate]}" "${R[baseline_rate]}" "${R[ratio_journal_rate]}" "$V_JOURNAL_RATE" "$(tr ' ' ',' <<<"${R[herd_journal_rates]}")" "${R[herd_journal_coord_cpu_us]}" "${R[journal_bytes]:-0}")")
    fi
    SECTIONS+=("$(
        printf '  "round_trip": {\n'
        printf '    "samples_each": %s,\n' "$rtt_jobs"
        printf '    "baseline": {"p50_us": %s, "p99_us": %s, "mean_us": %s, "broker_cpu_us_per_request": %s},\n' "${R[baseline_p50]}" "${R[baseline_p99]}" "${R[baseline_mean]}" "${R[rtt_broker_cpu_us]}"
        printf '    "wire": {"p50_us": %s, "p99_us": %s, "mean_us": %s, "p50_ratio": %s, "p99_ratio": %s, "p50_verdict": "%s", "p99_verdict": "%s", "coordinator_cpu_us_per_job": %s, "workers_cpu_us_per_job": %s},\n' \
            "${R[wire_p50]}" "${R[wire_p99]}" "${R[wire_mean]}" "${R[ratio_wire_p50]}" "${R[ratio_wire_p99]}" "$V_WIRE_P50" "$V_WIRE_P99" "${R[rtt_coord_cpu_us]}" "${R[rtt_worker_cpu_us]}"
        printf '    "herd_client": {"p50_us": %s, "p99_us": %s, "mean_us": %s, "p50_ratio": %s, "p99_ratio": %s, "p50_verdict": "%s", "p99_verdict": "%s"},\n' \
            "${R[client_p50]}" "${R[client_p99]}" "${R[client_mean]}" "${R[ratio_client_p50]}" "${R[ratio_client_p99]}" "$V_CLIENT_P50" "$V_CLIENT_P99"
        printf '    "targets": {"p50_ratio_max": 1.5, "p99_ratio_max": 2.0}\n  }'
    )")
    SECTIONS+=("$(printf '  "idle_cpu": {"seconds": %s, "coordinator_pct": %s, "worker_pct": %s, "coordinator_ticks": %s, "worker_ticks": %s, "coordinator_pct_schedstat": %s, "worker_pct_schedstat": %s, "target_pct": 1, "coordinator_verdict": "%s", "worker_verdict": "%s"}' \
        "$IDLE_SECONDS" "${R[idle_coord_pct]}" "${R[idle_worker_pct]}" "${R[idle_coord_ticks]}" "${R[idle_worker_ticks]}" "${R[idle_coord_pct_ns]}" "${R[idle_worker_pct_ns]}" "$V_IDLE_C" "$V_IDLE_W")")
fi
if has e2e; then
    SECTIONS+=("$(
        printf '  "end_to_end": ['
        sep=""
        for capacity in "${E2E_CAPACITIES[@]}"; do
            printf '%s\n    {"capacity": %s, "subtasks": %s, "herd_per_s": %s, "baseline_per_s": %s, "ratio": %s, "target": 0.40, "verdict": "%s", "herd_runs": [%s], "baseline_runs": [%s], "coordinator_cpu_us_per_subtask": %s}' \
                "$sep" "$capacity" "$E2E_SUBTASKS" "${R[e2e_herd_$capacity]}" "${R[e2e_base_$capacity]}" "${R[e2e_ratio_$capacity]}" "${V_E2E[$capacity]}" \
                "$(tr ' ' ',' <<<"${R[e2e_herd_runs_$capacity]}")" "$(tr ' ' ',' <<<"${R[e2e_base_runs_$capacity]}")" "${R[e2e_cpu_$capacity]}"
            sep=","
        done
        printf '\n  ]'
    )")
fi
if has vanish; then
    SECTIONS+=("$(printf '  "vanished_client": {"exec_children": %s, "median_ms": %s, "max_ms": %s, "runs_ms": [%s], "target_ms": 2000, "verdict": "%s"}' \
        "$VANISH_SUBTASKS" "${R[vanish_median_ms]}" "${R[vanish_max_ms]}" "$(tr ' ' ',' <<<"${R[vanish_runs_ms]}")" "$V_VANISH")")
fi
if has restart; then
    SECTIONS+=("$(printf '  "restart": {"queued_subtasks": %s, "journal_bytes": %s, "ms": %s, "runs_ms": [%s]}' \
        "${R[restart_queued]}" "${R[restart_journal_bytes]}" "${R[restart_ms]}" "$(tr ' ' ',' <<<"${R[restart_runs]}")")")
fi
if has memory; then
    SECTIONS+=("$(printf '  "memory": {"queued_subtasks": %s, "status_queued": %s, "rss_before_kib": %s, "rss_after_kib": %s, "peak_kib": %s, "bytes_per_subtask": %s, "target_bytes": 1024, "verdict": "%s"}' \
        "$MEMORY_SUBTASKS" "${R[mem_queued]:-null}" "${R[mem_rss_before_kib]}" "${R[mem_rss_after_kib]}" "${R[mem_hwm_kib]}" "${R[mem_bytes_per_subtask]}" "$V_MEM")")
fi
if has scaling; then
    SECTIONS+=("$(
        printf '  "scaling": ['
        sep=""
        for n in "${SCALE_WORKERS[@]}"; do for size in "${SCALE_SIZES[@]}"; do
            printf '%s\n    {"workers": %s, "payload_bytes": %s, "subtasks": %s, "herd_per_s": %s, "baseline_per_s": %s, "ratio": %s, "coordinator_cpu_us_per_subtask": %s}' \
                "$sep" "$n" "$size" "$(scale_count "$size")" "${R[scale_herd_${n}_${size}]}" "${R[scale_base_${n}_${size}]}" \
                "$(calc "${R[scale_herd_${n}_${size}]} / ${R[scale_base_${n}_${size}]}" 3)" "${R[scale_cpu_${n}_${size}]}"
            sep=","
        done; done
        printf '\n  ]'
    )")
    SECTIONS+=("$(
        printf '  "scaling_by_job_size": {"slope_log_cpu_per_subtask": "%s", "top_over_1e4": %s, "jobs": [' "${R[jobsize_slope]}" "${R[jobsize_top_over_1e4]}"
        sep=""
        for count in "${SCALE_JOB_SIZES[@]}"; do
            printf '%s\n    {"subtasks": %s, "jobs_run": %s, "herd_per_s": %s, "coordinator_cpu_us_per_subtask": %s, "coordinator_rss_kib": %s}' \
                "$sep" "$count" "${R[jobsize_jobs_$count]}" "${R[jobsize_rate_$count]}" "${R[jobsize_cpu_$count]}" "${R[jobsize_rss_$count]}"
            sep=","
        done
        printf '\n  ]}'
    )")
fi
if has cancel; then
    SECTIONS+=("$(
        printf '  "cancel": {\n'
        printf '    "targets": {"handlers_observed_p99_us_at_%s": 2000, "exec_children_exited_p99_us_at_%s": 20000},\n' "$TOP" "$TOP"
        printf '    "verdicts": {"handlers_observed": "%s", "exec_children_exited": "%s"},\n' "$V_CANCEL_A" "$V_CANCEL_B"
        printf '    "libzmq_round_trip": {"samples": %s, "p50_us": %s, "p99_us": %s},\n' "$CANCEL_RTT_COUNT" "${R[cancel_zmq_p50]}" "${R[cancel_zmq_p99]}"
        printf '    "swift_handlers": %s,\n' "${R[cancel_swift_json]}"
        printf '    "exec_children": %s,\n' "${R[cancel_exec_json]}"
        printf '    "os_kill_floor": [%s],\n' "$(IFS=,; echo "${floors[*]}")"
        printf '    "swift_cancel_floor": [%s]\n  }' "$(IFS=,; echo "${swift_floors[*]}")"
    )")
fi
if has drain; then
    SECTIONS+=("$(printf '  "drain": {"lost": %s, "duplicated": %s, "restarted": %s, "expected": %s, "verdict": "%s", "grace_0": %s, "with_grace": %s}' \
        "${R[drain_lost]}" "${R[drain_dup]}" "${R[drain_restarted]}" "${R[drain_expected]}" "$V_DRAIN" "${R[drain_json]}" "${R[drain_grace_json]:-null}")")
fi
if has failover; then
    SECTIONS+=("$(printf '  "failover": {"lost": %s, "duplicated": %s, "verdict": "%s", "sigkill": %s, "sigstop": %s}' \
        "$((R[failover_lost] + R[stall_lost]))" "$((R[failover_dup] + R[stall_dup]))" "$V_FAILOVER" "${R[failover_json]}" "${R[stall_json]}")")
fi
if has curve && [ -n "${R[curve_herd_rate]:-}" ]; then
    SECTIONS+=("$(printf '  "curve": {"herd_rate": %s, "baseline_rate": %s, "herd_wire_p50_us": %s, "herd_wire_p99_us": %s, "baseline_p50_us": %s, "baseline_p99_us": %s}' \
        "${R[curve_herd_rate]}" "${R[curve_baseline_rate]}" "${R[curve_wire_p50]}" "${R[curve_wire_p99]}" "${R[curve_zmq_p50]}" "${R[curve_zmq_p99]}")")
fi
{
    printf '{\n'
    printf '  "timestamp": "%s", "mode": "%s", "revision": "%s", "phases": [%s],\n' "$STAMP" "$MODE" "$REVISION" "$(for p in $PHASES; do printf '"%s",' "$p"; done | sed 's/,$//')"
    printf '  "machine": {"description": "%s", "cores": %s, "swift": "%s", "libzmq": "%s", "loadavg_start": "%s", "loadavg_end": "%s"},\n' "$MACHINE" "$(nproc)" "$SWIFT_VERSION" "$ZMQ_VERSION" "$LOAD_START" "$LOAD_END"
    printf '  "parameters": {"throughput_subtasks": %s, "repeats": %s, "payload_bytes": %s, "window": %s, "rtt_count": %s, "rtt_warmup": %s, "rtt_rounds": %s, "idle_seconds": %s, "memory_subtasks": %s, "cancel_counts": [%s], "cancel_trials": [%s], "exec_trials": [%s], "drain_counts": [%s], "drain_trials": %s, "failover_counts": [%s], "failover_trials": %s},\n' \
        "$THROUGHPUT_SUBTASKS" "$REPEATS" "$PAYLOAD_SIZE" "$WINDOW" "$RTT_COUNT" "$RTT_WARMUP" "$RTT_ROUNDS" "$IDLE_SECONDS" "$MEMORY_SUBTASKS" \
        "$(list "${CANCEL_COUNTS[@]}")" "$(list "${CANCEL_TRIALS[@]}")" "$(list "${EXEC_TRIALS[@]}")" "$DRAIN_COUNTS" "$DRAIN_TRIALS" "$FAILOVER_COUNTS" "$FAILOVER_TRIALS"
    for section in "${SECTIONS[@]}"; do printf '%s,\n' "$section"; done
    printf '  "elapsed_s": %s\n}\n' "${R[elapsed_s]}"
} >"$JSON"
if command -v python3 >/dev/null && ! python3 -m json.tool "$JSON" >/dev/null 2>&1; then say "bench/run: warning: $JSON is not valid JSON"; fi
say "wrote $TABLE and $JSON"
