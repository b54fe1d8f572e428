/// Retry settings that replace some fields of a ``RetryPolicy``; a `nil` field inherits.
///
/// A worker group overrides the coordinator's policy with one, and a subtask kind overrides its
/// group's (``CoordinatorConfiguration/kindRetries``). A cluster file writes one as the
/// `retry-attempts`, `retry-base-delay`, `retry-max-delay` and `retry-jitter` keys of a table.
public struct RetryOverride: Sendable, Hashable {
    /// The most attempts a subtask gets, the first included (`retry-attempts`).
    public var maxAttempts: Int?
    /// The backoff ceiling after the first failed attempt (`retry-base-delay`).
    public var baseDelay: Duration?
    /// The cap on the backoff ceiling (`retry-max-delay`).
    public var maxDelay: Duration?
    /// How the delay is drawn below the ceiling (`retry-jitter`).
    public var jitter: RetryPolicy.Jitter?

    /// Creates an override; `nil` fields inherit.
    public init(
        maxAttempts: Int? = nil,
        baseDelay: Duration? = nil,
        maxDelay: Duration? = nil,
        jitter: RetryPolicy.Jitter? = nil
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
    }

    /// The override that sets every field to `policy`'s.
    public init(_ policy: RetryPolicy) {
        self.init(
            maxAttempts: Int(policy.maxAttempts),
            baseDelay: policy.baseDelay,
            maxDelay: policy.maxDelay,
            jitter: policy.jitter
        )
    }

    /// Whether the override changes nothing.
    public var isEmpty: Bool { self == RetryOverride() }

    /// `policy` with the fields this override sets replaced (a `maxAttempts` below 1 counts as 1).
    public func applied(to policy: RetryPolicy) -> RetryPolicy {
        var result = policy
        if let maxAttempts = self.maxAttempts { result.maxAttempts = UInt32(clamping: max(1, maxAttempts)) }
        if let baseDelay = self.baseDelay { result.baseDelay = baseDelay }
        if let maxDelay = self.maxDelay { result.maxDelay = maxDelay }
        if let jitter = self.jitter { result.jitter = jitter }
        return result
    }
}
