import DequeModule
import Glibc
import HerdCore
import HerdZMQ

/// One Herd socket on its loop thread: encodes and sends messages (queueing them while the socket
/// is at its high-water mark), receives in batches and decodes.
///
/// Not Sendable: created, used and closed on the loop thread that owns the socket.
final class MessageSocket {
    /// A received message, or the reason its frames did not decode.
    struct Inbound {
        var peer: PeerID
        var message: Result<Message, ProtocolError>
        /// The connection's ZAP User-Id, when ``readsUserIDs`` is set and a ZAP handler gave one.
        var userID: String? = nil
    }

    let socket: ZMQSocket
    private let loop: PollLoop
    /// ROUTER sockets carry the peer's routing id as the first frame.
    private let routed: Bool
    private let maxBytes: Int
    /// Messages waiting for a peer whose pipe was full, per peer (no head-of-line blocking).
    private var backlogs: [PeerID: Deque<[[UInt8]]>] = [:]
    private var retryArmed = false
    private static let unrouted = PeerID([])
    private static let routerRetry: Duration = .milliseconds(2)
    private var batch: [[[UInt8]]] = []
    /// The most messages taken from the socket per wake-up.
    static let batchLimit = 1024
    /// Messages queued while the peer is not accepting (beyond libzmq's own HWM queue).
    static let backlogLimit = 100_000

    /// Whether each inbound message carries its ZAP User-Id (a CURVE server's socket).
    var readsUserIDs = false
    private var userIDs: [String?] = []
    /// Called with each batch of inbound messages.
    var onMessages: ([Inbound]) -> Void = { _ in }
    /// Called when a routed send finds the peer gone (EHOSTUNREACH).
    var onUnreachable: (PeerID) -> Void = { _ in }
    /// Called for a send error other than back-pressure or an unreachable peer.
    var onSendError: (ZMQError) -> Void = { _ in }

    init(socket: ZMQSocket, loop: PollLoop, routed: Bool, maxBytes: Int) {
        self.socket = socket
        self.loop = loop
        self.routed = routed
        self.maxBytes = maxBytes
        loop.watchReadable(socket) { [unowned self] in self.readable() }
    }

    /// Sends `message` (to `peer` on a ROUTER socket).
    func send(_ message: Message, to peer: PeerID? = nil) {
        var frames = WireCodec.encode(message)
        let key = peer ?? Self.unrouted
        if self.routed { frames.insert(key.bytes, at: 0) }
        if self.backlogs[key] != nil {
            self.enqueue(frames, for: key)
        } else if !self.transmit(frames, for: key) {
            self.enqueue(frames, for: key)
        }
    }

    /// Tries one send; false if the peer's pipe is full (back-pressure).
    private func transmit(_ frames: [[UInt8]], for peer: PeerID) -> Bool {
        do {
            return try self.socket.send(frames)
        } catch let error where error.code == EHOSTUNREACH {
            self.onUnreachable(peer)
        } catch {
            self.onSendError(error)
        }
        return true  // not retried: the message is gone either way
    }

    private func enqueue(_ frames: [[UInt8]], for peer: PeerID) {
        if self.backlogs[peer, default: []].count >= Self.backlogLimit {
            // Dropping is safe for the protocol: heartbeats and liveness recover every loss.
            self.onSendError(ZMQError(code: EAGAIN, operation: "send to \(peer) (backlog full, message dropped)"))
            return
        }
        self.backlogs[peer, default: []].append(frames)
        self.armRetry()
    }

    /// A DEALER is told when it can send again. libzmq reports a ROUTER as always writable even
    /// when one peer's pipe is full, so a ROUTER retries on a short timer instead of spinning.
    private func armRetry() {
        guard !self.retryArmed else { return }
        self.retryArmed = true
        if self.routed {
            self.loop.schedule(at: .now.advanced(by: Self.routerRetry)) { [unowned self] in self.retryBacklogs() }
        } else {
            self.loop.notifyWhenWritable(self.socket) { [unowned self] in self.retryBacklogs() }
        }
    }

    private func retryBacklogs() {
        self.retryArmed = false
        for peer in Array(self.backlogs.keys) {
            while let frames = self.backlogs[peer]?.first {
                guard self.transmit(frames, for: peer) else { break }
                self.backlogs[peer]!.removeFirst()
            }
            if self.backlogs[peer]?.isEmpty == true { self.backlogs[peer] = nil }
        }
        if !self.backlogs.isEmpty { self.armRetry() }
    }

    /// Drops messages waiting for the peer (used before a reconnect).
    func dropBacklog() { self.backlogs.removeAll() }

    private func readable() {
        while true {
            self.batch.removeAll(keepingCapacity: true)
            self.userIDs.removeAll(keepingCapacity: true)
            do {
                if self.readsUserIDs {
                    try self.socket.receiveBatch(limit: Self.batchLimit, into: &self.batch, userIDs: &self.userIDs)
                } else {
                    try self.socket.receiveBatch(limit: Self.batchLimit, into: &self.batch)
                }
            } catch {
                self.onSendError(error)
                return
            }
            if self.batch.isEmpty { return }
            var inbound: [Inbound] = []
            inbound.reserveCapacity(self.batch.count)
            for (position, var frames) in self.batch.enumerated() {
                let userID = self.readsUserIDs ? self.userIDs[position] : nil
                var peer = PeerID([])
                if self.routed {
                    guard !frames.isEmpty else { continue }
                    peer = PeerID(frames.removeFirst())
                }
                do throws(ProtocolError) {
                    inbound.append(
                        Inbound(
                            peer: peer,
                            message: .success(try WireCodec.decode(frames, maxBytes: self.maxBytes)),
                            userID: userID
                        )
                    )
                } catch {
                    inbound.append(Inbound(peer: peer, message: .failure(error), userID: userID))
                }
            }
            self.onMessages(inbound)
            if self.batch.count < Self.batchLimit { return }
        }
    }
}
