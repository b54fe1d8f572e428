// MARK: - Introspection: read-only views for the simulator's invariant checks

extension WorkerStateMachine {
    /// Attempts whose handler has not returned yet (including ones being cancelled or given
    /// back), in job, index and attempt order.
    package var introspectedRunning: [AttemptRef] {
        self.running.keys.sorted {
            ($0.subtask.job, $0.subtask.index, $0.attempt) < ($1.subtask.job, $1.subtask.index, $1.attempt)
        }
    }

    /// Attempts with a result or a cancel confirmation not yet sent (held while not registered).
    package var introspectedUnsent: [AttemptRef] { self.outbox.map(\.attempt) + self.cancelledOutbox }

    /// True while the worker drains (asked by the coordinator, or after SIGTERM).
    package var introspectedDraining: Bool { self.drainingSince != nil }

    /// True once the machine asked its shell to exit.
    package var introspectedExited: Bool { self.exited }
}
