import Foundation
import HerdJournal
import Testing

/// Files that are not usable journals give a clear error that names the file; nothing traps.
@Suite struct JournalErrorTests {
    /// A real journal whose format version was raised to 2 (by hand, through the C API).
    @Test func test_init_newerFormat_throwsNewerVersionNamingTheFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("j.journal")
            let store = try JournalStore(path: path)
            try store.write([JournalEntry(job: 1, body: bytes("x"))], forgetting: [])
            store.close()
            rawSQL(path, "PRAGMA user_version=2")

            let error = journalError { _ = try JournalStore(path: path) }
            #expect(error?.code == .newerVersion)
            #expect(error?.description == "journal \(path): written by a newer Herd (format 2; this one reads 1)")
        }
    }

    /// Random bytes are not a SQLite database.
    @Test func test_init_randomBytes_throwsNotAJournal() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("random.journal")
            var generator = SystemRandomNumberGenerator()
            let noise = (0 ..< 8_192).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            try Data(noise).write(to: URL(fileURLWithPath: path))

            let error = journalError { _ = try JournalStore(path: path) }
            #expect(error?.code == .notAJournal)
            #expect(error?.description.hasPrefix("journal \(path): not a Herd journal") == true)
            // The file is left as it was.
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(noise))
        }
    }

    /// A short text file is not a SQLite database either.
    @Test func test_init_textFile_throwsNotAJournal() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("notes.txt")
            try "hello\n".write(toFile: path, atomically: true, encoding: .utf8)
            let error = journalError { _ = try JournalStore(path: path) }
            #expect(error?.code == .notAJournal)
            #expect(error?.description.contains(path) == true)
        }
    }

    /// Another application's SQLite database, with tables and data, is refused untouched.
    @Test func test_init_otherApplicationsDatabase_throwsNotAJournal() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("other.db")
            rawSQL(
                path,
                "CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes(text) VALUES ('keep me')"
            )
            let error = journalError { _ = try JournalStore(path: path) }
            #expect(error?.code == .notAJournal)
            #expect(
                error?.description
                    == "journal \(path): not a Herd journal (a SQLite database with application_id 0x00000000; a Herd journal has 0x48657264)"
            )
            rawSQL(path, "SELECT text FROM notes")
        }
    }

    /// An empty SQLite database that is not ours (a header and no tables) is not taken over either.
    @Test func test_init_emptyForeignDatabase_throwsNotAJournal() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("empty.db")
            rawSQL(path, "PRAGMA application_id=1234; VACUUM")
            #expect(FileSystemProbe.size(path) > 0)
            let error = journalError { _ = try JournalStore(path: path) }
            #expect(error?.code == .notAJournal)
            #expect(error?.description.contains("application_id 0x000004d2") == true)
        }
    }

    /// A journal cut to half its size is reported as damaged, at open or at the latest when read.
    @Test func test_init_truncatedJournal_throwsCorrupt() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("j.journal")
            let store = try JournalStore(path: path)
            for batch in 0 ..< 50 {
                try store.write(
                    (0 ..< 100).map {
                        JournalEntry(job: UInt64($0), body: bytes("batch \(batch) entry \($0) padding padding"))
                    },
                    forgetting: []
                )
            }
            store.close()
            try FileSystemProbe.truncate(path, to: FileSystemProbe.size(path) / 2)

            let error = journalError {
                let reopened = try JournalStore(path: path)
                defer { reopened.close() }
                _ = try reopened.readAll()
            }
            #expect(error?.code == .corrupt)
            #expect(error?.description.hasPrefix("journal \(path): damaged") == true)
        }
    }

    /// A Herd header over a database whose tables are gone is damaged, not "not ours".
    @Test func test_init_missingTables_throwsCorrupt() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("j.journal")
            try JournalStore(path: path).close()
            rawSQL(path, "DROP TABLE entries")
            let error = journalError { _ = try JournalStore(path: path) }
            #expect(error?.code == .corrupt)
            #expect(error?.description.contains(path) == true)
        }
    }

    /// A path whose parent is a file, and a path that is a directory, cannot be opened.
    @Test func test_init_unusablePath_throwsCannotOpen() throws {
        try withTemporaryDirectory { directory in
            try "x".write(toFile: directory.file("file"), atomically: true, encoding: .utf8)
            let underFile = journalError { _ = try JournalStore(path: directory.file("file/j.journal")) }
            #expect(underFile?.code == .cannotOpen)
            #expect(underFile?.description.contains(directory.file("file")) == true)
            let isDirectory = journalError { _ = try JournalStore(path: directory.path) }
            #expect(isDirectory?.code == .cannotOpen)
            #expect(isDirectory?.description.contains(directory.path) == true)
        }
    }
}
