/// Turns a ``Message`` into ZeroMQ frames and back, as specified by docs/PROTOCOL.md.
///
/// A message is two frames (the ZeroMQ routing-id frame that a ROUTER socket adds or removes is
/// not part of it):
///
/// - **Header**, exactly 4 bytes: `'H'` (0x48), `'D'` (0x44), the protocol version
///   (``herdProtocolVersion``) and the command code (``Command``).
/// - **Body**: the command's fields in a fixed order. Integers are little-endian `u8`/`u32`/`u64`;
///   strings and byte blobs are a `u32` length then the bytes; arrays a `u32` count then the
///   elements; optionals a `u8` presence flag (0 or 1) then the value; booleans a `u8` 0 or 1;
///   durations a `u64` count of milliseconds. Commands without fields (``Message/heartbeat``,
///   ``Message/deregister``) are encoded without a body frame; the decoder also accepts an empty one.
///
/// Decoding is total: any input either decodes or throws a ``ProtocolError`` (never traps), and it
/// never allocates from a length or count before checking it against the bytes that remain.
///
/// Limits:
/// - A whole message: `maxBytes` (``defaultMaxMessageBytes``, 64 MiB), checked by ``decode(_:maxBytes:)``.
/// - Names (group, kind, worker id, node, a drain's target, a fallback group): ``maxNameBytes``.
///   The encoder sends an over-long name as is, and the receiver rejects the message with
///   ``ProtocolError/Code/tooLarge``.
/// - A breaker path (`/`, `GROUP` or `GROUP/WORKER`): ``maxBreakerPathBytes``. Like a name, it is
///   sent as is and an over-long one is rejected by the receiver with ``ProtocolError/Code/tooLarge``.
/// - Other strings (failure, error, job-notice and breaker-reply messages, coordinator id, worker
///   state, breaker states): ``maxTextBytes``. The encoder cuts longer text at a Unicode scalar
///   boundary; the decoder rejects it.
/// - Durations are whole milliseconds: the encoder truncates sub-millisecond parts and sends
///   negative durations as zero.
/// - A ``FanoutPolicy/quorum(_:)`` of 0 is sent as is and rejected by the receiver as malformed,
///   like an over-long name: ``FanoutPolicy/init(parsing:)`` refuses it before it reaches the wire.
public enum WireCodec {
    /// Default cap for a whole message's bytes (the ZeroMQ socket also sets `ZMQ_MAXMSGSIZE`).
    public static let defaultMaxMessageBytes: Int = 64 << 20

    /// The longest name (group, kind, worker id, node, drain target), in UTF-8 bytes. Also ZeroMQ's limit for a
    /// routing id, which a worker's id doubles as.
    public static let maxNameBytes: Int = 255

    /// The longest breaker path, in UTF-8 bytes: a group name, `/` and a worker id (`GROUP/WORKER`).
    public static let maxBreakerPathBytes: Int = 2 * maxNameBytes + 1

    /// The longest free-text string (messages, ids other than names), in UTF-8 bytes: 1 MiB.
    public static let maxTextBytes: Int = 1 << 20

    /// The two magic bytes that open every header frame: `"HD"`.
    static let magic: (UInt8, UInt8) = (0x48, 0x44)

    /// The frames of one message, NOT including any ZeroMQ routing-id frame.
    ///
    /// - Parameter message: The message to encode.
    /// - Returns: The 4-byte header frame, then the body frame unless the command has no fields.
    public static func encode(_ message: Message) -> [[UInt8]] {
        let command = Command(message)
        let header: [UInt8] = [Self.magic.0, Self.magic.1, herdProtocolVersion, command.rawValue]
        switch message {
        case .heartbeat, .deregister:
            return [header]
        default:
            var writer = ByteWriter(capacity: Self.bodySize(of: message))
            writer.body(message)
            return [header, writer.bytes]
        }
    }

