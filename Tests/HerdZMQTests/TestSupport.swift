import CZeroMQ
import HerdZMQ
import Synchronization

/// A value shared between a test and the threads it starts.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    init(_ value: Value) { storage = Mutex(value) }

    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }

    func modify<R: Sendable>(_ body: (inout Value) -> R) -> R {
        storage.withLock { body(&$0) }
    }
}

/// Blocks in `zmq_poll` until `socket` is readable (or `timeoutMilliseconds` pass), then receives.
func receiveWaiting(_ socket: ZMQSocket, timeoutMilliseconds: Int = 5_000) throws -> [[UInt8]]? {
    var item = zmq_pollitem_t(socket: socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
    let deadline = ContinuousClock.now + .milliseconds(timeoutMilliseconds)
    while ContinuousClock.now < deadline {
        if let message = try socket.receive() { return message }
        _ = zmq_poll(&item, 1, 100)
    }
    return nil
}

/// Waits (sleeping 1 ms between checks) until `condition` holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return true
}

/// Bytes of a string, for readable frames.
func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
