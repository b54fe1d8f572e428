import HerdCore

/// A `[[kind]]` table: retry settings for the subtasks of one kind, whatever their group.
///
/// ```toml
/// [[kind]]
/// name = "llm"                # the subtask kind
/// retry-attempts = 6          # rate-limited model calls deserve more patience
/// retry-base-delay = "1s"
/// ```
///
/// The keys are those of a group's retry override; a key the table does not set is inherited from
/// the subtask's group, or from `[coordinator]`. A kind is more specific than a group (an LLM call
/// is an LLM call in every group), so its settings win over its group's.
public struct KindSpec: Sendable, Hashable {
    /// The subtask kind (1 to 64 characters from `a-z 0-9 . _ -`).
    public var name: String
    /// The retry settings this kind overrides.
    public var retry: RetryOverride

    /// Creates a kind's settings.
    public init(name: String, retry: RetryOverride = RetryOverride()) {
        self.name = name
        self.retry = retry
    }

    /// The keys of a `[[kind]]` table.
    static let keys = ["name"] + RetryOverride.keys

    /// Reads and validates one `[[kind]]` table (`number`: its 1-based position, for errors).
    init(table: TOMLTable, number: Int) throws(ConfigError) {
        let reader = ConfigTableReader(namedTable: table, noun: "kind", number: number)
        try reader.rejectUnknownKeys(Self.keys)
        self.init(name: try reader.requiredName(), retry: try RetryOverride(reader: reader))
        guard !self.retry.isEmpty else {
            throw ConfigError(
                line: table.line,
                message: "\(reader.context): sets no retry key (\(RetryOverride.keys.joined(separator: ", ")))"
            )
        }
    }
}
