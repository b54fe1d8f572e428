import HerdSystem

/// The dedicated OS thread a ``PollLoop`` (or any blocking body) runs on: a
/// ``HerdSystem/SystemThread`` that must start.
///
/// The thread keeps the signal mask inherited from the thread that called ``start(name:_:)``;
/// `join()` suspends the calling task, without blocking a cooperative thread, until the body has
/// returned (any number of joiners; cancellation does not end the wait).
public enum LoopThread {
    /// Starts a new OS thread named `name` running `body`. Traps if the system cannot create a
    /// thread (a loop without its thread would leave its socket unserved).
    @discardableResult
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) -> SystemThread {
        do {
            return try SystemThread.start(name: name, body)
        } catch {
            fatalError("pthread_create(\(name)) failed: \(error)")
        }
    }
}
