import HerdSystem

/// One ZAP request (ZeroMQ Authentication Protocol, RFC 27): a peer finishing its handshake.
public struct ZAPRequest: Sendable, Hashable {
    /// The peer's address, e.g. `127.0.0.1`.
    public var address: String
    /// `NULL`, `PLAIN` or `CURVE`.
    public var mechanism: String
    /// For CURVE, the peer's long-term public key in Z85.
    public var publicKey: String?
}

/// What a ZAP handler answers.
public enum ZAPVerdict: Sendable, Hashable {
    /// Status 200: the connection is accepted, and every message from it carries `userID`
    /// (read it with ``ZMQSocket/receiveBatch(limit:into:userIDs:)``).
    case allow(userID: String)
    /// Status 400: the handshake fails, the peer gets no reply at all.
    case deny(reason: String)
}

/// A ZAP handler: a REP socket bound to `inproc://zeromq.zap.01` in a context, on a thread of its
/// own (one socket, one thread), answering each request with what `authenticate` decides.
///
/// Every socket of the context with a security mechanism consults it: bind the handler **before**
/// binding a CURVE server socket, or the first connections could be accepted without asking it
/// (libzmq lets a handshake through when no handler is bound). `authenticate` runs on the
/// handler's thread; it must be quick and must not block.
public final class ZAPHandler: Sendable {
    /// The endpoint libzmq sends ZAP requests to (RFC 27).
    public static let endpoint = "inproc://zeromq.zap.01"

    private let wakeup: Wakeup
    private let thread: SystemThread

    /// Binds the handler's socket in `context` and starts its thread.
    ///
    /// - Throws: ``ZMQError`` if the socket cannot be created or bound (another handler is bound
    ///   in the same context: `EADDRINUSE`).
    public init(
        context: ZMQContext,
        authenticate: @escaping @Sendable (ZAPRequest) -> ZAPVerdict
    ) throws(ZMQError) {
        let wakeup = try Wakeup()
        // Created and bound here so that the endpoint exists when init returns; handed over to the
        // handler's thread below and never touched on this thread again (ZMQSocket's rule).
        nonisolated(unsafe) let socket = try ZMQSocket(context: context, type: .rep)
        try socket.set(.linger(milliseconds: 0))
        try socket.bind(Self.endpoint)
        self.wakeup = wakeup
        self.thread = LoopThread.start(name: "herd-zap") {
            let loop = PollLoop()
            loop.watchReadable(socket) {
                while let request = try? socket.receive() {
                    _ = try? socket.send(Self.reply(to: request, authenticate))
                }
            }
            loop.watchReadable(wakeup) { [unowned loop] in loop.stop() }
            loop.run()
            socket.close()
        }
    }

    /// Stops the handler's thread and waits until its socket is closed.
    public func stop() async {
        self.wakeup.signal()
        await self.thread.join()
    }

    /// Stops the handler without waiting (its thread closes the socket as it ends).
    public func signalStop() { self.wakeup.signal() }

    /// The reply frames to one request: version, request id, status code, status text, user id,
    /// metadata (RFC 27 §"Reply").
    static func reply(to frames: [[UInt8]], _ authenticate: (ZAPRequest) -> ZAPVerdict) -> [[UInt8]] {
        let requestID = frames.count > 1 ? frames[1] : []
        func answer(_ code: String, _ text: String, _ userID: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), requestID, Array(code.utf8), Array(text.utf8), Array(userID.utf8), []]
        }
        guard frames.count >= 6, frames[0] == Array("1.0".utf8) else {
            return answer("500", "malformed ZAP request")
        }
        let mechanism = String(decoding: frames[5], as: UTF8.self)
        var request = ZAPRequest(address: String(decoding: frames[3], as: UTF8.self), mechanism: mechanism)
        if mechanism == "CURVE" {
            guard frames.count == 7, frames[6].count == 32 else { return answer("500", "malformed CURVE credentials") }
            request.publicKey = CurveKeyPair.z85(frames[6])
        }
        switch authenticate(request) {
        case .allow(let userID): return answer("200", "OK", userID)
        case .deny(let reason): return answer("400", reason)
        }
    }
}
