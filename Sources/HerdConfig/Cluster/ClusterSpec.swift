import HerdCore

/// A cluster file: the coordinator's settings, the worker groups `herd up` starts, and an
/// optional demo job.
///
/// ```toml
/// [coordinator]
/// endpoint = "tcp://127.0.0.1:5555"
/// heartbeat = "250ms"
/// liveness = "1s"
///
/// [[group]]
/// name = "agents"
/// workers = 2
/// capacity = 8
/// exec = ["shout=tr a-z A-Z", "count=wc -c"]
///
/// [job]
/// group = "agents"
/// kind = "shout"
/// fanout = 100
/// payload = "subtask {index}: hello from herd"
/// ```
///
/// Every table is optional: a file with only a `[coordinator]` table suits
/// `herd coordinator --config`. The keys of each table are described on ``CoordinatorSettings``,
/// ``WorkerGroupSpec`` and ``DemoJobSpec``, and in `cluster/README.md`. Unknown tables and keys
/// are errors, so that a typo does not silently leave a default in place.
public struct ClusterSpec: Sendable, Hashable {
    /// The `[coordinator]` table, or the defaults.
    public var coordinator: CoordinatorSettings
    /// The `[[group]]` tables in file order; names are unique.
    public var groups: [WorkerGroupSpec]
    /// The `[job]` table, if any: the fan-out job `herd up --run` submits.
    public var job: DemoJobSpec?
    /// The `[[kind]]` tables in file order (retry settings per subtask kind); names are unique.
    public var kinds: [KindSpec]

    /// Creates a cluster description without validating it.
    public init(
        coordinator: CoordinatorSettings = .defaults,
        groups: [WorkerGroupSpec] = [],
        job: DemoJobSpec? = nil,
        kinds: [KindSpec] = []
    ) {
        self.coordinator = coordinator
        self.groups = groups
        self.job = job
        self.kinds = kinds
    }

    /// The group called `name`, if there is one.
    public func group(named name: String) -> WorkerGroupSpec? {
        self.groups.first { $0.name == name }
    }

    /// Reads and validates a cluster file.
    ///
    /// - Parameter text: The file's text (the caller reads the file).
    /// - Returns: The cluster, with defaults for absent keys.
    /// - Throws: ``ConfigError`` for the first problem, with its line: TOML the reader does not
    ///   accept, an unknown table or key, a value of the wrong type or out of range, a duplicate
    ///   group name, a liveness window not longer than the heartbeat, a retry base delay longer
    ///   than the maximum delay, ramp steps that do not increase to 1, a fallback that is not
    ///   another group of the file or that leads back to its group, a job naming an undefined
    ///   group.
    public static func parse(_ text: String) throws(ConfigError) -> ClusterSpec {
        try ClusterSpec(document: TOMLDocument(parsing: text))
    }

