/// A circuit breaker with resilience4j's semantics, as a pure value: time is passed in, nothing is
/// scheduled, every transition is recorded.
///
/// ```
///             failure or slow-call rate ≥ threshold
///   closed ─────────────────────────────────────────▶ open(since:)
///     ▲                                                 │ tryAcquire at or after since + openDuration
///     │ trial under both thresholds                     ▼
///     └──────────────────────────────────────────── halfOpen ──▶ open(since:) (trial failed or expired)
///
///   operators, from any state: forceOpen → forcedOpen, disable → disabled, close/reset → closed
/// ```
///
/// - **Closed.** Every call is permitted. Each ``record(_:duration:now:)`` goes into the sliding window;
///   once it holds ``Configuration/effectiveMinimumCalls`` calls, the breaker opens when the failure
///   rate or the slow-call rate is *at or above* its threshold (resilience4j compares with `>=`).
/// - **Open.** Calls are refused (and counted in ``rejectedCalls``). The breaker never wakes itself:
///   the move to half-open happens lazily, in the first ``tryAcquire(now:)`` at or after
///   `since + openDuration`. At `since + openDuration - 1 ns` it is still open; at exactly
///   `since + openDuration` it goes half-open and admits that call as the first probe. (resilience4j
///   uses `isAfter`, strictly later; Herd includes the deadline, like its other timers.) A shell that
///   wants to retry promptly arms a timer for ``halfOpenAt``.
/// - **Half-open.** At most ``Configuration/permittedCallsInHalfOpen`` probes are admitted (a
///   ``releasePermission()`` returns one unused). As in resilience4j, any result recorded while
///   half-open counts towards the trial; when the trial holds that many results, the breaker reopens
///   if either rate reaches its threshold over those results, and closes with a fresh window otherwise.
/// - **Forced open / disabled.** Operator overrides: refuse everything, or permit everything and judge
///   nothing. Only an operator leaves them (``close(now:)``, ``reset(now:)``, or the other override).
///
/// Results that arrive late (a call admitted while closed that finishes after the breaker opened, or
/// one finishing while an override is active) are ignored: they cannot change the state. Every
/// change of state is checked against ``isLegal(from:to:trigger:)`` and traps if it is not in the
/// table; the last ``historyLimit`` transitions are kept in ``history``.
public struct CircuitBreaker: Sendable {
    /// Where the breaker stands.
    public enum State: Hashable, Sendable {
        /// Calls flow and their outcomes fill the sliding window.
        /// Can transition to: open (a rate reached its threshold), forcedOpen, disabled, closed (reset).
        case closed
        /// Calls are refused since `since`; from `since + openDuration` on, the next permit request
        /// starts a half-open trial. Can transition to: halfOpen, closed (operator), forcedOpen, disabled.
        case open(since: Instant)
        /// A trial: a few probes are admitted and their results decide.
        /// Can transition to: closed (trial passed, or operator), open (trial failed or expired),
        /// forcedOpen, disabled.
        case halfOpen(HalfOpen)
        /// An operator holds the breaker open: everything is refused until they release it.
        /// Can transition to: closed (operator), disabled.
        case forcedOpen
        /// An operator turned the breaker off: everything is permitted, nothing is judged.
        /// Can transition to: closed (operator), forcedOpen.
        case disabled
    }

    /// The progress of a half-open trial.
    public struct HalfOpen: Hashable, Sendable {
        /// When the trial started.
        public var since: Instant
        /// Permits handed out in this trial, less those released unused.
        public var probesAdmitted: Int
        /// Results recorded in this trial.
        public var calls: Int
        /// Failed results (slow or not).
        public var failures: Int
        /// Slow results (failed or not).
        public var slowCalls: Int

        /// Creates a trial's progress.
        public init(since: Instant, probesAdmitted: Int = 0, calls: Int = 0, failures: Int = 0, slowCalls: Int = 0) {
            self.since = since
            self.probesAdmitted = probesAdmitted
            self.calls = calls
            self.failures = failures
            self.slowCalls = slowCalls
        }

        /// Admitted probes whose results have not been recorded yet.
        public var probesInFlight: Int { max(0, self.probesAdmitted - self.calls) }
    }

