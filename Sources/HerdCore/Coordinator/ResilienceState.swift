/// What the coordinator has learned about the health of its groups and workers: the breaker
/// hierarchy, the error statistics, the recovery ramps of workers getting their traffic back,
/// and the last good results of the groups that keep them.
struct ResilienceState {
    var breakers: BreakerHierarchy
    private(set) var errorStats = ErrorStats()
    /// Workers getting their share of work back gradually.
    private var ramps: [PeerID: RecoveryRamp] = [:]
    private let rampConfiguration: RecoveryRamp.Configuration
    /// The last good results of the groups that keep them (`fallback-cache`), by group.
    private var lastGood: [String: LastGoodCache] = [:]

    init(breakers: BreakerHierarchy.Configuration, recoveryRamp: RecoveryRamp.Configuration) {
        self.breakers = BreakerHierarchy(configuration: breakers)
        self.rampConfiguration = recoveryRamp
    }

    /// Records an attempt's outcome at worker `peer` (`workerID` of `group`) with the breakers
    /// and the error statistics; a worker whose breaker closes starts its recovery ramp.
    mutating func record(
        _ report: BreakerHierarchy.Report,
        group: String,
        workerID: String,
        peer: PeerID,
        duration: Duration,
        now: Instant
    ) -> [BreakerHierarchy.PathTransition] {
        let transitions = self.breakers.record(report, group: group, worker: workerID, duration: duration, now: now)
        switch report {
        case .success: self.errorStats.recordSuccess(now: now)
        case .failure(let category): self.errorStats.recordFailure(category, now: now)
        case .workerLost: self.errorStats.recordFailure(.network, now: now)
        }
        if case .failure = report { self.ramps[peer]?.recordFailure(now: now) }
        for change in transitions where change.transition.to == .closed {
            if case .worker = change.path { self.startRamp(peer, now: now) }
        }
        return transitions
    }

    /// Gives back a permit an attempt took without judging the worker (cancelled, given back).
    mutating func release(group: String, workerID: String) { self.breakers.release(group: group, worker: workerID) }

    // MARK: Recovery ramps

    /// A recovering worker (breaker closed again, or back from the dead) gets its share of new
    /// work back in steps rather than all at once.
    mutating func startRamp(_ peer: PeerID, now: Instant) {
        self.ramps[peer] = RecoveryRamp(configuration: self.rampConfiguration, startedAt: now)
    }

    /// Whether some worker is on a ramp (time alone changes what it may be given).
    var hasRamps: Bool { !self.ramps.isEmpty }

    /// Credit the scheduler may use at worker `peer` with `free` of `capacity` credit left.
    mutating func usableCredit(_ peer: PeerID, free: Int, capacity: Int, now: Instant) -> Int {
        guard !self.ramps.isEmpty, let ramp = self.ramps[peer] else { return free }
        if ramp.isComplete(now: now) {
            self.ramps[peer] = nil
            return free
        }
        return ramp.effectiveCredit(free: free, capacity: capacity, now: now)
    }

    /// ` ramp 25%` for a worker on its ramp, else empty (for `herd status`).
    func rampNote(_ peer: PeerID, now: Instant) -> String {
        self.ramps[peer].map { $0.isComplete(now: now) ? "" : " ramp \(Int($0.share(now: now) * 100))%" } ?? ""
    }

    // MARK: Breakers

    /// Whether the cluster and group breakers let work into `group` now (no permit taken).
    func groupAdmitsWork(_ group: String, now: Instant) -> Bool {
        let cluster = self.breakers.breaker(at: .cluster)?.isCallPermitted(now: now) ?? true
        let own = self.breakers.breaker(at: .group(group))?.isCallPermitted(now: now) ?? true
        return cluster && own
    }

    /// Whether `group`'s breaker (or the cluster's) is open right now, as opposed to half-open
    /// with its probes in use: an open group fails fast, a probing one waits.
    func groupIsOpen(_ group: String, now: Instant) -> Bool {
        let states = [self.breakers.breaker(at: .cluster), self.breakers.breaker(at: .group(group))].compactMap {
            $0?.stateName(now: now)
        }
        return states.contains(.open) || states.contains(.forcedOpen)
    }

    /// A breaker's state name (`closed` for one that has seen no traffic yet).
    func breakerState(_ path: BreakerPath, now: Instant) -> String {
        self.breakers.breaker(at: path)?.stateName(now: now).rawValue ?? "closed"
    }

    // MARK: Last good results

    /// What an open group answers with when no fallback group can serve: the last good result of
    /// the same kind and payload, else the group's static value, else nothing (the subtask fails
    /// fast). (`payload` is rendered only for a group that keeps last good results.)
    func lastResort(
        group: String,
        policy: CoordinatorConfiguration.GroupPolicy?,
        kind: String,
        payload: () -> [UInt8]
    ) -> (output: [UInt8], source: FallbackSource)? {
        guard let policy else { return nil }
        if let cache = self.lastGood[group], let cached = cache.lookUp(kind: kind, payload: payload()) {
            return (cached, .lastGood)
        }
        if let value = policy.fallbackValue { return (value, .staticValue) }
        return nil
    }

    /// Keeps a success as `group`'s last good result for `kind` and `payload`.
    mutating func rememberLastGood(group: String, capacity: Int, kind: String, payload: [UInt8], output: [UInt8]) {
        self.lastGood[group, default: LastGoodCache(capacity: capacity)].store(
            kind: kind,
            payload: payload,
            output: output
        )
    }
}
