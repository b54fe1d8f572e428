/// The worker's tunables. Heartbeat and liveness are replaced by the coordinator's WELCOME.
public struct WorkerConfiguration: Hashable, Sendable {
    public var workerID: String
    public var group: String
    public var node: String
    /// Subtasks run at once: the credit the coordinator may use.
    public var capacity: UInt32
    /// Kinds this worker runs (built-ins plus declared exec kinds).
    public var kinds: [String]
    /// Heartbeat interval until the coordinator states its own.
    public var heartbeatInterval: Duration
    /// Coordinator silence tolerated until the coordinator states its own window.
    public var livenessWindow: Duration
    /// How often REGISTER is re-sent while no WELCOME has arrived.
    public var registerRetry: Duration
    /// A cancelled handler still running after this long is reported (it ignores cancellation).
    public var overdueAfter: Duration
    /// How long in-flight work may run when the worker drains itself (SIGTERM).
    public var drainGrace: Duration
    /// This process's incarnation, sent in every REGISTER (``Registration/incarnation``): the shell
    /// picks a random nonzero one per process start (the machine itself draws no randomness).
    public var incarnation: UInt64

    public init(
        workerID: String,
        group: String,
        node: String,
        capacity: UInt32,
        kinds: [String],
        heartbeatInterval: Duration = .milliseconds(250),
        livenessWindow: Duration = .seconds(1),
        registerRetry: Duration = .seconds(1),
        overdueAfter: Duration = .seconds(5),
        drainGrace: Duration = .seconds(10),
        incarnation: UInt64 = 0
    ) {
        self.workerID = workerID
        self.group = group
        self.node = node
        self.capacity = capacity
        self.kinds = kinds
        self.heartbeatInterval = heartbeatInterval
        self.livenessWindow = livenessWindow
        self.registerRetry = registerRetry
        self.overdueAfter = overdueAfter
        self.drainGrace = drainGrace
        self.incarnation = incarnation
    }
}

/// A timer the worker machine asks for; fired back as ``WorkerEvent/timer(_:)``.
public enum WorkerTimer: Hashable, Sendable {
    /// Heartbeats out and the coordinator-liveness check; re-armed on each firing.
    case tick
    /// The deadline of one attempt.
    case deadline(AttemptRef)
    /// A cancelled attempt that should have stopped by now.
    case cancelOverdue(AttemptRef)
    /// The drain's grace is over: give back what still runs.
    case drainGraceEnded
}

/// The inputs of ``WorkerStateMachine``.
public enum WorkerEvent: Hashable, Sendable {
    /// The shell is up and its socket connected (or connecting).
    case started
    /// A decoded message from the coordinator.
    case message(Message)
    /// Frames from the coordinator that did not decode.
    case undecodable(ProtocolError)
    /// A handler returned (or was cancelled and returned).
    case handlerFinished(AttemptRef, Outcome, usage: UInt64)
    /// A handler emitted partial output (and the usage since its previous one).
    case partialOutput(AttemptRef, [UInt8], usage: UInt64)
    /// A handler submits a nested job (its `parent` is the handler's attempt).
    case submitChild(Submission)
    /// A handler cancels a nested job it submitted.
    case cancelChild(CancelJob)
    case timer(WorkerTimer)
    /// SIGINT/SIGTERM or the library's `stop()`: drain (finish in-flight work within the drain
    /// grace, give back the rest, deregister, exit). A second one gives everything back at once.
    case stopRequested
    /// The health probe's verdict changed (`herd worker --health`).
    case healthChanged(HealthReport)
}

/// The effects ``WorkerStateMachine`` asks its shell for.
public enum WorkerAction: Hashable, Sendable {
    case send(Message)
    /// Run the handler for this assignment (as a Swift task; the exec kind runs a child process).
    case startHandler(Assignment)
    /// Cancel a running handler (its task is cancelled; an exec child gets SIGTERM, then SIGKILL).
    case cancelHandler(AttemptRef)
    /// Drop the connection and connect anew with the same routing id (the coordinator went silent).
    case reconnect
    /// A message about a nested job a handler submitted (ACCEPTED, REJECTED, JOB-RESULTS,
    /// JOB-FINISHED, PARTIAL, CANCEL-REPLY): route it to that handler.
    case deliverToChildren(Message)
    /// The coordinator is gone: every nested job a handler is waiting on fails with this.
    case failChildren(Failure)
    case schedule(WorkerTimer, at: Instant)
    case log(LogLine)
    /// Everything is finished after a stop: the process may exit.
    case exit
}
