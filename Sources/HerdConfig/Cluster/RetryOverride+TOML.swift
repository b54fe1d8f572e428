// Reading and writing a `RetryOverride` (HerdCore): the retry keys shared by `[coordinator]`,
// `[[group]]` and `[[kind]]` tables.

import HerdCore

extension RetryOverride {
    /// The keys, shared by `[coordinator]`, `[[group]]` and `[[kind]]`.
    static let keys = ["retry-attempts", "retry-base-delay", "retry-max-delay", "retry-jitter"]
    /// The spellings of `retry-jitter`, in the order errors list them.
    static let jitterNames = ["full", "equal", "none"]

    /// Reads the retry keys of a table.
    init(reader: ConfigTableReader) throws(ConfigError) {
        self.init()
        self.maxAttempts = try reader.integer("retry-attempts", in: CoordinatorSettings.retryAttemptsRange)
        self.baseDelay = try reader.duration("retry-base-delay", in: CoordinatorSettings.zeroableDurationRange)
        self.maxDelay = try reader.duration("retry-max-delay", in: CoordinatorSettings.zeroableDurationRange)
        if let jitter = try reader.choice("retry-jitter", among: Self.jitterNames) {
            self.jitter = RetryPolicy.Jitter(rawValue: jitter)
        }
    }

    /// Fails if `policy`, the result of applying this override, has a base delay longer than its
    /// maximum delay, on the line of whichever of the two this table sets.
    ///
    /// - Parameter unsetNote: How the message describes a delay this table does not set
    ///   (`the default`, `inherited`).
    func checkDelays(of policy: RetryPolicy, reader: ConfigTableReader, unsetNote: String) throws(ConfigError) {
        guard policy.baseDelay > policy.maxDelay, self.baseDelay != nil || self.maxDelay != nil else { return }
        let base = formatDuration(policy.baseDelay) + (self.baseDelay == nil ? ", \(unsetNote)" : "")
        let cap = formatDuration(policy.maxDelay) + (self.maxDelay == nil ? ", \(unsetNote)" : "")
        throw reader.error(
            self.baseDelay != nil ? "retry-base-delay" : "retry-max-delay",
            "retry-base-delay (\(base)) must not be longer than retry-max-delay (\(cap))"
        )
    }

    /// The fields this override sets, as `key = value` lines.
    func tomlLines() -> [String] {
        var lines: [String] = []
        if let maxAttempts = self.maxAttempts { lines.append("retry-attempts = \(maxAttempts)") }
        if let baseDelay = self.baseDelay {
            lines.append("retry-base-delay = \(TOMLValue.quoted(formatDuration(baseDelay)))")
        }
        if let maxDelay = self.maxDelay {
            lines.append("retry-max-delay = \(TOMLValue.quoted(formatDuration(maxDelay)))")
        }
        if let jitter = self.jitter { lines.append("retry-jitter = \(TOMLValue.quoted(jitter.rawValue))") }
        return lines
    }
}
