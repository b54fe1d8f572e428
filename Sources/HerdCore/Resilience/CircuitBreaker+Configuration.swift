extension CircuitBreaker {
    /// A breaker's thresholds and timings (resilience4j's `CircuitBreakerConfig`, with Herd defaults).
    ///
    /// | Setting | Default | resilience4j default | Meaning |
    /// | --- | --- | --- | --- |
    /// | ``window`` | `count(20)` | `COUNT_BASED`, 100 | Which recent calls are judged |
    /// | ``failureRateThreshold`` | 50 % | 50 % | Open when failures / calls ≥ this |
    /// | ``slowCallRateThreshold`` | 100 % | 100 % | Open when slow calls / calls ≥ this |
    /// | ``slowCallDuration`` | 60 s | 60 s | A call is slow when its duration is *greater* than this |
    /// | ``minimumCalls`` | 10 | 100 | No verdict before the window holds this many calls |
    /// | ``openDuration`` | 30 s | 60 s | Time spent open before probes are let through |
    /// | ``permittedCallsInHalfOpen`` | 3 | 10 | Probes admitted, and results needed, in half-open |
    /// | ``maxHalfOpenDuration`` | `nil` (wait for the probes) | 0 (wait) | Half-open longer than this reopens |
    ///
    /// For a count window, ``minimumCalls`` is capped at the window's size (as resilience4j does);
    /// for a time window it is not, so a time window that never sees enough calls never opens.
    public struct Configuration: Hashable, Sendable {
        /// Which recent calls the closed breaker judges.
        public var window: SlidingWindow.Kind
        /// The failure rate, in percent (`0 < x ≤ 100`), at or above which the breaker opens.
        public var failureRateThreshold: Double
        /// The slow-call rate, in percent (`0 < x ≤ 100`), at or above which the breaker opens.
        public var slowCallRateThreshold: Double
        /// A call whose duration is strictly greater than this is slow.
        public var slowCallDuration: Duration
        /// The number of calls the window must hold before the breaker judges it (`≥ 1`).
        public var minimumCalls: Int
        /// How long the breaker stays open before it lets probes through (`≥ 0`).
        public var openDuration: Duration
        /// How many probes half-open admits, and how many results decide it (`≥ 1`).
        public var permittedCallsInHalfOpen: Int
        /// If set (`> 0`), a half-open breaker that has not decided within this long reopens, so that
        /// probes whose results are lost cannot wedge it. `nil` waits for the results indefinitely.
        public var maxHalfOpenDuration: Duration?

        /// Creates a configuration; every parameter defaults to the value in the table above.
        ///
        /// Traps on a threshold outside `0 < x ≤ 100`, a non-positive ``minimumCalls`` or
        /// ``permittedCallsInHalfOpen``, a negative ``openDuration`` or ``slowCallDuration``, or a
        /// ``maxHalfOpenDuration`` that is not positive.
        public init(
            window: SlidingWindow.Kind = .count(20),
            failureRateThreshold: Double = 50,
            slowCallRateThreshold: Double = 100,
            slowCallDuration: Duration = .seconds(60),
            minimumCalls: Int = 10,
            openDuration: Duration = .seconds(30),
            permittedCallsInHalfOpen: Int = 3,
            maxHalfOpenDuration: Duration? = nil
        ) {
            precondition(
                failureRateThreshold > 0 && failureRateThreshold <= 100,
                "failureRateThreshold must be in (0, 100], not \(failureRateThreshold)"
            )
            precondition(
                slowCallRateThreshold > 0 && slowCallRateThreshold <= 100,
                "slowCallRateThreshold must be in (0, 100], not \(slowCallRateThreshold)"
            )
            precondition(slowCallDuration >= .zero, "slowCallDuration must not be negative")
            precondition(minimumCalls >= 1, "minimumCalls must be at least 1, not \(minimumCalls)")
            precondition(openDuration >= .zero, "openDuration must not be negative")
            precondition(permittedCallsInHalfOpen >= 1, "permittedCallsInHalfOpen must be at least 1")
            if let maxHalfOpenDuration {
                precondition(maxHalfOpenDuration > .zero, "maxHalfOpenDuration must be positive")
            }
            self.window = window
            self.failureRateThreshold = failureRateThreshold
            self.slowCallRateThreshold = slowCallRateThreshold
            self.slowCallDuration = slowCallDuration
            self.minimumCalls = minimumCalls
            self.openDuration = openDuration
            self.permittedCallsInHalfOpen = permittedCallsInHalfOpen
            self.maxHalfOpenDuration = maxHalfOpenDuration
        }

        /// The calls needed before a verdict: ``minimumCalls``, capped at the size of a count window.
        public var effectiveMinimumCalls: Int {
            switch self.window {
            case .count(let size): min(self.minimumCalls, size)
            case .time: self.minimumCalls
            }
        }

        /// Classifies a finished call: slow when `duration > slowCallDuration`.
        public func outcome(failed: Bool, duration: Duration) -> CallOutcome {
            CallOutcome(failed: failed, slow: duration > self.slowCallDuration)
        }
    }
}
