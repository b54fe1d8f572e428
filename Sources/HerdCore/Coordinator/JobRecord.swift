/// What the coordinator keeps for one accepted job until its last attempt is accounted for.
///
/// Per-subtask state is a few bytes in flat arrays, and payloads of a template job are expanded
/// only at dispatch, so a job of a million queued subtasks costs a few megabytes.
struct JobRecord {
    /// Where a subtask stands.
    enum SubtaskPhase: UInt8 {
        /// Waiting in its group's queue. Can transition to: running, finished (job ended early).
        case queued
        /// An attempt is outstanding at a worker. Can transition to: queued (worker died), finished.
        case running
        /// Its attempt failed and a retry is scheduled (not in the group queue until it is due).
        /// Can transition to: queued (due), finished (job ended).
        case waitingRetry
        /// Its one result was committed (a result, a failure, or cancelled). Terminal.
        /// Its attempt may still be outstanding while it is being cancelled (see ``RunningAttempt``).
        case finished
    }

    /// An attempt outstanding at a worker.
    struct RunningAttempt: Hashable {
        var attempt: UInt32
        var worker: PeerID
        /// When it was dispatched (breakers measure call duration from here).
        var dispatchedAt: Instant = .zero
        /// Set when the coordinator told the worker to stop it; the subtask is already committed
        /// (as cancelled or timed out) and whatever the attempt still produces is discarded.
        var cancelledAt: Instant?
    }

    let id: JobID
    let client: PeerID
    /// The SUBMIT's token: a SUBMIT sent again with it is this job (``CoordinatorStateMachine/alreadyAccepted(_:from:restored:)``).
    let token: UInt64
    let group: String
    let kind: String
    let payloads: PayloadSource
    /// The template of a template job, split once at its markers.
    let template: PayloadTemplate?
    let deadline: Instant?
    let total: UInt32
    let policy: FanoutPolicy
    let budget: UInt64?
    /// The attempt that submitted this job (nested fan-out).
    let parent: AttemptRef?

    var phases: [SubtaskPhase]
    /// Attempts dispatched so far, per subtask.
    var attempts: [UInt32]
    /// Outstanding attempts by subtask index (including those being cancelled).
    var running: [UInt32: RunningAttempt] = [:]
    var succeeded: UInt32 = 0
    var failed: UInt32 = 0
    var cancelled: UInt32 = 0
    /// Units consumed: committed results' usage plus forwarded partial outputs' usage.
    var usage: UInt64 = 0
    /// Set when the job was ended early (cancel, client gone, budget, policy); no more dispatches.
    var endReason: Failure?
    /// The client is gone: nothing more is sent to it.
    var abandoned = false
    /// A journaling coordinator's job: every commit goes through the outbox to the journal and the
    /// result archive, its client gone or not (`herd results` answers for every subtask).
    var keepsResults = false
    /// Peers that asked to cancel the job, answered with CANCEL-REPLY once it is complete.
    var cancelRequests: [CancelRequester] = []
    /// Results committed since the last flush, sent to the client as one JOB-RESULTS batch.
    var outbox: [JobResult] = []
    /// Subtasks whose current attempt runs in the group's fallback group (marked in the result).
    var servedByFallback: Set<UInt32> = []
    /// Rebuilt from the journal after a restart: the attempt numbers of subtasks that were in
    /// flight are unknown, so a returning worker's higher attempt of a queued subtask is adopted.
    var restored = false
    /// Nested jobs submitted by this job's attempts that are not complete yet. The job is not
    /// complete before them: a cancel is confirmed only once the whole subtree has stopped.
    var openChildJobs = 0
    /// When the job was accepted (its subtasks' dispatch wait is measured from here).
    var acceptedAt: Instant = .zero
    /// What `herd inspect` shows of subtasks committed as failures (sparse: failures only).
    var failureNotes: [UInt32: FailureNote] = [:]

    /// A committed failure's worker and the duration of its last attempt.
    struct FailureNote: Hashable {
        var worker: String
        var failure: Failure
        var elapsed: Duration?
    }

    struct CancelRequester: Hashable {
        var peer: PeerID
        var token: UInt64
        /// When the CANCEL-JOB arrived (the cancel's latency is measured from here).
        var at: Instant = .zero
    }

