import HerdCore

/// A rule the machines must keep, as the simulator checks it.
public enum SimInvariant: String, Hashable, Sendable, CaseIterable {
    /// The coordinator has more attempts outstanding at a worker than its capacity (credit).
    case creditExceeded = "credit exceeded"
    /// A subtask's result was sent to its client twice.
    case resultTwice = "result sent twice"
    /// A job's result was sent after its JOB-FINISHED.
    case resultAfterFinish = "result after JOB-FINISHED"
    /// JOB-FINISHED was sent before every subtask's result, or with counts that do not match them.
    case finishMismatch = "JOB-FINISHED does not match the results sent"
    /// A committed result came from an attempt other than the subtask's current one, or from no
    /// handler at all.
    case supersededResult = "result from a superseded attempt"
    /// A job that was ended early still has a subtask without its (cancelled) result.
    case endedButUnfinished = "ended job with an unfinished subtask"
    /// The job's fan-out policy or budget was decided, yet the job goes on.
    case policyIgnored = "fan-out policy or budget ignored"
    /// A job's deadline (plus the coordinator's slack) passed, yet a subtask has no result.
    case deadlineIgnored = "deadline ignored"
    /// JOB-FINISHED or CANCEL-REPLY was sent while an attempt of the job still ran on a worker
    /// the coordinator had not lost.
    case finishedWhileRunning = "job finished while an attempt still runs"
    /// A cooperative handler whose attempt the coordinator no longer wants kept running for longer
    /// than the kill grace allows, on a worker connected to the coordinator.
    case zombieHandler = "handler runs past its cancellation"
    /// A nested job under a job (submitted by its attempts' handlers, recursively) still ran an
    /// attempt on a worker the coordinator had not lost when JOB-FINISHED or CANCEL-REPLY was sent
    /// for the job.
    case subtreeStillRunning = "job finished while a nested job under it still runs"
    /// A worker got new work after its drain was accepted: a DISPATCH to a worker the coordinator
    /// had marked draining (until it declares that worker dead), or a draining worker process
    /// that started a handler.
    case drainedWorkerGotWork = "drained worker got new work"
    /// A circuit breaker made a transition outside the legal table, or out of order; or a DISPATCH
    /// went through a breaker (cluster, group or worker) that was open or forced open, beyond the
    /// probes a half-open trial admits.
    case breakerViolated = "circuit breaker bypassed or illegal transition"
    /// The coordinator scheduled more retries than the cluster-wide retry budget allows (ratio of
    /// first attempts plus the reserve, counted over the budget's window).
    case retryBudgetExceeded = "retry budget exceeded"
    /// A client's job finished without every subtask's result, though its connection lost nothing.
    case clientMissedResults = "client missed results"
    /// A client's job failed without a reason.
    case failedWithoutReason = "job failed without a reason"
    /// After every fault was healed, the cluster did not come to rest within the settle limit
    /// (a lost subtask, a job that never finishes, a cancel never confirmed).
    case stuck = "stuck after healing"
}

/// A broken invariant: what, where in the run, and the details.
public struct SimViolation: Error, Hashable, Sendable, CustomStringConvertible {
    /// The rule broken.
    public var invariant: SimInvariant
    /// What was seen, with the ids to follow in the trace.
    public var detail: String
    /// Virtual time of the step that broke it.
    public var at: Instant
    /// The step that broke it (1-based).
    public var step: Int

    /// A violation of `invariant` at `step` (virtual time `at`).
    public init(invariant: SimInvariant, detail: String, at: Instant, step: Int) {
        self.invariant = invariant
        self.detail = detail
        self.at = at
        self.step = step
    }

    /// `<invariant> at step N (t=…): <detail>`.
    public var description: String {
        "\(self.invariant.rawValue) at step \(self.step) (\(SimTrace.time(self.at))): \(self.detail)"
    }
}

