import Synchronization

/// A value that is set once and awaited by any number of tasks (e.g. "the endpoint is bound").
///
/// A wait ends when the value is set or when the waiting task is cancelled (it then throws
/// `CancellationError`): a task group that cancels its children after the first one finishes
/// must never hang on a value that will not come (a child process that has not exited, a worker
/// that never registered).
final class OneShot<Value: Sendable>: Sendable {
    private typealias Waiter = CheckedContinuation<Result<Value, any Error>, Never>

    private struct State {
        var result: Result<Value, any Error>?
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    init() {}

    /// Sets the value; later calls are ignored.
    func resolve(_ result: Result<Value, any Error>) {
        let waiters: [Waiter] = self.state.withLock { state in
            guard state.result == nil else { return [] }
            state.result = result
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    /// Whether the value has been set.
    var isResolved: Bool {
        self.state.withLock { $0.result != nil }
    }

    /// Waits for the value; throws `CancellationError` if the waiting task is cancelled first.
    func value() async throws -> Value {
        let id = self.state.withLock { state in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        let result: Result<Value, any Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: Waiter) in
                let ready: Result<Value, any Error>? = self.state.withLock { state in
                    if let result = state.result { return result }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = self.state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: .failure(CancellationError()))
        }
        return try result.get()
    }
}
