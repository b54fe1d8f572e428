import HerdCore

/// A group of workers: one `[[group]]` table of a cluster file.
///
/// | Key        | Property   | Type             | Default  | Range                                       |
/// | ---------- | ---------- | ---------------- | -------- | ------------------------------------------- |
/// | `name`     | `name`     | string           | required | 1 to 64 of `a-z 0-9 . _ -`, unique          |
/// | `workers`  | `workers`  | integer          | 1        | 0...256                                     |
/// | `capacity` | `capacity` | integer          | 4        | 1...10000                                   |
/// | `exec`     | `exec`     | array of strings | `[]`     | `KIND=COMMAND` each (``ExecSpec``), kinds unique |
/// | `command`  | `command`  | string           | none     | not blank; not with `exec`                  |
/// | `node`     | `node`     | string           | none     | 1 to 64 of `A-Z a-z 0-9 . _ -`              |
/// | `fallback` | `fallback` | string           | none     | another group of the file; no cycles        |
/// | `fallback-cache` | `fallbackCache` | integer | 0  | 0...1000000 last good results kept          |
/// | `fallback-value` | `fallbackValue` | string  | none | any text                                  |
/// | `worker-keys` | `workerKeys` | array of strings | `[]` | Z85 public keys or key files: workers of this group only |
/// | `retry-attempts`, `retry-base-delay`, `retry-max-delay`, `retry-jitter` | `retry` | as in `[coordinator]` | inherited | as in `[coordinator]` |
public struct WorkerGroupSpec: Sendable, Hashable {
    /// The group's name, which jobs name to run on it.
    public var name: String
    /// How many worker processes `herd up` starts for the group (0 when they are started
    /// elsewhere).
    public var workers: Int
    /// How many subtasks each worker runs at once.
    public var capacity: Int
    /// The `KIND=COMMAND` bindings each worker serves, as for `herd worker --exec`.
    public var exec: [String]
    /// Public keys (Z85, or key files relative to the cluster file) that may register as workers
    /// of this group only (`worker-keys`).
    public var workerKeys: [String] = []
    /// The node label the group's workers report, if not their host name.
    public var node: String?
    /// A command that starts one worker of the group in place of `herd worker` (for example a
    /// Python worker, `python3 my_worker.py`), run by `herd up` through `/bin/sh`; `nil` runs
    /// `herd worker`. Such a worker declares its own kinds, so it has no ``exec``.
    public var command: String?
    /// The group that takes this group's work while this group's breaker is open (`fallback`).
    public var fallback: String?
    /// The retry settings this group overrides; the others are inherited from `[coordinator]`.
    public var retry: RetryOverride
    /// How many last good results the group keeps to answer with while its breaker is open and
    /// its fallback group (if any) cannot serve (`fallback-cache`; 0: none).
    public var fallbackCache: Int = 0
    /// The output served, as a last resort, while the group's breaker is open (`fallback-value`).
    public var fallbackValue: String?

    /// Creates a group without validating it.
    public init(
        name: String,
        workers: Int = 1,
        capacity: Int = 4,
        exec: [String] = [],
        node: String? = nil,
        fallback: String? = nil,
        retry: RetryOverride = RetryOverride()
    ) {
        self.name = name
        self.workers = workers
        self.capacity = capacity
        self.exec = exec
        self.node = node
        self.fallback = fallback
        self.retry = retry
    }

    /// Whether the coordinator needs a ``HerdCore/CoordinatorConfiguration/GroupPolicy`` for this group:
    /// it has a fallback or overrides a retry setting.
    public var hasPolicy: Bool {
        self.fallback != nil || !self.retry.isEmpty || self.fallbackCache > 0 || self.fallbackValue != nil
    }

    /// The range of `fallback-cache`.
    public static let fallbackCacheRange: ClosedRange<Int> = 0 ... 1_000_000

    /// The range of `workers`.
    public static let workersRange: ClosedRange<Int> = 0 ... 256
    /// The range of `capacity`.
    public static let capacityRange: ClosedRange<Int> = 1 ... 10_000

    /// Whether `name` is a valid group name or subtask kind: 1 to 64 characters from
    /// `a-z 0-9 . _ -`.
    public static func isValidName(_ name: String) -> Bool {
        ConfigName.isValid(name)
    }
}

// MARK: - Reading

extension WorkerGroupSpec {
    /// The keys of a `[[group]]` table.
    static let keys =
        ["name", "workers", "capacity", "exec", "command", "node", "fallback", "fallback-cache", "fallback-value"]
        + ["worker-keys"]
        + RetryOverride.keys

    /// Reads and validates one `[[group]]` table.
    ///
    /// - Parameters:
    ///   - table: The table.
    ///   - number: The table's 1-based position among the `[[group]]` tables, which names it in
    ///     errors until its name is known.
    init(table: TOMLTable, number: Int) throws(ConfigError) {
        let reader = ConfigTableReader(namedTable: table, noun: "group", number: number)
        try reader.rejectUnknownKeys(Self.keys)
        self.init(name: try reader.requiredName())
        self.workers = try reader.integer("workers", in: Self.workersRange) ?? self.workers
        self.capacity = try reader.integer("capacity", in: Self.capacityRange) ?? self.capacity
        self.exec = try reader.strings("exec") ?? []
        self.workerKeys = try reader.strings("worker-keys") ?? []
        var kinds: Set<String> = []
        for (index, binding) in self.exec.enumerated() {
            let spec: ExecSpec
            do throws(ConfigError) {
                spec = try ExecSpec(parsing: binding)
            } catch {
                throw reader.error("exec", "exec[\(index)]: \(error.message)")
            }
            guard kinds.insert(spec.kind).inserted else {
                throw reader.error("exec", "exec lists kind '\(spec.kind)' twice")
            }
        }
        if let command = try reader.string("command") {
            guard !command.allSatisfy(\.isWhitespace) else {
                throw reader.error("command", "command must not be blank")
            }
            guard self.exec.isEmpty else {
                throw reader.error(
                    "command",
                    "command and exec exclude each other: a command worker declares its own kinds"
                )
            }
            self.command = command
        }
        if let node = try reader.string("node") {
            guard ConfigName.isValid(node, allowingCapitals: true) else {
                throw reader.error(
                    "node",
                    "node must be \(ConfigName.rule(allowingCapitals: true)), got \(TOMLValue.string(node))"
                )
            }
            self.node = node
        }
        if let fallback = try reader.string("fallback") {
            guard ConfigName.isValid(fallback) else {
                throw reader.error(
                    "fallback",
                    "fallback must be a group name (\(ConfigName.rule())), got \(TOMLValue.string(fallback))"
                )
            }
            guard fallback != name else {
                throw reader.error("fallback", "fallback must name another group, not the group itself")
            }
            self.fallback = fallback
        }
        self.fallbackCache = try reader.integer("fallback-cache", in: Self.fallbackCacheRange) ?? 0
        self.fallbackValue = try reader.string("fallback-value")
        self.retry = try RetryOverride(reader: reader)
    }
}
