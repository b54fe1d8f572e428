/// The journal records decided since the last flush, handed to the shell as one
/// ``CoordinatorAction/journal(_:)`` batch (one transaction). Records nothing when the
/// coordinator keeps no journal.
struct JournalBuffer {
    let enabled: Bool
    private var batch = JournalBatch()

    init(enabled: Bool) { self.enabled = enabled }

    /// Records `record` (when journaling).
    mutating func append(_ record: @autoclosure () -> JournalRecord) {
        if self.enabled { self.batch.records.append(record()) }
    }

    /// Drops every record of `jobs` from the journal (when journaling).
    mutating func forget(_ jobs: [JobID]) {
        if self.enabled { self.batch.forgetting.append(contentsOf: jobs) }
    }

    /// The batch decided so far, or `nil` if there is none; the buffer is empty afterwards.
    mutating func take() -> JournalBatch? {
        guard !self.batch.isEmpty else { return nil }
        defer { self.batch = JournalBatch() }
        return self.batch
    }
}
