/// A structured log line decided by the core and written by the shell (swift-log).
///
/// The core only says *what* happened; the shell adds its logger's labels and writes it.
public struct LogLine: Hashable, Sendable, CustomStringConvertible {
    /// Severity, mapped one-to-one onto swift-log's levels by the shell.
    public enum Level: Int, Hashable, Sendable, Comparable {
        case trace, debug, info, notice, warning, error

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public var level: Level
    public var message: String
    /// Ids that tie the line to its job, subtask, attempt or worker (`job`, `subtask`, `attempt`, `worker`, ...).
    public var metadata: [String: String]

    public init(_ level: Level, _ message: String, _ metadata: [String: String] = [:]) {
        self.level = level
        self.message = message
        self.metadata = metadata
    }

    public var description: String {
        let meta = self.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return meta.isEmpty ? "[\(self.level)] \(self.message)" : "[\(self.level)] \(self.message) \(meta)"
    }
}
