extension CircuitBreaker {
    /// A breaker state without its payload, for logs, status and the transition table.
    public enum StateName: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// ``CircuitBreaker/State/closed``.
        case closed
        /// ``CircuitBreaker/State/open(since:)``.
        case open
        /// ``CircuitBreaker/State/halfOpen(_:)``.
        case halfOpen = "half-open"
        /// ``CircuitBreaker/State/forcedOpen``.
        case forcedOpen = "forced-open"
        /// ``CircuitBreaker/State/disabled``.
        case disabled

        /// `closed`, `open`, `half-open`, `forced-open` or `disabled`.
        public var description: String { self.rawValue }
    }

    /// Why a breaker changed state.
    public enum Trigger: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// The failure rate reached its threshold (closed → open, or a half-open trial failed).
        case failureRateExceeded = "failure-rate"
        /// The slow-call rate reached its threshold (closed → open, or a half-open trial was slow).
        case slowCallRateExceeded = "slow-call-rate"
        /// ``CircuitBreaker/Configuration/openDuration`` elapsed and a call asked for a permit.
        case openDurationElapsed = "open-duration-elapsed"
        /// The half-open trial's results stayed under both thresholds.
        case probesSucceeded = "probes-succeeded"
        /// ``CircuitBreaker/Configuration/maxHalfOpenDuration`` elapsed without a verdict.
        case halfOpenExpired = "half-open-expired"
        /// An operator forced the breaker open.
        case operatorForceOpen = "operator-force-open"
        /// An operator closed the breaker.
        case operatorClose = "operator-close"
        /// An operator reset the breaker (closed, window cleared).
        case operatorReset = "operator-reset"
        /// An operator disabled the breaker.
        case operatorDisable = "operator-disable"

        /// The trigger's log name (`failure-rate`, `operator-reset`, ...).
        public var description: String { self.rawValue }
    }

    /// One change of state, as kept in ``CircuitBreaker/history``.
    public struct Transition: Hashable, Sendable, CustomStringConvertible {
        /// The state left.
        public var from: StateName
        /// The state entered.
        public var to: StateName
        /// Why.
        public var trigger: Trigger
        /// When (the `now` of the input that caused it).
        public var at: Instant

        /// Creates a transition record.
        public init(from: StateName, to: StateName, trigger: Trigger, at: Instant) {
            self.from = from
            self.to = to
            self.trigger = trigger
            self.at = at
        }

        /// Whether this transition is one the breaker may make (see ``CircuitBreaker/isLegal(from:to:trigger:)``).
        public var isLegal: Bool { CircuitBreaker.isLegal(from: self.from, to: self.to, trigger: self.trigger) }

        /// `closed → open (failure-rate) at t+1.5s`.
        public var description: String { "\(self.from) → \(self.to) (\(self.trigger)) at \(self.at)" }
    }

    /// The complete table of legal transitions; anything else is a bug, and the breaker traps on it.
    ///
    /// | From | To | Trigger |
    /// | --- | --- | --- |
    /// | closed | open | failure-rate, slow-call-rate |
    /// | open | half-open | open-duration-elapsed |
    /// | half-open | closed | probes-succeeded |
    /// | half-open | open | failure-rate, slow-call-rate, half-open-expired |
    /// | any but forced-open | forced-open | operator-force-open |
    /// | any but disabled | disabled | operator-disable |
    /// | any but closed | closed | operator-close |
    /// | any | closed | operator-reset |
    ///
    /// - Returns: Whether `from → to` by `trigger` is allowed.
    public static func isLegal(from: StateName, to: StateName, trigger: Trigger) -> Bool {
        switch trigger {
        case .failureRateExceeded, .slowCallRateExceeded:
            return (from == .closed || from == .halfOpen) && to == .open
        case .openDurationElapsed:
            return from == .open && to == .halfOpen
        case .probesSucceeded:
            return from == .halfOpen && to == .closed
        case .halfOpenExpired:
            return from == .halfOpen && to == .open
        case .operatorForceOpen:
            return from != .forcedOpen && to == .forcedOpen
        case .operatorDisable:
            return from != .disabled && to == .disabled
        case .operatorClose:
            return from != .closed && to == .closed
        case .operatorReset:
            return to == .closed
        }
    }
}
