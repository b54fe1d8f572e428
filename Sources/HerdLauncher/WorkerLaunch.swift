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

    public init(
        id: String,
        name: String? = nil,
        group: String,
        capacity: Int = 4,
        node: String? = nil,
        exec: [String] = [],
        extra: [String] = []
    ) {
        self.id = id
        self.name = name ?? id
        self.group = group
        self.capacity = capacity
        self.node = node
        self.exec = exec
        self.extra = extra
    }

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
