# 7. Report: a table of the phases run (stdout and results-STAMP.txt), and the same in JSON.
phase "report"
declare -A V_E2E=()
verdict() { if awk "BEGIN { exit !($1) }"; then echo holds; else echo MISSES; fi; }
ms() { if [ -z "$1" ] || [ "$1" = null ]; then echo "-"; else calc "$1 / 1000" "${2:-2}"; fi; }
pair() { echo "$(ms "$1" "${3:-2}") / $(ms "$2" "${3:-2}")"; }   # "p50 / p99" (or "median / max") in ms
row() { printf '%-60s %16s %16s %8s  %-16s %s\n' "$@"; }
if has throughput; then
    R[ratio_rate]="$(calc "${R[herd_rate]} / ${R[baseline_rate]}" 3)"
    R[ratio_wire_p50]="$(calc "${R[wire_p50]} / ${R[baseline_p50]}" 2)"
    R[ratio_wire_p99]="$(calc "${R[wire_p99]} / ${R[baseline_p99]}" 2)"
    R[ratio_client_p50]="$(calc "${R[client_p50]} / ${R[baseline_p50]}" 2)"
    R[ratio_client_p99]="$(calc "${R[client_p99]} / ${R[baseline_p99]}" 2)"
    V_RATE="$(verdict "${R[ratio_rate]} >= 0.40")"
    if [ -n "${R[herd_journal_rate]:-}" ]; then
        R[ratio_journal_rate]="$(calc "${R[herd_journal_rate]} / ${R[baseline_rate]}" 3)"
        V_JOURNAL_RATE="$(verdict "${R[ratio_journal_rate]} >= 0.30")"
    fi
    V_WIRE_P50="$(verdict "${R[ratio_wire_p50]} <= 1.5")"; V_WIRE_P99="$(verdict "${R[ratio_wire_p99]} <= 2.0")"
    V_CLIENT_P50="$(verdict "${R[ratio_client_p50]} <= 1.5")"; V_CLIENT_P99="$(verdict "${R[ratio_client_p99]} <= 2.0")"
    V_IDLE_C="$(verdict "${R[idle_coord_pct]} < 1")"; V_IDLE_W="$(verdict "${R[idle_worker_pct]} < 1")"
fi
if has e2e; then
    for capacity in "${E2E_CAPACITIES[@]}"; do
        R[e2e_ratio_$capacity]="$(calc "${R[e2e_herd_$capacity]} / ${R[e2e_base_$capacity]}" 3)"
        V_E2E[$capacity]="$(verdict "${R[e2e_ratio_$capacity]} >= 0.40")"
    done
fi
if has vanish; then V_VANISH="$(verdict "${R[vanish_max_ms]} <= 2000")"; fi
if has scaling; then
    # The growth of CPU per subtask with the job's size, from 10^3 up (10^2 is fixed per-job cost):
    # the least-squares slope of log(CPU per subtask) on log(N) (flat = 0; linear growth = 1), and
    # the largest job's CPU per subtask over the 10^4 job's.
    R[jobsize_slope]="$(for count in "${SCALE_JOB_SIZES[@]}"; do [ "$count" -ge 1000 ] && echo "$count ${R[jobsize_cpu_$count]}"; done |
        awk '$2 > 0 { x = log($1); y = log($2); n++; sx += x; sy += y; sxx += x * x; sxy += x * y } END { if (n < 2 || n * sxx == sx * sx) print "nan"; else printf "%.3f", (n * sxy - sx * sy) / (n * sxx - sx * sx) }')"
    top="${SCALE_JOB_SIZES[-1]}"
    R[jobsize_top_over_1e4]="$(calc "${R[jobsize_cpu_$top]} / ${R[jobsize_cpu_10000]}" 2)"
    R[jobsize_growth]="slope of log(CPU/subtask) on log(N), N >= 1000: ${R[jobsize_slope]} (0 = flat); CPU/subtask at $top over 10000: ${R[jobsize_top_over_1e4]}x"
