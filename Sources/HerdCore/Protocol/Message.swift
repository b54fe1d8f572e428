/// The version of the Herd wire protocol this build speaks (docs/PROTOCOL.md).
public let herdProtocolVersion: UInt8 = 1

/// Every command of the Herd protocol, in either direction.
///
/// A ``Message`` is what the codec turns into ZeroMQ frames and back (see ``WireCodec``). Which
/// peer may send which command is part of the protocol (docs/PROTOCOL.md); the state machines
/// reject a command that arrives from the wrong kind of peer with ``Message/error(_:)``.
public enum Message: Hashable, Sendable {
    // MARK: - Worker → coordinator

    /// A worker introduces itself (first message, and again after a reconnect).
    case register(Registration)
    /// Finished attempts, in a batch.
    case results([SubtaskResult])
    /// A worker leaves cleanly; the coordinator re-queues whatever it still held.
    case deregister
    /// The worker confirms these attempts have stopped: handler returned, child processes gone.
    /// The answer to ``cancel(_:)``. Sent for an attempt the coordinator did not cancel, it gives
    /// the attempt back (the coordinator re-queues it). A worker's own deadline stop is a RESULT.
    case cancelled([AttemptRef])
    /// Output of a running attempt, ahead of its result (e.g. tokens as an LLM streams them).
    /// Sent by workers; the coordinator forwards it, unchanged, to the job's client.
    case partial(PartialOutput)

    // MARK: - Coordinator → worker

    /// The coordinator accepts a registration and states the heartbeat contract.
    case welcome(Welcome)
    /// Subtasks to run, in a batch. Never more than the worker's free credit.
    case dispatch([Assignment])
    /// Stop these attempts (idempotent). The worker answers with ``cancelled(_:)``.
    case cancel([AttemptRef])
    /// Coordinator → worker: drain yourself (finish in-flight work within the grace, give back the
    /// rest, deregister, exit). Worker → coordinator: I am draining (SIGTERM): send me nothing new.
    case drainWorker(DrainOrder)

    // MARK: - Any peer, either direction

    /// Liveness: sent by every peer when it has sent nothing else for one heartbeat interval.
    case heartbeat

    // MARK: - Client → coordinator

    /// A fan-out job.
    case submit(Submission)
    /// Ask for a ``StatusReport``.
    case statusRequest(token: UInt64)
    /// Cancel a job and its whole subtree. Any client may cancel any job by its id (`herd cancel`).
    case cancelJob(CancelJob)
    /// Drain workers: one by id, every worker of a node, or every worker of a group (`herd drain`).
    case drain(DrainRequest)
    /// An operator command for a circuit breaker (`herd breaker open|close|reset|disable PATH`).
    case breaker(BreakerCommand)
    /// Ask for a job's committed results (`herd results JOB`).
    case resultsRequest(ResultsRequest)
    /// `herd jobs` / `herd inspect` (INSPECT, revision 9).
    case inspect(InspectRequest)
    /// A worker's health probe changed verdict (HEALTH, revision 9).
    case health(HealthReport)

    // MARK: - Coordinator → client

    /// A job was accepted and numbered.
    case accepted(Accepted)
    /// A job was refused (unknown group, empty job, coordinator shutting down, ...).
    case rejected(Rejection)
    /// Committed subtask results, in a batch. Each subtask's result is sent exactly once.
    case jobResults([JobResult])
    /// Every subtask of a job has reached a terminal state.
    case jobFinished(JobSummary)
    /// The answer to ``statusRequest(token:)``.
    case statusReply(StatusReport)
    /// The answer to ``cancelJob(_:)``, sent once every attempt of the job has confirmed it stopped.
    case cancelReply(CancelReply)
    /// The answer to ``drain(_:)``, sent once every drained worker has left.
    case drainReply(DrainReport)
    /// Something the job's client should know while it waits (e.g. its group has no live worker).
    case jobNotice(JobNotice)
    /// The answer to ``breaker(_:)``.
    case breakerReply(BreakerReply)
    /// The answer to ``resultsRequest(_:)``.
    case resultsReply(ResultsReply)
    /// The answer to ``inspect(_:)`` (INSPECT-REPLY, revision 9).
    case inspectReply(InspectReply)

    // MARK: - Either direction

