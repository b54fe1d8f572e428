import CSQLite

/// The open journal: a SQLite connection, its prepared statements and the counters the
/// compaction policy needs. Internal and not thread-safe: ``JournalStore`` owns it behind a lock.
final class JournalDatabase {
    /// `PRAGMA application_id` of every Herd journal: "Herd" in ASCII.
    static let applicationID: Int32 = 0x4865_7264
    /// `PRAGMA user_version`: the format this Herd writes and reads.
    static let formatVersion: Int32 = 1
    /// Writes between two looks at the free pages (see ``write(_:forgetting:)``).
    static let vacuumCheckInterval = 1_000
    /// The WAL's size after a checkpoint, at most (`journal_size_limit`).
    static let walSizeLimit = 4 << 20
    /// SQLite's page cache, in KiB (`cache_size`).
    static let cacheKiB = 8 << 10
    /// Free pages below which a write does not vacuum (1 MiB of 4 KiB pages).
    static let minimumFreePagesToVacuum: Int64 = 256

    let path: String
    private let connection: SQLiteConnection
    private let begin: SQLiteStatement
    private let commit: SQLiteStatement
    private let rollback: SQLiteStatement
    private let insert: SQLiteStatement
    private let forget: SQLiteStatement
    private let selectAll: SQLiteStatement
    /// Rows in `entries`, kept up to date by ``write(_:forgetting:)``.
    private(set) var entryCount: Int
    private var writesSinceVacuumCheck = 0

    // MARK: - Opening

    /// Opens or creates the journal at `path`; see ``JournalStore/init(path:durability:)``.
    init(path: String, durability: JournalStore.Durability) throws(JournalError) {
        self.path = path
        if let problem = FileSystem.createParentDirectories(of: path) {
            throw JournalError(.cannotOpen, path: path, message: problem)
        }
        let connection: SQLiteConnection
        do {
            connection = try SQLiteConnection(path: path)
        } catch {
            throw Self.journalError(error, path: path, while: "opening")
        }
        self.connection = connection
        do {
            // Before the first access: the file stays locked by this connection until it closes
            // (a second coordinator on the same journal fails at once), and WAL needs no -shm file.
            try connection.execute("PRAGMA locking_mode=EXCLUSIVE")
            // The first read: SQLite checks the header here (and rolls back a hot journal).
            if try connection.integer("PRAGMA page_count") == 0 {
                try Self.create(connection)
            } else {
                try Self.checkFormat(connection, path: path)
            }
            let mode = try connection.text("PRAGMA journal_mode=WAL")
            guard mode.lowercased() == "wal" else {
                throw JournalError(.io, path: path, message: "cannot switch to WAL mode (journal_mode is \(mode))")
            }
            try connection.execute("PRAGMA synchronous=\(durability.pragma)")
            // After a checkpoint, a WAL that grew past this is truncated back to it (SQLite
            // checkpoints by itself every 1,000 pages of WAL, so this bounds the WAL between two).
            try connection.execute("PRAGMA journal_size_limit=\(Self.walSizeLimit)")
            // Room for the hot pages (the tail of the table, the leaves of the job index) between
            // commits; SQLite's default is 2 MiB.
            try connection.execute("PRAGMA cache_size=-\(Self.cacheKiB)")
            self.begin = try connection.prepare("BEGIN IMMEDIATE")
            self.commit = try connection.prepare("COMMIT")
            self.rollback = try connection.prepare("ROLLBACK")
            self.insert = try connection.prepare("INSERT INTO entries(job, body) VALUES (?1, ?2)")
            self.forget = try connection.prepare("DELETE FROM entries WHERE job = ?1")
            self.selectAll = try connection.prepare("SELECT job, body FROM entries ORDER BY seq")
            self.entryCount = Int(try connection.integer("SELECT count(*) FROM entries"))
        } catch let error as JournalError {
            throw error
        } catch let error as SQLiteError {
            if error.primary == SQLITE_ERROR {
                // A Herd header but statements that do not compile: the tables are gone or altered.
                throw JournalError(.corrupt, path: path, message: "damaged: \(error.message)", sqliteCode: error.code)
            }
            throw Self.journalError(error, path: path, while: "opening")
        } catch {
            throw JournalError(.io, path: path, message: "\(error)")
        }
    }

    /// Creates the schema in an empty database, in one transaction (a crash leaves no half journal).
    private static func create(_ connection: SQLiteConnection) throws(SQLiteError) {
        // Only takes effect before the first table exists.
        try connection.execute("PRAGMA auto_vacuum=INCREMENTAL")
        try connection.execute(
            """
            BEGIN IMMEDIATE;
            PRAGMA application_id=\(Self.applicationID);
            PRAGMA user_version=\(Self.formatVersion);
            CREATE TABLE entries(seq INTEGER PRIMARY KEY, job INTEGER NOT NULL, body BLOB NOT NULL);
            CREATE INDEX entries_by_job ON entries(job);
            COMMIT;
            """
        )
    }

