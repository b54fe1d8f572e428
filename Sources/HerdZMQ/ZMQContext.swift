import CZeroMQ

/// A libzmq context: the I/O threads and the registry of sockets.
///
/// Created with `zmq_ctx_new`; `deinit` calls `zmq_ctx_term`, which waits for every socket of the
/// context to be closed and for each socket's linger period to elapse. Every ``ZMQSocket`` keeps a
/// strong reference to its context, so the context is only terminated after its last socket is gone
/// and its deinit cannot block on an open socket. Sockets start with a bounded linger
/// (``ZMQSocket/defaultLingerMilliseconds``), so termination never blocks forever.
///
/// Libzmq contexts are thread-safe; so is this class.
public final class ZMQContext: Sendable {
    /// The `void *` returned by `zmq_ctx_new`.
    ///
    /// `nonisolated(unsafe)`: a raw pointer is not `Sendable`, but libzmq documents a context as
    /// thread-safe, the pointer is immutable, and it is only freed in `deinit`, when no other
    /// reference (and so no socket) remains.
    nonisolated(unsafe) let raw: UnsafeMutableRawPointer

    /// Creates a context with one I/O thread.
    public init() throws(ZMQError) {
        guard let raw = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.raw = raw
    }

    /// Creates a context with `ioThreads` I/O threads (`ZMQ_IO_THREADS`; one is enough below about
    /// a gigabyte per second).
    public convenience init(ioThreads: Int32) throws(ZMQError) {
        try self.init()
        if zmq_ctx_set(raw, ZMQ_IO_THREADS, ioThreads) != 0 {
            throw ZMQError.last("zmq_ctx_set(ZMQ_IO_THREADS, \(ioThreads))")
        }
    }

    deinit {
        // All sockets are closed by now (each held a reference). EINTR: a signal arrived; retry.
        while zmq_ctx_term(raw) != 0 && zmq_errno() == EINTR {}
    }
}
