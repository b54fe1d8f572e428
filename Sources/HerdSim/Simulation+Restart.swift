import HerdCore

// MARK: - A coordinator crash (kill -9) and its restart on the journal

extension Simulation {
    /// The coordinator process dies and a new one starts at once on its journal: its timers, its
    /// sockets' queues and anything in flight are gone; workers and clients reconnect by
    /// themselves (same routing ids) and find a coordinator rebuilt from what it journaled.
    func crashCoordinator() {
        self.stats.coordinatorCrashes += 1
        self.trace.add(
            "\(self.prefix) FAULT kill -9 coordinator; restarting it on its journal (\(self.journal.count) records)"
        )
        self.coordinatorIncarnation += 1
        self.coordinatorCrashedAt = self.now
        self.coordinatorResumesDispatchAt = self.now + self.scenario.coordinator.livenessWindow
        self.lateAfterCrash.removeAll()
        self.deferred[.coordinator] = nil
        if self.network.isStalled(.coordinator) { _ = self.network.resume(.coordinator, now: self.now) }
        self.network.coordinatorCrashed()
        // Requests in flight die with it (`herd cancel` would report the lost connection).
        for index in self.requesters.indices where !self.requesters[index].isDone {
            self.requesters[index].lostWithCoordinator = true
        }
        // What the checks learned from the old process's state, not from what it sent.
        self.ledger.drainedSince.removeAll()
        self.ledger.wasLive.removeAll()
        // The new process's retry budget starts empty: its first attempts are deposits again.
        self.ledger.firstAttemptsDeposited.removeAll()
        self.ledger.retryScheduled.removeAll()
        self.breakersSeen.removeAll()
        self.budget = SimRetryBudget(self.scenario.coordinator.retryBudget)
        self.coordinatorResumedAt = self.now
        // The new coordinator replays the operator's breaker commands it journaled.
        for case .breakerCommand(_, let text) in self.journal {
            if let path = BreakerPath(parsing: text) { self.operatorPaths.insert(path) }
        }
        var records = self.journal
        if self.options.forgetJournaledResults {
            records.removeAll { if case .resultsCommitted = $0 { true } else { false } }
        }
        self.coordinator = CoordinatorStateMachine(
            configuration: Self.coordinatorConfiguration(self.scenario, self.options),
            restoring: records,
            now: self.now
        )
        self.performCoordinator(self.coordinator.start(now: self.now))
    }
}
