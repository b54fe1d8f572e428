# bench/lib/processes.sh: every process bench/run starts is tracked by pid and killed on exit.
# Sourced by bench/run.
declare -a PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true   # `timeout` runs its command in a group of its own
        kill -KILL "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
    # Exec children lead process groups of their own: a killed `herd worker` leaves them behind.
    # herd-latency marks every process it starts, and so their exec children, with
    # HERD_BENCH_TAG=$LOGS (or a directory below it) in the environment: kill whatever still has it.
    # (By mark, not by pid: pids are reused.)
    local environ
    for environ in $(grep -lszF "HERD_BENCH_TAG=$LOGS" /proc/[0-9]*/environ); do
        pid="${environ#/proc/}"; pid="${pid%/environ}"
        kill -KILL "$pid" 2>/dev/null || true
    done
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD...: starts CMD in the background, stdout to a pipe we read for readiness lines
# (then drained into LOGS/NAME.out), stderr to LOGS/NAME.err. Sets LAST_PID and LAST_FD.
start() {
    local name="$1"; shift
    local fifo="$LOGS/$name.fifo"
    mkfifo "$fifo"
    "$@" >"$fifo" 2>"$LOGS/$name.err" &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
    exec {LAST_FD}<"$fifo"
    rm -f "$fifo"
}
# start_err NAME CMD...: like start, but readiness lines come from stderr (herd submit).
start_err() {
    local name="$1"; shift
    local fifo="$LOGS/$name.fifo"
    mkfifo "$fifo"
    "$@" >"$LOGS/$name.out" 2>"$fifo" &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
    exec {LAST_FD}<"$fifo"
    rm -f "$fifo"
}
# wait_line FD PATTERN NAME: reads lines from FD until one contains PATTERN; prints it.
wait_line() {
    local fd="$1" pattern="$2" name="$3" line deadline=$((SECONDS + READY_TIMEOUT))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if IFS= read -r -t "$((deadline - SECONDS + 1))" -u "$fd" line; then
            case "$line" in *"$pattern"*) printf '%s\n' "$line"; return 0 ;; esac
        else
            break
        fi
    done
    say "bench/run: $name did not print '$pattern' within ${READY_TIMEOUT}s; see $LOGS/$name.err"
    exit 1
}
# drain FD NAME: keeps reading FD into LOGS/NAME.out so the process never blocks on a full pipe.
drain() {
    cat <&"$1" >>"$LOGS/$2.out" &
    PIDS+=("$!")
    eval "exec $1<&-"
}
# measure NAME CMD...: runs CMD (bounded by RUN_TIMEOUT) to completion, tracked like the rest;
# its stdout goes to LOGS/NAME.out and its last line to MEASURED.
measure() {
    local name="$1"; shift
    timeout -s KILL "$RUN_TIMEOUT" "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    if ! wait "$pid"; then
        say "bench/run: $name failed or timed out; see $LOGS/$name.err"
        tail -5 "$LOGS/$name.err" >&2
        exit 1
    fi
    MEASURED="$(tail -1 "$LOGS/$name.out")"
}
# stop PID...: kills and reaps (for processes whose end is part of the plan).
stop() {
    local pid
    for pid in "$@"; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}
