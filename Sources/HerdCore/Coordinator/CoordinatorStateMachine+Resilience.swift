// MARK: - Resilience: retries under a cluster-wide budget, breakers, fallbacks, recovery ramps

extension CoordinatorStateMachine {
    /// The retry policy for a subtask of `kind` in `group`: the coordinator's, then the group's
    /// override, then the kind's (the most specific wins).
    func retryPolicy(for group: String, kind: String) -> RetryPolicy {
        let groupPolicy = self.configuration.groupPolicies[group]?.retry ?? self.configuration.retry
        guard let override = self.configuration.kindRetries[kind] else { return groupPolicy }
        return override.applied(to: groupPolicy)
    }

    /// Records an attempt's outcome with the breakers (and the error statistics), logging any
    /// transition; a worker whose breaker closes starts its recovery ramp.
    mutating func recordOutcome(
        _ report: BreakerHierarchy.Report,
        group: String,
        worker peer: PeerID,
        duration: Duration,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        let workerID = self.membership[peer]?.registration.workerID ?? peer.description
        let transitions = self.resilience.record(
            report,
            group: group,
            workerID: workerID,
            peer: peer,
            duration: duration,
            now: now
        )
        self.logTransitions(transitions, into: &actions)
    }

    func logTransitions(_ transitions: [BreakerHierarchy.PathTransition], into actions: inout [CoordinatorAction]) {
        for change in transitions {
            let level: LogLine.Level = change.transition.to == .closed ? .info : .warning
            actions.append(
                .log(
                    LogLine(
                        level,
                        "breaker \(change.transition.from) → \(change.transition.to)",
                        ["breaker": "\(change.path)", "trigger": "\(change.transition.trigger)"]
                    )
                )
            )
        }
    }

    /// A failed attempt: retried after a backoff if its group's policy and the cluster-wide
    /// budget allow (returns `nil`), or the failure the subtask is to be committed with.
    mutating func scheduleRetry(
        _ subtask: SubtaskRef,
        failure: Failure,
        attempt: UInt32,
        worker peer: PeerID,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) -> Failure? {
        guard
            let (group, kind, deadline) = self.jobs.inPlace(
                subtask.job,
                { job -> (String, String, Instant?)? in
                    job.isEnding ? nil : (job.group, job.kind, job.deadline)
                }
            ) ?? nil
        else { return failure }
        let policy = self.retryPolicy(for: group, kind: kind)
        switch self.retries.consider(
            subtask,
            failure: failure,
            attempt: attempt,
            worker: peer,
            policy: policy,
            deadline: deadline,
            now: now
        ) {
        case .final(let final):
            self.observations.retry(group: group, outcome: "final")
            return final
        case .refusedByBudget(let final):
            self.observations.retry(group: group, outcome: "refused")
            actions.append(
                .log(
                    LogLine(
                        .warning,
                        "retry refused by the cluster retry budget",
                        ["subtask": "\(subtask)", "category": "\(failure.category)"]
                    )
                )
            )
            return final
        case .scheduled:
            self.observations.retry(group: group, outcome: "scheduled")
            self.jobs[subtask.job]!.phases[Int(subtask.index)] = .waitingRetry
            self.armRetryTimer(into: &actions)
            return nil
        }
    }

    mutating func armRetryTimer(into actions: inout [CoordinatorAction]) {
        guard let next = self.retries.timerToArm() else { return }
        actions.append(.schedule(.retryDue, at: next))
    }

    /// Retries that are due go to the front of their group's queue.
    mutating func retriesDue(now: Instant, into actions: inout [CoordinatorAction]) {
        for subtask in self.retries.takeDue(now: now) {
            guard self.jobs[subtask.job]?.phases[Int(subtask.index)] == .waitingRetry,
                var job = self.jobs.take(subtask.job)
            else { continue }
            self.requeueAtFront(subtask.index, of: &job)
            self.jobs.put(job)
        }
        self.armRetryTimer(into: &actions)
    }
}
