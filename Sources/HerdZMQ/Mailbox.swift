import DequeModule
import Synchronization

/// A bounded multi-producer queue whose consumer is one loop thread.
///
/// Producers (any thread or task) ``post(_:)`` or ``send(_:)``; the loop thread, woken by the
/// ``Wakeup``, calls ``drain(into:)`` and processes the whole batch. `post` signals the Wakeup only
/// when the queue goes from empty to non-empty, so a burst costs one wake-up.
///
/// No wake-up is lost: an element is appended before the signal that announces it, and
/// ``PollLoop`` drains the eventfd before calling the handler that drains the mailbox, so each
/// element is either taken by a drain already under way or announced by a signal still pending.
///
/// The bound is the back-pressure between async code and the socket thread: a slow peer makes
/// `post` return false or `send` wait, instead of growing memory.
///
/// ```swift
/// // Loop thread
/// loop.watchReadable(wakeup) {
///     mailbox.drain(into: &commands)
///     for command in commands { handle(command) }   // may call loop.stop()
///     commands.removeAll(keepingCapacity: true)
/// }
/// ```
public final class Mailbox<Element: Sendable>: Sendable {
    /// The queue and the producers suspended in ``send(_:)``.
    private struct State: ~Copyable {
        var queue: Deque<Element> = []
        var waiters: Deque<CheckedContinuation<Void, Never>> = []
    }

    /// The most elements the queue holds.
    public let capacity: Int
    private let wakeup: Wakeup
    private let state = Mutex(State())

    /// Creates an empty mailbox holding at most `capacity` (≥ 1) elements, signalling `wakeup`.
    public init(capacity: Int, wakeup: Wakeup) {
        precondition(capacity >= 1, "Mailbox capacity must be at least 1")
        self.capacity = capacity
        self.wakeup = wakeup
    }

    /// Appends if there is room; returns false when full (caller decides: drop with an error, or wait).
    /// Never blocks.
    @discardableResult
    public func post(_ element: Element) -> Bool {
        let outcome: Bool? = state.withLock { state in
            guard state.queue.count < capacity else { return nil }
            state.queue.append(element)
            return state.queue.count == 1
        }
        guard let wasEmpty = outcome else { return false }
        if wasEmpty { wakeup.signal() }
        return true
    }

    /// Appends, suspending (without spinning) until there is room. For async producers that must
    /// not lose data.
    ///
    /// Waits until the consumer drains, whatever happens to the calling task: cancellation does not
    /// end the wait. Waiting senders are resumed by ``drain(into:)`` and then compete for the room
    /// with other producers, so the order between concurrent senders is not guaranteed; one
    /// sender's elements stay in order.
    public func send(_ element: Element) async {
        while !post(element) {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let roomNow = state.withLock { state in
                    if state.queue.count < capacity { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if roomNow { continuation.resume() }
            }
        }
    }

    /// Takes everything queued, appending it to `into` in order (called on the loop thread after a
    /// wake-up); resumes suspended senders, as many as there is now room for.
    public func drain(into elements: inout [Element]) {
        let resumed: [CheckedContinuation<Void, Never>] = state.withLock { state in
            elements.append(contentsOf: state.queue)
            state.queue.removeAll(keepingCapacity: true)
            let count = min(state.waiters.count, capacity)
            guard count > 0 else { return [] }
            let taken = Array(state.waiters.prefix(count))
            state.waiters.removeFirst(count)
            return taken
        }
        for continuation in resumed { continuation.resume() }
    }

    /// How many elements are queued now (a snapshot, for metrics and tests).
    public var count: Int {
        state.withLock { $0.queue.count }
    }

    /// How many ``send(_:)`` calls are suspended waiting for room (a snapshot, for metrics and tests).
    public var waitingSenderCount: Int {
        state.withLock { $0.waiters.count }
    }
}
