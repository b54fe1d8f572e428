import Glibc
import HerdSystem
import Synchronization

/// The meeting point of one ``ExecRunner/run(_:payload:context:killGrace:maxOutputBytes:logger:onStart:)``
/// call (async, any thread) and the ``ExecSession`` thread that owns the child.
///
/// The caller waits for two facts, each a ``HerdSystem/OneShot``: the child started (its pid, or
/// none), then the session finished (its ``ExecReport``). Either may be reported before the caller
/// asks for it. Cancellation travels the other way, as a byte on the control pipe, which the
/// session polls with the child's pipes; ``cancel()`` only writes that byte (non-blocking, under
/// the lock, so it can never race with ``close()``).
final class ExecRun: Sendable {
    private struct State: Sendable {
        var cancelled = false
        var controlWrite: CInt
        var controlRead: CInt
    }

    private let state: Mutex<State>
    private let startedValue = OneShot<Int32?>()
    private let finishedValue = OneShot<ExecReport>()

    /// The read end of the control pipe, polled by the session (non-blocking).
    let controlFD: CInt

    /// Creates the control pipe; `nil` when the process is out of file descriptors.
    init?() {
        guard let pipe = Descriptors.makePipe() else { return nil }
        Descriptors.setNonBlocking(pipe.read)
        Descriptors.setNonBlocking(pipe.write)
        self.controlFD = pipe.read
        self.state = Mutex(State(controlWrite: pipe.write, controlRead: pipe.read))
    }

    /// Whether ``cancel()`` was called.
    var isCancelled: Bool { self.state.withLock { $0.cancelled } }

    /// Asks the session to tear the child down (idempotent; any thread; never blocks).
    func cancel() {
        self.state.withLock { state in
            guard !state.cancelled else { return }
            state.cancelled = true
            guard state.controlWrite >= 0 else { return }
            var byte: UInt8 = 1
            _ = write(state.controlWrite, &byte, 1)
        }
    }

    /// Closes the control pipe. Call once, after the session has finished.
    func close() {
        self.state.withLock { state in
            Descriptors.close(&state.controlWrite)
            Descriptors.close(&state.controlRead)
        }
    }

    // MARK: - Session → caller

    /// The session started the child (`pid`) or gave up before starting one (`nil`).
    func didStart(pid: Int32?) {
        let first = self.startedValue.resolve(pid)
        precondition(first, "ExecRun.didStart called twice")
    }

    /// The session is over: the child is reaped and its group is gone.
    func didFinish(_ report: ExecReport) {
        let first = self.finishedValue.resolve(report)
        precondition(first, "ExecRun.didFinish called twice")
    }

    // MARK: - Caller side

    /// Waits for ``didStart(pid:)`` (cancellation does not end the wait: the session always reports).
    func started() async -> Int32? { await self.startedValue.value() }

    /// Waits for ``didFinish(_:)`` (cancellation does not end the wait: the session always reports).
    func finished() async -> ExecReport { await self.finishedValue.value() }
}