    /// The peer's last message could not be accepted (malformed, unknown version, too large, ...).
    case error(ProtocolError)
}

// MARK: - Payloads

/// A worker's registration: who it is, what it runs and how much at once.
public struct Registration: Hashable, Sendable {
    /// Stable, unique worker id (also its ZeroMQ routing id).
    public var workerID: String
    public var group: String
    /// A node label (host name by default): `herd drain --node` acts on every worker of a node.
    public var node: String
    /// How many subtasks the worker runs at once: its credit.
    public var capacity: UInt32
    /// The subtask kinds it can run (built-ins and operator-declared exec kinds).
    public var kinds: [String]
    /// Attempts the worker is still running or holds results for (non-empty after a reconnect).
    public var holding: [AttemptRef]
    /// A random number the worker process picks when it starts and keeps across reconnects: a
    /// different one under the same worker id is a restarted process (what the old one held is
    /// gone), the same one is the same process coming back. 0 means "not stated" (never compared).
    public var incarnation: UInt64

    public init(
        workerID: String,
        group: String,
        node: String,
        capacity: UInt32,
        kinds: [String],
        holding: [AttemptRef] = [],
        incarnation: UInt64 = 0
    ) {
        self.workerID = workerID
        self.group = group
        self.node = node
        self.capacity = capacity
        self.kinds = kinds
        self.holding = holding
        self.incarnation = incarnation
    }

    /// Whether this registration comes from another process than `earlier` did (both stated).
    public func isAnotherProcess(than earlier: Registration) -> Bool {
        self.incarnation != 0 && earlier.incarnation != 0 && self.incarnation != earlier.incarnation
    }
}

/// One attempt at one subtask. Attempts are numbered from 1; a re-dispatch increments it.
public struct AttemptRef: Hashable, Sendable, CustomStringConvertible {
    public var subtask: SubtaskRef
    public var attempt: UInt32

    public init(subtask: SubtaskRef, attempt: UInt32) {
        self.subtask = subtask
        self.attempt = attempt
    }

    public var description: String { "\(self.subtask)#\(self.attempt)" }
}

/// The coordinator's answer to a registration.
public struct Welcome: Hashable, Sendable {
    /// Identifies this coordinator process; a change tells a worker the coordinator restarted.
    public var coordinatorID: String
    /// How often each side sends a heartbeat when otherwise silent.
    public var heartbeatInterval: Duration
    /// How long a side may stay silent before the other declares it dead.
    public var livenessWindow: Duration

    public init(coordinatorID: String, heartbeatInterval: Duration, livenessWindow: Duration) {
        self.coordinatorID = coordinatorID
        self.heartbeatInterval = heartbeatInterval
        self.livenessWindow = livenessWindow
    }
}

/// A subtask sent to a worker to run.
public struct Assignment: Hashable, Sendable {
    public var attempt: AttemptRef
    public var kind: String
    public var payload: [UInt8]
    /// Time left until the subtask's deadline when sent (a duration: hosts' clocks need not agree).
    public var deadline: Duration?

    public init(attempt: AttemptRef, kind: String, payload: [UInt8], deadline: Duration? = nil) {
        self.attempt = attempt
        self.kind = kind
        self.payload = payload
        self.deadline = deadline
    }
}

/// How an attempt ended.
public enum Outcome: Hashable, Sendable {
    case success([UInt8])
    case failure(Failure)
}

/// A worker's report of one finished attempt.
public struct SubtaskResult: Hashable, Sendable {
    public var attempt: AttemptRef
    public var outcome: Outcome
    /// Units (e.g. tokens) the attempt consumed, as reported by its handler, not counting units
    /// already reported with its PARTIAL outputs (each unit travels once); 0 when unknown.
    public var usage: UInt64

    public init(attempt: AttemptRef, outcome: Outcome, usage: UInt64 = 0) {
        self.attempt = attempt
        self.outcome = outcome
        self.usage = usage
    }
}

/// Where a job's payloads come from.
public enum PayloadSource: Hashable, Sendable {
    /// `count` subtasks; each payload is `template` with every `{index}` replaced by the index.
    /// Expanded lazily by the coordinator, so a million-subtask job costs a few bytes each.
    case template([UInt8], count: UInt32)
    /// One explicit payload per subtask.
    case list([[UInt8]])

