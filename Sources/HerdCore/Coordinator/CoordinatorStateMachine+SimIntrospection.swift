// MARK: - Introspection for the simulator's resilience checks (read-only, `package` only)

extension CoordinatorStateMachine {
    /// The breaker hierarchy as it stands (a value copy: reading it changes nothing). The simulator
    /// keeps the one from before each flush to judge the DISPATCHes that flush sends, and reads
    /// each breaker's `history` to check that only legal transitions happened.
    package var simBreakers: BreakerHierarchy { self.resilience.breakers }

    /// Where one subtask stands and how many attempts it was dispatched, or `nil` once its job is
    /// forgotten. Cheap: the simulator asks only about subtasks a failed RESULT named.
    package func simSubtask(_ subtask: SubtaskRef) -> (phase: SubtaskPhaseView, attempts: UInt32)? {
        guard let job = self.jobs[subtask.job], subtask.index < job.total else { return nil }
        let phase: SubtaskPhaseView
        switch job.phases[Int(subtask.index)] {
        case .queued: phase = .queued
        case .running: phase = .running
        case .waitingRetry: phase = .waitingRetry
        case .finished: phase = .finished
        }
        return (phase, job.attempts[Int(subtask.index)])
    }

    /// The cluster-wide retry budget at `now` (for explaining a violation).
    package func simRetryBudgetLevel(now: Instant) -> RetryBudget.Level { self.retries.budget.level(now: now) }

    /// Whether the coordinator has `peer` as a live worker, and whether it is draining.
    package func simWorker(_ peer: PeerID) -> (isLive: Bool, isDraining: Bool)? {
        guard let worker = self.membership[peer] else { return nil }
        return (worker.isLive, worker.isLive && worker.drain != nil)
    }
}