    init(id: JobID, client: PeerID, submission: Submission, deadline: Instant?) {
        self.id = id
        self.client = client
        self.token = submission.token
        self.group = submission.group
        self.kind = submission.kind
        self.payloads = submission.payloads
        if case .template(let bytes, _) = submission.payloads {
            self.template = PayloadTemplate(bytes)
        } else {
            self.template = nil
        }
        self.deadline = deadline
        self.total = UInt32(submission.payloads.count)
        self.policy = submission.policy
        self.budget = submission.budget
        self.parent = submission.parent
        self.phases = Array(repeating: .queued, count: Int(self.total))
        self.attempts = Array(repeating: 0, count: Int(self.total))
    }

    var finished: UInt32 { self.succeeded + self.failed + self.cancelled }

    /// The most committed failures a job keeps for `herd inspect`.
    static let maxFailureNotes = 1_000

    /// Subtask `index`'s payload.
    func payload(at index: UInt32) -> [UInt8] {
        if let template = self.template { return template.render(index) }
        return self.payloads.payload(at: index)
    }

    /// True once every subtask is finished, no attempt is outstanding (all cancels confirmed) and
    /// every nested job under it is complete too.
    var isComplete: Bool { self.finished == self.total && self.running.isEmpty && self.openChildJobs == 0 }

    var isEnding: Bool { self.endReason != nil }

    /// Attempts told to stop that have not yet confirmed.
    var cancellingCount: Int { self.running.values.reduce(0) { $0 + ($1.cancelledAt == nil ? 0 : 1) } }

    var summary: JobSummary {
        JobSummary(
            job: self.id,
            succeeded: self.succeeded,
            failed: self.failed,
            cancelled: self.cancelled,
            usage: self.usage,
            reason: self.endReason
        )
    }

    /// Commits `outcome` as subtask `index`'s one result (`fallback`: what served it, if its
    /// attempt ran in the job's fallback group or the coordinator answered for an open group).
    mutating func commit(_ index: UInt32, outcome: Outcome, worker: String, fallback: FallbackSource? = nil) {
        precondition(self.phases[Int(index)] != .finished, "subtask \(self.id)/\(index) committed twice")
        self.phases[Int(index)] = .finished
        switch outcome {
        case .success: self.succeeded += 1
        case .failure(let failure):
            if failure.category == .cancelled { self.cancelled += 1 } else { self.failed += 1 }
            if self.failureNotes.count < Self.maxFailureNotes {
                self.failureNotes[index] = FailureNote(worker: worker, failure: failure)
            }
        }
        if !self.abandoned || self.keepsResults {
            self.outbox.append(
                JobResult(
                    subtask: SubtaskRef(job: self.id, index: index),
                    attempts: self.attempts[Int(index)],
                    worker: worker,
                    outcome: outcome,
                    fallback: self.servedByFallback.remove(index) != nil ? fallback : nil
                )
            )
        }
    }

    /// Re-applies a result committed before a restart (read from the journal): the subtask is
    /// finished and counted, and nothing is put in the outbox (a re-attaching client is sent the
    /// kept results instead).
    mutating func restoreCommitted(_ result: JobResult) {
        let index = Int(result.subtask.index)
        guard index < self.phases.count, self.phases[index] != .finished else { return }
        self.phases[index] = .finished
        self.attempts[index] = result.attempts
        switch result.outcome {
        case .success: self.succeeded += 1
        case .failure(let failure) where failure.category == .cancelled: self.cancelled += 1
        case .failure: self.failed += 1
        }
    }

    /// Why the job should end now, by its policy and budget, or `nil` to go on.
    func policyVerdict(lastIndex index: UInt32, lastOutcome outcome: Outcome) -> Failure? {
        if let budget = self.budget, self.usage >= budget {
            return Failure(.budgetExhausted, "used \(self.usage) of a budget of \(budget) units")
        }
        switch (self.policy, outcome) {
        case (.failFast, .failure(let failure)) where failure.category != .cancelled:
            return Failure(.cancelled, "fail-fast: subtask \(index) failed (\(failure.category))")
        case (.first, .success):
            return Failure(.cancelled, "first: subtask \(index) succeeded")
        case (.quorum(let k), _) where self.succeeded >= k:
            return Failure(.cancelled, "quorum: \(k) subtasks succeeded")
        case (.quorum(let k), _) where self.total - self.failed - self.cancelled < k:
            return Failure(.cancelled, "quorum: \(k) successes are no longer possible")
        default:
            return nil
        }
    }
}
