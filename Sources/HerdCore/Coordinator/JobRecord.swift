/// What the coordinator keeps for one accepted job until its last attempt is accounted for.
///
/// Per-subtask state is a few bytes in flat arrays, and payloads of a template job are expanded
/// only at dispatch, so a job of a million queued subtasks costs a few megabytes.
struct JobRecord {
    /// Where a subtask stands.
    enum SubtaskPhase: UInt8 {
        /// Waiting in its group's queue. Can transition to: running, finished (abandoned job).
        case queued
        /// An attempt is outstanding at a worker. Can transition to: queued (worker died), finished.
        case running
        /// Its one result was committed (or it was given up). Terminal.
        case finished
    }

    /// The attempt outstanding for a running subtask.
    struct RunningAttempt: Hashable {
        var attempt: UInt32
        var worker: PeerID
    }

    let id: JobID
    let client: PeerID
    let group: String
    let kind: String
    let payloads: PayloadSource
    let deadline: Instant?
    let total: UInt32

    var phases: [SubtaskPhase]
    /// Attempts dispatched so far, per subtask.
    var attempts: [UInt32]
    var running: [UInt32: RunningAttempt] = [:]
    var succeeded: UInt32 = 0
    var failed: UInt32 = 0
    var cancelled: UInt32 = 0
    /// The client is gone: queued subtasks were dropped; outstanding attempts are waited out, their results discarded.
    var abandoned = false
    /// Results committed since the last flush, sent to the client as one JOB-RESULTS batch.
    var outbox: [JobResult] = []

    init(id: JobID, client: PeerID, submission: Submission, deadline: Instant?) {
        self.id = id
        self.client = client
        self.group = submission.group
        self.kind = submission.kind
        self.payloads = submission.payloads
        self.deadline = deadline
        self.total = UInt32(submission.payloads.count)
        self.phases = Array(repeating: .queued, count: Int(self.total))
        self.attempts = Array(repeating: 0, count: Int(self.total))
    }

    var finished: UInt32 { self.succeeded + self.failed + self.cancelled }

    /// True once every subtask is finished and no attempt is outstanding.
    var isComplete: Bool { self.finished == self.total && self.running.isEmpty }

    var summary: JobSummary {
        JobSummary(job: self.id, succeeded: self.succeeded, failed: self.failed, cancelled: self.cancelled)
    }

    /// Commits `outcome` as subtask `index`'s one result.
    mutating func commit(_ index: UInt32, outcome: Outcome, worker: String) {
        precondition(self.phases[Int(index)] != .finished, "subtask \(self.id)/\(index) committed twice")
        self.phases[Int(index)] = .finished
        switch outcome {
        case .success: self.succeeded += 1
        case .failure(let failure) where failure.category == .cancelled: self.cancelled += 1
        case .failure: self.failed += 1
        }
        if !self.abandoned {
            self.outbox.append(
                JobResult(
                    subtask: SubtaskRef(job: self.id, index: index),
                    attempts: self.attempts[Int(index)],
                    worker: worker,
                    outcome: outcome
                )
            )
        }
    }
}
