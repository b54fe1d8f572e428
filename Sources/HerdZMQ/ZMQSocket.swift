import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libzmq socket. Every send and receive is non-blocking (`ZMQ_DONTWAIT`); wait for readiness
/// with a ``PollLoop``.
///
/// Not Sendable: a socket is used by exactly one thread (the PollLoop's). Create it there, or
/// create it elsewhere and hand it over before first use, never touching it again from the old thread.
///
/// The socket keeps its ``ZMQContext`` alive until it is closed, so the context is terminated
/// only after its sockets. A new socket gets `ZMQ_LINGER` = ``defaultLingerMilliseconds``.
///
/// Frames are `[UInt8]`. Sending copies each frame into a `zmq_msg_t`; receiving copies out of it.
/// The socket owns one heap `zmq_msg_t` for sending and one for receiving, reused by every call,
/// so a message costs no allocation beyond its frames.
public final class ZMQSocket {
    /// The linger period given to every new socket: 1 s, so pending messages usually get out at
    /// shutdown but a gone peer can never make context termination hang. Override it with
    /// ``SocketOption/linger(milliseconds:)`` (0 where pending messages may be dropped).
    public static let defaultLingerMilliseconds: Int32 = 1_000

    /// The pattern this socket was created with.
    public let type: SocketType
    /// Keeps the context alive while the socket is open; released by ``close()``.
    private var context: ZMQContext?
    /// The `void *` from `zmq_socket`; nil once closed.
    private var raw: UnsafeMutableRawPointer?
    /// Reused by every receive; always initialised (`zmq_msg_init`) until deinit.
    private let receiveMessage: UnsafeMutablePointer<zmq_msg_t>
    /// Reused by every send; empty (initialised, owning nothing) between calls.
    private let sendMessage: UnsafeMutablePointer<zmq_msg_t>

    /// Opens a socket of `type` in `context` (`zmq_socket`).
    public init(context: ZMQContext, type: SocketType) throws(ZMQError) {
        guard let raw = zmq_socket(context.raw, type.rawValue) else {
            throw ZMQError.last("zmq_socket(\(type))")
        }
        self.type = type
        self.context = context
        self.raw = raw
        receiveMessage = .allocate(capacity: 1)
        sendMessage = .allocate(capacity: 1)
        zmq_msg_init(receiveMessage)
        zmq_msg_init(sendMessage)
        var linger = Self.defaultLingerMilliseconds
        zmq_setsockopt(raw, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
    }

    deinit {
        close()
        zmq_msg_close(receiveMessage)
        zmq_msg_close(sendMessage)
        receiveMessage.deallocate()
        sendMessage.deallocate()
    }

    /// The raw socket, for `zmq_poll`. Must not be used after ``close()``.
    public var handle: UnsafeMutableRawPointer {
        guard let raw else { preconditionFailure("ZMQSocket.handle used after close()") }
        return raw
    }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { raw == nil }

    /// Closes the socket (`zmq_close`) and releases its context. Idempotent; `deinit` closes too.
    /// Pending outgoing messages are kept for the linger period by libzmq's I/O thread.
    public func close() {
        guard let raw else { return }
        zmq_close(raw)
        self.raw = nil
        context = nil
    }

    /// The open socket, or `ENOTSOCK` if it was closed.
    private func open(_ operation: @autoclosure () -> String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let raw else { throw ZMQError(code: ENOTSOCK, operation: operation()) }
        return raw
    }

    // MARK: - Options and endpoints

    /// Sets one option (`zmq_setsockopt`).
    public func set(_ option: SocketOption) throws(ZMQError) {
        let socket = try open("zmq_setsockopt(\(option))")
        let (name, _, value) = option.encoded
        let rc: Int32
        switch value {
        case .int32(var v):
            rc = zmq_setsockopt(socket, name, &v, MemoryLayout<Int32>.size)
        case .bool(let b):
            var v: Int32 = b ? 1 : 0
            rc = zmq_setsockopt(socket, name, &v, MemoryLayout<Int32>.size)
        case .int64(var v):
            rc = zmq_setsockopt(socket, name, &v, MemoryLayout<Int64>.size)
        case .bytes(let bytes):
            rc = bytes.withUnsafeBytes { zmq_setsockopt(socket, name, $0.baseAddress, $0.count) }
        }
        if rc != 0 { throw ZMQError.last("zmq_setsockopt(\(option))") }
    }

    /// Reads an integer option (`zmq_getsockopt`), e.g. `ZMQ_LINGER` or `ZMQ_EVENTS`.
    public func integerOption(_ name: Int32) throws(ZMQError) -> Int32 {
        let socket = try open("zmq_getsockopt(\(name))")
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        if zmq_getsockopt(socket, name, &value, &size) != 0 {
            throw ZMQError.last("zmq_getsockopt(\(name))")
        }
        return value
    }

    /// Binds to `endpoint` (`zmq_bind`), e.g. `tcp://127.0.0.1:*` or `inproc://name`.
    public func bind(_ endpoint: String) throws(ZMQError) {
        let socket = try open("zmq_bind(\(endpoint))")
        if zmq_bind(socket, endpoint) != 0 { throw ZMQError.last("zmq_bind(\(endpoint))") }
    }

    /// Stops listening on `endpoint` (`zmq_unbind`; use ``lastEndpoint`` after binding to a wildcard).
    public func unbind(_ endpoint: String) throws(ZMQError) {
        let socket = try open("zmq_unbind(\(endpoint))")
        if zmq_unbind(socket, endpoint) != 0 { throw ZMQError.last("zmq_unbind(\(endpoint))") }
    }

    /// Connects to `endpoint` (`zmq_connect`). Returns at once; libzmq connects (and reconnects)
    /// in the background.
    public func connect(_ endpoint: String) throws(ZMQError) {
        let socket = try open("zmq_connect(\(endpoint))")
        if zmq_connect(socket, endpoint) != 0 { throw ZMQError.last("zmq_connect(\(endpoint))") }
    }

    /// Disconnects from `endpoint` (`zmq_disconnect`).
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        let socket = try open("zmq_disconnect(\(endpoint))")
        if zmq_disconnect(socket, endpoint) != 0 { throw ZMQError.last("zmq_disconnect(\(endpoint))") }
    }

