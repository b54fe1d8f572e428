# bench/lib/clusters.sh: the libzmq baseline clusters and the Herd clusters, and the throughput
# measurements over them. Sourced by bench/run.
declare -a CLUSTER=()
ENDPOINT=""
COORD_PID=""
declare -a WORKER_PIDS=()

# baseline_cluster N: the C broker and N echo workers.
baseline_cluster() {
    local n="$1" i
    CLUSTER=()
    start "zmq-broker-w$n" "$ZMQBENCH" broker 'tcp://127.0.0.1:*'
    local broker_pid="$LAST_PID" fd="$LAST_FD"
    ENDPOINT="$(wait_line "$fd" "listening on" "zmq-broker-w$n" | awk '{ print $NF }')"
    CLUSTER+=("$broker_pid")
    for ((i = 1; i <= n; i++)); do
        "$ZMQBENCH" worker "$ENDPOINT" 2>"$LOGS/zmq-worker-w$n-$i.err" &
        PIDS+=("$!"); CLUSTER+=("$!")
    done
    for ((i = 1; i <= n; i++)); do wait_line "$fd" "worker $i registered" "zmq-broker-w$n" >/dev/null; done
    drain "$fd" "zmq-broker-w$n"
}

# herd_cluster NAME N CAPACITY GROUP: a coordinator and N echo workers of CAPACITY each, started by
# `herd up` from a cluster file (LOGS/NAME.toml): the same launcher as `herd up`'s and the tests'
# (HerdLauncher's LocalCluster), which waits until the coordinator listens and every worker has
# registered, then prints "herd cluster up: coordinator at ENDPOINT; ...". Their standard error goes
# to LOGS/NAME-up.err. Sets UP_PID, ENDPOINT, COORD_PID and WORKER_PIDS (herd up's children, by
# their subcommand). HERD_BENCH_TAG marks them for cleanup's sweep, should bench/run be killed.
UP_PID=""
herd_cluster() {
    local name="$1" n="$2" capacity="$3" group="$4" child
    CLUSTER=(); WORKER_PIDS=(); COORD_PID=""
    : >"$LOGS/$name.toml"
    # A revision with per-client limits (it has --insecure too): the round-trip probes submit one job
    # after another on one connection, faster than the default rate limit allows.
    if "$HERD" up --help 2>/dev/null | grep -q -- '--insecure'; then
        printf '[coordinator]\nmax-submissions-per-second = 1000000\n\n' >>"$LOGS/$name.toml"
    fi
    printf '[[group]]\nname = "%s"\nworkers = %s\ncapacity = %s\n' "$group" "$n" "$capacity" >>"$LOGS/$name.toml"
    # HERD_BENCH_EXEC='KIND=COMMAND': the group's workers also serve that exec kind.
    if [ -n "${HERD_BENCH_EXEC:-}" ]; then printf 'exec = ["%s"]\n' "$HERD_BENCH_EXEC" >>"$LOGS/$name.toml"; fi
    # --grace 0s: stopping a cluster whose work is done (or abandoned) need not wait for anything.
    # The coordinator keeps a journal only when HERD_JOURNAL names one (a revision without
    # journals is run as it is; one that journals by default is told not to).
    local journal=()
    if "$HERD" up --help 2>/dev/null | grep -q -- '--journal'; then journal=(--journal "${HERD_JOURNAL:-}"); fi
    # CURVE is on by default since revision 8 of the protocol; the figures compared across revisions
    # are taken without it (--insecure), and the curve phase (HERD_BENCH_CURVE=1) measures it.
    local security=()
    if [ -z "${HERD_BENCH_CURVE:-}" ] && "$HERD" up --help 2>/dev/null | grep -q -- '--insecure'; then
        security=(--insecure)
    fi
    start "$name-up" env HERD_BENCH_TAG="$LOGS" "$HERD" up "$LOGS/$name.toml" --bind 'tcp://127.0.0.1:*' --grace 0s \
        "${journal[@]}" "${security[@]}"
    UP_PID="$LAST_PID"
    ENDPOINT="$(wait_line "$LAST_FD" "herd cluster up: coordinator at " "$name-up" | sed 's/^herd cluster up: coordinator at \([^;]*\);.*$/\1/')"
    drain "$LAST_FD" "$name-up"
    CLUSTER+=("$UP_PID")
    for child in $(children_of "$UP_PID"); do
        case "$(tr '\0' '\n' <"/proc/$child/cmdline" 2>/dev/null | sed -n 2p)" in
            coordinator) COORD_PID="$child" ;;
            worker) WORKER_PIDS+=("$child") ;;
        esac
    done
    if [ -z "$COORD_PID" ] || [ "${#WORKER_PIDS[@]}" != "$n" ]; then
        say "bench/run: herd up ($name) started no coordinator or not $n workers; see $LOGS/$name-up.err"
        exit 1
    fi
}

