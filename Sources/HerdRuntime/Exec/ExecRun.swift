import Glibc
import Synchronization

/// The meeting point of one ``ExecRunner/run(_:payload:context:killGrace:maxOutputBytes:logger:onStart:)``
/// call (async, any thread) and the ``ExecSession`` thread that owns the child.
///
/// The caller waits for two facts, each through a continuation: the child started (its pid, or
/// none), then the session finished (its ``ExecReport``). Either may be reported before the caller
/// asks for it. Cancellation travels the other way, as a byte on the control pipe, which the
/// session polls with the child's pipes; ``cancel()`` only writes that byte (non-blocking, under
/// the lock, so it can never race with ``close()``).
final class ExecRun: Sendable {
    private enum Waitable<Value: Sendable>: Sendable {
        case pending
        case waiting(CheckedContinuation<Value, Never>)
        case done(Value)
    }

    private struct State: Sendable {
        var cancelled = false
        var controlWrite: CInt
        var controlRead: CInt
        var started: Waitable<Int32?> = .pending
        var finished: Waitable<ExecReport> = .pending
    }

    private let state: Mutex<State>

    /// The read end of the control pipe, polled by the session (non-blocking).
    let controlFD: CInt

    /// Creates the control pipe; `nil` when the process is out of file descriptors.
    init?() {
        guard let pipe = ExecSystem.makePipe() else { return nil }
        ExecSystem.setNonBlocking(pipe.read)
        ExecSystem.setNonBlocking(pipe.write)
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
            ExecSystem.close(&state.controlWrite)
            ExecSystem.close(&state.controlRead)
        }
    }

    // MARK: - Session → caller

    /// The session started the child (`pid`) or gave up before starting one (`nil`).
    func didStart(pid: Int32?) {
        let waiter: CheckedContinuation<Int32?, Never>? = self.state.withLock { state in
            switch state.started {
            case .pending:
                state.started = .done(pid)
                return nil
            case .waiting(let continuation):
                state.started = .done(pid)
                return continuation
            case .done:
                preconditionFailure("ExecRun.didStart called twice")
            }
        }
        waiter?.resume(returning: pid)
    }

    /// The session is over: the child is reaped and its group is gone.
    func didFinish(_ report: ExecReport) {
        let waiter: CheckedContinuation<ExecReport, Never>? = self.state.withLock { state in
            switch state.finished {
            case .pending:
                state.finished = .done(report)
                return nil
            case .waiting(let continuation):
                state.finished = .done(report)
                return continuation
            case .done:
                preconditionFailure("ExecRun.didFinish called twice")
            }
        }
        waiter?.resume(returning: report)
    }

    // MARK: - Caller side

    /// Waits for ``didStart(pid:)``.
    func started() async -> Int32? {
        await withCheckedContinuation { continuation in
            let ready: Int32?? = self.state.withLock { state in
                switch state.started {
                case .pending:
                    state.started = .waiting(continuation)
                    return nil
                case .done(let pid):
                    return .some(pid)
                case .waiting:
                    preconditionFailure("ExecRun.started awaited twice")
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Waits for ``didFinish(_:)``.
    func finished() async -> ExecReport {
        await withCheckedContinuation { continuation in
            let ready: ExecReport? = self.state.withLock { state in
                switch state.finished {
                case .pending:
                    state.finished = .waiting(continuation)
                    return nil
                case .done(let report):
                    return report
                case .waiting:
                    preconditionFailure("ExecRun.finished awaited twice")
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
