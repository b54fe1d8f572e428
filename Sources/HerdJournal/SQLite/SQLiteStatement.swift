import CSQLite

/// A prepared statement, reused across calls: bind, step, read columns, ``reset()``.
///
/// Keeps its connection alive; finalized when released.
final class SQLiteStatement {
    private let handle: OpaquePointer
    private let connection: SQLiteConnection
    let sql: String

    init(_ handle: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(self.handle) }

    /// Binds an integer to the 1-based parameter `index`.
    func bind(_ value: Int64, at index: Int32) throws(SQLiteError) {
        try self.check(sqlite3_bind_int64(self.handle, index, value), "bind")
    }

    /// Runs the statement to its next row: `true` if a row is ready, `false` when done.
    ///
    /// `bytes` is bound as a blob to parameter `index` for this step only (bound without a copy,
    /// and unbound before returning, so the buffer never outlives the call).
    func step(binding bytes: [UInt8], at index: Int32) throws(SQLiteError) -> Bool {
        let rc: Int32 = bytes.withUnsafeBytes { buffer in
            // An empty array may have no base address, which SQLite would bind as NULL.
            let bound =
                buffer.baseAddress.map { sqlite3_bind_blob64(self.handle, index, $0, UInt64(buffer.count), nil) }
                ?? sqlite3_bind_zeroblob(self.handle, index, 0)
            guard bound == SQLITE_OK else { return bound }
            let rc = sqlite3_step(self.handle)
            sqlite3_bind_null(self.handle, index)
            return rc
        }
        return try self.result(rc)
    }

    /// Runs the statement to its next row: `true` if a row is ready, `false` when done.
    func step() throws(SQLiteError) -> Bool {
        try self.result(sqlite3_step(self.handle))
    }

    /// Resets the statement for its next use (bindings are kept).
    func reset() {
        sqlite3_reset(self.handle)
    }

    /// The integer in column `index` of the current row.
    func int64(at index: Int32) -> Int64 {
        sqlite3_column_int64(self.handle, index)
    }

    /// The text in column `index` of the current row (e.g. a pragma's answer).
    func text(at index: Int32) -> String {
        guard let pointer = sqlite3_column_text(self.handle, index) else { return "" }
        return String(cString: pointer)
    }

    /// The bytes in column `index` of the current row (a copy).
    func bytes(at index: Int32) -> [UInt8] {
        // The pointer first, then the count (the order SQLite documents).
        guard let pointer = sqlite3_column_blob(self.handle, index) else { return [] }
        let count = Int(sqlite3_column_bytes(self.handle, index))
        return [UInt8](UnsafeRawBufferPointer(start: pointer, count: count))
    }

    private func result(_ rc: Int32) throws(SQLiteError) -> Bool {
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = SQLiteError.last(self.connection.handle, code: rc, self.sql)
            sqlite3_reset(self.handle)
            throw error
        }
    }

    private func check(_ rc: Int32, _ operation: String) throws(SQLiteError) {
        guard rc == SQLITE_OK else {
            throw SQLiteError.last(self.connection.handle, code: rc, "\(operation)(\(self.sql))")
        }
    }
}
