import HerdCore

/// The ground truth the invariant checks compare the machines against: what the coordinator
/// actually sent, what handlers actually produced, and which workers the coordinator lost when.
struct SimLedger {
    /// Results the coordinator sent for one job.
    struct Tally {
        var indices: Set<UInt32> = []
        var succeeded: UInt32 = 0
        var failed: UInt32 = 0
        var cancelled: UInt32 = 0
    }

    /// Subtask count of every accepted job.
    var totals: [JobID: UInt32] = [:]
    var tallies: [JobID: Tally] = [:]
    /// Jobs whose JOB-FINISHED was sent.
    var finished: Set<JobID> = []
    /// Every job accepted, in acceptance order (root and nested), for `herd cancel` to pick from.
    var knownJobs: [JobID] = []
    /// Nesting depth of each job known to the world (root jobs are 0).
    var depth: [JobID: Int] = [:]
    /// Success outputs handlers produced (each names its attempt and worker, so each is unique).
    var producedOutputs: Set<[UInt8]> = []
    /// One dispatch: an attempt, to a worker. A coordinator restarted on its journal does not
    /// know which attempt numbers the crashed one used, so the same number can go to two workers.
    struct Dispatch: Hashable {
        var attempt: AttemptRef
        var peer: PeerID
    }

    /// When the coordinator last dispatched each attempt to each worker.
    var dispatchedAt: [Dispatch: Instant] = [:]
    /// First attempts already counted as deposits in the retry budget (by this coordinator process).
    var firstAttemptsDeposited: Set<AttemptRef> = []
    /// When the coordinator last declared each worker dead (or saw it leave).
    var lastDeath: [PeerID: Instant] = [:]
    /// Whether each worker was live at the coordinator after the previous coordinator step.
    var wasLive: [PeerID: Bool] = [:]
    /// The incarnation of each worker's registration after the previous coordinator step: a new one
    /// means the coordinator declared the old process dead and admitted another in one step.
    var lastIncarnation: [PeerID: UInt64] = [:]
    /// Since when the coordinator has had each worker draining (it ordered the drain, or accepted
    /// the worker's own); cleared when it declares that worker dead (a later REGISTER under the
    /// id is a new worker).
    var drainedSince: [PeerID: Instant] = [:]
    /// The attempt whose handler submitted a nested job, by the SUBMIT's token (until the
    /// ACCEPTED answering it names the job).
    var childTokens: [UInt64: AttemptRef] = [:]
    /// The job each nested job was submitted from (its parent attempt's job).
    var parentJob: [JobID: JobID] = [:]
    /// Failed attempts the coordinator scheduled a retry for (a withdrawal from the retry budget),
    /// until the retry is dispatched.
    var retryScheduled: Set<AttemptRef> = []
    /// Every failed attempt already counted as a withdrawal (a RESULT is counted once).
    var retryCounted: Set<AttemptRef> = []

    /// True if `ancestor` is `job`'s parent job, or its parent's, and so on.
    func isNested(_ job: JobID, under ancestor: JobID) -> Bool {
        var current = job
        while let parent = self.parentJob[current] {
            if parent == ancestor { return true }
            current = parent
        }
        return false
    }

    mutating func rootAccepted(_ job: JobID) {
        self.depth[job] = 0
    }

    mutating func nestedAccepted(_ job: JobID, parent: AttemptRef) {
        self.depth[job] = (self.depth[parent.subtask.job] ?? Simulation.maxNestingDepth) + 1
    }
}
