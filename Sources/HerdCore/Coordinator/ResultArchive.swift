/// The committed results of every job a journaling coordinator knows, running or finished: what a
/// re-attaching client is sent again and what `herd results` answers with. Empty (and free) when
/// the coordinator keeps no journal.
///
/// Invariants: a job's results are in commit order, one per subtask; a finished job is kept until
/// ``CoordinatorConfiguration/finishedJobRetention`` after it finished, then forgotten together
/// with its journal records.
struct ResultArchive {
    /// One job's results.
    struct Entry {
        /// The SUBMIT's token (a SUBMIT sent again is answered with this job).
        var token: UInt64 = 0
        var results: [JobResult] = []
        /// Set once the job finished.
        var summary: JobSummary?
        var finishedAt: Instant?
    }

    private var entries: [JobID: Entry] = [:]

    /// The job's entry, if it is kept.
    subscript(job: JobID) -> Entry? { self.entries[job] }

    /// Starts keeping a job's results.
    mutating func open(_ job: JobID, token: UInt64) { self.entries[job] = Entry(token: token) }

    /// Keeps committed results of `job`.
    mutating func append(_ results: [JobResult], of job: JobID) {
        self.entries[job]?.results.append(contentsOf: results)
    }

    /// `job` finished at `now` with `summary`.
    mutating func finished(_ summary: JobSummary, at now: Instant) {
        self.entries[summary.job, default: Entry()].summary = summary
        self.entries[summary.job]!.finishedAt = now
    }

    /// Forgets the jobs that finished before `cutoff`, returning them (their journal records go too).
    mutating func purge(finishedBefore cutoff: Instant) -> [JobID] {
        let expired = self.entries.compactMap { job, entry -> JobID? in
            guard let at = entry.finishedAt, at < cutoff else { return nil }
            return job
        }.sorted()
        for job in expired { self.entries[job] = nil }
        return expired
    }

    /// Jobs kept, finished or not.
    var count: Int { self.entries.count }
}
