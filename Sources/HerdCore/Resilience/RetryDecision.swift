/// What to do after a failed attempt: try again after a delay, or give up and say why.
public enum RetryDecision: Hashable, Sendable, CustomStringConvertible {
    /// Schedule another attempt `after` this long (preferably on another worker: see ``RetryPlacement``).
    case retry(after: Duration)
    /// Do not retry; the subtask fails with ``GiveUpReason/finalFailure(for:)``.
    case giveUp(GiveUpReason)

    /// Why a retry is not made.
    public enum GiveUpReason: Hashable, Sendable, CustomStringConvertible {
        /// The failure's category is in ``RetryPolicy/nonRetryable``.
        case nonRetryable(ErrorCategory)
        /// The attempt that failed was number ``RetryPolicy/maxAttempts`` (the value carried).
        case attemptsExhausted(UInt32)
        /// The failure asked for a wait longer than ``RetryPolicy/maxRetryAfter`` (the value carried).
        case retryAfterTooLong(Duration)
        /// The policy would retry, but the cluster-wide ``RetryBudget`` refused.
        case budgetExhausted

        /// The failure the subtask ends with: the last attempt's failure, except that a refusal by the
        /// budget becomes a `budget-exhausted` failure (naming the attempt's own failure in its message).
        public func finalFailure(for failure: Failure) -> Failure {
            switch self {
            case .budgetExhausted:
                Failure(.budgetExhausted, "retry budget exhausted; last attempt failed with \(failure)")
            case .nonRetryable, .attemptsExhausted, .retryAfterTooLong:
                failure
            }
        }

        /// `non-retryable(validation)`, `attempts-exhausted(4)`, ...
        public var description: String {
            switch self {
            case .nonRetryable(let category): "non-retryable(\(category))"
            case .attemptsExhausted(let attempts): "attempts-exhausted(\(attempts))"
            case .retryAfterTooLong(let wait): "retry-after-too-long(\(wait))"
            case .budgetExhausted: "budget-exhausted"
            }
        }
    }

    /// Whether the decision is to retry.
    public var isRetry: Bool { if case .retry = self { true } else { false } }

    /// `retry after 0.1 seconds` or `give up: attempts-exhausted(4)`.
    public var description: String {
        switch self {
        case .retry(let delay): "retry after \(delay)"
        case .giveUp(let reason): "give up: \(reason)"
        }
    }
}
