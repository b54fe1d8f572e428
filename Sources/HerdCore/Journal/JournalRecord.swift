/// One fact the coordinator makes durable before it acts on it: what a journaling coordinator
/// writes, and what a restarted one is rebuilt from (``CoordinatorStateMachine/init(configuration:restoring:now:)``).
///
/// The machine emits records in ``CoordinatorAction/journal(_:)``; the shell commits each batch
/// before it performs any send of the same batch (write-ahead), so a client is never told of a job
/// or a result that a crash could forget. Records name what is decided, not how the machine
/// keeps it, so the in-memory layout may change without touching old journals.
public enum JournalRecord: Hashable, Sendable {
    /// A job was accepted from `client` (its ACCEPTED goes out only once this is durable).
    case jobAccepted(JobID, client: PeerID, deadline: Instant?, Submission)
    /// Results committed since the last flush, and the job's usage after them.
    case resultsCommitted(JobID, [JobResult], usage: UInt64)
    /// The job was ended early (cancel, fan-out policy, budget, shutdown, client gone): whatever is
    /// unfinished ends cancelled with `reason`, after a restart too.
    case jobEnded(JobID, reason: Failure)
    /// Every attempt of the job is accounted for and its summary was sent at `at`: its results
    /// are kept for `herd results` until the retention passes.
    case jobFinished(JobSummary, at: Instant)
    /// An operator's breaker command, acknowledged (replayed after a restart).
    case breakerCommand(BreakerCommand.Action, path: String)

    /// The job the record belongs to (`nil` for cluster-wide records): the journal forgets a job's
    /// records together once its retention passes.
    public var job: JobID? {
        switch self {
        case .jobAccepted(let job, _, _, _), .resultsCommitted(let job, _, _), .jobEnded(let job, _): job
        case .jobFinished(let summary, _): summary.job
        case .breakerCommand: nil
        }
    }
}

/// What the machine asks the shell to make durable in one flush: records to append, and jobs whose
/// records are to be dropped (finished, retention passed). Committed as one transaction.
public struct JournalBatch: Hashable, Sendable {
    public var records: [JournalRecord]
    public var forgetting: [JobID]

    public init(records: [JournalRecord] = [], forgetting: [JobID] = []) {
        self.records = records
        self.forgetting = forgetting
    }

    public var isEmpty: Bool { self.records.isEmpty && self.forgetting.isEmpty }
}
