/// Why a journal cannot be used: what is wrong, and with which file.
///
/// The ``description`` always names the file, e.g.
/// `journal /var/lib/herd/j.db: written by a newer Herd (format 2; this one reads 1)`.
/// Two errors are equal when their codes are equal (the path and message are for people).
public struct JournalError: Error, CustomStringConvertible, Hashable, Sendable {
    /// What kind of failure this is; compare against the static members (`.corrupt`, `.inUse`…).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case cannotOpen, notAJournal, newerVersion, corrupt, inUse, io, closed
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The file (or a parent directory) could not be created or opened.
        public static let cannotOpen = Code(.cannotOpen)
        /// The file is not a SQLite database, or is one that belongs to another application.
        public static let notAJournal = Code(.notAJournal)
        /// The journal was written by a newer Herd, in a format this one cannot read.
        public static let newerVersion = Code(.newerVersion)
        /// The journal is damaged (truncated, overwritten, missing its tables).
        public static let corrupt = Code(.corrupt)
        /// Another process (or another store in this process) has the journal open.
        public static let inUse = Code(.inUse)
        /// A read or write failed (disk full, I/O error…); the transaction was rolled back.
        public static let io = Code(.io)
        /// The store was closed.
        public static let closed = Code(.closed)

        public var description: String {
            switch self.value {
            case .cannotOpen: "cannotOpen"
            case .notAJournal: "notAJournal"
            case .newerVersion: "newerVersion"
            case .corrupt: "corrupt"
            case .inUse: "inUse"
            case .io: "io"
            case .closed: "closed"
            }
        }
    }

    /// What kind of failure this is.
    public let code: Code
    /// The journal's path, as given to ``JournalStore/init(path:durability:)``.
    public let path: String
    /// What is wrong, for people (e.g. `written by a newer Herd (format 2; this one reads 1)`).
    public let message: String
    /// SQLite's extended result code, when SQLite reported the failure.
    public let sqliteCode: Int32?

    /// Creates an error.
    public init(_ code: Code, path: String, message: String, sqliteCode: Int32? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.sqliteCode = sqliteCode
    }

    /// A journal written in `found`, newer than the `supported` format.
    static func newerVersion(path: String, found: Int32, supported: Int32) -> JournalError {
        JournalError(
            .newerVersion,
            path: path,
            message: "written by a newer Herd (format \(found); this one reads \(supported))"
        )
    }

    /// `"journal <path>: <message>"`.
    public var description: String { "journal \(self.path): \(self.message)" }

    public static func == (lhs: JournalError, rhs: JournalError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}
