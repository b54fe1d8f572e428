import CZeroMQ
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A dedicated OS thread for a ``PollLoop`` (or any blocking body), joinable from async code.
///
/// The thread is a detached pthread named `name` (the kernel keeps 15 bytes). It keeps the signal
/// mask inherited from the thread that called ``start(name:_:)`` and simply runs the body.
/// ``join()`` suspends the calling task, without blocking a cooperative thread, until the body
/// has returned.
public final class LoopThread: Sendable {
    /// Whether the body has returned, and the tasks waiting for it.
    private struct State: ~Copyable {
        var finished = false
        var joiners: [CheckedContinuation<Void, Never>] = []
    }

    /// The thread's name, as given to ``start(name:_:)``.
    public let name: String
    private let state = Mutex(State())

    private init(name: String) {
        self.name = name
    }

    /// What the new thread needs; passed through `pthread_create`'s `void *`.
    private final class Launch {
        let thread: LoopThread
        let body: @Sendable () -> Void

        init(thread: LoopThread, body: @escaping @Sendable () -> Void) {
            self.thread = thread
            self.body = body
        }
    }

    /// Starts a new OS thread running `body`. Traps if the system cannot create a thread.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) -> LoopThread {
        let thread = LoopThread(name: name)
        let launch = Unmanaged.passRetained(Launch(thread: thread, body: body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { argument in
            let launch = Unmanaged<Launch>.fromOpaque(argument!).takeRetainedValue()
            launch.thread.name.withCString { _ = herd_zmq_set_thread_name($0) }
            launch.body()
            launch.thread.finish()
            return nil
        }, launch)
        guard rc == 0 else {
            Unmanaged<Launch>.fromOpaque(launch).release()
            fatalError("pthread_create(\(name)) failed: errno \(rc)")
        }
        pthread_detach(tid)
        return thread
    }

    /// Called on the thread once the body has returned: wakes every joiner (outside the lock).
    private func finish() {
        let joiners = state.withLock { state in
            state.finished = true
            let joiners = state.joiners
            state.joiners = []
            return joiners
        }
        for joiner in joiners { joiner.resume() }
    }

    /// Whether the body has returned.
    public var isFinished: Bool {
        state.withLock { $0.finished }
    }

    /// Suspends (no spinning, no blocking a cooperative thread) until the body has returned.
    /// Any number of tasks may join; cancellation does not end the wait.
    public func join() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = state.withLock { state in
                if !state.finished { state.joiners.append(continuation) }
                return state.finished
            }
            if finished { continuation.resume() }
        }
    }
}
