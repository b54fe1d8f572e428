import HerdJournal
import Testing

@Suite struct JournalStoreTests {
    /// Batches written, closed and reopened come back exactly, in write order.
    @Test func test_write_thenReopen_readAllReturnsEverythingInOrder() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("j.journal")
            var written: [JournalEntry] = []
            let store = try JournalStore(path: path)
            for batch in 0 ..< 20 {
                let entries = (0 ..< batch).map { JournalEntry(job: UInt64($0 % 4), body: bytes("b\(batch)e\($0)")) }
                try store.write(entries, forgetting: [])
                written += entries
            }
            #expect(try store.readAll() == written)
            store.close()

            let reopened = try JournalStore(path: path)
            defer { reopened.close() }
            #expect(try reopened.readAll() == written)
            #expect(reopened.size().entries == written.count)
            // Writing after a reopen keeps appending after the old entries.
            try reopened.write([JournalEntry(job: 9, body: bytes("last"))], forgetting: [])
            #expect(try reopened.readAll() == written + [JournalEntry(job: 9, body: bytes("last"))])
        }
    }

    /// Forgetting a job removes exactly its rows (also those written in the same call), and nothing else.
    @Test func test_write_forgettingJobs_removesExactlyTheirRows() throws {
        try withTemporaryDirectory { directory in
            let store = try JournalStore(path: directory.file("j.journal"))
            defer { store.close() }
            let first = [
                JournalEntry(job: 0, body: bytes("drain w1")),
                JournalEntry(job: 1, body: bytes("submit 1")),
                JournalEntry(job: 2, body: bytes("submit 2")),
                JournalEntry(job: 1, body: bytes("result 1.0")),
                JournalEntry(job: 3, body: bytes("submit 3")),
            ]
            try store.write(first, forgetting: [])
            try store.write(
                [JournalEntry(job: 1, body: bytes("result 1.1")), JournalEntry(job: 2, body: bytes("result 2.0"))],
                forgetting: [1, 77]
            )
            #expect(
                try store.readAll() == [first[0], first[2], first[4], JournalEntry(job: 2, body: bytes("result 2.0"))]
            )
            #expect(store.size().entries == 4)
            try store.write([], forgetting: [2, 3])
            #expect(try store.readAll() == [first[0]])
            #expect(store.size().entries == 1)
        }
    }

    /// Empty bodies, large bodies and every job id (job ids above `Int64.max` included) round-trip.
    @Test func test_write_edgeValues_roundTrip() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("j.journal")
            let entries = [
                JournalEntry(job: 0, body: []),
                JournalEntry(job: UInt64.max, body: [0, 255, 0]),
                JournalEntry(job: UInt64(Int64.max) + 1, body: [UInt8](repeating: 7, count: 1 << 20)),
            ]
            let store = try JournalStore(path: path)
            try store.write(entries, forgetting: [])
            store.close()
            let reopened = try JournalStore(path: path)
            defer { reopened.close() }
            #expect(try reopened.readAll() == entries)
            try reopened.write([], forgetting: [UInt64.max])
            #expect(try reopened.readAll() == [entries[0], entries[2]])
        }
    }

    /// A journal in directories that do not exist yet creates them.
    @Test func test_init_missingParentDirectories_createsThem() throws {
        try withTemporaryDirectory { directory in
            let store = try JournalStore(path: directory.file("a/b/c/j.journal"))
            try store.write([JournalEntry(job: 1, body: bytes("x"))], forgetting: [])
            store.close()
            #expect(try JournalStore(path: directory.file("a/b/c/j.journal")).readAll().count == 1)
        }
    }

    /// A second store on an open journal (another coordinator) is refused, and the first keeps working.
    @Test func test_init_journalAlreadyOpen_throwsInUse() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("j.journal")
            let store = try JournalStore(path: path)
            defer { store.close() }
            try store.write([JournalEntry(job: 1, body: bytes("x"))], forgetting: [])
            let error = journalError { _ = try JournalStore(path: path) }
            #expect(error?.code == .inUse)
            #expect(error?.description.contains(path) == true)
            try store.write([JournalEntry(job: 2, body: bytes("y"))], forgetting: [])
            #expect(try store.readAll().count == 2)
        }
    }

    /// After `close`, calls throw `closed`, `size` still answers, and closing again is harmless;
    /// the WAL file is gone.
    @Test func test_close_thenUse_throwsClosed() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("j.journal")
            let store = try JournalStore(path: path)
            try store.write([JournalEntry(job: 1, body: bytes("x"))], forgetting: [])
            store.close()
            store.close()
            #expect(journalError { try store.write([], forgetting: [1]) }?.code == .closed)
            #expect(journalError { _ = try store.readAll() }?.code == .closed)
            #expect(store.size().entries == 0)
            #expect(store.size().bytes > 0)
            #expect(FileSystemProbe.exists(path + "-wal") == false)
        }
    }

    /// `size` counts entries exactly and the bytes of the database and its WAL.
    @Test func test_size_countsEntriesAndBytes() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("j.journal")
            let store = try JournalStore(path: path)
            defer { store.close() }
            #expect(store.size().entries == 0)
            try store.write(
                (0 ..< 100).map { JournalEntry(job: UInt64($0 % 3), body: [UInt8](repeating: 1, count: 100)) },
                forgetting: []
            )
            #expect(store.size().entries == 100)
            #expect(store.size().bytes >= 100 * 100)
            #expect(store.size().bytes == FileSystemProbe.size(path) + FileSystemProbe.size(path + "-wal"))
            try store.write([], forgetting: [0])
            #expect(store.size().entries == 66)
        }
    }

    /// Forgetting every job and compacting hands the space back: the file shrinks to a few pages.
    @Test func test_compact_afterForgettingEverything_shrinksTheFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("j.journal")
            let store = try JournalStore(path: path)
            defer { store.close() }
            let body = [UInt8](repeating: 42, count: 1_000)
            for job in 1 ... 50 {
                try store.write((0 ..< 100).map { _ in JournalEntry(job: UInt64(job), body: body) }, forgetting: [])
            }
            try store.compact()
            let full = store.size().bytes
            #expect(full > 5_000_000)
            try store.write([], forgetting: Array(1 ... 50))
            try store.compact()
            #expect(store.size().bytes < full / 20)
            #expect(FileSystemProbe.size(path + "-wal") == 0)
            #expect(try store.readAll().isEmpty)
        }
    }
}
