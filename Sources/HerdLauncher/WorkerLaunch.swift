/// One `herd worker` process of a ``LocalCluster``.
public struct WorkerLaunch: Sendable {
    /// The worker id (`--id`).
    public var id: String
    /// The process's name (its log file's, and in messages); the id by default.
    public var name: String
    /// The worker group it joins (`--group`).
    public var group: String
    /// Subtasks it runs at once (`--capacity`).
    public var capacity: Int
    /// `--node`; `nil` reports the host name.
    public var node: String?
    /// `--exec KIND=COMMAND` entries.
    public var exec: [String]
    /// More arguments for `herd worker`, after the rest.
    public var extra: [String]
    /// A command run through `/bin/sh` instead of `herd worker` (a cluster file's `command`); it
    /// learns its settings from the environment (``environment(endpoint:)``).
    public var command: String?
    /// The drain grace a ``command`` worker is told (`HERD_DRAIN_GRACE`).
    public var drainGrace: Duration?

    public init(
        id: String,
        name: String? = nil,
        group: String,
        capacity: Int = 4,
        node: String? = nil,
        exec: [String] = [],
        extra: [String] = [],
        command: String? = nil,
        drainGrace: Duration? = nil
    ) {
        self.id = id
        self.name = name ?? id
        self.group = group
        self.capacity = capacity
        self.node = node
        self.exec = exec
        self.extra = extra
        self.command = command
        self.drainGrace = drainGrace
    }

    /// What a ``command`` worker is told, in its environment: `HERD_ENDPOINT`, `HERD_GROUP`,
    /// `HERD_WORKER_ID`, `HERD_CAPACITY`, `HERD_NODE` (when set), `HERD_DRAIN_GRACE` (seconds, when
    /// set) and `HERD_READY_LINE=1` (print a line containing `registered` on stdout once
    /// registered: `herd up` waits for it).
    public func environment(endpoint: String) -> [String: String] {
        var environment = [
            "HERD_ENDPOINT": endpoint, "HERD_GROUP": self.group, "HERD_WORKER_ID": self.id,
            "HERD_CAPACITY": "\(self.capacity)", "HERD_READY_LINE": "1",
        ]
        if let node { environment["HERD_NODE"] = node }
        if let drainGrace {
            let (seconds, attoseconds) = drainGrace.components
            environment["HERD_DRAIN_GRACE"] = "\(Double(seconds) + Double(attoseconds) / 1e18)"
        }
        return environment
    }

    /// `/bin/sh -c 'exec COMMAND'` for a ``command`` worker: a simple command replaces the shell, so
    /// that it receives `herd up`'s signals itself (SIGTERM drains it).
    var shellArguments: [String]? { self.command.map { ["-c", "exec \($0)"] } }

    /// `herd worker` and its arguments (without the log level and ``extra``).
    func arguments(endpoint: String) -> [String] {
        var arguments = [
            "worker", "--connect", endpoint, "--group", self.group, "--id", self.id, "--capacity", "\(self.capacity)",
        ]
        if let node { arguments += ["--node", node] }
        for exec in self.exec { arguments += ["--exec", exec] }
        return arguments
    }
}
