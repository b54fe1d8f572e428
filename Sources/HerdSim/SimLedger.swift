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
    /// When the coordinator last dispatched each attempt.
    var dispatchedAt: [AttemptRef: Instant] = [:]
    /// When the coordinator last declared each worker dead (or saw it leave).
    var lastDeath: [PeerID: Instant] = [:]
    /// Whether each worker was live at the coordinator after the previous coordinator step.
    var wasLive: [PeerID: Bool] = [:]

    mutating func rootAccepted(_ job: JobID) {
        self.depth[job] = 0
    }

    mutating func nestedAccepted(_ job: JobID, parent: AttemptRef) {
        self.depth[job] = (self.depth[parent.subtask.job] ?? Simulation.maxNestingDepth) + 1
    }
}