/// What happened in a run, for reports and for tuning the world's draws.
public struct SimStats: Hashable, Sendable {
    /// Results an open group answered with a last good result (`(cache)`).
    public var servedFromCache = 0
    /// Results an open group answered with its static value (`(static)`).
    public var servedByFallbackValue = 0
    /// Worker slots.
    public var workers = 0
    /// Worker groups.
    public var groups = 0
    /// Client processes.
    public var clients = 0
    /// Root jobs clients submitted.
    public var jobsSubmitted = 0
    /// Nested jobs handlers had accepted.
    public var nestedJobs = 0
    /// Client jobs that reached JOB-FINISHED.
    public var jobsFinished = 0
    /// Client jobs that failed (rejected, coordinator lost).
    public var jobsFailed = 0
    /// Handler runs started.
    public var handlersStarted = 0
    /// Handler runs the worker cancelled.
    public var handlersCancelled = 0
    /// Worker and client processes killed.
    public var crashes = 0
    /// Coordinator crashes (kill -9, then a restart on the journal).
    public var coordinatorCrashes = 0
    /// Stalls (SIGSTOP) of any node.
    public var stalls = 0
    /// Partitions of any node.
    public var partitions = 0
    /// `herd drain` requests and SIGTERMs.
    public var drains = 0
    /// Ctrl-Cs and `herd cancel` requests.
    public var cancels = 0
    /// The network's counters.
    public var network = SimNetwork.Counters()
    /// Breaker transitions to open (failure or slow-call rate, or a failed or expired trial).
    public var breakersOpened = 0
    /// Breaker transitions from half-open to closed (a trial that passed).
    public var breakersClosed = 0
    /// Subtasks failed fast with `circuit-open`.
    public var circuitOpenFailures = 0
    /// Retries the coordinator scheduled after a failed attempt (each a withdrawal from the budget).
    public var retriesScheduled = 0
    /// DISPATCHes of those retries.
    public var retryDispatches = 0
    /// Failures the coordinator gave up on because the retry budget was exhausted.
    public var budgetExhausted = 0
    /// `herd breaker` commands sent.
    public var breakerCommands = 0
    /// DISPATCHes to a worker process that was draining though the coordinator did not know it
    /// (legal crossings: its own DRAIN-WORKER was still on its way, or it was declared dead and
    /// registered again as a new worker); the worker gives back what it gets unstarted.
    public var dispatchesToDrainingProcess = 0

    /// All zero.
    public init() {}
}

/// The outcome of one simulated run.
public struct SimReport: Sendable {
    /// The seed that is the whole run.
    public var seed: UInt64
    /// The options it ran with.
    public var options: SimOptions
    /// Events processed in all.
    public var steps: Int
    /// Events processed before the faults were healed.
    public var activeSteps: Int
    /// Virtual time at the end of the run.
    public var virtualTime: Instant
    /// The first broken invariant, if any.
    public var violation: SimViolation?
    /// What happened.
    public var stats: SimStats
    /// A digest of the run's event sequence: the same seed gives the same digest, in any process.
    public var digest: UInt64
    /// The readable trace, when ``SimOptions/trace`` was set.
    public var trace: [String]

    /// The one command that replays this run exactly.
    public var replayCommand: String {
        var command = "herd sim --seed \(self.seed)"
        if self.options.steps != SimOptions.defaultSteps { command += " --steps \(self.options.steps)" }
        if self.options.highWaterMarks != SimOptions().highWaterMarks {
            command += " --hwm " + self.options.highWaterMarks.map(String.init).joined(separator: ",")
        }
        if self.options.corruptSupersededResults { command += " --corrupt-superseded-results" }
        if self.options.ignoreRetryBudget { command += " --ignore-retry-budget" }
        if self.options.forgetJournaledResults { command += " --forget-journaled-results" }
        return command + " --trace"
    }

    /// One line: seed, steps, virtual time, and the verdict.
    public var summary: String {
        let verdict = self.violation.map { "VIOLATION \($0)" } ?? "ok"
        return
            "seed \(self.seed): \(self.steps) steps (\(self.activeSteps) active), \(SimTrace.time(self.virtualTime)) virtual, "
            + "\(self.stats.jobsSubmitted) jobs (+\(self.stats.nestedJobs) nested), \(self.stats.crashes) crashes, "
            + "\(self.stats.stalls) stalls, \(self.stats.partitions) partitions, \(self.stats.drains) drains: \(verdict)"
    }
}
