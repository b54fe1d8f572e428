/// The coordinator's tunables (the `[coordinator]` table of a cluster file supplies them).
///
/// Its initialiser's defaults are the one place Herd writes the coordinator's defaults (the
/// resilience ones are those of ``RetryBudget/Configuration``, ``BreakerHierarchy/Configuration``
/// and ``RecoveryRamp/Configuration``): a cluster file's absent key reads as ``defaults``' value.
public struct CoordinatorConfiguration: Hashable, Sendable {
    /// Identifies this coordinator process in WELCOME and status (changes on restart).
    public var coordinatorID: String
    /// How often the coordinator sends a heartbeat to a peer it has otherwise not written to.
    public var heartbeatInterval: Duration
    /// A worker silent for longer than this is declared dead and its attempts re-queued (stretched
    /// for a worker heard with jitter, up to ``livenessMaxStretch`` times: ``LivenessEstimate``).
    public var livenessWindow: Duration
    /// How far a worker's liveness window may stretch with the jitter of its messages (1: never).
    public var livenessMaxStretch: Int
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
    /// How failed attempts are retried (per group overrides in ``groupPolicies``).
    public var retry: RetryPolicy
    /// The cluster-wide retry budget: retries stay under a ratio of recent first attempts.
    public var retryBudget: RetryBudget.Configuration
    /// Circuit breakers: cluster → group → worker.
    public var breakers: BreakerHierarchy.Configuration
    /// How a recovering worker gets its share of new work back.
    public var recoveryRamp: RecoveryRamp.Configuration
    /// Per-group settings: retry policy and fallback group.
    public var groupPolicies: [String: GroupPolicy]
    /// Per-kind retry overrides, applied on top of the subtask's group policy (a kind is more
    /// specific than a group: `[[kind]]` tables of a cluster file).
    public var kindRetries: [String: RetryOverride]
    /// Seeds the jitter of retry delays (the simulator passes its own; production a random one).
    public var seed: UInt64
    /// Whether the shell keeps a journal: the machine then emits ``CoordinatorAction/journal(_:)``
    /// batches and keeps every job's committed results (for re-attaching clients and `herd results`).
    public var journaled: Bool
    /// How long a finished job's results stay available (`herd results`) before a journaling
    /// coordinator forgets them, in memory and in the journal.
    public var finishedJobRetention: Duration
    /// What one job and one client may ask (fan-out, open jobs, submission rate, payload and
    /// output sizes).
    public var limits: CoordinatorLimits

    /// Settings of one worker group.
    public struct GroupPolicy: Hashable, Sendable {
        /// Overrides the coordinator's retry policy for this group.
        public var retry: RetryPolicy?
        /// Where this group's work goes while its breaker is open (instead of failing fast).
        public var fallback: String?
        /// How many last good results (per kind and payload) the group keeps to answer with while
        /// its breaker is open and no fallback group can serve; 0 keeps none.
        public var fallbackCache: Int
        /// The output every subtask gets while the group's breaker is open and neither a fallback
        /// group nor the cache can serve; `nil` fails fast with `circuit-open` instead.
        public var fallbackValue: [UInt8]?

        public init(
            retry: RetryPolicy? = nil,
            fallback: String? = nil,
            fallbackCache: Int = 0,
            fallbackValue: [UInt8]? = nil
        ) {
            self.retry = retry
            self.fallback = fallback
            self.fallbackCache = fallbackCache
            self.fallbackValue = fallbackValue
        }
    }

    /// Herd's default retry policy: 3 attempts, full jitter from 200 ms doubling to at most 10 s.
    public static let defaultRetry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(200), maxDelay: .seconds(10))

    /// Every setting at its default, with an empty ``coordinatorID``: what a cluster file's
    /// absent `[coordinator]` key stands for.
    public static let defaults = CoordinatorConfiguration(coordinatorID: "")

    public init(
        coordinatorID: String,
        heartbeatInterval: Duration = .milliseconds(250),
        livenessWindow: Duration = .seconds(1),
        livenessMaxStretch: Int = 4,
        clientLiveness: Duration = .milliseconds(1500),
        maxDeliveries: UInt32 = 5,
        deadWorkerRetention: Duration = .seconds(30),
        deadlineSlack: Duration = .milliseconds(500),
        cancelOverdueAfter: Duration = .seconds(5),
        retry: RetryPolicy = CoordinatorConfiguration.defaultRetry,
        retryBudget: RetryBudget.Configuration = .init(),
        breakers: BreakerHierarchy.Configuration = .init(),
        recoveryRamp: RecoveryRamp.Configuration = .init(),
        groupPolicies: [String: GroupPolicy] = [:],
        kindRetries: [String: RetryOverride] = [:],
        seed: UInt64 = 0x4845_5244,
        journaled: Bool = false,
        finishedJobRetention: Duration = .seconds(3600),
        limits: CoordinatorLimits = .init()
    ) {
        self.coordinatorID = coordinatorID
        self.heartbeatInterval = heartbeatInterval
        self.livenessWindow = livenessWindow
        self.livenessMaxStretch = livenessMaxStretch
        self.clientLiveness = clientLiveness
        self.maxDeliveries = maxDeliveries
        self.deadWorkerRetention = deadWorkerRetention
        self.deadlineSlack = deadlineSlack
        self.cancelOverdueAfter = cancelOverdueAfter
        self.retry = retry
        self.retryBudget = retryBudget
        self.breakers = breakers
        self.recoveryRamp = recoveryRamp
        self.groupPolicies = groupPolicies
        self.kindRetries = kindRetries
        self.seed = seed
        self.journaled = journaled
        self.finishedJobRetention = finishedJobRetention
        self.limits = limits
    }
}
