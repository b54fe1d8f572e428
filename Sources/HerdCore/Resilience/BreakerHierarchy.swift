/// Circuit breakers at three levels, cluster → group → worker, with failures routed to the level
/// they are evidence against and a refusal at any level failing the call fast.
///
/// **Admission.** ``acquire(group:worker:now:)`` asks the cluster breaker, then the group's, then the
/// worker's. The first refusal stops the walk and the permits already taken above it are released, so
/// an open (or forced-open) parent makes all its children fail fast without spending their probes.
/// ``admits(group:worker:now:)`` answers the same question without taking permits.
///
/// **Recording.** ``record(_:group:worker:duration:now:)`` routes the result by
/// ``FailureAttribution``; a level that learns nothing from it releases the permit it gave:
///
/// | Report | cluster | group | worker |
/// | --- | --- | --- | --- |
/// | success | success | success | success |
/// | worker scope: `timeout`, `network`, `transient`, `unknown`, lost | released | released | failure |
/// | group scope: `server`, `rate-limited`, `auth` | failure | failure | released |
/// | no scope: `validation`, `not-found`, `cancelled`, `budget-…`, `circuit-open` | released | released | released |
///
/// So a bad worker opens only its own breaker; a failing shared dependency opens its group's; and
/// the cluster breaker, which sees every group's successes and shared-dependency failures, opens when
/// those failures dominate the whole cluster's traffic. Slowness is judged at every level that
/// records, each with its own ``CircuitBreaker/Configuration/slowCallDuration``.
///
/// **Operators** address breakers by ``BreakerPath`` (`/`, `GROUP`, `GROUP/WORKER`). A command on a
/// path not seen yet creates that breaker, so a worker can be forced open before it registers.
///
/// Breakers are created on first use with the level's configuration. Every mutating call returns the
/// transitions it caused (for logs, and to start a ``RecoveryRamp`` when a worker's breaker closes).
public struct BreakerHierarchy: Sendable {
    /// The configuration of each level.
    ///
    /// | Level | Default |
    /// | --- | --- |
    /// | cluster | ``CircuitBreaker/Configuration`` defaults, but `window: .count(100)`, `minimumCalls: 50` |
    /// | group | ``CircuitBreaker/Configuration`` defaults |
    /// | worker | ``CircuitBreaker/Configuration`` defaults |
    public struct Configuration: Hashable, Sendable {
        /// The cluster breaker's configuration.
        public var cluster: CircuitBreaker.Configuration
        /// Every group breaker's configuration.
        public var group: CircuitBreaker.Configuration
        /// Every worker breaker's configuration.
        public var worker: CircuitBreaker.Configuration

        /// Creates a configuration; defaults as tabled above.
        public init(
            cluster: CircuitBreaker.Configuration = CircuitBreaker.Configuration(window: .count(100), minimumCalls: 50),
            group: CircuitBreaker.Configuration = CircuitBreaker.Configuration(),
            worker: CircuitBreaker.Configuration = CircuitBreaker.Configuration()
        ) {
            self.cluster = cluster
            self.group = group
            self.worker = worker
        }
    }

    /// How an admitted attempt ended.
    public enum Report: Hashable, Sendable {
        /// The attempt succeeded.
        case success
        /// The attempt failed with this category.
        case failure(ErrorCategory)
        /// The worker crashed or was declared dead while holding the attempt.
        case workerLost

        /// The level the failure counts against; `nil` for a success.
        public var scope: FailureAttribution.Scope? {
            switch self {
            case .success: nil
            case .failure(let category): FailureAttribution.scope(of: category)
            case .workerLost: FailureAttribution.workerLost
            }
        }
    }

    /// A breaker's transition, with its path.
    public struct PathTransition: Hashable, Sendable, CustomStringConvertible {
        /// Which breaker.
        public var path: BreakerPath
        /// What happened to it.
        public var transition: CircuitBreaker.Transition

        /// Creates a path transition.
        public init(path: BreakerPath, transition: CircuitBreaker.Transition) {
            self.path = path
            self.transition = transition
        }

        /// `g/w1: closed → open (failure-rate) at t+1.0s`.
        public var description: String { "\(self.path): \(self.transition)" }
    }

    /// The answer to ``acquire(group:worker:now:)``.
    public struct Admission: Hashable, Sendable {
        /// The highest level that refused, or `nil` if the attempt was admitted at every level.
        public var rejectedBy: BreakerPath?
        /// Transitions made while asking (open → half-open, half-open expiry).
        public var transitions: [PathTransition]

        /// Creates an admission.
        public init(rejectedBy: BreakerPath?, transitions: [PathTransition] = []) {
            self.rejectedBy = rejectedBy
            self.transitions = transitions
        }

        /// Whether every level admitted the attempt.
        public var isAdmitted: Bool { self.rejectedBy == nil }
    }

