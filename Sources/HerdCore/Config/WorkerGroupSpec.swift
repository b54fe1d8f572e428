/// A group of workers: one `[[group]]` table of a cluster file.
///
/// | Key        | Property   | Type             | Default  | Range                                       |
/// | ---------- | ---------- | ---------------- | -------- | ------------------------------------------- |
/// | `name`     | `name`     | string           | required | 1 to 64 of `a-z 0-9 . _ -`, unique          |
/// | `workers`  | `workers`  | integer          | 1        | 0...256                                     |
/// | `capacity` | `capacity` | integer          | 4        | 1...10000                                   |
/// | `exec`     | `exec`     | array of strings | `[]`     | `KIND=COMMAND` each (``ExecSpec``), kinds unique |
/// | `node`     | `node`     | string           | none     | 1 to 64 of `A-Z a-z 0-9 . _ -`              |
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
    /// The node label the group's workers report, if not their host name.
    public var node: String?

    /// Creates a group without validating it.
    public init(name: String, workers: Int = 1, capacity: Int = 4, exec: [String] = [], node: String? = nil) {
        self.name = name
        self.workers = workers
        self.capacity = capacity
        self.exec = exec
        self.node = node
    }

    /// The range of `workers`.
    public static let workersRange: ClosedRange<Int> = 0...256
    /// The range of `capacity`.
    public static let capacityRange: ClosedRange<Int> = 1...10_000

    /// Whether `name` is a valid group name or subtask kind: 1 to 64 characters from
    /// `a-z 0-9 . _ -`.
    public static func isValidName(_ name: String) -> Bool {
        ConfigName.isValid(name)
    }
}

// MARK: - Reading

extension WorkerGroupSpec {
    /// The keys of a `[[group]]` table.
    static let keys = ["name", "workers", "capacity", "exec", "node"]

    /// Reads and validates one `[[group]]` table.
    ///
    /// - Parameters:
    ///   - table: The table.
    ///   - number: The table's 1-based position among the `[[group]]` tables, which names it in
    ///     errors until its name is known.
    init(table: TOMLTable, number: Int) throws(ConfigError) {
        // Name the group by its name in errors as soon as it has a valid one.
        let context =
            if case .string(let name) = table["name"], ConfigName.isValid(name) {
                "group '\(name)'"
            } else {
                "group #\(number)"
            }
        let reader = ConfigTableReader(table: table, context: context)
        try reader.rejectUnknownKeys(Self.keys)
        guard let name = try reader.string("name") else { throw reader.missing("name") }
        guard ConfigName.isValid(name) else {
            throw reader.error("name", "name must be \(ConfigName.rule()), got \(TOMLValue.string(name))")
        }
        self.init(name: name)
        self.workers = try reader.integer("workers", in: Self.workersRange) ?? self.workers
        self.capacity = try reader.integer("capacity", in: Self.capacityRange) ?? self.capacity
        self.exec = try reader.strings("exec") ?? []
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
        if let node = try reader.string("node") {
            guard ConfigName.isValid(node, allowingCapitals: true) else {
                throw reader.error(
                    "node",
                    "node must be \(ConfigName.rule(allowingCapitals: true)), got \(TOMLValue.string(node))"
                )
            }
            self.node = node
        }
    }
}
