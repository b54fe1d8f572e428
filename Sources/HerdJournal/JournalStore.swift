import Synchronization

/// The coordinator's journal: opaque records (``JournalEntry``) stored durably in one SQLite
/// file, written in group commits and read back whole on restart.
///
/// ## Storage
///
/// SQLite in WAL mode, through the system `libsqlite3` (Debian `libsqlite3-dev`, the `CSQLite`
/// target): embedded, no server, crash-safe transactions, no amalgamation to compile on every
/// cold build (sqlite-nio) and no large dependency (GRDB) for a dozen statements.
///
/// - Schema: `entries(seq INTEGER PRIMARY KEY, job INTEGER NOT NULL, body BLOB NOT NULL)` with
///   an index on `job`; `PRAGMA application_id` is `0x48657264` ("Herd") and `PRAGMA
///   user_version` is the format (1). Both live in the file's header and are written in the same
///   transaction as the tables. A non-empty file without Herd's application id is refused ("not
///   a Herd journal"), one with a newer format too ("written by a newer Herd").
/// - Durability: see ``Durability``. The default, `synchronous=NORMAL`, makes a committed write
///   survive `kill -9` of the process without an `fsync` per commit.
/// - Locking: `locking_mode=EXCLUSIVE`, so the file stays locked while the store is open: a second
///   store on the same file (another coordinator) fails with ``JournalError/Code/inUse``.
/// - Compaction: forgetting a job deletes its rows; new rows reuse the freed pages. Every 1,000
///   writes, free pages are handed back to the file system (`auto_vacuum=INCREMENTAL`, `PRAGMA
///   incremental_vacuum`) if they are at least a quarter of the file and 1 MiB. SQLite
///   checkpoints the WAL into the database every 1,000 pages (4 MiB) by itself, and
///   `journal_size_limit` truncates it back to 4 MiB after a larger transaction. ``compact()``
///   and ``close()`` vacuum everything and checkpoint with `TRUNCATE` (WAL to zero bytes).
///
/// ## Threads
///
/// `Sendable`: every call takes a `Mutex`, so the store can be created on one thread and used on
/// another. It is meant to be used by one thread (the coordinator's loop thread), for which the
/// lock is uncontended and costs nanoseconds next to a commit.
public final class JournalStore: Sendable {
    /// The journal file, as given to ``init(path:durability:)``.
    public let path: String
    /// What a committed write survives.
    public let durability: Durability
    /// The format this Herd writes and reads (`PRAGMA user_version`).
    public static let formatVersion = Int(JournalDatabase.formatVersion)
    /// `nil` once closed.
    private let database: Mutex<JournalDatabase?>

    /// Opens a journal, creating it (and its parent directories) if absent.
    ///
    /// - Parameters:
    ///   - path: the journal file; SQLite also keeps `path-wal` beside it while it is open.
    ///   - durability: what a committed write survives; ``Durability/processCrash`` by default.
    /// - Throws: ``JournalError``: the file cannot be created or opened, is not a Herd journal, was
    ///   written by a newer Herd, is damaged, or is in use by another process.
    public init(path: String, durability: Durability = .processCrash) throws(JournalError) {
        self.path = path
        self.durability = durability
        self.database = Mutex(try JournalDatabase(path: path, durability: durability))
    }

    /// Appends `entries` and forgets every entry of the `jobs`, in one transaction.
    ///
    /// Call it once per flush of the event loop (group commit), not per message. Forgetting runs
    /// after appending, so a job both written and forgotten in the same call leaves no rows.
    /// Either the whole call is committed when it returns, or nothing of it is.
    /// - Throws: ``JournalError`` (``JournalError/Code/io`` when the disk is full, for example);
    ///   the transaction has then been rolled back.
    public func write(_ entries: [JournalEntry], forgetting jobs: [UInt64] = []) throws(JournalError) {
        try self.withDatabase { (database) throws(JournalError) in try database.write(entries, forgetting: jobs) }
    }

    /// Every entry, in write order (for the restart).
    /// - Throws: ``JournalError`` if the journal is damaged or cannot be read.
    public func readAll() throws(JournalError) -> [JournalEntry] {
        try self.withDatabase { (database) throws(JournalError) in try database.readAll() }
    }

    /// Bytes on disk (the database and its WAL) and the number of entries, for `herd status`.
    ///
    /// After ``close()``: the file's size and 0 entries.
    public func size() -> (bytes: Int64, entries: Int) {
        self.database.withLock { database in
            guard let database else { return (FileSystem.size(of: self.path), 0) }
            return (database.bytesOnDisk, database.entryCount)
        }
    }

    /// Hands every free page back and checkpoints the WAL into the database, truncating it to zero
    /// bytes (``close()`` does this too; ``write(_:forgetting:)`` vacuums only past a threshold).
    /// - Throws: ``JournalError`` if it fails; what was committed stays committed.
    public func compact() throws(JournalError) {
        try self.withDatabase { (database) throws(JournalError) in try database.compact() }
    }

    /// Checkpoints and closes; every later call but ``size()`` throws ``JournalError/Code/closed``.
    /// Closing twice is harmless.
    public func close() {
        self.database.withLock { database in
            database?.close()
            database = nil
        }
    }

    private func withDatabase<Result: Sendable>(
        _ body: (JournalDatabase) throws(JournalError) -> Result
    ) throws(JournalError) -> Result {
        try self.database.withLock { (database) throws(JournalError) -> Result in
            guard let database else {
                throw JournalError(.closed, path: self.path, message: "the store is closed")
            }
            return try body(database)
        }
    }
}
