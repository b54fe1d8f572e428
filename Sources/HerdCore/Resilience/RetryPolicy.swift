/// When and how long to wait before retrying a failed attempt: capped exponential backoff with
/// seeded jitter, categories that are never retried, and a server's retry-after honoured as a floor.
///
/// Attempts are numbered from 1 (the first attempt). After attempt `n` fails, with `n < maxAttempts`
/// and a retryable category, the next attempt waits a delay drawn from `0 ... ceiling(n)` where
///
///     ceiling(n) = min(maxDelay, baseDelay × multiplier^(n - 1))
///
/// With the defaults (base 250 ms, ×2, cap 30 s, full jitter, 4 attempts):
///
/// | Attempt that failed | ceiling(n) | Full jitter (default) | Equal jitter | No jitter |
/// | --- | --- | --- | --- | --- |
/// | 1 | 250 ms | 0 ... 250 ms | 125 ... 250 ms | 250 ms |
/// | 2 | 500 ms | 0 ... 500 ms | 250 ... 500 ms | 500 ms |
/// | 3 | 1 s | 0 ... 1 s | 0.5 ... 1 s | 1 s |
/// | 4 | - | gives up: `attemptsExhausted(4)` | | |
///
/// Raising `maxAttempts` continues the doubling: 4 → 2 s, 5 → 4 s, 6 → 8 s, 7 → 16 s, and from 8 on the
/// 30 s cap (8 would be 32 s). Bounds are inclusive and exact in nanoseconds.
///
/// **Why full jitter.** Marc Brooker's AWS Architecture Blog post "Exponential Backoff And Jitter"
/// (2015) simulated contending clients: un-jittered backoff is the clear loser (retries arrive in
/// synchronised waves); "equal jitter" does more work and takes longer than the alternatives; "full
/// jitter" (`random(0, min(cap, base × 2^n))`) and "decorrelated jitter" (`min(cap, random(base,
/// previous × 3))`) both spread retries well, full jitter doing the least work (fewest calls) for a
/// slightly longer completion time. We want the least extra load on a struggling group, and full
/// jitter is also stateless: the delay depends only on the attempt number and the generator, so each
/// attempt has the fixed bounds tabled above and a run replays from its seed. Decorrelated jitter's
/// delay depends on the previous delay, which would have to be carried per subtask.
///
/// **Retry-after.** A failure's `retryAfter` (rate limits) is a floor: the delay is
/// `max(jittered, retryAfter)`, even above `maxDelay` (the server knows best), unless it exceeds
/// ``maxRetryAfter``, in which case the policy gives up rather than hold the subtask that long.
///
/// **Randomness.** All randomness comes from the generator passed in (``SplitMix64`` in the simulator
/// and tests): one draw per retry decision with jitter, none otherwise.
public struct RetryPolicy: Hashable, Sendable {
    /// How the delay is drawn below the exponential ceiling.
    public enum Jitter: String, Hashable, Sendable, CaseIterable {
        /// Exactly the ceiling: retries synchronise. For tests and single-client setups only.
        case none
        /// Uniform in `0 ... ceiling` (AWS "full jitter"): the default.
        case full
        /// `ceiling/2` plus uniform in `0 ... ceiling/2` (AWS "equal jitter"): a guaranteed minimum
        /// spacing, at the cost of more total work.
        case equal
    }

    /// The categories never retried by default: the caller's own mistakes (`validation`, `not-found`),
    /// credentials that will not fix themselves (`auth`), and deliberate stops (`cancelled`,
    /// `budget-exhausted`).
    public static let defaultNonRetryable: Set<ErrorCategory> = [
        .validation, .auth, .notFound, .cancelled, .budgetExhausted,
    ]

    /// The most attempts a subtask gets, the first included (`≥ 1`; 1 means never retry).
    public var maxAttempts: UInt32
    /// The ceiling after the first failed attempt.
    public var baseDelay: Duration
    /// The cap on the exponential ceiling (not on a retry-after floor).
    public var maxDelay: Duration
    /// The ceiling's growth per attempt (`≥ 1`).
    public var multiplier: Double
    /// How the delay is drawn below the ceiling.
    public var jitter: Jitter
    /// Categories that end the subtask at once.
    public var nonRetryable: Set<ErrorCategory>
    /// The longest retry-after honoured; a failure asking for more gives up. `nil` honours any.
    public var maxRetryAfter: Duration?

