import CSQLite

/// One open SQLite database handle, closed when released (or by ``close()``).
///
/// Not thread-safe by itself (it is opened `SQLITE_OPEN_NOMUTEX`): its owner serialises every use
/// (``JournalStore`` keeps it behind a `Mutex`).
final class SQLiteConnection {
    private(set) var handle: OpaquePointer?

    /// Opens (creating if absent) the database file at `path`.
    init(path: String) throws(SQLiteError) {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK else {
            let error = SQLiteError.last(db, code: rc, "open")
            sqlite3_close_v2(db)  // a handle is returned even on failure
            throw error
        }
        self.handle = db
    }

    deinit { self.close() }

    /// Closes the handle; statements still alive keep it until they are finalized (`sqlite3_close_v2`).
    func close() {
        if let handle = self.handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    /// Runs one or more statements that return no rows we need (pragmas, DDL).
    func execute(_ sql: String) throws(SQLiteError) {
        let rc = sqlite3_exec(self.handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw SQLiteError.last(self.handle, code: rc, sql) }
    }

    /// Runs a statement that returns one integer (a pragma such as `user_version`, or a count).
    func integer(_ sql: String) throws(SQLiteError) -> Int64 {
        let statement = try self.prepare(sql)
        guard try statement.step() else {
            throw SQLiteError(code: SQLITE_ERROR, message: "no row", operation: sql)
        }
        return statement.int64(at: 0)
    }

    /// Runs a statement that returns one text value (a pragma such as `journal_mode`).
    func text(_ sql: String) throws(SQLiteError) -> String {
        let statement = try self.prepare(sql)
        guard try statement.step() else {
            throw SQLiteError(code: SQLITE_ERROR, message: "no row", operation: sql)
        }
        return statement.text(at: 0)
    }

    /// Compiles `sql` into a reusable statement.
    func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(self.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw SQLiteError.last(self.handle, code: rc, "prepare(\(sql))") }
        return SQLiteStatement(statement, connection: self, sql: sql)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes64(self.handle)) }

    /// Whether no transaction is open.
    var isAutocommit: Bool { sqlite3_get_autocommit(self.handle) != 0 }
}
