import CSQLite
import Foundation
import HerdJournal
import Testing

/// A fresh directory under the system's temporary directory, removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init() throws {
        self.path =
            FileManager.default.temporaryDirectory.appendingPathComponent("herd-journal-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    func file(_ name: String) -> String { self.path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: self.path) }
}

/// Runs `body` with a fresh temporary directory and always removes it.
func withTemporaryDirectory<R>(_ body: (TemporaryDirectory) throws -> R) throws -> R {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    return try body(directory)
}

/// Runs `sql` on the SQLite database at `path` with the C API directly (creating the file if absent),
/// for tests that forge or tamper with a journal.
func rawSQL(_ path: String, _ sql: String) {
    var db: OpaquePointer?
    precondition(sqlite3_open(path, &db) == SQLITE_OK, "sqlite3_open(\(path))")
    defer { sqlite3_close(db) }
    var message: UnsafeMutablePointer<CChar>?
    let rc = sqlite3_exec(db, sql, nil, nil, &message)
    precondition(rc == SQLITE_OK, "\(sql): \(message.map { String(cString: $0) } ?? "")")
}

/// The bytes of a string, for readable bodies.
func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

/// The journal error `body` throws, or `nil` (any other error is recorded as a test failure).
func journalError(_ body: () throws -> Void) -> JournalError? {
    do {
        try body()
        return nil
    } catch let error as JournalError {
        return error
    } catch {
        Issue.record("not a JournalError: \(error)")
        return nil
    }
}