    /// The number of bytes ``encode(_:)`` produces for `message`, header included: exact, except
    /// that it may overcount by a few bytes when free text is cut to ``maxTextBytes``.
    ///
    /// Useful to keep a batch (``Message/results(_:)``, ``Message/dispatch(_:)``,
    /// ``Message/jobResults(_:)``, ``Message/cancel(_:)``, ``Message/cancelled(_:)``) under the
    /// receiver's `maxBytes`.
    public static func encodedSize(of message: Message) -> Int {
        4 + Self.bodySize(of: message)
    }

    /// Decodes the frames of one message (routing-id frame already removed).
    ///
    /// Never traps on any input.
    ///
    /// - Parameters:
    ///   - frames: The header frame, then the body frame (optional for commands without fields).
    ///   - maxBytes: The largest total size of all frames accepted.
    /// - Returns: The decoded message.
    /// - Throws: ``ProtocolError`` with code ``ProtocolError/Code/unsupportedVersion`` if the header
    ///   names another protocol version, ``ProtocolError/Code/tooLarge`` if the message is over
    ///   `maxBytes` or a string is over its limit, and ``ProtocolError/Code/malformed`` for anything
    ///   else that is not a valid message (bad magic, unknown command, wrong frame count,
    ///   truncation, trailing bytes, bad UTF-8, unknown enum value, ...). The message says where.
    ///   Checked in this order: the size, the magic, the version, the header's length, the command,
    ///   the frame count, then the body field by field. ``ProtocolError/isAboutAnError`` is set
    ///   when the header's command byte is ERROR's, so that the error is not answered.
    public static func decode(
        _ frames: [[UInt8]],
        maxBytes: Int = defaultMaxMessageBytes
    ) throws(ProtocolError) -> Message {
        do {
            return try Self.decodeFrames(frames, maxBytes: maxBytes)
        } catch {
            // An ERROR that cannot be accepted (another version, a bad body) is never answered.
            var error = error
            if let header = frames.first, header.count == 4, header[3] == Command.error.rawValue {
                error.isAboutAnError = true
            }
            throw error
        }
    }

    private static func decodeFrames(_ frames: [[UInt8]], maxBytes: Int) throws(ProtocolError) -> Message {
        guard let header = frames.first else {
            throw ProtocolError(.malformed, "no frames; expected a 4-byte header frame and a body frame")
        }
        var total = 0
        for frame in frames {
            total += frame.count
            if total > maxBytes {
                let size = frames.reduce(0) { $0 &+ $1.count }
                throw ProtocolError(.tooLarge, "message of \(size) bytes exceeds the limit of \(maxBytes) bytes")
            }
        }
        let command = try Self.command(inHeader: header)
        guard frames.count <= 2 else {
            throw ProtocolError(
                .malformed,
                "\(command.label): \(frames.count) frames; expected a header frame and at most one body frame"
            )
        }
        if frames.count == 1 && command.hasBody {
            throw ProtocolError(.malformed, "\(command.label): missing body frame")
        }
        let body = frames.count == 2 ? frames[1] : []
        return try body.withUnsafeBufferPointer { (buffer) throws(ProtocolError) -> Message in
            var reader = ByteReader(buffer, command: command.label)
            let message = try reader.body(command)
            try reader.finish()
            return message
        }
    }

    /// Validates a header frame and returns its command.
    private static func command(inHeader header: [UInt8]) throws(ProtocolError) -> Command {
        if header.count >= 2 && (header[0] != Self.magic.0 || header[1] != Self.magic.1) {
            throw ProtocolError(
                .malformed,
                "bad magic \(Self.hex(header[0])) \(Self.hex(header[1])) in header; expected 0x48 0x44 (\"HD\")"
            )
        }
        if header.count >= 3 && header[2] != herdProtocolVersion {
            throw ProtocolError(
                .unsupportedVersion,
                "peer speaks protocol version \(header[2]); this side speaks \(herdProtocolVersion)"
            )
        }
        guard header.count == 4 else {
            throw ProtocolError(.malformed, "header frame is \(header.count) bytes; expected 4")
        }
        guard let command = Command(rawValue: header[3]) else {
            let reserved = Command.isReserved(header[3]) ? " (reserved for a later protocol revision)" : ""
            throw ProtocolError(.malformed, "unknown command \(Self.hex(header[3]))\(reserved)")
        }
        return command
    }

