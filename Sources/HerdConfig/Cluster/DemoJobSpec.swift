import HerdCore

/// The demo job `herd up --run` submits: the optional `[job]` table of a cluster file.
///
/// | Key       | Property  | Type    | Default  | Range                                  |
/// | --------- | --------- | ------- | -------- | -------------------------------------- |
/// | `group`   | `group`   | string  | required | a group defined by a `[[group]]` table |
/// | `kind`    | `kind`    | string  | required | 1 to 64 of `a-z 0-9 . _ -`             |
/// | `fanout`  | `fanout`  | integer | required | 1...1000000                            |
/// | `payload` | `payload` | string  | `""`     | any; `{index}` becomes the subtask's index |
public struct DemoJobSpec: Sendable, Hashable {
    /// The group the job runs on.
    public var group: String
    /// The subtask kind, served by the group's workers (an `exec` kind or a built-in one).
    public var kind: String
    /// How many subtasks the job fans out to.
    public var fanout: Int
    /// The payload template: each subtask's payload is this with every `{index}` replaced by the
    /// subtask's 0-based index.
    public var payload: String

    /// Creates a job without validating it.
    public init(group: String, kind: String, fanout: Int, payload: String = "") {
        self.group = group
        self.kind = kind
        self.fanout = fanout
        self.payload = payload
    }

    /// The range of `fanout`.
    public static let fanoutRange: ClosedRange<Int> = 1 ... 1_000_000

    /// The job's payloads, as a submission carries them.
    public var payloadSource: PayloadSource {
        .template(Array(self.payload.utf8), count: UInt32(clamping: self.fanout))
    }
}

// MARK: - Reading

extension DemoJobSpec {
    /// The keys of the `[job]` table.
    static let keys = ["group", "kind", "fanout", "payload"]

    /// Reads and validates the `[job]` table.
    ///
    /// - Parameters:
    ///   - table: The table.
    ///   - groups: The groups the file defines; the job must name one of them.
    init(table: TOMLTable, groups: [WorkerGroupSpec]) throws(ConfigError) {
        let reader = ConfigTableReader(table: table, context: "[job]")
        try reader.rejectUnknownKeys(Self.keys)
        guard let group = try reader.string("group") else { throw reader.missing("group") }
        guard groups.contains(where: { $0.name == group }) else {
            let known =
                groups.isEmpty
                ? "no [[group]] tables are defined"
                : "defined groups: " + groups.map(\.name).joined(separator: ", ")
            throw reader.error("group", "group '\(group)' is not defined (\(known))")
        }
        guard let kind = try reader.string("kind") else { throw reader.missing("kind") }
        guard ConfigName.isValid(kind) else {
            throw reader.error("kind", "kind must be \(ConfigName.rule()), got \(TOMLValue.string(kind))")
        }
        guard let fanout = try reader.integer("fanout", in: Self.fanoutRange) else { throw reader.missing("fanout") }
        self.init(group: group, kind: kind, fanout: fanout, payload: try reader.string("payload") ?? "")
    }
}
