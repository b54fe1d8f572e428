import Synchronization

/// A value that is set once and awaited by any number of tasks ("the endpoint is bound", "the
/// thread has returned", "the child has started").
///
/// The first ``resolve(_:)`` wins and wakes every waiter (outside the lock); later calls change
/// nothing and return `false`. A value that may be a failure is a `Result`. Two ways to wait:
/// ``value()`` ignores cancellation (for facts that are sure to come, such as a thread ending),
/// ``valueUnlessCancelled()`` throws `CancellationError` when the waiting task is cancelled first
/// (a task group that cancels its children must never hang on a value that will not come).
public final class OneShot<Value: Sendable>: Sendable {
    private typealias Waiter = CheckedContinuation<Value?, Never>

    private struct State: ~Copyable {
        var value: Value?
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Sets the value and wakes every waiter; `false` (and no change) if it was set already.
    @discardableResult
    public func resolve(_ value: Value) -> Bool {
        let waiters: [Waiter]? = self.state.withLock { state in
            guard state.value == nil else { return nil }
            state.value = value
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(returning: value) }
        return true
    }

    /// Whether the value has been set.
    public var isResolved: Bool {
        self.state.withLock { $0.value != nil }
    }

    /// The value if it has been set, without waiting.
    public var currentValue: Value? {
        self.state.withLock { $0.value }
    }

    /// Waits for the value, however long it takes: cancellation does not end the wait.
    public func value() async -> Value {
        // Not cancellable, so the waiter is always resumed with the value.
        await self.wait(cancellable: false)!
    }

    /// Waits for the value; throws `CancellationError` if the waiting task is cancelled first.
    public func valueUnlessCancelled() async throws(CancellationError) -> Value {
        guard let value = await self.wait(cancellable: true) else { throw CancellationError() }
        return value
    }

    /// The value, or `nil` when `cancellable` and the task was cancelled first.
    private func wait(cancellable: Bool) async -> Value? {
        let id = self.state.withLock { state in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: Waiter) in
                let ready: Value?? = self.state.withLock { state in
                    if let value = state.value { return .some(value) }
                    if cancellable && Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            guard cancellable else { return }
            let waiter = self.state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }
}
