import Synchronization

/// A one-shot signal a loop thread fires to cancel one running handler.
final class CancelSignal: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<Void, Never>)
        case fired
    }

    private let state = Mutex(State.idle)

    /// Fires the signal (idempotent, from any thread).
    func fire() {
        let waiter: CheckedContinuation<Void, Never>? = self.state.withLock { state in
            defer { state = .fired }
            if case .waiting(let continuation) = state { return continuation }
            return nil
        }
        waiter?.resume()
    }

    /// Returns when fired, or when the waiting task is cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = self.state.withLock { state in
                    switch state {
                    case .idle:
                        state = .waiting(continuation)
                        return false
                    case .fired, .waiting:
                        return true
                    }
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.fire()
        }
    }
}