    /// The number of subtasks.
    public var count: Int {
        switch self {
        case .template(_, let count): Int(count)
        case .list(let payloads): payloads.count
        }
    }
}

/// A client's fan-out job.
public struct Submission: Hashable, Sendable {
    /// Chosen by the client to match the ``Accepted`` or ``Rejection`` to this submission.
    public var token: UInt64
    public var group: String
    public var kind: String
    public var payloads: PayloadSource
    /// Each subtask's time limit, measured from when the coordinator accepts the job.
    public var timeout: Duration?
    /// When the job is done (``FanoutPolicy``).
    public var policy: FanoutPolicy
    /// Units (e.g. tokens) the whole job may consume; `nil` for no limit.
    public var budget: UInt64?
    /// The attempt that submitted this job from inside its handler (nested fan-out), if any.
    /// The job is cancelled when that attempt ends, and its deadline is capped by the parent's.
    public var parent: AttemptRef?

    public init(
        token: UInt64,
        group: String,
        kind: String,
        payloads: PayloadSource,
        timeout: Duration? = nil,
        policy: FanoutPolicy = .all,
        budget: UInt64? = nil,
        parent: AttemptRef? = nil
    ) {
        self.token = token
        self.group = group
        self.kind = kind
        self.payloads = payloads
        self.timeout = timeout
        self.policy = policy
        self.budget = budget
        self.parent = parent
    }
}

/// When a fan-out job is done.
public enum FanoutPolicy: Hashable, Sendable, CustomStringConvertible {
    /// Every subtask runs to its end; every failure is reported.
    case all
    /// The first failure cancels the remaining subtasks.
    case failFast
    /// The first success wins and cancels the rest (hedging).
    case first
    /// `k` successes end the job; the rest are cancelled.
    case quorum(UInt32)

    public var description: String {
        switch self {
        case .all: "all"
        case .failFast: "fail-fast"
        case .first: "first"
        case .quorum(let k): "quorum:\(k)"
        }
    }

    /// Parses `all`, `fail-fast`, `first` or `quorum:K`.
    public init?(parsing text: String) {
        switch text {
        case "all": self = .all
        case "fail-fast": self = .failFast
        case "first": self = .first
        default:
            guard text.hasPrefix("quorum:"), let k = UInt32(text.dropFirst("quorum:".count)), k > 0 else { return nil }
            self = .quorum(k)
        }
    }
}

/// The coordinator accepted a job.
public struct Accepted: Hashable, Sendable {
    public var token: UInt64
    public var job: JobID
    public var subtasks: UInt32

    public init(token: UInt64, job: JobID, subtasks: UInt32) {
        self.token = token
        self.job = job
        self.subtasks = subtasks
    }
}

/// The coordinator refused a job.
public struct Rejection: Hashable, Sendable {
    public var token: UInt64
    public var failure: Failure

    public init(token: UInt64, failure: Failure) {
        self.token = token
        self.failure = failure
    }
}

/// A subtask's committed result, as the client receives it.
public struct JobResult: Hashable, Sendable {
    public var subtask: SubtaskRef
    /// How many attempts were dispatched for this subtask (1 unless re-dispatched).
    public var attempts: UInt32
    /// The worker whose attempt produced the result ("" if none ran).
    public var worker: String
    public var outcome: Outcome
    /// What served it while the job's group's breaker was open (`nil`: the group itself did).
    public var fallback: FallbackSource?

    public init(
        subtask: SubtaskRef,
        attempts: UInt32,
        worker: String,
        outcome: Outcome,
        fallback: FallbackSource? = nil
    ) {
        self.subtask = subtask
        self.attempts = attempts
        self.worker = worker
        self.outcome = outcome
        self.fallback = fallback
    }
}

/// Counts for a finished job.
public struct JobSummary: Hashable, Sendable {
    public var job: JobID
    public var succeeded: UInt32
    public var failed: UInt32
    public var cancelled: UInt32
    /// Units consumed by the job's committed attempts and partial outputs.
    public var usage: UInt64
    /// Why the job ended before running every subtask (cancelled on request, client gone, budget
    /// exhausted, fan-out policy satisfied or failed fast); `nil` if every subtask ran to its end.
    public var reason: Failure?

