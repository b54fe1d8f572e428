import Synchronization

/// A value that is set once and awaited by any number of tasks (e.g. "the endpoint is bound").
final class OneShot<Value: Sendable>: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Result<Value, any Error>, Never>])
        case done(Result<Value, any Error>)
    }

    private let state = Mutex(State.waiting([]))

    init() {}

    /// Sets the value; later calls are ignored.
    func resolve(_ result: Result<Value, any Error>) {
        let waiters: [CheckedContinuation<Result<Value, any Error>, Never>] = self.state.withLock { state in
            guard case .waiting(let waiters) = state else { return [] }
            state = .done(result)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    /// Whether the value has been set.
    var isResolved: Bool {
        self.state.withLock { state in
            if case .done = state { return true }
            return false
        }
    }

    /// Waits for the value.
    func value() async throws -> Value {
        let result: Result<Value, any Error> = await withCheckedContinuation { continuation in
            let ready: Result<Value, any Error>? = self.state.withLock { state in
                switch state {
                case .done(let result): return result
                case .waiting(var waiters):
                    waiters.append(continuation)
                    state = .waiting(waiters)
                    return nil
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
        return try result.get()
    }
}
