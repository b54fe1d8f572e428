import HerdCore

/// The simulator's own account of the cluster-wide retry budget (docs/RESILIENCE.md, "Retry
/// budget"), kept from what it sees rather than read from the coordinator: every DISPATCH of an
/// attempt 1 is a deposit, every retry the coordinator schedules after a failed attempt a
/// withdrawal, and a withdrawal is legal only if, counting the events still inside the window,
///
///     retries + 1 ≤ ratio × firstAttempts + ⌊minRetriesPerSecond × window⌋
///
/// (the ratio in millionths, rounded; the window cut into aligned slices: an event counts until
/// the start of the slice one window after its own).
///
/// The coordinator also withdraws for a retry it then drops (the retry could not finish before
/// the job's deadline); those are not seen here, so this account holds at most the coordinator's
/// withdrawals and is never stricter than the real budget.
struct SimRetryBudget {
    let ratioMicros: Int64
    let reserve: Int64
    /// The width of one slice, in nanoseconds.
    let width: Int64
    let slices: Int64
    /// Events per slice epoch, oldest first (epochs never decrease: virtual time only goes forward).
    private var firsts: [(epoch: Int64, count: Int64)] = []
    private var retries: [(epoch: Int64, count: Int64)] = []

    init(_ configuration: RetryBudget.Configuration) {
        self.ratioMicros = Int64((configuration.ratio * 1_000_000).rounded())
        self.reserve =
            Int64(configuration.minRetriesPerSecond) * configuration.window.nanosecondsClamped / 1_000_000_000
        self.slices = Int64(configuration.slices)
        self.width = configuration.window.nanosecondsClamped / Int64(configuration.slices)
    }

    private func epoch(_ instant: Instant) -> Int64 { instant.nanoseconds / self.width }

    private static func add(_ events: inout [(epoch: Int64, count: Int64)], epoch: Int64) {
        if let last = events.indices.last, events[last].epoch == epoch {
            events[last].count += 1
        } else {
            events.append((epoch, 1))
        }
    }

    private func live(_ events: [(epoch: Int64, count: Int64)], at epoch: Int64) -> Int64 {
        var total: Int64 = 0
        for event in events.reversed() {
            guard event.epoch > epoch - self.slices else { break }
            total += event.count
        }
        return total
    }

    private mutating func prune(at epoch: Int64) {
        if let keep = self.firsts.firstIndex(where: { $0.epoch > epoch - self.slices }) {
            self.firsts.removeFirst(keep)
        } else {
            self.firsts.removeAll()
        }
        if let keep = self.retries.firstIndex(where: { $0.epoch > epoch - self.slices }) {
            self.retries.removeFirst(keep)
        } else {
            self.retries.removeAll()
        }
    }

    /// A first attempt was dispatched at `now`.
    mutating func deposit(at now: Instant) {
        let epoch = self.epoch(now)
        self.prune(at: epoch)
        Self.add(&self.firsts, epoch: epoch)
    }

    /// A retry was scheduled at `now`: counted, and returns the window's counts if the budget did
    /// not allow it (`nil` when it did): first attempts and earlier retries in the window, and how
    /// many retries the window allows.
    mutating func withdraw(at now: Instant) -> (firsts: Int64, retries: Int64, allowed: Int64)? {
        let epoch = self.epoch(now)
        self.prune(at: epoch)
        let firsts = self.live(self.firsts, at: epoch)
        let retries = self.live(self.retries, at: epoch)
        Self.add(&self.retries, epoch: epoch)
        let allowance = self.reserve * 1_000_000 + firsts * self.ratioMicros
        return allowance - retries * 1_000_000 >= 1_000_000 ? nil : (firsts, retries, allowance / 1_000_000)
    }
}

/// What the simulator last saw of one circuit breaker, to check the next transitions it makes.
struct SimBreakerSeen {
    /// The breaker's `transitionCount` when last looked at.
    var count = 0
    var state: CircuitBreaker.StateName = .closed
    /// When it last opened (for the open-duration check).
    var openedAt: Instant?
    /// When its current half-open trial began (for the half-open expiry check).
    var halfOpenAt: Instant?

    /// The table of docs/RESILIENCE.md ("Circuit breakers"), written out again here rather than
    /// asked of `CircuitBreaker.isLegal`, so a wrong table in HerdCore does not go unnoticed.
    static func isLegal(
        _ from: CircuitBreaker.StateName,
        _ to: CircuitBreaker.StateName,
        _ trigger: CircuitBreaker.Trigger
    ) -> Bool {
        switch (from, to, trigger) {
        case (.closed, .open, .failureRateExceeded), (.closed, .open, .slowCallRateExceeded): true
        case (.open, .halfOpen, .openDurationElapsed): true
        case (.halfOpen, .closed, .probesSucceeded): true
        case (.halfOpen, .open, .failureRateExceeded), (.halfOpen, .open, .slowCallRateExceeded),
            (.halfOpen, .open, .halfOpenExpired):
            true
        case (_, .forcedOpen, .operatorForceOpen): from != .forcedOpen
        case (_, .disabled, .operatorDisable): from != .disabled
        case (_, .closed, .operatorClose): from != .closed
        case (_, .closed, .operatorReset): true
        default: false
        }
    }

    /// How many more attempts a breaker in `state` at `now` may admit, as `tryAcquire` would
    /// decide: everything while closed or disabled, nothing while forced open or open, a fresh
    /// trial's probes once the open duration has passed, the probes left in a half-open trial
    /// (none once it has outlived `maxHalfOpenDuration`: it reopens).
    static func allowance(
        _ state: CircuitBreaker.State,
        configuration: CircuitBreaker.Configuration,
        now: Instant
    ) -> Int {
        switch state {
        case .closed, .disabled:
            return .max
        case .forcedOpen:
            return 0
        case .open(let since):
            return now >= since + configuration.openDuration ? configuration.permittedCallsInHalfOpen : 0
        case .halfOpen(let trial):
            if let limit = configuration.maxHalfOpenDuration, now >= trial.since + limit {
                return configuration.openDuration == .zero ? configuration.permittedCallsInHalfOpen : 0
            }
            return max(0, configuration.permittedCallsInHalfOpen - trial.probesAdmitted)
        }
    }
}
