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

# herd_cluster NAME N CAPACITY GROUP: a coordinator and N echo workers of CAPACITY each.
herd_cluster() {
    local name="$1" n="$2" capacity="$3" group="$4" i
    CLUSTER=(); WORKER_PIDS=()
    start "$name-coordinator" "$HERD" coordinator --bind 'tcp://127.0.0.1:*'
    COORD_PID="$LAST_PID"
    ENDPOINT="$(wait_line "$LAST_FD" "listening on" "$name-coordinator" | awk '{ print $NF }')"
    drain "$LAST_FD" "$name-coordinator"
    CLUSTER+=("$COORD_PID")
    local -a fds=()
    for ((i = 1; i <= n; i++)); do
        start "$name-worker-$i" "$HERD" worker --connect "$ENDPOINT" --group "$group" --capacity "$capacity" --id "$name-w$i"
        WORKER_PIDS+=("$LAST_PID"); CLUSTER+=("$LAST_PID"); fds+=("$LAST_FD")
    done
    for ((i = 1; i <= n; i++)); do
        wait_line "${fds[$((i - 1))]}" "registered" "$name-worker-$i" >/dev/null
        drain "${fds[$((i - 1))]}" "$name-worker-$i"
    done
}

stop_cluster() { stop "${CLUSTER[@]}"; CLUSTER=(); WORKER_PIDS=(); COORD_PID=""; }

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
# Both sets of pids are kept in BOTH_CLUSTERS.
declare -a BOTH_CLUSTERS=()
clusters_pair() { # N CAPACITY GROUP NAME: sets ZMQ_ENDPOINT, HERD_ENDPOINT (and COORD_PID, WORKER_PIDS)
    baseline_cluster "$1"; ZMQ_ENDPOINT="$ENDPOINT"; ZMQ_PIDS=("${CLUSTER[@]}")
    herd_cluster "$4" "$1" "$2" "$3"; HERD_ENDPOINT="$ENDPOINT"
    BOTH_CLUSTERS=("${ZMQ_PIDS[@]}" "${CLUSTER[@]}")
}
stop_pair() { stop "${BOTH_CLUSTERS[@]}"; BOTH_CLUSTERS=(); CLUSTER=(); WORKER_PIDS=(); COORD_PID=""; }