    /// `0x0a`-style hex for error messages.
    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return byte < 16 ? "0x0\(digits)" : "0x\(digits)"
    }
}

// MARK: - Command codes

extension WireCodec {
    /// The command code in a header frame. Raw values are part of the protocol and never change.
    ///
    /// Codes are grouped by sender: `0x0_` worker, `0x1_` coordinator to worker, `0x2_` any peer,
    /// `0x3_` client, `0x4_` coordinator to client, `0x7F` error. ``Command/partial`` is also sent
    /// by the coordinator to a client (it forwards the worker's message), and ``Command/drainWorker``
    /// (DRAIN) by a worker to the coordinator (it drains itself after SIGTERM), with the same layout.
    /// Code `0x13` is reserved for a later revision and decodes as an unknown command.
    public enum Command: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
        /// ``Message/register(_:)``, worker → coordinator.
        case register = 0x01
        /// ``Message/results(_:)``, worker → coordinator.
        case results = 0x02
        /// ``Message/deregister``, worker → coordinator.
        case deregister = 0x03
        /// ``Message/cancelled(_:)``, worker → coordinator.
        case cancelled = 0x04
        /// ``Message/partial(_:)``, worker → coordinator, and coordinator → client.
        case partial = 0x05
        /// ``Message/welcome(_:)``, coordinator → worker.
        case welcome = 0x10
        /// ``Message/dispatch(_:)``, coordinator → worker.
        case dispatch = 0x11
        /// ``Message/cancel(_:)``, coordinator → worker.
        case cancel = 0x12
        /// ``Message/drainWorker(_:)`` (DRAIN), coordinator → worker, and worker → coordinator.
        case drainWorker = 0x14
        /// ``Message/heartbeat``, any peer → any peer.
        case heartbeat = 0x20
        /// ``Message/submit(_:)``, client → coordinator.
        case submit = 0x30
        /// ``Message/statusRequest(token:)``, client → coordinator.
        case statusRequest = 0x31
        /// ``Message/cancelJob(_:)``, client → coordinator.
        case cancelJob = 0x32
        /// ``Message/drain(_:)`` (DRAIN-REQUEST), client → coordinator.
        case drain = 0x33
        /// ``Message/breaker(_:)`` (BREAKER), client → coordinator.
        case breaker = 0x34
        /// ``Message/resultsRequest(_:)`` (RESULTS-REQUEST), client → coordinator.
        case resultsRequest = 0x35
        /// ``Message/inspect(_:)`` (INSPECT), client → coordinator.
        case inspect = 0x36
        /// ``Message/health(_:)`` (HEALTH), worker → coordinator.
        case health = 0x06
        /// ``Message/accepted(_:)``, coordinator → client.
        case accepted = 0x40
        /// ``Message/rejected(_:)``, coordinator → client.
        case rejected = 0x41
        /// ``Message/jobResults(_:)``, coordinator → client.
        case jobResults = 0x42
        /// ``Message/jobFinished(_:)``, coordinator → client.
        case jobFinished = 0x43
        /// ``Message/statusReply(_:)``, coordinator → client.
        case statusReply = 0x44
        /// ``Message/cancelReply(_:)``, coordinator → client.
        case cancelReply = 0x45
        /// ``Message/drainReply(_:)``, coordinator → client.
        case drainReply = 0x46
        /// ``Message/jobNotice(_:)``, coordinator → client.
        case jobNotice = 0x47
        /// ``Message/breakerReply(_:)`` (BREAKER-REPLY), coordinator → client.
        case breakerReply = 0x48
        /// ``Message/resultsReply(_:)`` (RESULTS-REPLY), coordinator → client.
        case resultsReply = 0x49
        /// ``Message/inspectReply(_:)`` (INSPECT-REPLY), coordinator → client.
        case inspectReply = 0x4A
        /// ``Message/error(_:)``, any peer → any peer.
        case error = 0x7F

