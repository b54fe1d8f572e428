import BenchZMQ
import Foundation
import HerdCore

/// One DEALER speaking Herd's wire protocol (HerdCore.WireCodec), on the caller's thread.
final class WireClient {
    let context: UnsafeMutableRawPointer
    let socket: UnsafeMutableRawPointer
    let frame = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)

    init(endpoint: String) {
        guard let context = zmq_ctx_new(), let socket = zmq_socket(context, ZMQ_DEALER) else {
            fail("zmq_socket failed")
        }
        self.context = context
        self.socket = socket
        var zero: Int32 = 0
        zmq_setsockopt(socket, ZMQ_LINGER, &zero, MemoryLayout<Int32>.size)
        Self.secure(socket)
        guard zmq_connect(socket, endpoint) == 0 else { fail("cannot connect to \(endpoint)") }
    }

    /// CURVE, when `HERD_SERVER_KEY` (a `.pub` file) and `HERD_KEY` (a `.key` file) are set (the
    /// bench's curve phase): the coordinator's public key and this client's pair.
    static func secure(_ socket: UnsafeMutableRawPointer) {
        let environment = ProcessInfo.processInfo.environment
        guard let server = environment["HERD_SERVER_KEY"], let own = environment["HERD_KEY"] else { return }
        func field(_ name: String, in path: String) -> String {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") where line.hasPrefix(name) {
                if let value = line.split(separator: "\"").dropFirst().first { return String(value) }
            }
            fail("no \(name) in \(path)")
        }
        for (option, value) in [
            (ZMQ_CURVE_SERVERKEY, field("public-key", in: server)), (ZMQ_CURVE_PUBLICKEY, field("public-key", in: own)),
            (ZMQ_CURVE_SECRETKEY, field("secret-key", in: own)),
        ] {
            guard zmq_setsockopt(socket, option, value, 40) == 0 else { fail("CURVE option \(option) refused") }
        }
    }

    func close() {
        zmq_close(self.socket)
        zmq_ctx_term(self.context)
        self.frame.deallocate()
    }

    func send(_ message: Message) {
        let frames = WireCodec.encode(message)
        for (index, frame) in frames.enumerated() {
            let flags = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            let rc = frame.withUnsafeBytes { zmq_send(self.socket, $0.baseAddress, $0.count, flags) }
            guard rc >= 0 else { fail("zmq_send: \(String(cString: zmq_strerror(zmq_errno())))") }
        }
    }

    /// The next message; blocks until one arrives.
    func receive() -> Message {
        guard let message = self.receive(blocking: true) else { fail("zmq_msg_recv returned nothing") }
        return message
    }

    /// The next message, or nil if none is waiting (`blocking`: false).
    func receive(blocking: Bool) -> Message? {
        var frames: [[UInt8]] = []
        var more = true
        while more {
            zmq_msg_init(self.frame)
            // The frames of one message arrive together: only the first may find nothing.
            let flags = blocking || !frames.isEmpty ? 0 : ZMQ_DONTWAIT
            guard zmq_msg_recv(self.frame, self.socket, flags) >= 0 else {
                let code = zmq_errno()
                zmq_msg_close(self.frame)
                if code == EAGAIN, frames.isEmpty { return nil }
                if code == EINTR { continue }
                fail("zmq_msg_recv: \(String(cString: zmq_strerror(code)))")
            }
            let bytes = UnsafeRawBufferPointer(start: zmq_msg_data(self.frame), count: zmq_msg_size(self.frame))
            frames.append(Array(bytes))
            more = zmq_msg_more(self.frame) != 0
            zmq_msg_close(self.frame)
        }
        do { return try WireCodec.decode(frames) } catch { fail("undecodable message from the coordinator: \(error)") }
    }

    /// Submits a one-subtask echo job and returns once its JOB-FINISHED arrives.
    func roundTrip(token: UInt64, group: String, payload: [UInt8]) {
        self.send(.submit(Submission(token: token, group: group, kind: "echo", payloads: .template(payload, count: 1))))
        while true {
            switch self.receive() {
            case .jobFinished(let summary):
                guard summary.succeeded == 1 else { fail("job \(summary.job) did not succeed: \(summary)") }
                return
            case .rejected(let rejection):
                fail("job rejected: \(rejection.failure)")
            case .error(let error):
                fail("coordinator error: \(error)")
            default:
                continue  // ACCEPTED, JOB-RESULTS, HEARTBEAT
            }
        }
    }
}