    public init(
        job: JobID,
        succeeded: UInt32,
        failed: UInt32,
        cancelled: UInt32,
        usage: UInt64 = 0,
        reason: Failure? = nil
    ) {
        self.job = job
        self.succeeded = succeeded
        self.failed = failed
        self.cancelled = cancelled
        self.usage = usage
        self.reason = reason
    }
}

/// A request to cancel a job.
public struct CancelJob: Hashable, Sendable {
    /// Chosen by the client to match the ``CancelReply``.
    public var token: UInt64
    public var job: JobID
    /// Why (shown to the job's client and in logs).
    public var reason: String

    public init(token: UInt64, job: JobID, reason: String) {
        self.token = token
        self.job = job
        self.reason = reason
    }
}

/// The coordinator's answer to a ``CancelJob``.
public struct CancelReply: Hashable, Sendable {
    public var token: UInt64
    public var job: JobID
    /// False if no such job was running (finished already, or never existed).
    public var found: Bool
    /// Subtasks that were cancelled (queued ones dropped plus running ones stopped).
    public var cancelled: UInt32

    public init(token: UInt64, job: JobID, found: Bool, cancelled: UInt32) {
        self.token = token
        self.job = job
        self.found = found
        self.cancelled = cancelled
    }
}

/// Partial output of a running attempt.
public struct PartialOutput: Hashable, Sendable {
    public var attempt: AttemptRef
    /// The worker producing it (filled in by the coordinator when it forwards to the client).
    public var worker: String
    public var data: [UInt8]
    /// Units consumed since the previous partial output of this attempt (counted against the budget).
    public var usage: UInt64

    public init(attempt: AttemptRef, worker: String = "", data: [UInt8], usage: UInt64 = 0) {
        self.attempt = attempt
        self.worker = worker
        self.data = data
        self.usage = usage
    }
}

/// An operator's command for a breaker.
public struct BreakerCommand: Hashable, Sendable {
    /// What to do.
    public enum Action: UInt8, Hashable, Sendable, CaseIterable {
        /// Force it open (no traffic) until closed or reset.
        case open = 0
        /// Close it (normal operation, window cleared).
        case close = 1
        /// Back to its initial closed state, statistics cleared.
        case reset = 2
        /// Stop judging: always admit, record nothing.
        case disable = 3
    }

    public var token: UInt64
    public var action: Action
    /// `/` (the cluster), `GROUP` or `GROUP/WORKER`.
    public var path: String

    public init(token: UInt64, action: Action, path: String) {
        self.token = token
        self.action = action
        self.path = path
    }
}

/// The answer to a ``BreakerCommand``.
public struct BreakerReply: Hashable, Sendable {
    public var token: UInt64
    public var ok: Bool
    /// The breaker's new state, or why the command was refused.
    public var message: String

    public init(token: UInt64, ok: Bool, message: String) {
        self.token = token
        self.ok = ok
        self.message = message
    }
}

/// The reply to a message that could not be accepted.
public struct ProtocolError: Hashable, Sendable, Error, CustomStringConvertible {
    /// Stable codes (docs/PROTOCOL.md).
    public enum Code: UInt8, Hashable, Sendable {
        /// The frames do not form a valid message.
        case malformed = 1
        /// The peer speaks a protocol version this side does not.
        case unsupportedVersion = 2
        /// A message or a field is over a limit.
        case tooLarge = 3
        /// The peer is not registered (e.g. the coordinator restarted): register again.
        case unknownPeer = 4
        /// A valid command that this peer may not send, or not now.
        case unexpected = 5
        /// The sender's key does not hold the role this command needs (protocol revision 8).
        case notAllowed = 6
    }

    public var code: Code
    public var message: String
    /// True when the message that could not be accepted was itself an ERROR (its header's command
    /// byte is `0x7F`, whatever its version or body): it must not be answered (docs/PROTOCOL.md §8.2).
    public var isAboutAnError: Bool

    public init(_ code: Code, _ message: String, isAboutAnError: Bool = false) {
        self.code = code
        self.message = message
        self.isAboutAnError = isAboutAnError
    }

    public var description: String { "\(self.code): \(self.message)" }
}

/// A notice to a job's client.
public struct JobNotice: Hashable, Sendable {
    public var job: JobID
    public var message: String

    public init(job: JobID, message: String) {
        self.job = job
        self.message = message
    }
}
