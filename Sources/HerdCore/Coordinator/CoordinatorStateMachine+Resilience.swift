import HeapModule

// MARK: - Resilience: retries under a cluster-wide budget, breakers, fallbacks, recovery ramps

extension CoordinatorStateMachine {
    /// A retry waiting for its delay, ordered by due time then by scheduling order.
    struct RetryEntry: Comparable {
        var due: Instant
        var sequence: UInt64
        var subtask: SubtaskRef

        static func < (lhs: RetryEntry, rhs: RetryEntry) -> Bool { (lhs.due, lhs.sequence) < (rhs.due, rhs.sequence) }
    }

    /// The retry policy for a subtask of `kind` in `group`: the coordinator's, then the group's
    /// override, then the kind's (the most specific wins).
    func retryPolicy(for group: String, kind: String) -> RetryPolicy {
        let groupPolicy = self.configuration.groupPolicies[group]?.retry ?? self.configuration.retry
        guard let override = self.configuration.kindRetries[kind] else { return groupPolicy }
        return override.applied(to: groupPolicy)
    }

    /// Records an attempt's outcome with the breakers (and the error statistics), logging any
    /// transition; a worker whose breaker closes starts its recovery ramp.
    mutating func recordOutcome(_ report: BreakerHierarchy.Report, group: String, worker peer: PeerID, duration: Duration, now: Instant, into actions: inout [CoordinatorAction]) {
        let workerID = self.workers[peer]?.registration.workerID ?? peer.description
        let transitions = self.breakers.record(report, group: group, worker: workerID, duration: duration, now: now)
        switch report {
        case .success: self.errorStats.recordSuccess(now: now)
        case .failure(let category): self.errorStats.recordFailure(category, now: now)
        case .workerLost: self.errorStats.recordFailure(.network, now: now)
        }
        if case .failure = report { self.ramps[peer]?.recordFailure(now: now) }
        self.logTransitions(transitions, into: &actions)
        for change in transitions where change.transition.to == .closed {
            if case .worker = change.path { self.startRamp(peer, now: now) }
        }
    }

    func logTransitions(_ transitions: [BreakerHierarchy.PathTransition], into actions: inout [CoordinatorAction]) {
        for change in transitions {
            let level: LogLine.Level = change.transition.to == .closed ? .info : .warning
            actions.append(.log(LogLine(level, "breaker \(change.transition.from) → \(change.transition.to)", ["breaker": "\(change.path)", "trigger": "\(change.transition.trigger)"])))
        }
    }

    /// A recovering worker (breaker closed again, or back from the dead) gets its share of new
    /// work back in steps rather than all at once.
    mutating func startRamp(_ peer: PeerID, now: Instant) {
        self.ramps[peer] = RecoveryRamp(configuration: self.configuration.recoveryRamp, startedAt: now)
    }

    /// Credit the scheduler may use at a worker now: its free credit, limited by its ramp.
    mutating func usableCredit(_ worker: WorkerRecord, now: Instant) -> Int {
        self.usableCredit(worker.peer, free: worker.freeCredit, capacity: Int(worker.registration.capacity), now: now)
    }

    /// Credit the scheduler may use at worker `peer` with `free` of `capacity` credit left.
    mutating func usableCredit(_ peer: PeerID, free: Int, capacity: Int, now: Instant) -> Int {
        guard !self.ramps.isEmpty, let ramp = self.ramps[peer] else { return free }
        if ramp.isComplete(now: now) {
            self.ramps[peer] = nil
            return free
        }
        return ramp.effectiveCredit(free: free, capacity: capacity, now: now)
    }

    /// A failed attempt: retried after a backoff if its group's policy and the cluster-wide
    /// budget allow (returns true), or left to be committed with its final failure.
    mutating func scheduleRetry(_ subtask: SubtaskRef, failure: Failure, attempt: UInt32, worker peer: PeerID, now: Instant, into actions: inout [CoordinatorAction]) -> Failure? {
        guard let job = self.jobs[subtask.job], !job.isEnding else { return failure }
        let policy = self.retryPolicy(for: job.group, kind: job.kind)
        let earlier = self.earlierFailures.removeValue(forKey: subtask) ?? []
        // The policy first, then the deadline, and only then the budget: a retry that could not
        // finish in time is not made, so it must not spend the cluster's budget either.
        var decision = policy.decision(for: failure, attempt: attempt, rng: &self.rng)
        if case .retry(let delay) = decision {
            if let deadline = job.deadline, now + delay >= deadline {
                // The retry could not finish in time: the failure stands.
                return earlier.isEmpty ? failure : failure.causedBy(earlier)
            }
            if !self.retryBudget.tryWithdrawRetry(now: now) { decision = .giveUp(.budgetExhausted) }
        }
        switch decision {
        case .giveUp(let reason):
            let final = reason.finalFailure(for: failure)
            if case .budgetExhausted = reason {
                actions.append(.log(LogLine(.warning, "retry refused by the cluster retry budget", ["subtask": "\(subtask)", "category": "\(failure.category)"])))
                return final.causedBy(earlier + [failure])
            }
            return earlier.isEmpty ? final : final.causedBy(earlier)
        case .retry(let delay):
            self.earlierFailures[subtask] = Array((earlier + [failure]).suffix(Failure.maxCauses))
            self.jobs[subtask.job]!.phases[Int(subtask.index)] = .waitingRetry
            self.lastTried[subtask] = peer
            self.retrySequence &+= 1
            self.retries.insert(RetryEntry(due: now + delay, sequence: self.retrySequence, subtask: subtask))
            self.armRetryTimer(into: &actions)
            return nil
        }
    }

    mutating func armRetryTimer(into actions: inout [CoordinatorAction]) {
        guard let next = self.retries.min?.due else { return }
        if let armed = self.retryTimerAt, armed <= next { return }
        self.retryTimerAt = next
        actions.append(.schedule(.retryDue, at: next))
    }

    /// Retries that are due go to the front of their group's queue.
    mutating func retriesDue(now: Instant, into actions: inout [CoordinatorAction]) {
        self.retryTimerAt = nil
        while let next = self.retries.min, next.due <= now {
            _ = self.retries.removeMin()
            let subtask = next.subtask
            guard let job = self.jobs[subtask.job], job.phases[Int(subtask.index)] == .waitingRetry else { continue }
            self.jobs[subtask.job]!.phases[Int(subtask.index)] = .queued
            self.groups[job.group, default: GroupRecord(name: job.group)].queue.prepend(
                GroupRecord.QueueEntry(job: job.id, next: subtask.index, end: subtask.index + 1)
            )
            self.groups[job.group]!.queued += 1
            self.dirtyGroups.insert(job.group)
        }
        self.armRetryTimer(into: &actions)
    }

    /// Whether the cluster and group breakers let work into `group` now (no permit taken).
    func groupAdmitsWork(_ group: String, now: Instant) -> Bool {
        let cluster = self.breakers.breaker(at: .cluster)?.isCallPermitted(now: now) ?? true
        let own = self.breakers.breaker(at: .group(group))?.isCallPermitted(now: now) ?? true
        return cluster && own
    }

    /// Whether `group`'s breaker (or the cluster's) is open right now, as opposed to half-open
    /// with its probes in use: an open group fails fast, a probing one waits.
    func groupIsOpen(_ group: String, now: Instant) -> Bool {
        let states = [self.breakers.breaker(at: .cluster), self.breakers.breaker(at: .group(group))].compactMap { $0?.stateName(now: now) }
        return states.contains(.open) || states.contains(.forcedOpen)
    }
}
