/// The jobs the coordinator tracks until their last attempt is accounted for: their records,
/// the next job id, which jobs have results to flush, and the tree of nested jobs.
///
/// Invariants: a nested job's parent attempt lists it (``children``) until that attempt ends, and
/// its parent job counts it (``JobRecord/openChildJobs``) until it is forgotten, so a parent is
/// never complete before its subtree; ids are never reused.
struct JobTable {
    private var records: [JobID: JobRecord] = [:]
    /// The id the next accepted job gets.
    private(set) var nextID: UInt64 = 1
    /// Jobs with results in their outbox (or that may have completed) since the last flush.
    private var dirty: Set<JobID> = []
    /// Jobs submitted from inside a running attempt's handler (nested fan-out), by that attempt.
    private var children: [AttemptRef: Set<JobID>] = [:]

    /// The record of job `id`, read and changed in place.
    subscript(id: JobID) -> JobRecord? {
        _read { yield self.records[id] }
        _modify { yield &self.records[id] }
    }

    /// Runs `body` on job `id`'s record in place (no copy of its arrays), or returns `nil`.
    @inline(__always)
    mutating func inPlace<Result>(_ id: JobID, _ body: (inout JobRecord) -> Result) -> Result? {
        self.records.inPlace(id, body)
    }

    /// Takes a job out while a long change runs on it (so its arrays are never copied); give it
    /// back with ``put(_:)``.
    mutating func take(_ id: JobID) -> JobRecord? { self.records.removeValue(forKey: id) }

    /// Gives back a job taken with ``take(_:)``.
    mutating func put(_ job: JobRecord) { self.records[job.id] = job }

    var isEmpty: Bool { self.records.isEmpty }
    var count: Int { self.records.count }
    /// Every job's id, in order.
    var ids: [JobID] { self.records.keys.sorted() }
    /// Every job, in id order.
    var sorted: [JobRecord] { self.records.values.sorted { $0.id < $1.id } }
    /// Every job, in no particular order.
    var all: Dictionary<JobID, JobRecord>.Values { self.records.values }

    // MARK: Life of a job

    /// Accepts a job: gives it the next id and links it under its parent attempt, if nested (the
    /// caller checked that the parent attempt is running).
    mutating func accept(_ submission: Submission, from client: PeerID, deadline: Instant?) -> JobRecord {
        let job = JobRecord(id: JobID(self.nextID), client: client, submission: submission, deadline: deadline)
        self.nextID += 1
        self.records[job.id] = job
        if let parent = submission.parent {
            self.children[parent, default: []].insert(job.id)
            self.records[parent.subtask.job]!.openChildJobs += 1
        }
        return job
    }

    /// Puts back a job rebuilt from the journal under its own id (ids stay unique: the next
    /// accepted job gets a higher one). Nested jobs are linked under their parent attempt.
    mutating func restore(_ job: JobRecord) {
        self.records[job.id] = job
        self.nextID = max(self.nextID, job.id.rawValue + 1)
        if let parent = job.parent, self.records[parent.subtask.job] != nil {
            self.children[parent, default: []].insert(job.id)
            self.records[parent.subtask.job]!.openChildJobs += 1
        }
    }

    /// Forgets a complete job; its parent job (if still tracked) counts one nested job fewer and
    /// is flushed again (it may complete now).
    mutating func forget(_ id: JobID) -> JobRecord? {
        guard let job = self.records.removeValue(forKey: id) else { return nil }
        if let parent = job.parent, self.records[parent.subtask.job] != nil {
            self.records[parent.subtask.job]!.openChildJobs -= 1
            self.dirty.insert(parent.subtask.job)
        }
        return job
    }

    /// Whether any attempt has nested jobs (a cheap check before ``takeChildren(of:)``).
    var hasNestedJobs: Bool { !self.children.isEmpty }

    /// The nested jobs `attempt` submitted, in id order, unlinked from it (the attempt ended).
    mutating func takeChildren(of attempt: AttemptRef) -> [JobID] {
        guard let children = self.children.removeValue(forKey: attempt) else { return [] }
        return children.sorted()
    }

    // MARK: Flush bookkeeping

    /// Marks a job to be flushed (its outbox sent, its completion checked).
    mutating func markDirty(_ id: JobID) { self.dirty.insert(id) }

    /// Whether any job waits to be flushed.
    var hasDirty: Bool { !self.dirty.isEmpty }

    /// The jobs to flush, in id order; none are left marked.
    mutating func takeDirty() -> [JobID] {
        let dirty = self.dirty.sorted()
        self.dirty.removeAll(keepingCapacity: true)
        return dirty
    }
}