    private struct GroupNode: Sendable {
        var breaker: CircuitBreaker
        var workers: [String: CircuitBreaker] = [:]
    }

    /// The configuration of each level.
    public let configuration: Configuration
    private var cluster: CircuitBreaker
    private var groups: [String: GroupNode] = [:]
    /// How many breakers are in a state other than closed. While it is zero (the normal case)
    /// every attempt is admitted without looking at any breaker: a closed breaker permits every
    /// call and counts no permits, so admission and release have nothing to do.
    private var notClosed = 0

    /// Creates a hierarchy with a closed cluster breaker and no groups or workers yet.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.cluster = CircuitBreaker(configuration: configuration.cluster)
    }

    // MARK: - Reading

    /// The breaker at `path`, or `nil` for a group or worker not seen yet.
    public func breaker(at path: BreakerPath) -> CircuitBreaker? {
        switch path {
        case .cluster: self.cluster
        case .group(let group): self.groups[group]?.breaker
        case .worker(let group, let worker): self.groups[group]?.workers[worker]
        }
    }

    /// Every existing breaker's path: the cluster, then groups and their workers in name order.
    public var paths: [BreakerPath] {
        var paths: [BreakerPath] = [.cluster]
        for group in self.groups.keys.sorted() {
            paths.append(.group(group))
            for worker in self.groups[group]?.workers.keys.sorted() ?? [] {
                paths.append(.worker(group: group, worker: worker))
            }
        }
        return paths
    }

    /// The highest level that would refuse an attempt on `worker` of `group` at `now`, or `nil` if all
    /// would admit it. Takes no permits; a breaker not created yet counts as closed.
    public func blockingPath(group: String, worker: String, now: Instant) -> BreakerPath? {
        if self.notClosed == 0 { return nil }
        for path in Self.chain(group: group, worker: worker) {
            if let breaker = self.breaker(at: path), !breaker.isCallPermitted(now: now) { return path }
        }
        return nil
    }

    /// True while every breaker is closed: every attempt anywhere is admitted.
    public var admitsAll: Bool { self.notClosed == 0 }

    /// Whether an attempt on `worker` of `group` would be admitted at `now` (no permits taken).
    public func admits(group: String, worker: String, now: Instant) -> Bool {
        self.blockingPath(group: group, worker: worker, now: now) == nil
    }

    // MARK: - Attempts

    /// Asks every level, top down, for a permit to run an attempt on `worker` of `group` at `now`.
    ///
    /// On a refusal, the permits taken above are released and the refusing level is reported; the
    /// caller fails the attempt fast (category `circuit-open`). An admitted attempt must be reported
    /// with ``record(_:group:worker:duration:now:)``, or its permits returned with
    /// ``release(group:worker:)`` if it is never sent.
    public mutating func acquire(group: String, worker: String, now: Instant) -> Admission {
        if self.notClosed == 0 { return Admission(rejectedBy: nil) }
        var transitions: [PathTransition] = []
        var granted: [BreakerPath] = []
        for path in Self.chain(group: group, worker: worker) {
            var permitted = false
            transitions += self.update(path) { permitted = $0.tryAcquire(now: now) }
            guard permitted else {
                for above in granted { _ = self.update(above) { $0.releasePermission() } }
                return Admission(rejectedBy: path, transitions: transitions)
            }
            granted.append(path)
        }
        return Admission(rejectedBy: nil, transitions: transitions)
    }

    /// Returns the permits of an admitted attempt that was never sent.
    public mutating func release(group: String, worker: String) {
        if self.notClosed == 0 { return }
        for path in Self.chain(group: group, worker: worker) {
            _ = self.update(path) { $0.releasePermission() }
        }
    }

    /// Records how an admitted attempt ended, at the levels its attribution names (see the table above).
    ///
    /// - Parameters:
    ///   - report: Success, a failure's category, or the worker's loss.
    ///   - group: The worker's group.
    ///   - worker: The worker that ran the attempt.
    ///   - duration: How long the attempt took, measured from admission.
    ///   - now: When it ended.
    /// - Returns: The transitions this caused, top level first.
    @discardableResult
    public mutating func record(
        _ report: Report,
        group: String,
        worker: String,
        duration: Duration,
        now: Instant
    ) -> [PathTransition] {
        var transitions: [PathTransition] = []
        let scope = report.scope
        for level in Level.allCases {
            let result = Self.result(of: scope, at: level)
            let changes = self.update(level, group: group, worker: worker) { breaker in
                if let result {
                    breaker.record(result, duration: duration, now: now)
                } else {
                    breaker.releasePermission()
                }
            }
            if !changes.isEmpty { transitions += changes }
        }
        return transitions
    }

    /// Forgets a worker's breaker (when the worker leaves for good). A later attempt starts it afresh.
    public mutating func removeWorker(group: String, worker: String) {
        if let removed = self.groups[group]?.workers.removeValue(forKey: worker), !removed.isClosed {
            self.notClosed -= 1
        }
    }

    // MARK: - Operator commands

    /// Forces the breaker at `path` open (see ``CircuitBreaker/forceOpen(now:)``).
    @discardableResult
    public mutating func forceOpen(_ path: BreakerPath, now: Instant) -> [PathTransition] {
        self.update(path) { $0.forceOpen(now: now) }
    }

    /// Closes the breaker at `path` (see ``CircuitBreaker/close(now:)``).
    @discardableResult
    public mutating func close(_ path: BreakerPath, now: Instant) -> [PathTransition] {
        self.update(path) { $0.close(now: now) }
    }

    /// Resets the breaker at `path` (see ``CircuitBreaker/reset(now:)``).
    @discardableResult
    public mutating func reset(_ path: BreakerPath, now: Instant) -> [PathTransition] {
        self.update(path) { $0.reset(now: now) }
    }

    /// Disables the breaker at `path` (see ``CircuitBreaker/disable(now:)``).
    @discardableResult
    public mutating func disable(_ path: BreakerPath, now: Instant) -> [PathTransition] {
        self.update(path) { $0.disable(now: now) }
    }

    // MARK: - Internals

    private static func chain(group: String, worker: String) -> [BreakerPath] {
        [.cluster, .group(group), .worker(group: group, worker: worker)]
    }

    /// The three levels, top down.
    private enum Level: CaseIterable { case cluster, group, worker }

    /// What the breaker at `level` records for a report of `scope` (`nil`: a success); `nil`
    /// means release the permit instead.
    private static func result(of scope: FailureAttribution.Scope?, at level: Level) -> CircuitBreaker.CallResult? {
        guard let scope else { return .success }
        switch (level, scope) {
        case (.worker, .worker), (.group, .group), (.cluster, .group): return .failure
        default: return nil
        }
    }

    private func newGroup() -> GroupNode {
        GroupNode(breaker: CircuitBreaker(configuration: self.configuration.group))
    }

    /// Applies `body` to the breaker at `path` (creating it if needed) and returns the transitions it made.
    private mutating func update(_ path: BreakerPath, _ body: (inout CircuitBreaker) -> Void) -> [PathTransition] {
        switch path {
        case .cluster: self.update(.cluster, group: "", worker: "", body)
        case .group(let group): self.update(.group, group: group, worker: "", body)
        case .worker(let group, let worker): self.update(.worker, group: group, worker: worker, body)
        }
    }

    /// Applies `body` in place to the breaker at `level` for `group`/`worker` (creating it if
    /// needed), keeps ``notClosed`` up to date, and returns the transitions it made.
    private mutating func update(
        _ level: Level,
        group: String,
        worker: String,
        _ body: (inout CircuitBreaker) -> Void
    ) -> [PathTransition] {
        func run(
            _ breaker: inout CircuitBreaker,
            _ notClosed: inout Int
        ) -> (before: Int, after: Int, history: ArraySlice<CircuitBreaker.Transition>) {
            let before = breaker.transitionCount
            let wasClosed = breaker.isClosed
            body(&breaker)
            if breaker.isClosed != wasClosed { notClosed += wasClosed ? 1 : -1 }
            let after = breaker.transitionCount
            return (before, after, after == before ? [] : breaker.history.suffix(after - before))
        }
        let changed: (before: Int, after: Int, history: ArraySlice<CircuitBreaker.Transition>)
        var notClosed = self.notClosed
        switch level {
        case .cluster:
            changed = run(&self.cluster, &notClosed)
        case .group:
            if self.groups.index(forKey: group) == nil { self.groups[group] = self.newGroup() }
            changed = run(&self.groups[group]!.breaker, &notClosed)
        case .worker:
            if self.groups.index(forKey: group) == nil { self.groups[group] = self.newGroup() }
            let configuration = self.configuration.worker
            changed = Self.inWorker(&self.groups[group]!, worker, configuration) { run(&$0, &notClosed) }
        }
        self.notClosed = notClosed
        guard changed.after != changed.before else { return [] }
        let path: BreakerPath =
            switch level {
            case .cluster: .cluster
            case .group: .group(group)
            case .worker: .worker(group: group, worker: worker)
            }
        return changed.history.map { PathTransition(path: path, transition: $0) }
    }

    /// Runs `body` on `worker`'s breaker of `node` in place, creating it first if needed.
    private static func inWorker<R>(
        _ node: inout GroupNode,
        _ worker: String,
        _ configuration: CircuitBreaker.Configuration,
        _ body: (inout CircuitBreaker) -> R
    ) -> R {
        if node.workers.index(forKey: worker) == nil {
            node.workers[worker] = CircuitBreaker(configuration: configuration)
        }
        return body(&node.workers[worker]!)
    }
}