    /// Creates a policy; every parameter defaults to the values tabled above.
    ///
    /// Traps on `maxAttempts == 0`, a negative delay, or a multiplier below 1.
    public init(
        maxAttempts: UInt32 = 4,
        baseDelay: Duration = .milliseconds(250),
        maxDelay: Duration = .seconds(30),
        multiplier: Double = 2,
        jitter: Jitter = .full,
        nonRetryable: Set<ErrorCategory> = RetryPolicy.defaultNonRetryable,
        maxRetryAfter: Duration? = nil
    ) {
        precondition(maxAttempts >= 1, "maxAttempts must be at least 1")
        precondition(baseDelay >= .zero && maxDelay >= .zero, "retry delays must not be negative")
        precondition(multiplier >= 1 && multiplier.isFinite, "multiplier must be finite and at least 1")
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.jitter = jitter
        self.nonRetryable = nonRetryable
        self.maxRetryAfter = maxRetryAfter
    }

    /// `min(maxDelay, baseDelay × multiplier^(attempt - 1))`, in whole nanoseconds (rounded down).
    ///
    /// - Parameter attempt: The number of the attempt that failed (`≥ 1`).
    public func ceiling(afterAttempt attempt: UInt32) -> Duration {
        precondition(attempt >= 1, "attempts are numbered from 1")
        let cap = self.maxDelay.nanosecondsClamped
        let base = self.baseDelay.nanosecondsClamped
        let raw = Double(base) * Self.power(self.multiplier, Int(attempt) - 1)
        guard raw.isFinite, raw < Double(cap) else { return .nanoseconds(cap) }
        return .nanoseconds(min(cap, Int64(raw.rounded(.down))))
    }

    /// The inclusive range the jittered delay after `attempt` is drawn from (before any retry-after floor).
    public func delayBounds(afterAttempt attempt: UInt32) -> ClosedRange<Duration> {
        let ceiling = self.ceiling(afterAttempt: attempt)
        switch self.jitter {
        case .none: return ceiling ... ceiling
        case .full: return .zero ... ceiling
        case .equal: return .nanoseconds(ceiling.nanosecondsClamped / 2) ... ceiling
        }
    }

    /// Decides what follows a failed attempt.
    ///
    /// In order: a non-retryable category gives up; attempt `maxAttempts` gives up; a retry-after
    /// above ``maxRetryAfter`` gives up; otherwise the delay is drawn from
    /// ``delayBounds(afterAttempt:)`` and raised to the failure's retry-after, if any.
    ///
    /// - Parameters:
    ///   - failure: How the attempt failed.
    ///   - attempt: The number of the attempt that failed (`≥ 1`).
    ///   - rng: The source of jitter.
    /// - Returns: ``RetryDecision/retry(after:)`` or ``RetryDecision/giveUp(_:)``.
    public func decision(
        for failure: Failure,
        attempt: UInt32,
        rng: inout some RandomNumberGenerator
    ) -> RetryDecision {
        precondition(attempt >= 1, "attempts are numbered from 1")
        if self.nonRetryable.contains(failure.category) { return .giveUp(.nonRetryable(failure.category)) }
        if attempt >= self.maxAttempts { return .giveUp(.attemptsExhausted(attempt)) }
        if let wait = failure.retryAfter, let limit = self.maxRetryAfter, wait > limit {
            return .giveUp(.retryAfterTooLong(wait))
        }
        let bounds = self.delayBounds(afterAttempt: attempt)
        let low = bounds.lowerBound.nanosecondsClamped
        let high = bounds.upperBound.nanosecondsClamped
        let drawn = low == high ? low : Int64.random(in: low ... high, using: &rng)
        let floor = max(failure.retryAfter ?? .zero, .zero)
        return .retry(after: max(.nanoseconds(drawn), floor))
    }

    /// Decides as ``decision(for:attempt:rng:)`` and, only if that says retry, withdraws the retry from
    /// the cluster-wide budget; a refusal gives up with ``RetryDecision/GiveUpReason/budgetExhausted``.
    ///
    /// Failures that would not be retried anyway never touch the budget.
    public func decision(
        for failure: Failure,
        attempt: UInt32,
        budget: inout RetryBudget,
        now: Instant,
        rng: inout some RandomNumberGenerator
    ) -> RetryDecision {
        let decision = self.decision(for: failure, attempt: attempt, rng: &rng)
        guard decision.isRetry else { return decision }
        return budget.tryWithdrawRetry(now: now) ? decision : .giveUp(.budgetExhausted)
    }

    /// `base^exponent` by squaring, exact for the integral multipliers used in practice.
    private static func power(_ base: Double, _ exponent: Int) -> Double {
        var result = 1.0
        var factor = base
        var remaining = exponent
        while remaining > 0 {
            if remaining & 1 == 1 { result *= factor }
            factor *= factor
            remaining >>= 1
            if result.isInfinite { return result }
        }
        return result
    }
}