# children_of PID: the pids whose parent is PID, in pid order (from /proc/*/stat).
children_of() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v parent="$1" '{ pid = $1; sub(/^.*\) /, ""); if ($2 == parent) print pid }' | sort -n
}

# stop_herd: SIGTERM to herd up, which stops its workers, then its coordinator (SIGTERM, and SIGKILL
# after 5 s), reaps them and exits; waits for it.
stop_herd() {
    [ -n "$UP_PID" ] || return 0
    kill -TERM "$UP_PID" 2>/dev/null || true
    wait "$UP_PID" 2>/dev/null || true
    UP_PID=""
}

stop_cluster() { stop_herd; CLUSTER=(); WORKER_PIDS=(); COORD_PID=""; }

# herd_throughput NAME GROUP COUNT SIZE: one job of COUNT echo subtasks through `herd submit`.
# Sets HT_RATE (subtasks/s, from the summary's elapsed_ms) and HT_CPU (coordinator CPU us/subtask).
herd_throughput() {
    local name="$1" group="$2" count="$3" size="$4" elapsed_ms succeeded ticks0 ticks1
    ticks0="$(cpu_ticks "$COORD_PID")"
    measure "$name" "$HERD" submit --connect "$ENDPOINT" --group "$group" --kind echo \
        --fanout "$count" --payload "$(payload_of "$size")" --quiet --json
    ticks1="$(cpu_ticks "$COORD_PID")"
    elapsed_ms="$(json_field "$MEASURED" elapsed_ms)"
    succeeded="$(json_field "$MEASURED" succeeded)"
    [ "$succeeded" = "$count" ] || { say "bench/run: $name: $succeeded of $count subtasks succeeded: $MEASURED"; exit 1; }
    HT_RATE="$(calc "$count * 1000 / ($elapsed_ms > 0 ? $elapsed_ms : 1)" 0)"
    HT_CPU="$(calc "($ticks1 - $ticks0) * 1000000 / $TICK_HZ / $count" 2)"
}

# baseline_throughput NAME COUNT SIZE: sets BT_RATE.
baseline_throughput() {
    measure "$1" "$ZMQBENCH" throughput "$ENDPOINT" "$2" "$WINDOW" "$3"
    BT_RATE="$(json_field "$MEASURED" rate | awk '{ printf "%.0f", $1 }')"
}

declare -A R=()   # every result, by key

scale_count() { case "$1" in 64) echo "$SCALE_COUNT_64" ;; 4096) echo "$SCALE_COUNT_4K" ;; *) echo "$SCALE_COUNT_64K" ;; esac; }

# Baseline and Herd clusters of the same shape run side by side (an idle cluster costs no CPU) and
# their measurements alternate, so that both see the same machine (others may be compiling).
# The baseline's pids are kept in BOTH_CLUSTERS; the Herd cluster is herd up's (UP_PID).
declare -a BOTH_CLUSTERS=()
clusters_pair() { # N CAPACITY GROUP NAME: sets ZMQ_ENDPOINT, HERD_ENDPOINT (and COORD_PID, WORKER_PIDS)
    baseline_cluster "$1"; ZMQ_ENDPOINT="$ENDPOINT"; ZMQ_PIDS=("${CLUSTER[@]}")
    herd_cluster "$4" "$1" "$2" "$3"; HERD_ENDPOINT="$ENDPOINT"
    BOTH_CLUSTERS=("${ZMQ_PIDS[@]}")
}
stop_pair() { stop "${BOTH_CLUSTERS[@]}"; stop_herd; BOTH_CLUSTERS=(); CLUSTER=(); WORKER_PIDS=(); COORD_PID=""; }