fi
if has memory; then V_MEM="$(verdict "${R[mem_bytes_per_subtask]} <= 1024")"; fi
if has cancel; then
    SW="${R[cancel_swift_json]}"; EX="${R[cancel_exec_json]}"; TOP="${CANCEL_COUNTS[-1]}"
    R[cancel_a_p99]="$(json_field "$SW" "n${TOP}_observed_p99_us")"
    R[cancel_b_p99]="$(json_field "$EX" "n${TOP}_exited_p99_us")"
    R[floor_top_p99]="$(json_field "${R[floor_${TOP}_json]}" p99_us)"
    # Issue 13's targets: every handler within 5 ms at p99; every exec child within 2x the OS's own
    # floor for ending as many processes (killfloor, same run).
    V_CANCEL_A="$(verdict "${R[cancel_a_p99]} <= 5000")"
    V_CANCEL_B="$(verdict "${R[cancel_b_p99]} <= 2 * ${R[floor_top_p99]}")"
fi
# lost_dup JSON COUNTS: sums n*_lost, n*_duplicated, n*_restarted and n*_expected over the counts.
lost_dup() {
    local json="$1" n lost=0 dup=0 restarted=0 expected=0
    for n in ${2//,/ }; do
        lost=$((lost + $(json_field "$json" "n${n}_lost"))); dup=$((dup + $(json_field "$json" "n${n}_duplicated")))
        restarted=$((restarted + $(json_field "$json" "n${n}_restarted"))); expected=$((expected + $(json_field "$json" "n${n}_expected")))
    done
    echo "$lost $dup $restarted $expected"
}
if has drain; then
    read -r R[drain_lost] R[drain_dup] R[drain_restarted] R[drain_expected] <<<"$(lost_dup "${R[drain_json]}" "$DRAIN_COUNTS")"
    V_DRAIN="$(verdict "${R[drain_lost]} == 0 && ${R[drain_dup]} == 0 && ${R[drain_restarted]} == ${R[drain_expected]}")"
fi
if has failover; then
    read -r R[failover_lost] R[failover_dup] R[failover_restarted] R[failover_expected] <<<"$(lost_dup "${R[failover_json]}" "$FAILOVER_COUNTS")"
    read -r R[stall_lost] R[stall_dup] R[stall_restarted] R[stall_expected] <<<"$(lost_dup "${R[stall_json]}" "$STALL_COUNTS")"
    V_FAILOVER="$(verdict "${R[failover_lost]} + ${R[stall_lost]} == 0 && ${R[failover_dup]} + ${R[stall_dup]} == 0")"
fi

MACHINE="$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
SWIFT_VERSION="$(swift --version 2>&1 | head -1 | sed 's/^.*Swift version \([^ ]*\).*$/\1/')"
ZMQ_VERSION="$(pkg-config --modversion libzmq 2>/dev/null || echo unknown)"
MODE="$([ "$QUICK" = 1 ] && echo quick || echo full)"
NOT_RUN="not run (--only)"

TABLE="$OUT/results-$STAMP.txt"
{
    printf 'Herd benchmark (%s), %s, herd %s, phases:%s\n' "$MODE" "$STAMP" "$REVISION" "$PHASES"
    printf 'machine: %s; Swift %s; libzmq %s\n' "$MACHINE" "$SWIFT_VERSION" "$ZMQ_VERSION"
    printf 'load average (1/5/15 min) at start: %s, at end: %s (other work on the machine skews both sides)\n\n' "$LOAD_START" "$LOAD_END"
    row "measure" "herd" "baseline" "ratio" "target" "verdict"
    if has throughput; then
        row "dispatch throughput, $THROUGHPUT_SUBTASKS x ${PAYLOAD_SIZE} B, 2 workers (/s)" "${R[herd_rate]}" "${R[baseline_rate]}" "${R[ratio_rate]}" ">= 0.40" "$V_RATE"
        if [ -n "${R[herd_journal_rate]:-}" ]; then
            row "same, with the coordinator's journal on (/s)" "${R[herd_journal_rate]}" "${R[baseline_rate]}" "${R[ratio_journal_rate]}" ">= 0.30" "$V_JOURNAL_RATE"
        fi
        row "round trip p50, 1 subtask, wire client (us)" "${R[wire_p50]}" "${R[baseline_p50]}" "${R[ratio_wire_p50]}" "<= 1.5x" "$V_WIRE_P50"
        row "round trip p99, 1 subtask, wire client (us)" "${R[wire_p99]}" "${R[baseline_p99]}" "${R[ratio_wire_p99]}" "<= 2x" "$V_WIRE_P99"
        row "round trip p50, 1 subtask, HerdClient (us)" "${R[client_p50]}" "${R[baseline_p50]}" "${R[ratio_client_p50]}" "<= 1.5x" "$V_CLIENT_P50"
        row "round trip p99, 1 subtask, HerdClient (us)" "${R[client_p99]}" "${R[baseline_p99]}" "${R[ratio_client_p99]}" "<= 2x" "$V_CLIENT_P99"
    else
        row "dispatch throughput, round trip" "$NOT_RUN"
    fi
    if has e2e; then
        for capacity in "${E2E_CAPACITIES[@]}"; do
            row "herd submit --json to a file, $E2E_SUBTASKS x ${PAYLOAD_SIZE} B, capacity $capacity, wall (/s)" "${R[e2e_herd_$capacity]}" \
                "${R[e2e_base_$capacity]}" "${R[e2e_ratio_$capacity]}" ">= 0.40" "${V_E2E[$capacity]}"
        done
    else
        row "end to end (herd submit --json)" "$NOT_RUN"
    fi
    if has memory; then
        row "coordinator memory per queued subtask (B)" "${R[mem_bytes_per_subtask]}" "-" "-" "<= 1024" "$V_MEM"
    else
        row "coordinator memory per queued subtask" "$NOT_RUN"
    fi
    if has throughput; then
        row "idle CPU, coordinator, ${IDLE_SECONDS} s (%)" "${R[idle_coord_pct]}" "-" "-" "< 1" "$V_IDLE_C"
        row "idle CPU, worker, ${IDLE_SECONDS} s (%)" "${R[idle_worker_pct]}" "-" "-" "< 1" "$V_IDLE_W"
    fi
    if has cancel; then
        row "cancel p99, $TOP in flight, every handler observed (ms)" "$(ms "${R[cancel_a_p99]}")" "$(ms "${R[cancel_zmq_p99]}") rtt" \
            "$(calc "${R[cancel_a_p99]} / ${R[cancel_zmq_p99]}" 1)" "<= 5 ms" "$V_CANCEL_A"
        row "cancel p99, $TOP in flight, every exec child exited (ms)" "$(ms "${R[cancel_b_p99]}")" "$(ms "${R[floor_top_p99]}") OS" \
            "$(calc "${R[cancel_b_p99]} / ${R[floor_top_p99]}" 1)" "<= 2x OS" "$V_CANCEL_B"
    else
        row "cancel latency" "$NOT_RUN"
    fi
    if has vanish; then
        row "vanished client: every exec child gone, max of $VANISH_TRIALS (ms)" "${R[vanish_max_ms]}" "-" "-" "<= 2000" "$V_VANISH"
    else
        row "vanished client" "$NOT_RUN"
    fi
    if has drain; then
        row "drain, $DRAIN_COUNTS in flight: lost / duplicated results" "${R[drain_lost]} / ${R[drain_dup]}" "-" "-" "0 / 0" "$V_DRAIN"
    else
        row "drain" "$NOT_RUN"
    fi
    if has restart; then
        row "restart on the journal, ${R[restart_queued]} queued (ms)" "${R[restart_ms]}" "-" "-" "report" "-"
    else
        row "restart on the journal" "$NOT_RUN"
    fi
    if has failover; then
        row "failover, $FAILOVER_COUNTS in flight: lost / duplicated results" "$((R[failover_lost] + R[stall_lost])) / $((R[failover_dup] + R[stall_dup]))" "-" "-" "0 / 0" "$V_FAILOVER"
    else
        row "failover" "$NOT_RUN"
    fi
    if has throughput; then
        printf '\nthroughput runs (/s): herd %s; baseline %s\n' "${R[herd_rates]}" "${R[baseline_rates]}"
        printf 'CPU per subtask in the throughput job (us): coordinator %s, workers (sum) %s\n' "${R[herd_coord_cpu_us]}" "${R[herd_worker_cpu_us]}"
        printf 'round trip means (us): wire %s, HerdClient %s, baseline %s\n' "${R[wire_mean]}" "${R[client_mean]}" "${R[baseline_mean]}"
        printf 'CPU per round trip (us): herd coordinator %s, herd workers %s; libzmq broker %s\n' "${R[rtt_coord_cpu_us]}" "${R[rtt_worker_cpu_us]}" "${R[rtt_broker_cpu_us]}"
        printf 'idle CPU from schedstat (%%): coordinator %s, worker %s\n' "${R[idle_coord_pct_ns]}" "${R[idle_worker_pct_ns]}"
    fi
    if has e2e; then
        for capacity in "${E2E_CAPACITIES[@]}"; do
            printf 'end to end, capacity %s (/s, wall): herd %s; baseline %s; coordinator CPU per subtask %s us\n' "$capacity" \
                "${R[e2e_herd_runs_$capacity]}" "${R[e2e_base_runs_$capacity]}" "${R[e2e_cpu_$capacity]}"
        done
    fi
    if has memory; then
        printf 'memory: %s subtasks queued (status says %s); coordinator VmRSS %s -> %s KiB (peak %s KiB)\n' \
            "$MEMORY_SUBTASKS" "${R[mem_queued]}" "${R[mem_rss_before_kib]}" "${R[mem_rss_after_kib]}" "${R[mem_hwm_kib]}"
    fi
    if has scaling; then
        printf '\nscaling: herd subtasks/s (fraction of the same-shape baseline); total capacity %s\n' "$WINDOW"
        printf '%-10s' "workers"; for size in "${SCALE_SIZES[@]}"; do printf '%24s' "$size B x $(scale_count "$size")"; done; printf '\n'
        for n in "${SCALE_WORKERS[@]}"; do
            printf '%-10s' "$n"
            for size in "${SCALE_SIZES[@]}"; do
                printf '%24s' "${R[scale_herd_${n}_${size}]} ($(calc "${R[scale_herd_${n}_${size}]} / ${R[scale_base_${n}_${size}]}" 2))"
            done
            printf '\n'
        done
        printf 'libzmq baseline, requests/s\n'
        for n in "${SCALE_WORKERS[@]}"; do
            printf '%-10s' "$n"; for size in "${SCALE_SIZES[@]}"; do printf '%24s' "${R[scale_base_${n}_${size}]}"; done; printf '\n'
        done
        printf 'coordinator CPU per subtask (us), 64 B, by workers:'
        for n in "${SCALE_WORKERS[@]}"; do printf ' %s: %s;' "$n" "${R[scale_cpu_${n}_64]}"; done; printf '\n'
        printf '\nscaling by job size (2 workers, %s B): subtasks per job, jobs run, subtasks/s, coordinator CPU us/subtask, its RSS after (KiB)\n' "$PAYLOAD_SIZE"
        for count in "${SCALE_JOB_SIZES[@]}"; do
            printf '%-10s %6s %12s %10s %12s\n' "$count" "${R[jobsize_jobs_$count]}" "${R[jobsize_rate_$count]}" "${R[jobsize_cpu_$count]}" "${R[jobsize_rss_$count]}"
        done
        printf 'cost growth: %s\n' "${R[jobsize_growth]}"
    fi
    if has cancel; then
        printf '\ncancel latency: ms from CANCEL-JOB sent, p50 / p99 over trials; %s workers x %s; libzmq round trip in this phase p50 / p99 %s ms\n' \
            "$CANCEL_WORKERS" "$CANCEL_CAPACITY" "$(pair "${R[cancel_zmq_p50]}" "${R[cancel_zmq_p99]}" 3)"
        printf '%-10s %7s %18s %18s %18s %18s %7s %18s %18s %18s\n' "in flight" "trials" "(a) last observed" "last delivered" "CANCEL-REPLY" \
            "Swift floor" "trials" "(b) last exited" "CANCEL-REPLY" "OS floor (kill N)"
        for i in "${!CANCEL_COUNTS[@]}"; do
            n="${CANCEL_COUNTS[$i]}"; floor="${R[floor_${n}_json]}"; sfloor="${R[swift_floor_${n}_json]}"
            printf '%-10s %7s %18s %18s %18s %18s %7s %18s %18s %18s\n' "$n" "${CANCEL_TRIALS[$i]}" \
                "$(pair "$(json_field "$SW" "n${n}_observed_p50_us")" "$(json_field "$SW" "n${n}_observed_p99_us")")" \
                "$(pair "$(json_field "$SW" "n${n}_delivered_p50_us")" "$(json_field "$SW" "n${n}_delivered_p99_us")")" \
                "$(pair "$(json_field "$SW" "n${n}_reply_p50_us")" "$(json_field "$SW" "n${n}_reply_p99_us")")" \
                "$(pair "$(json_field "$sfloor" p50_us)" "$(json_field "$sfloor" p99_us)")" \
                "${EXEC_TRIALS[$i]}" \
                "$(pair "$(json_field "$EX" "n${n}_exited_p50_us")" "$(json_field "$EX" "n${n}_exited_p99_us")")" \
                "$(pair "$(json_field "$EX" "n${n}_reply_p50_us")" "$(json_field "$EX" "n${n}_reply_p99_us")")" \
                "$(pair "$(json_field "$floor" p50_us)" "$(json_field "$floor" p99_us)")"
        done
    fi
    # move_table TITLE JSON COUNTS KIND: median / max (ms) per in-flight count, with lost and duplicated.
    move_table() {
        local json="$2" n
        printf '\n%s\n' "$1"
        printf '%-10s %10s %18s %18s %18s %18s %18s %6s %6s %7s\n' "in flight" "restarted" "first restart" "last restart" "worker exit" "DRAIN-REPLY" "last result" "lost" "dup" "not ok"
        for n in ${3//,/ }; do
            printf '%-10s %10s %18s %18s %18s %18s %18s %6s %6s %7s\n' "$n" "$(json_field "$json" "n${n}_restarted")/$(json_field "$json" "n${n}_expected")" \
                "$(pair "$(json_field "$json" "n${n}_first_restart_p50_us")" "$(json_field "$json" "n${n}_first_restart_max_us")" 1)" \
                "$(pair "$(json_field "$json" "n${n}_last_restart_p50_us")" "$(json_field "$json" "n${n}_last_restart_max_us")" 1)" \
                "$(pair "$(json_field "$json" "n${n}_worker_exit_p50_us")" "$(json_field "$json" "n${n}_worker_exit_max_us")" 1)" \
                "$(pair "$(json_field "$json" "n${n}_drain_reply_p50_us")" "$(json_field "$json" "n${n}_drain_reply_max_us")" 1)" \
                "$(pair "$(json_field "$json" "n${n}_last_result_p50_us")" "$(json_field "$json" "n${n}_last_result_max_us")" 1)" \
                "$(json_field "$json" "n${n}_lost")" "$(json_field "$json" "n${n}_duplicated")" "$(json_field "$json" "n${n}_not_ok")"
        done
    }
    if has drain; then
        move_table "drain (grace 0): ms from the drain request, median / max over $DRAIN_TRIALS trials per count" "${R[drain_json]}" "$DRAIN_COUNTS"
        for run in $DRAIN_GRACE_RUNS; do
            move_table "drain (grace ${run##*:} ms): ms from the drain request, median / max over $DRAIN_TRIALS trials" "${R[drain_grace_json]}" "${run%%:*}"
        done
    fi
    if has failover; then
        move_table "failover (SIGKILL; heartbeat $FAILOVER_HEARTBEAT, liveness $FAILOVER_LIVENESS): ms from the kill, median / max over $FAILOVER_TRIALS trials" \
            "${R[failover_json]}" "$FAILOVER_COUNTS"
        move_table "failover (SIGSTOP, a hung worker; liveness $FAILOVER_LIVENESS): ms from the stop, median / max over $STALL_TRIALS trials" \
            "${R[stall_json]}" "$STALL_COUNTS"
    fi
    if has curve && [ -n "${R[curve_herd_rate]:-}" ]; then
        printf '\nCURVE on, both sides (Herd: CURVE + ZAP + role checks; baseline: libzmq CURVE, no ZAP), 2 workers:\n'
        row "dispatch throughput with CURVE (/s)" "${R[curve_herd_rate]}" "${R[curve_baseline_rate]}" "$(calc "${R[curve_herd_rate]} / ${R[curve_baseline_rate]}" 3)" "-" "-"
        row "round trip p50 with CURVE, wire client (us)" "${R[curve_wire_p50]}" "${R[curve_zmq_p50]}" "$(calc "${R[curve_wire_p50]} / ${R[curve_zmq_p50]}" 2)" "-" "-"
        row "round trip p99 with CURVE, wire client (us)" "${R[curve_wire_p99]}" "${R[curve_zmq_p99]}" "$(calc "${R[curve_wire_p99]} / ${R[curve_zmq_p99]}" 2)" "-" "-"
        if has throughput; then
            row "CURVE's cost: throughput with / without (ratio)" "$(calc "${R[curve_herd_rate]} / ${R[herd_rate]}" 3)" "$(calc "${R[curve_baseline_rate]} / ${R[baseline_rate]}" 3)" "-" "-" "-"
        fi
    fi
    printf '\nmeasured in %s s; logs: %s\n' "${R[elapsed_s]}" "$LOGS"
} | tee "$TABLE"
