// MARK: - Observations: what the machine committed, for the shell's metrics

/// What the coordinator decided since the shell last took its observations: counts of committed
/// subtasks, failures and retries, and the durations it measured.
///
/// The machine only counts (small dictionaries keyed by label values it already holds, and arrays
/// of samples); the shell takes the value once per flush (``CoordinatorStateMachine/takeObservations()``)
/// and records it into swift-metrics. `HerdCore` does not depend on any metrics library
/// (docs/OPERATIONS.md, "How the numbers are made").
public struct CoordinatorObservations: Sendable, Equatable {
    /// A committed subtask's labels: the job's group and kind and how it ended.
    public struct Committed: Hashable, Sendable {
        public var group: String
        public var kind: String
        /// `ok`, `error` or `cancelled`.
        public var status: String
    }

    /// A committed failure's labels (not `cancelled`).
    public struct Failed: Hashable, Sendable {
        public var group: String
        public var category: ErrorCategory
    }

    /// A failed attempt's retry decision.
    public struct Retried: Hashable, Sendable {
        public var group: String
        /// `scheduled` (a retry is due later), `refused` (the cluster retry budget said no) or
        /// `final` (no retry: the category is not retried or the attempts are used up; the failure is
        /// committed).
        public var outcome: String
    }

    /// A sample with a group and a kind.
    public struct Timed: Hashable, Sendable {
        public var group: String
        public var kind: String
        public var duration: Duration
    }

    /// A sample with a group.
    public struct Waited: Hashable, Sendable {
        public var group: String
        public var duration: Duration
    }

    /// Subtasks committed, by group, kind and status.
    public internal(set) var committed: [Committed: Int] = [:]
    /// Failures committed, by group and category.
    public internal(set) var failures: [Failed: Int] = [:]
    /// Retry decisions, by group and outcome.
    public internal(set) var retries: [Retried: Int] = [:]
    /// The dispatch-to-result time of each committed attempt that a worker ran.
    public internal(set) var durations: [Timed] = []
    /// For each first attempt dispatched: how long its subtask waited since its job was accepted.
    public internal(set) var dispatchWaits: [Waited] = []
    /// For each job a CANCEL-JOB asked to end: from the request to the job's confirmed end.
    public internal(set) var cancelLatencies: [Duration] = []

    public init() {}

    /// Nothing was observed.
    public var isEmpty: Bool {
        self.committed.isEmpty && self.failures.isEmpty && self.retries.isEmpty && self.durations.isEmpty
            && self.dispatchWaits.isEmpty && self.cancelLatencies.isEmpty
    }

    /// Counts `result` of a job of `group` and `kind`.
    mutating func count(_ outcome: Outcome, group: String, kind: String) {
        switch outcome {
        case .success:
            self.committed[Committed(group: group, kind: kind, status: "ok"), default: 0] += 1
        case .failure(let failure) where failure.category == .cancelled:
            self.committed[Committed(group: group, kind: kind, status: "cancelled"), default: 0] += 1
        case .failure(let failure):
            self.committed[Committed(group: group, kind: kind, status: "error"), default: 0] += 1
            self.failures[Failed(group: group, category: failure.category), default: 0] += 1
        }
    }

    mutating func retry(group: String, outcome: String) {
        self.retries[Retried(group: group, outcome: outcome), default: 0] += 1
    }

    mutating func duration(group: String, kind: String, _ duration: Duration) {
        self.durations.append(Timed(group: group, kind: kind, duration: duration))
    }

    mutating func dispatchWait(group: String, _ duration: Duration) {
        self.dispatchWaits.append(Waited(group: group, duration: duration))
    }

    mutating func cancelLatency(_ duration: Duration) { self.cancelLatencies.append(duration) }
}

/// The coordinator's gauges at one instant, sampled by the shell (cheap: counts, no lists of
/// subtasks).
public struct CoordinatorGauges: Sendable, Equatable {
    /// A breaker's labels.
    public struct Breaker: Hashable, Sendable {
        /// `cluster`, `group` or `worker`.
        public var level: String
        /// `/`, the group's name, or `GROUP/WORKER`.
        public var name: String
    }

    /// A count of workers by group and state.
    public struct Workers: Hashable, Sendable {
        public var group: String
        /// `live`, `draining`, `unhealthy`, `dead` or `left`.
        public var state: String
    }

    /// Subtasks queued, by group.
    public var queueDepth: [String: Int] = [:]
    /// Attempts outstanding at the group's workers, by group.
    public var inFlight: [String: Int] = [:]
    /// Workers, by group and state.
    public var workers: [Workers: Int] = [:]
    /// Breakers: 0 closed, 1 half-open, 2 open, 3 forced open or disabled.
    public var breakers: [Breaker: Int] = [:]
    /// Retries the cluster-wide budget would allow now.
    public var retryBudgetAvailable = 0
    /// Jobs tracked, by state: `running` or `ending` (ended early, waiting for confirmations).
    public var jobs: [String: Int] = [:]

    public init() {}
}
