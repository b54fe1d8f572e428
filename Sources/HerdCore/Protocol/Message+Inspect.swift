/// A worker's health probe changed its verdict (HEALTH, worker → coordinator, revision 9).
public struct HealthReport: Hashable, Sendable {
    /// False: the probe fails, send no new work; true: it passes again.
    public var healthy: Bool
    /// What the probe said (its output or exit status), for status and logs.
    public var reason: String

    public init(healthy: Bool, reason: String) {
        self.healthy = healthy
        self.reason = reason
    }
}

/// `herd jobs` / `herd inspect JOB`: ask about jobs (INSPECT, client → coordinator, revision 9).
public struct InspectRequest: Hashable, Sendable {
    public var token: UInt64
    /// One job in detail (with its subtasks), or `nil`: every running and recently finished job,
    /// without subtasks.
    public var job: JobID?

    public init(token: UInt64, job: JobID?) {
        self.token = token
        self.job = job
    }
}

/// The answer to ``InspectRequest`` (INSPECT-REPLY).
public struct InspectReply: Hashable, Sendable {
    public var token: UInt64
    /// The jobs asked about: the one job (none if unknown), or every running and recent job, by id.
    public var jobs: [JobDetail]

    public init(token: UInt64, jobs: [JobDetail]) {
        self.token = token
        self.jobs = jobs
    }
}

/// One job as the coordinator sees it.
public struct JobDetail: Hashable, Sendable {
    /// Where a job stands.
    public enum State: UInt8, Hashable, Sendable, CustomStringConvertible {
        /// Accepted, subtasks still to commit.
        case running = 1
        /// Ended early (cancel, deadline, policy, budget): waiting for its attempts to confirm.
        case ending = 2
        /// Finished: every attempt accounted for.
        case finished = 3

        public var description: String {
            switch self {
            case .running: "running"
            case .ending: "ending"
            case .finished: "finished"
            }
        }
    }

    public var job: JobID
    public var group: String
    public var kind: String
    public var state: State
    public var total: UInt32
    public var succeeded: UInt32
    public var failed: UInt32
    public var cancelled: UInt32
    /// Time since the job was accepted.
    public var age: Duration
    /// From acceptance to the end, once finished.
    public var elapsed: Duration?
    /// Why it was ended early, if it was.
    public var reason: Failure?
    /// Its subtasks (only when one job was asked for): every subtask not yet a plain success, and
    /// the successes too for jobs of at most ``JobDetail/maxListedSuccesses`` subtasks.
    public var subtasks: [SubtaskDetail]

    /// Jobs up to this size list their successes too (larger ones list only what is not a success).
    public static let maxListedSuccesses = 1_000

    public init(
        job: JobID,
        group: String,
        kind: String,
        state: State,
        total: UInt32,
        succeeded: UInt32,
        failed: UInt32,
        cancelled: UInt32,
        age: Duration,
        elapsed: Duration? = nil,
        reason: Failure? = nil,
        subtasks: [SubtaskDetail] = []
    ) {
        self.job = job
        self.group = group
        self.kind = kind
        self.state = state
        self.total = total
        self.succeeded = succeeded
        self.failed = failed
        self.cancelled = cancelled
        self.age = age
        self.elapsed = elapsed
        self.reason = reason
        self.subtasks = subtasks
    }
}

/// One subtask of an inspected job.
public struct SubtaskDetail: Hashable, Sendable {
    /// Where a subtask stands.
    public enum Phase: UInt8, Hashable, Sendable, CustomStringConvertible {
        case queued = 0
        case running = 1
        /// Failed; its retry waits for its backoff.
        case waitingRetry = 2
        case succeeded = 3
        case failed = 4
        case cancelled = 5

        public var description: String {
            switch self {
            case .queued: "queued"
            case .running: "running"
            case .waitingRetry: "retry-wait"
            case .succeeded: "ok"
            case .failed: "failed"
            case .cancelled: "cancelled"
            }
        }
    }

    public var index: UInt32
    public var phase: Phase
    /// Attempts dispatched so far.
    public var attempts: UInt32
    /// The worker running it, or that committed its failure (empty if none or not kept).
    public var worker: String
    /// Running: time since its attempt was dispatched; committed by a worker: its attempt's duration.
    public var elapsed: Duration?
    /// Its committed failure (with the cause chain of earlier attempts), or the last failure of
    /// one waiting for its retry.
    public var failure: Failure?

    public init(
        index: UInt32,
        phase: Phase,
        attempts: UInt32,
        worker: String = "",
        elapsed: Duration? = nil,
        failure: Failure? = nil
    ) {
        self.index = index
        self.phase = phase
        self.attempts = attempts
        self.worker = worker
        self.elapsed = elapsed
        self.failure = failure
    }
}
