import CSQLite

/// A failed SQLite call: its extended result code and SQLite's message. Internal: the store turns
/// it into a ``JournalError`` that names the file.
struct SQLiteError: Error, CustomStringConvertible {
    /// The extended result code (`sqlite3_extended_errcode`).
    let code: Int32
    /// SQLite's message (`sqlite3_errmsg`), or `sqlite3_errstr(code)` when there is no connection.
    let message: String
    /// What was being done, e.g. `"prepare(INSERT INTO entries…)"`.
    let operation: String

    /// The primary result code (`SQLITE_CORRUPT`, `SQLITE_BUSY`…), without the extended bits.
    var primary: Int32 { self.code & 0xFF }

    /// `"<operation>: <message> (sqlite code <code>)"`.
    var description: String { "\(self.operation): \(self.message) (sqlite code \(self.code))" }

    /// The error the connection `db` just reported.
    static func last(_ db: OpaquePointer?, code: Int32, _ operation: String) -> SQLiteError {
        let message: String
        if let db, let text = sqlite3_errmsg(db) {
            message = String(cString: text)
        } else if let text = sqlite3_errstr(code) {
            message = String(cString: text)
        } else {
            message = "unknown error"
        }
        let extended = db.map { sqlite3_extended_errcode($0) } ?? code
        return SQLiteError(
            code: (extended & 0xFF) == (code & 0xFF) ? extended : code,
            message: message,
            operation: operation
        )
    }
}
