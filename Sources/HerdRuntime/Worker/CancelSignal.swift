import Synchronization

/// A one-shot signal the worker's loop thread fires to cancel one running handler.
///
/// The handler's task attaches its cancel action; firing before or after attaching both work.
final class CancelSignal: Sendable {
    private enum State {
        case idle
        case attached(@Sendable () -> Void)
        case fired
    }

    private let state = Mutex(State.idle)

    /// Fires the signal (idempotent, from any thread).
    func fire() {
        let action: (@Sendable () -> Void)? = self.state.withLock { state in
            defer { state = .fired }
            if case .attached(let action) = state { return action }
            return nil
        }
        action?()
    }

    /// Runs `action` when the signal fires (at once if it already has).
    func attach(_ action: @escaping @Sendable () -> Void) {
        let firedAlready: Bool = self.state.withLock { state in
            if case .fired = state { return true }
            state = .attached(action)
            return false
        }
        if firedAlready { action() }
    }
}
