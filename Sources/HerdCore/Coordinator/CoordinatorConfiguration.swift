/// The coordinator's tunables (the `[coordinator]` table of a cluster file supplies them).
public struct CoordinatorConfiguration: Hashable, Sendable {
    /// Identifies this coordinator process in WELCOME and status (changes on restart).
    public var coordinatorID: String
    /// How often the coordinator sends a heartbeat to a peer it has otherwise not written to.
    public var heartbeatInterval: Duration
    /// A worker silent for longer than this is declared dead and its attempts re-queued.
    public var livenessWindow: Duration
    /// A client silent for longer than this is considered gone and its jobs are abandoned.
    public var clientLiveness: Duration
    /// How many attempts of one subtask may be lost to dead workers before it fails (poison guard).
    public var maxDeliveries: UInt32
    /// How long a dead worker stays listed in status before it is forgotten.
    public var deadWorkerRetention: Duration
    /// How long after a job's deadline the coordinator enforces it itself (workers enforce it
    /// first, on their own clock; this covers a worker that is stalled or gone).
    public var deadlineSlack: Duration
    /// A cancelled attempt not confirmed within this time is reported as overdue (a handler that
    /// ignores cancellation past the worker's kill grace).
    public var cancelOverdueAfter: Duration

    public init(
        coordinatorID: String,
        heartbeatInterval: Duration = .milliseconds(250),
        livenessWindow: Duration = .seconds(1),
        clientLiveness: Duration = .seconds(5),
        maxDeliveries: UInt32 = 5,
        deadWorkerRetention: Duration = .seconds(30),
        deadlineSlack: Duration = .milliseconds(500),
        cancelOverdueAfter: Duration = .seconds(5)
    ) {
        self.coordinatorID = coordinatorID
        self.heartbeatInterval = heartbeatInterval
        self.livenessWindow = livenessWindow
        self.clientLiveness = clientLiveness
        self.maxDeliveries = maxDeliveries
        self.deadWorkerRetention = deadWorkerRetention
        self.deadlineSlack = deadlineSlack
        self.cancelOverdueAfter = cancelOverdueAfter
    }
}