        /// The command of `message`.
        public init(_ message: Message) {
            switch message {
            case .register: self = .register
            case .results: self = .results
            case .deregister: self = .deregister
            case .cancelled: self = .cancelled
            case .partial: self = .partial
            case .welcome: self = .welcome
            case .dispatch: self = .dispatch
            case .cancel: self = .cancel
            case .drainWorker: self = .drainWorker
            case .heartbeat: self = .heartbeat
            case .submit: self = .submit
            case .statusRequest: self = .statusRequest
            case .cancelJob: self = .cancelJob
            case .drain: self = .drain
            case .breaker: self = .breaker
            case .resultsRequest: self = .resultsRequest
            case .inspect: self = .inspect
            case .health: self = .health
            case .inspectReply: self = .inspectReply
            case .accepted: self = .accepted
            case .rejected: self = .rejected
            case .jobResults: self = .jobResults
            case .jobFinished: self = .jobFinished
            case .statusReply: self = .statusReply
            case .cancelReply: self = .cancelReply
            case .drainReply: self = .drainReply
            case .jobNotice: self = .jobNotice
            case .breakerReply: self = .breakerReply
            case .resultsReply: self = .resultsReply
            case .error: self = .error
            }
        }

        /// Whether `code` is reserved for a command that a later protocol revision defines.
        public static func isReserved(_ code: UInt8) -> Bool {
            switch code {
            case 0x13: true
            default: false
            }
        }

        /// The command's name in docs/PROTOCOL.md (`"JOB-RESULTS"`).
        public var description: String {
            switch self {
            case .register: "REGISTER"
            case .results: "RESULTS"
            case .deregister: "DEREGISTER"
            case .cancelled: "CANCELLED"
            case .partial: "PARTIAL"
            case .welcome: "WELCOME"
            case .dispatch: "DISPATCH"
            case .cancel: "CANCEL"
            case .drainWorker: "DRAIN"
            case .heartbeat: "HEARTBEAT"
            case .submit: "SUBMIT"
            case .statusRequest: "STATUS"
            case .cancelJob: "CANCEL-JOB"
            case .drain: "DRAIN-REQUEST"
            case .breaker: "BREAKER"
            case .resultsRequest: "RESULTS-REQUEST"
            case .accepted: "ACCEPTED"
            case .rejected: "REJECTED"
            case .jobResults: "JOB-RESULTS"
            case .jobFinished: "JOB-FINISHED"
            case .statusReply: "STATUS-REPLY"
            case .cancelReply: "CANCEL-REPLY"
            case .drainReply: "DRAIN-REPLY"
            case .jobNotice: "JOB-NOTICE"
            case .breakerReply: "BREAKER-REPLY"
            case .resultsReply: "RESULTS-REPLY"
            case .inspect: "INSPECT"
            case .health: "HEALTH"
            case .inspectReply: "INSPECT-REPLY"
            case .error: "ERROR"
            }
        }

        /// The ``Message`` case name, used to prefix decode errors (`"results: truncated ..."`).
        var label: StaticString {
            switch self {
            case .register: "register"
            case .results: "results"
            case .deregister: "deregister"
            case .cancelled: "cancelled"
            case .partial: "partial"
            case .welcome: "welcome"
            case .dispatch: "dispatch"
            case .cancel: "cancel"
            case .drainWorker: "drainWorker"
            case .heartbeat: "heartbeat"
            case .submit: "submit"
            case .statusRequest: "statusRequest"
            case .cancelJob: "cancelJob"
            case .drain: "drain"
            case .breaker: "breaker"
            case .resultsRequest: "resultsRequest"
            case .accepted: "accepted"
            case .rejected: "rejected"
            case .jobResults: "jobResults"
            case .jobFinished: "jobFinished"
            case .statusReply: "statusReply"
            case .cancelReply: "cancelReply"
            case .drainReply: "drainReply"
            case .jobNotice: "jobNotice"
            case .breakerReply: "breakerReply"
            case .resultsReply: "resultsReply"
            case .inspect: "inspect"
            case .health: "health"
            case .inspectReply: "inspectReply"
            case .error: "error"
            }
        }

        /// Whether the command has fields, and so a body frame.
        var hasBody: Bool {
            switch self {
            case .heartbeat, .deregister: false
            default: true
            }
        }
    }
}