    /// Validates a TOML document as a cluster file.
    ///
    /// - Parameter document: The document.
    /// - Throws: ``ConfigError`` as ``parse(_:)`` does.
    public init(document: TOMLDocument) throws(ConfigError) {
        self.init()
        let root = document.root
        var jobTable: TOMLTable?
        var groupTables: [TOMLTable] = []
        for entry in root.entries {
            switch (entry.key, entry.value) {
            case ("coordinator", .table(let table)):
                self.coordinator = try CoordinatorSettings(table: table)
            case ("group", .tableArray(let tables)):
                var firstLines: [String: Int] = [:]
                for (index, table) in tables.enumerated() {
                    let group = try WorkerGroupSpec(table: table, number: index + 1)
                    if let firstLine = firstLines[group.name] {
                        let line = table.entry("name")?.line ?? table.line
                        throw ConfigError(
                            line: line,
                            message: "group '\(group.name)' is defined twice (first on line \(firstLine))"
                        )
                    }
                    firstLines[group.name] = table.entry("name")?.line ?? table.line ?? 0
                    self.groups.append(group)
                    groupTables.append(table)
                }
            case ("job", .table(let table)):
                jobTable = table
            case ("kind", .tableArray(let tables)):
                var firstLines: [String: Int] = [:]
                for (index, table) in tables.enumerated() {
                    let kind = try KindSpec(table: table, number: index + 1)
                    let line = table.entry("name")?.line ?? table.line
                    if let firstLine = firstLines[kind.name] {
                        throw ConfigError(
                            line: line,
                            message: "kind '\(kind.name)' is defined twice (first on line \(firstLine))"
                        )
                    }
                    firstLines[kind.name] = line ?? 0
                    // Its delays are checked against the coordinator's policy (a group's own
                    // override may still combine with it; the coordinator clamps nothing there).
                    try kind.retry.checkDelays(
                        of: kind.retry.applied(to: self.coordinator.retry),
                        reader: ConfigTableReader(table: table, context: "kind '\(kind.name)'"),
                        unsetNote: "inherited"
                    )
                    self.kinds.append(kind)
                }
            default:
                throw Self.misplaced(entry)
            }
        }
        // Checks that need the whole file: a group may name a fallback defined after it, and
        // inherits retry settings from a [coordinator] table that may come after it.
        for (group, table) in zip(self.groups, groupTables) {
            let reader = ConfigTableReader(table: table, context: "group '\(group.name)'")
            try group.retry.checkDelays(
                of: group.retry.applied(to: self.coordinator.retry),
                reader: reader,
                unsetNote: "inherited"
            )
            try self.checkFallback(of: group, reader: reader)
        }
        if let jobTable {
            self.job = try DemoJobSpec(table: jobTable, groups: self.groups)
        }
    }

    /// Fails if `group`'s fallback is not a group of this file or leads back to `group`.
    private func checkFallback(of group: WorkerGroupSpec, reader: ConfigTableReader) throws(ConfigError) {
        guard let fallback = group.fallback else { return }
        guard self.group(named: fallback) != nil else {
            let names = self.groups.map(\.name).joined(separator: ", ")
            throw reader.error("fallback", "fallback group '\(fallback)' is not defined (defined groups: \(names))")
        }
        // Each group has at most one fallback, so following them from `group` either ends or
        // loops; only a loop through `group` itself is reported here (others at their own groups).
        var chain = [group.name]
        var next: String? = fallback
        while let name = next, chain.count <= self.groups.count {
            chain.append(name)
            if name == group.name {
                throw reader.error("fallback", "fallbacks form a cycle: \(chain.joined(separator: " → "))")
            }
            next = self.group(named: name)?.fallback
        }
    }

    /// The tables a cluster file may have, as their headers are written.
    private static let headers = [
        "coordinator": "[coordinator]", "group": "[[group]]", "job": "[job]", "kind": "[[kind]]",
    ]

    /// The error for a top-level entry that is not one of the known tables, or has the wrong shape.
    private static func misplaced(_ entry: TOMLTable.Entry) -> ConfigError {
        let written =
            switch entry.value {
            case .table: "[\(entry.key)]"
            case .tableArray: "[[\(entry.key)]]"
            default: "key '\(entry.key)'"
            }
        if let header = Self.headers[entry.key] {
            return ConfigError(
                line: entry.line,
                message: "\(entry.key) must be written as a \(header) table, not as \(written)"
            )
        }
        let unknown = "unknown " + (written.hasPrefix("[") ? "table " : "") + written
        let known = Array(Self.headers.keys).sorted()
        if let suggestion = ConfigName.closestMatch(to: entry.key, among: known) {
            return ConfigError(line: entry.line, message: "\(unknown); did you mean \(Self.headers[suggestion]!)?")
        }
        return ConfigError(
            line: entry.line,
            message: "\(unknown); a cluster file has [coordinator], [[group]], [[kind]] and [job] tables"
        )
    }
}
