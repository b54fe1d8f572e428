/// `herd results JOB`: ask for a job's committed results (RESULTS-REQUEST, client → coordinator).
public struct ResultsRequest: Hashable, Sendable {
    public var token: UInt64
    public var job: JobID

    public init(token: UInt64, job: JobID) {
        self.token = token
        self.job = job
    }
}

/// The answer to ``ResultsRequest`` (RESULTS-REPLY): every result the coordinator committed for
/// the job so far, and its summary once it finished. Only a journaling coordinator keeps results.
public struct ResultsReply: Hashable, Sendable {
    /// Where the job stands as the coordinator knows it.
    public enum State: UInt8, Hashable, Sendable {
        /// No such job, or one forgotten after its retention, or a coordinator that keeps no results.
        case unknown = 0
        /// Still running: more results may follow.
        case running = 1
        /// Finished: these are all its results.
        case finished = 2
    }

    public var token: UInt64
    public var job: JobID
    public var state: State
    /// In commit order, one per subtask.
    public var results: [JobResult]
    /// Set once the job finished.
    public var summary: JobSummary?

    public init(token: UInt64, job: JobID, state: State, results: [JobResult] = [], summary: JobSummary? = nil) {
        self.token = token
        self.job = job
        self.state = state
        self.results = results
        self.summary = summary
    }
}
