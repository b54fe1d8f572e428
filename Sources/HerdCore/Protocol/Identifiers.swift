/// The identity of a ZeroMQ peer as the coordinator's ROUTER socket sees it (its routing id).
///
/// Workers and clients set their routing id themselves (see docs/PROTOCOL.md), so a peer keeps its
/// identity across reconnects.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ string: String) { self.bytes = Array(string.utf8) }

    public var description: String { String(decoding: self.bytes, as: UTF8.self) }
}

/// A job, numbered by the coordinator that accepted it.
public struct JobID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: JobID, rhs: JobID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "j\(self.rawValue)" }
}

/// One subtask of a job: the job and the subtask's index in it (0-based).
public struct SubtaskRef: Hashable, Sendable, CustomStringConvertible {
    public var job: JobID
    public var index: UInt32

    public init(job: JobID, index: UInt32) {
        self.job = job
        self.index = index
    }

    public var description: String { "\(self.job)/\(self.index)" }
}