    /// The endpoint last bound (`ZMQ_LAST_ENDPOINT`), with the real port after binding
    /// `tcp://127.0.0.1:*`.
    public var lastEndpoint: String {
        get throws(ZMQError) {
            let socket = try open("zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
            var buffer = [CChar](repeating: 0, count: 1_024)
            var size = buffer.count
            let rc = buffer.withUnsafeMutableBytes {
                zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, $0.baseAddress, &size)
            }
            if rc != 0 { throw ZMQError.last("zmq_getsockopt(ZMQ_LAST_ENDPOINT)") }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    // MARK: - Sending

    /// Sends one multipart message (all frames, `ZMQ_SNDMORE` on all but last) with `ZMQ_DONTWAIT`.
    ///
    /// Returns false if it would block (`EAGAIN`: high-water mark reached, or no peer with
    /// ``SocketOption/immediate(_:)``) and nothing was sent; then retry later, e.g. after
    /// ``PollLoop/notifyWhenWritable(_:_:)``. Throws other errors: `EHOSTUNREACH` from a ROUTER with
    /// ``SocketOption/routerMandatory(_:)`` (unknown peer) is thrown and the caller decides.
    ///
    /// A message is atomic: libzmq checks the high-water mark on the first frame only. If a later
    /// frame is refused anyway (the peer's pipe vanished in between), libzmq discards the frames
    /// already written, this method pushes the remaining frames into libzmq's discard, and returns
    /// false: the message was not delivered and may be sent again whole.
    ///
    /// An empty `frames` sends nothing and returns true.
    public func send(_ frames: [[UInt8]]) throws(ZMQError) -> Bool {
        let socket = try open("zmq_msg_send")
        let last = frames.count - 1
        var index = 0
        while index <= last {
            let flags = ZMQ_DONTWAIT | (index < last ? ZMQ_SNDMORE : 0)
            let code = try sendFrame(frames[index], socket: socket, flags: flags)
            if code == 0 {
                index += 1
                continue
            }
            if code == EINTR { continue }  // interrupted before anything happened: retry the frame
            if code != EAGAIN { throw ZMQError(code: code, operation: "zmq_msg_send") }
            if index == 0 { return false }
            // Mid-message refusal: libzmq rolled back and now drops frames up to the last one.
            for rest in stride(from: index + 1, through: last, by: 1) {
                let restFlags = ZMQ_DONTWAIT | (rest < last ? ZMQ_SNDMORE : 0)
                _ = try? sendFrame(frames[rest], socket: socket, flags: restFlags)
            }
            return false
        }
        return true
    }

    /// Copies `frame` into the send message and hands it to libzmq. Returns 0 if libzmq took it,
    /// else the `errno` of the refusal (the message is then released here).
    private func sendFrame(_ frame: [UInt8], socket: UnsafeMutableRawPointer, flags: Int32) throws(ZMQError) -> Int32 {
        let count = frame.count
        if zmq_msg_init_size(sendMessage, count) != 0 { throw ZMQError.last("zmq_msg_init_size(\(count))") }
        if count > 0 {
            frame.withUnsafeBytes { source in
                zmq_msg_data(sendMessage).copyMemory(from: source.baseAddress!, byteCount: count)
            }
        }
        if zmq_msg_send(sendMessage, socket, flags) >= 0 {
            return 0  // libzmq took the content; sendMessage is empty again
        }
        let code = zmq_errno()
        zmq_msg_close(sendMessage)
        zmq_msg_init(sendMessage)
        return code
    }

    // MARK: - Receiving

    /// Receives one whole multipart message with `ZMQ_DONTWAIT`; nil if none is waiting.
    ///
    /// On a ROUTER the first frame is the sender's routing id.
    public func receive() throws(ZMQError) -> [[UInt8]]? {
        try self.receive(userID: nil)
    }

    /// Receives one whole message like ``receive()``; when `userID` is given, stores there the
    /// message's ZAP User-Id (`zmq_msg_gets(msg, "User-Id")`, `nil` without one), which a ZAP
    /// handler set for the connection it came on (see ``ZAPHandler``).
    public func receive(userID: UnsafeMutablePointer<String?>?) throws(ZMQError) -> [[UInt8]]? {
        let socket = try open("zmq_msg_recv")
        var first = true
        var frames: [[UInt8]] = []
        while true {
            if zmq_msg_recv(receiveMessage, socket, ZMQ_DONTWAIT) < 0 {
                let code = zmq_errno()
                if code == EINTR { continue }
                if code == EAGAIN && first { return nil }
                throw ZMQError(code: code, operation: "zmq_msg_recv")
            }
            first = false
            let size = zmq_msg_size(receiveMessage)
            let data = zmq_msg_data(receiveMessage)
            frames.append(
                [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                    if size > 0, let data {
                        buffer.baseAddress!.initialize(from: data.assumingMemoryBound(to: UInt8.self), count: size)
                    }
                    initialized = size
                }
            )
            if zmq_msg_more(receiveMessage) == 0 {
                if let userID {
                    userID.pointee = zmq_msg_gets(receiveMessage, "User-Id").map { String(cString: $0) }
                }
                return frames
            }
        }
    }

    /// Receives up to `limit` waiting messages without blocking, appending them to `batch`
    /// (batching: one wake-up, many messages). Stops early when no message is waiting.
    public func receiveBatch(limit: Int, into batch: inout [[[UInt8]]]) throws(ZMQError) {
        var received = 0
        while received < limit, let message = try receive() {
            batch.append(message)
            received += 1
        }
    }

    /// Receives up to `limit` waiting messages like ``receiveBatch(limit:into:)``, appending each
    /// one's ZAP User-Id (or `nil`) to `userIDs`, in step with `batch`.
    public func receiveBatch(limit: Int, into batch: inout [[[UInt8]]], userIDs: inout [String?]) throws(ZMQError) {
        var received = 0
        var userID: String?
        while received < limit, let message = try receive(userID: &userID) {
            batch.append(message)
            userIDs.append(userID)
            received += 1
        }
    }
}
