import CHerdSystem
import Glibc

/// A dedicated OS thread running a closure, joinable from async code.
///
/// A detached pthread named `name` (the kernel keeps 15 bytes, visible in `top -H` and gdb). It
/// keeps the signal mask of the thread that called ``start(name:_:)`` and simply runs the body.
/// ``join()`` suspends the calling task, without blocking a cooperative thread, until the body has
/// returned; any number of tasks may join, and cancellation does not end the wait.
public final class SystemThread: Sendable {
    /// The thread's name, as given to ``start(name:_:)``.
    public let name: String
    private let finished = OneShot<Void>()

    private init(name: String) {
        self.name = name
    }

    /// What the new thread needs; passed through `pthread_create`'s `void *`.
    private final class Launch {
        let thread: SystemThread
        let body: @Sendable () -> Void

        init(thread: SystemThread, body: @escaping @Sendable () -> Void) {
            self.thread = thread
            self.body = body
        }
    }

    /// Starts a new OS thread running `body`.
    ///
    /// - Throws: The `pthread_create` error when no thread could be made (`body` then never runs).
    @discardableResult
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) throws(SystemError) -> SystemThread {
        let thread = SystemThread(name: name)
        let launch = Unmanaged.passRetained(Launch(thread: thread, body: body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, CInt(PTHREAD_CREATE_DETACHED))
        var tid = pthread_t()
        let rc = pthread_create(
            &tid,
            &attributes,
            { argument in
                let launch = Unmanaged<Launch>.fromOpaque(argument!).takeRetainedValue()
                launch.thread.name.withCString { _ = herd_set_thread_name($0) }
                launch.body()
                launch.thread.finished.resolve(())
                return nil
            },
            launch
        )
        guard rc == 0 else {
            Unmanaged<Launch>.fromOpaque(launch).release()
            throw SystemError(code: rc)
        }
        return thread
    }

    /// Whether the body has returned.
    public var isFinished: Bool { self.finished.isResolved }

    /// Suspends until the body has returned (at once if it has).
    public func join() async { await self.finished.value() }
}