    /// How a permitted call ended; the breaker decides from its duration whether it was slow.
    public enum CallResult: Hashable, Sendable {
        /// The call succeeded.
        case success
        /// The call failed in a way this breaker should count.
        case failure
    }

    /// How many transitions ``history`` keeps.
    public static let historyLimit = 32

    /// The thresholds and timings.
    public let configuration: Configuration
    /// The current state. Time-driven changes (open → half-open, half-open expiry) are applied only by
    /// ``tryAcquire(now:)``; ``isCallPermitted(now:)`` and ``stateName(now:)`` predict them.
    public private(set) var state: State = .closed
    /// The most recent transitions, oldest first (at most ``historyLimit``).
    public private(set) var history: [Transition] = []
    /// Transitions since creation (keeps counting when ``history`` drops old entries).
    public private(set) var transitionCount = 0
    /// Calls refused by ``tryAcquire(now:)`` since creation.
    public private(set) var rejectedCalls = 0
    /// The closed state's window; cleared on every transition.
    private var window: SlidingWindow

    /// Creates a closed breaker.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.window = SlidingWindow(configuration.window)
    }

    /// The current state without its payload.
    public var stateName: StateName { Self.name(of: self.state) }

    /// Whether the breaker is closed (as stored: an open breaker whose wait has passed is still
    /// open until its next call).
    var isClosed: Bool { if case .closed = self.state { true } else { false } }

    /// The last transition, if any.
    public var lastTransition: Transition? { self.history.last }

    /// When open: the first instant at which ``tryAcquire(now:)`` starts a half-open trial.
    public var halfOpenAt: Instant? {
        if case .open(let since) = self.state { since + self.configuration.openDuration } else { nil }
    }

    /// The closed state's window at `now` (empty in every other state).
    public func metrics(now: Instant) -> SlidingWindow.Snapshot { self.window.snapshot(now: now) }

    /// The state ``tryAcquire(now:)`` would find at `now`, after any time-driven transition.
    public func stateName(now: Instant) -> StateName {
        var copy = self
        copy.applyTimeDrivenTransitions(now: now)
        return copy.stateName
    }

    /// Whether ``tryAcquire(now:)`` would permit a call at `now`, without taking a permit.
    public func isCallPermitted(now: Instant) -> Bool {
        var copy = self
        return copy.tryAcquire(now: now)
    }

    // MARK: - Inputs

    /// Asks to make one call at `now`; returns whether it may go ahead.
    ///
    /// First applies the time-driven transitions due at `now` (a half-open trial past
    /// ``Configuration/maxHalfOpenDuration`` reopens; an open breaker at or past ``halfOpenAt`` starts
    /// a trial), then: closed and disabled permit; open and forced-open refuse; half-open permits while
    /// fewer than ``Configuration/permittedCallsInHalfOpen`` probes have been admitted.
    /// A permitted call must later be reported with ``record(_:duration:now:)`` or, if it never ran or
    /// its result says nothing about the dependency, with ``releasePermission()``.
    public mutating func tryAcquire(now: Instant) -> Bool {
        self.applyTimeDrivenTransitions(now: now)
        switch self.state {
        case .closed, .disabled:
            return true
        case .open, .forcedOpen:
            self.rejectedCalls += 1
            return false
        case .halfOpen(var trial):
            guard trial.probesAdmitted < self.configuration.permittedCallsInHalfOpen else {
                self.rejectedCalls += 1
                return false
            }
            trial.probesAdmitted += 1
            self.state = .halfOpen(trial)
            return true
        }
    }

    /// Returns a permit that was not used, or whose call ended without a verdict (resilience4j's
    /// `releasePermission`, used for ignored errors).
    ///
    /// Only a half-open trial counts permits; in every other state this does nothing.
    public mutating func releasePermission() {
        guard case .halfOpen(var trial) = self.state, trial.probesAdmitted > 0 else { return }
        trial.probesAdmitted -= 1
        self.state = .halfOpen(trial)
    }

    /// Records how a permitted call ended.
    ///
    /// - Parameters:
    ///   - result: Success, or a failure this breaker should count.
    ///   - duration: How long the call took; slow when greater than ``Configuration/slowCallDuration``.
    ///   - now: When it ended.
    ///
    /// Late results are expected and ignored: while open (a call admitted before the breaker opened),
    /// forced open, or disabled.
    public mutating func record(_ result: CallResult, duration: Duration, now: Instant) {
        let outcome = self.configuration.outcome(failed: result == .failure, duration: duration)
        switch self.state {
        case .closed:
            self.window.record(outcome, now: now)
            let snapshot = self.window.snapshot(now: now)
            guard snapshot.calls >= self.configuration.effectiveMinimumCalls else { return }
            if let trigger = self.tripTrigger(snapshot) {
                self.transition(to: .open(since: now), trigger: trigger, now: now)
            }
        case .halfOpen(var trial):
            trial.calls += 1
            if outcome.isFailure { trial.failures += 1 }
            if outcome.isSlow { trial.slowCalls += 1 }
            guard trial.calls >= self.configuration.permittedCallsInHalfOpen else {
                self.state = .halfOpen(trial)
                return
            }
            let snapshot = SlidingWindow.Snapshot(
                calls: trial.calls,
                failures: trial.failures,
                slowCalls: trial.slowCalls
            )
            if let trigger = self.tripTrigger(snapshot) {
                self.transition(to: .open(since: now), trigger: trigger, now: now)
            } else {
                self.transition(to: .closed, trigger: .probesSucceeded, now: now)
            }
        case .open, .forcedOpen, .disabled:
            return
        }
    }

    // MARK: - Operator commands

    /// Holds the breaker open until an operator closes, resets or disables it. No-op if forced open.
    public mutating func forceOpen(now: Instant) {
        guard self.state != .forcedOpen else { return }
        self.transition(to: .forcedOpen, trigger: .operatorForceOpen, now: now)
    }

    /// Turns the breaker off: everything permitted, nothing judged. No-op if disabled.
    public mutating func disable(now: Instant) {
        guard self.state != .disabled else { return }
        self.transition(to: .disabled, trigger: .operatorDisable, now: now)
    }

    /// Closes the breaker with a fresh window, from any state. No-op if already closed (the window is kept).
    public mutating func close(now: Instant) {
        guard self.state != .closed else { return }
        self.transition(to: .closed, trigger: .operatorClose, now: now)
    }

    /// Closes the breaker and clears its window, from any state (closed included) and records it.
    public mutating func reset(now: Instant) {
        self.transition(to: .closed, trigger: .operatorReset, now: now)
    }

    // MARK: - Internals

    private func tripTrigger(_ snapshot: SlidingWindow.Snapshot) -> Trigger? {
        if snapshot.failureRate(reaches: self.configuration.failureRateThreshold) { return .failureRateExceeded }
        if snapshot.slowCallRate(reaches: self.configuration.slowCallRateThreshold) { return .slowCallRateExceeded }
        return nil
    }

    private mutating func applyTimeDrivenTransitions(now: Instant) {
        if case .halfOpen(let trial) = self.state, let limit = self.configuration.maxHalfOpenDuration,
            now >= trial.since + limit
        {
            self.transition(to: .open(since: now), trigger: .halfOpenExpired, now: now)
        }
        if case .open(let since) = self.state, now >= since + self.configuration.openDuration {
            self.transition(to: .halfOpen(HalfOpen(since: now)), trigger: .openDurationElapsed, now: now)
        }
    }

    private mutating func transition(to next: State, trigger: Trigger, now: Instant) {
        let record = Transition(from: self.stateName, to: Self.name(of: next), trigger: trigger, at: now)
        guard record.isLegal else {
            fatalError("invalid transition \(self.state) → \(next) on \(trigger)")
        }
        self.state = next
        self.window.reset()
        self.transitionCount += 1
        if self.history.count == Self.historyLimit { self.history.removeFirst() }
        self.history.append(record)
    }

    private static func name(of state: State) -> StateName {
        switch state {
        case .closed: .closed
        case .open: .open
        case .halfOpen: .halfOpen
        case .forcedOpen: .forcedOpen
        case .disabled: .disabled
        }
    }
}
