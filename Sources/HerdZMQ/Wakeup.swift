import HerdSystem

#if canImport(Glibc)
import Glibc
#endif

/// An eventfd that other threads write to wake a ``PollLoop``; the loop polls its descriptor
/// (level-triggered in `zmq_poll` via `zmq_pollitem_t.fd`).
///
/// Signals coalesce: any number of ``signal()`` calls before the loop's ``drain()`` cost one
/// wake-up. Linux only (eventfd).
public final class Wakeup: Sendable {
    /// The eventfd (non-blocking, close-on-exec); closed in `deinit`.
    public let fileDescriptor: Int32

    /// Creates the eventfd.
    public init() throws(ZMQError) {
        let fd = Descriptors.makeEventFD()
        guard fd >= 0 else { throw ZMQError(code: errno, operation: "eventfd") }
        fileDescriptor = fd
    }

    deinit {
        _ = Glibc.close(fileDescriptor)
    }

    /// Wakes the loop (adds 1 to the eventfd counter). Safe from any thread; never blocks.
    public func signal() {
        var one: UInt64 = 1
        while true {
            if write(fileDescriptor, &one, MemoryLayout<UInt64>.size) >= 0 { return }
            // EAGAIN means the counter is at its maximum: the loop is already signalled.
            if errno != EINTR { return }
        }
    }

    /// Resets the counter so the descriptor stops polling readable. Returns whether it was
    /// signalled. ``PollLoop`` calls this itself before running a wake-up's handler.
    @discardableResult
    public func drain() -> Bool {
        var value: UInt64 = 0
        while true {
            if read(fileDescriptor, &value, MemoryLayout<UInt64>.size) >= 0 { return true }
            if errno != EINTR { return false }  // EAGAIN: not signalled
        }
    }
}
