/// The bytes of a ``JournalRecord``: a format byte, a kind byte, then the record's fields in the
/// wire protocol's primitives (docs/PROTOCOL.md; submissions and results exactly as their wire
/// bodies). Decoding never traps: a record that does not decode is an error naming what is wrong.
public enum JournalCodec {
    /// The record format this build writes and reads.
    public static let formatVersion: UInt8 = 1

    enum Kind: UInt8 {
        case jobAccepted = 1
        case resultsCommitted = 2
        case jobEnded = 3
        case jobFinished = 4
        case breakerCommand = 5
    }

    /// Encodes one record.
    public static func encode(_ record: JournalRecord) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.u8(Self.formatVersion)
        switch record {
        case .jobAccepted(let job, let client, let deadline, let submission):
            writer.u8(Kind.jobAccepted.rawValue)
            writer.u64(job.rawValue)
            writer.blob(client.bytes)
            writer.optionalU64(deadline.map { UInt64(bitPattern: $0.nanoseconds) })
            writer.body(.submit(submission))
        case .resultsCommitted(let job, let results, let usage):
            writer.u8(Kind.resultsCommitted.rawValue)
            writer.u64(job.rawValue)
            writer.u64(usage)
            writer.body(.jobResults(results))
        case .jobEnded(let job, let reason):
            writer.u8(Kind.jobEnded.rawValue)
            writer.u64(job.rawValue)
            writer.failure(reason)
        case .jobFinished(let summary, let at):
            writer.u8(Kind.jobFinished.rawValue)
            writer.u64(UInt64(bitPattern: at.nanoseconds))
            writer.body(.jobFinished(summary))
        case .breakerCommand(let action, let path):
            writer.u8(Kind.breakerCommand.rawValue)
            writer.u8(action.rawValue)
            writer.text(path)
        }
        return writer.bytes
    }

    /// Decodes one record.
    ///
    /// - Throws: ``ProtocolError`` (`unsupportedVersion` for a record of a newer format,
    ///   `malformed` for anything else that is not a whole record), its message saying where.
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> JournalRecord {
        try bytes.withUnsafeBufferPointer { (buffer) throws(ProtocolError) -> JournalRecord in
            var reader = ByteReader(buffer, command: "journal record")
            let format = try reader.u8("format")
            guard format == Self.formatVersion else {
                throw ProtocolError(
                    .unsupportedVersion,
                    "journal record of format \(format); this Herd reads format \(Self.formatVersion)"
                )
            }
            let code = try reader.u8("kind")
            guard let kind = Kind(rawValue: code) else { throw reader.malformed("unknown record kind \(code)") }
            let record: JournalRecord
            switch kind {
            case .jobAccepted:
                let job = JobID(try reader.u64("job"))
                let client = PeerID(try reader.blob("client"))
                let deadline = try reader.optionalU64("deadline").map { Instant(nanoseconds: Int64(bitPattern: $0)) }
                guard case .submit(let submission) = try reader.body(.submit) else {
                    throw reader.malformed("not a submission")
                }
                record = .jobAccepted(job, client: client, deadline: deadline, submission)
            case .resultsCommitted:
                let job = JobID(try reader.u64("job"))
                let usage = try reader.u64("usage")
                guard case .jobResults(let results) = try reader.body(.jobResults) else {
                    throw reader.malformed("not results")
                }
                record = .resultsCommitted(job, results, usage: usage)
            case .jobEnded:
                let job = JobID(try reader.u64("job"))
                record = .jobEnded(job, reason: try reader.failure())
            case .jobFinished:
                let at = Instant(nanoseconds: Int64(bitPattern: try reader.u64("at")))
                guard case .jobFinished(let summary) = try reader.body(.jobFinished) else {
                    throw reader.malformed("not a summary")
                }
                record = .jobFinished(summary, at: at)
            case .breakerCommand:
                let code = try reader.u8("action")
                guard let action = BreakerCommand.Action(rawValue: code) else {
                    throw reader.malformed("unknown breaker action \(code)")
                }
                record = .breakerCommand(action, path: try reader.text("path"))
            }
            try reader.finish()
            return record
        }
    }
}
