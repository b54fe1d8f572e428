/// One stored record: the job it belongs to (0 for cluster-wide records: breaker commands, drains)
/// and its encoded body (opaque to the journal; HerdCore's codec writes and reads it).
public struct JournalEntry: Hashable, Sendable {
    /// The job this record belongs to; ``JournalStore/write(_:forgetting:)`` forgets by job.
    public var job: UInt64
    /// The encoded record.
    public var body: [UInt8]

    /// Creates an entry.
    public init(job: UInt64, body: [UInt8]) {
        self.job = job
        self.body = body
    }
}
