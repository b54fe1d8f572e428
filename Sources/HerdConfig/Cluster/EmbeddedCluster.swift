extension ClusterSpec {
    /// The default local cluster, `cluster/local.toml`, byte for byte: what `herd up` starts
    /// when given no file.
    ///
    /// Two groups on one machine, using only coreutils and `/bin/sh`: `agents` (2 workers of
    /// capacity 8, kinds `shout`, `think` and `count`) and `tools` (1 worker, kinds `checksum`
    /// and `lines`), the coordinator on `tcp://127.0.0.1:5555`, and a 200-subtask `think` demo
    /// job. A test checks that this text and the file are identical and that it parses.
    public static let embeddedLocalCluster: String = #"""
        # Herd's default local cluster: what `herd up` starts when given no file.
        #
        # It needs nothing but a stock Debian machine: every exec kind uses coreutils and /bin/sh (dash)
        # only. cluster/README.md describes every key, its type, default and range.

        [coordinator]
        endpoint = "tcp://127.0.0.1:5555"
        heartbeat = "250ms"             # each side sends a heartbeat when otherwise silent this long
        liveness = "1s"                 # a worker silent this long is declared dead
        client-liveness = "1.5s"        # a client silent this long is gone and its jobs are abandoned
        max-deliveries = 5              # attempts lost to dead workers before a subtask fails
        max-message-bytes = 67_108_864  # 64 MiB

        # Retries, the retry budget, circuit breakers and the recovery ramp keep their defaults here.
        # cluster/README.md describes every key; uncomment to change one, for example:
        # retry-attempts = 3              # attempts per subtask, the first included
        # retry-base-delay = "200ms"      # backoff ceiling after the first failure, doubling per attempt
        # retry-max-delay = "10s"         # cap on the backoff ceiling
        # retry-budget-ratio = 0.2        # retries may add at most 20 % to the cluster's first attempts
        # breaker-failure-rate = 50       # a breaker opens when 50 % of the calls in its window fail
        # breaker-open = "30s"            # how long an open breaker refuses work before it probes
        # ramp-steps = [0.1, 0.25, 0.5, 1.0]  # a recovered worker's share of work, stepping up

        # KIND=COMMAND bindings, as for `herd worker --exec`.
        [[group]]
        name = "agents"
        workers = 2
        capacity = 8
        exec = [
            "shout=tr a-z A-Z",
            # Sleeps 0 to 40 ms (chosen from the shell's pid: dash has no $RANDOM), then shouts.
            "think=sh -c 'sleep 0.0$(($$ % 5)); tr a-z A-Z'",
            "count=wc -c",
        ]

        [[group]]
        name = "tools"
        workers = 1
        capacity = 4
        exec = [
            "checksum=sha256sum",
            "lines=wc -l",
        ]

        # The demo job `herd up --run` submits: 200 subtasks fanned out over the agents.
        [job]
        group = "agents"
        kind = "think"
        fanout = 200
        payload = "subtask {index}: hello from herd"

        """#
}
