// The payloads of STATUS-REPLY (`herd status`): workers, groups, jobs and resilience figures.

/// A snapshot of the cluster for `herd status`.
public struct StatusReport: Hashable, Sendable {
    public var token: UInt64
    public var coordinatorID: String
    public var workers: [WorkerStatus]
    public var groups: [GroupStatus]
    public var jobs: [JobStatus]
    /// The cluster-level breaker state.
    public var clusterBreaker: String
    /// The cluster-wide retry budget.
    public var retryBudget: RetryBudgetStatus
    /// Failures per category in the recent window (non-zero ones), and the window's calls.
    public var errors: [CategoryCount]
    public var recentCalls: UInt32
    /// Where the coordinator keeps its journal and how big it is (`"PATH: N records, B bytes"`),
    /// or `""` for a coordinator that keeps its jobs in memory only.
    public var journal: String

    public init(
        token: UInt64,
        coordinatorID: String,
        workers: [WorkerStatus],
        groups: [GroupStatus],
        jobs: [JobStatus],
        clusterBreaker: String = "closed",
        retryBudget: RetryBudgetStatus = RetryBudgetStatus(),
        errors: [CategoryCount] = [],
        recentCalls: UInt32 = 0,
        journal: String = ""
    ) {
        self.token = token
        self.coordinatorID = coordinatorID
        self.workers = workers
        self.groups = groups
        self.jobs = jobs
        self.clusterBreaker = clusterBreaker
        self.retryBudget = retryBudget
        self.journal = journal
        self.errors = errors
        self.recentCalls = recentCalls
    }
}

/// The retry budget's level, for status.
public struct RetryBudgetStatus: Hashable, Sendable {
    /// First attempts in the budget's window.
    public var firstAttempts: UInt32
    /// Retries withdrawn in the window.
    public var retries: UInt32
    /// Retries still allowed now.
    public var available: UInt32

    public init(firstAttempts: UInt32 = 0, retries: UInt32 = 0, available: UInt32 = 0) {
        self.firstAttempts = firstAttempts
        self.retries = retries
        self.available = available
    }
}

/// How many failures of one category.
public struct CategoryCount: Hashable, Sendable {
    public var category: ErrorCategory
    public var count: UInt32

    public init(category: ErrorCategory, count: UInt32) {
        self.category = category
        self.count = count
    }
}

public struct WorkerStatus: Hashable, Sendable {
    public var id: String
    public var group: String
    public var node: String
    /// `live`, `draining`, `dead (reason)` or `left` (the last two kept briefly for operators).
    public var state: String
    /// Attempts outstanding at the worker (including those being cancelled).
    public var inFlight: UInt32
    public var capacity: UInt32
    /// Time since the worker was last heard from.
    public var lastHeard: Duration
    /// Attempts told to stop that have not yet confirmed.
    public var cancelling: UInt32
    /// Of those, attempts that have outlived the kill grace (a handler ignoring cancellation).
    public var overdue: UInt32
    /// The worker's circuit breaker: `closed`, `open`, `half-open`, `forced-open`, `disabled`,
    /// with ` ramp N%` while its share of work ramps up again.
    public var breaker: String

    public init(
        id: String,
        group: String,
        node: String,
        state: String,
        inFlight: UInt32,
        capacity: UInt32,
        lastHeard: Duration,
        cancelling: UInt32 = 0,
        overdue: UInt32 = 0,
        breaker: String = "closed"
    ) {
        self.breaker = breaker
        self.id = id
        self.group = group
        self.node = node
        self.state = state
        self.inFlight = inFlight
        self.capacity = capacity
        self.lastHeard = lastHeard
        self.cancelling = cancelling
        self.overdue = overdue
    }
}

public struct GroupStatus: Hashable, Sendable {
    public var name: String
    public var queued: UInt32
    public var workers: UInt32
    public var inFlight: UInt32
    /// The group's circuit breaker state.
    public var breaker: String
    /// The fallback group ("" if none).
    public var fallback: String

    public init(
        name: String,
        queued: UInt32,
        workers: UInt32,
        inFlight: UInt32,
        breaker: String = "closed",
        fallback: String = ""
    ) {
        self.name = name
        self.queued = queued
        self.workers = workers
        self.inFlight = inFlight
        self.breaker = breaker
        self.fallback = fallback
    }
}

public struct JobStatus: Hashable, Sendable {
    public var job: JobID
    public var group: String
    public var kind: String
    public var total: UInt32
    public var finished: UInt32
    public var running: UInt32
    /// Attempts told to stop that have not yet confirmed.
    public var cancelling: UInt32
    /// The attempt that submitted this job (nested fan-out), if any.
    public var parent: AttemptRef?

    public init(
        job: JobID,
        group: String,
        kind: String,
        total: UInt32,
        finished: UInt32,
        running: UInt32,
        cancelling: UInt32 = 0,
        parent: AttemptRef? = nil
    ) {
        self.job = job
        self.group = group
        self.kind = kind
        self.total = total
        self.finished = finished
        self.running = running
        self.cancelling = cancelling
        self.parent = parent
    }
}