    /// Checks that an existing database is a Herd journal in a format this Herd reads.
    private static func checkFormat(_ connection: SQLiteConnection, path: String) throws -> Void {
        let application = Int32(truncatingIfNeeded: try connection.integer("PRAGMA application_id"))
        guard application == Self.applicationID else {
            throw JournalError(
                .notAJournal,
                path: path,
                message: "not a Herd journal (a SQLite database with application_id \(hex(application)); "
                    + "a Herd journal has \(hex(Self.applicationID)))"
            )
        }
        let version = Int32(truncatingIfNeeded: try connection.integer("PRAGMA user_version"))
        if version > Self.formatVersion {
            throw JournalError.newerVersion(path: path, found: version, supported: Self.formatVersion)
        }
        guard version == Self.formatVersion else {
            throw JournalError(
                .corrupt,
                path: path,
                message: "damaged: unknown format \(version) (this Herd reads \(Self.formatVersion))"
            )
        }
    }

    // MARK: - Reading and writing

    /// Appends `entries`, then deletes every row of `jobs`, in one transaction.
    func write(_ entries: [JournalEntry], forgetting jobs: [UInt64]) throws(JournalError) {
        guard !entries.isEmpty || !jobs.isEmpty else { return }
        var removed = 0
        do {
            try self.run(self.begin)
            for entry in entries {
                try self.insert.bind(Int64(bitPattern: entry.job), at: 1)
                _ = try self.insert.step(binding: entry.body, at: 2)
                self.insert.reset()
            }
            for job in jobs {
                try self.forget.bind(Int64(bitPattern: job), at: 1)
                _ = try self.forget.step()
                removed += self.connection.changes
                self.forget.reset()
            }
            try self.run(self.commit)
        } catch {
            self.insert.reset()
            self.forget.reset()
            if !self.connection.isAutocommit { try? self.run(self.rollback) }
            throw Self.journalError(error, path: self.path, while: "writing")
        }
        self.entryCount += entries.count - removed
        self.writesSinceVacuumCheck += 1
        if self.writesSinceVacuumCheck >= Self.vacuumCheckInterval {
            self.writesSinceVacuumCheck = 0
            // Best effort: the commit above stands whether or not this succeeds.
            try? self.vacuumIfWorthIt()
        }
    }

    /// Every entry, in write order.
    func readAll() throws(JournalError) -> [JournalEntry] {
        var entries: [JournalEntry] = []
        entries.reserveCapacity(self.entryCount)
        defer { self.selectAll.reset() }
        do {
            while try self.selectAll.step() {
                entries.append(
                    JournalEntry(
                        job: UInt64(bitPattern: self.selectAll.int64(at: 0)),
                        body: self.selectAll.bytes(at: 1)
                    )
                )
            }
        } catch {
            throw Self.journalError(error, path: self.path, while: "reading")
        }
        return entries
    }

    /// Bytes of the database file and its WAL.
    var bytesOnDisk: Int64 { FileSystem.size(of: self.path) + FileSystem.size(of: self.path + "-wal") }

    // MARK: - Compaction

    /// Returns the free pages to the file system (`incremental_vacuum`) when they are at least a
    /// quarter of the file and 1 MiB: forgotten jobs leave free pages, which new entries reuse
    /// first, so a journal whose jobs come and go stays near its working size without this; it
    /// matters after a burst (many jobs, then few).
    private func vacuumIfWorthIt() throws(SQLiteError) {
        let free = try self.connection.integer("PRAGMA freelist_count")
        let pages = try self.connection.integer("PRAGMA page_count")
        if free >= Self.minimumFreePagesToVacuum && free * 4 >= pages {
            try self.connection.execute("PRAGMA incremental_vacuum")
        }
    }

    /// Returns every free page to the file system, then checkpoints the WAL into the database and
    /// truncates it to zero bytes.
    func compact() throws(JournalError) {
        do {
            try self.connection.execute("PRAGMA incremental_vacuum")
            try self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        } catch {
            throw Self.journalError(error, path: self.path, while: "compacting")
        }
    }

    /// Compacts (best effort), and closes; SQLite then removes the WAL file.
    func close() {
        try? self.compact()
        // The statements are finalized when this object goes; sqlite3_close_v2 waits for them.
        self.connection.close()
    }

    // MARK: - Errors

    private func run(_ statement: SQLiteStatement) throws(SQLiteError) {
        defer { statement.reset() }
        _ = try statement.step()
    }

    /// The journal error for a SQLite failure, by SQLite's primary result code.
    static func journalError(_ error: SQLiteError, path: String, while doing: String) -> JournalError {
        let detail = "\(error.message) (while \(doing); sqlite code \(error.code))"
        switch error.primary {
        case SQLITE_NOTADB:
            return JournalError(
                .notAJournal,
                path: path,
                message: "not a Herd journal (not a SQLite database: \(detail))",
                sqliteCode: error.code
            )
        case SQLITE_CORRUPT:
            return JournalError(.corrupt, path: path, message: "damaged: \(detail)", sqliteCode: error.code)
        case SQLITE_BUSY, SQLITE_LOCKED:
            return JournalError(
                .inUse,
                path: path,
                message: "in use by another process (one coordinator per journal): \(detail)",
                sqliteCode: error.code
            )
        case SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_READONLY, SQLITE_AUTH:
            return JournalError(.cannotOpen, path: path, message: "cannot open: \(detail)", sqliteCode: error.code)
        default:
            return JournalError(.io, path: path, message: "\(detail)", sqliteCode: error.code)
        }
    }
}

/// `0x48657264`.
private func hex(_ value: Int32) -> String {
    let digits = String(UInt32(bitPattern: value), radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
