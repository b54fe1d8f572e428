// MARK: - Cancellation: jobs, subtrees, deadlines, policies and budgets end work everywhere

extension CoordinatorStateMachine {
    /// A client asked to cancel a job (and its subtree). Answered with CANCEL-REPLY once every
    /// attempt has confirmed it stopped; at once if the job is unknown or already finished.
    mutating func cancelRequested(
        _ request: CancelJob,
        from peer: PeerID,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        self.clients.touch(peer, now: now)
        guard self.jobs[request.job] != nil else {
            self.send(
                .cancelReply(CancelReply(token: request.token, job: request.job, found: false, cancelled: 0)),
                to: peer,
                now: now,
                into: &actions
            )
            return
        }
        // A client sends CANCEL-JOB again until the job finishes (the first may have died with a
        // coordinator that crashed): each requester is answered once.
        guard !self.jobs[request.job]!.cancelRequests.contains(where: { $0.peer == peer && $0.token == request.token })
        else { return }
        self.jobs[request.job]!.cancelRequests.append(
            JobRecord.CancelRequester(peer: peer, token: request.token, at: now)
        )
        let reason = request.reason.isEmpty ? "cancelled on request" : request.reason
        actions.append(
            .log(
                LogLine(
                    .info,
                    "job cancel requested",
                    ["job": "\(request.job)", "by": peer.description, "reason": reason]
                )
            )
        )
        self.endJob(request.job, reason: Failure(.cancelled, reason), now: now, into: &actions)
    }

    /// Ends a job early: its queued subtasks are committed as cancelled with `reason`, every
    /// outstanding attempt is told to stop (and committed as cancelled now, so nothing it still
    /// produces is ever delivered), and every nested job under it is ended too. Idempotent.
    mutating func endJob(_ id: JobID, reason: Failure, now: Instant, into actions: inout [CoordinatorAction]) {
        guard self.jobs[id]?.isEnding == false else {
            if self.jobs[id] != nil { self.jobs.markDirty(id) }
            return
        }
        self.jobs.markDirty(id)
        var job = self.jobs.take(id)!  // out while it changes: no copy-on-write
        job.endReason = reason
        self.journal.append(.jobEnded(id, reason: reason))
        let (dropped, stopping) = self.commitUnfinished(
            &job,
            outcome: .failure(Failure(.cancelled, reason.message)),
            now: now
        )
        self.jobs.put(job)
        actions.append(
            .log(
                LogLine(
                    .info,
                    "job ending: \(reason.message)",
                    ["job": "\(id)", "dropped": "\(dropped)", "stopping": "\(stopping.count)"]
                )
            )
        )
        for attempt in stopping { self.attemptEnded(attempt, now: now, into: &actions) }
    }

    /// Commits `outcome` for every unfinished subtask of `job` (taken out of the dictionary by
    /// the caller): queued and waiting ones leave the queue, running ones are told to stop
    /// (batched CANCEL), their attempts kept outstanding until confirmed. Returns how many left
    /// the group's queue and the attempts told to stop (the caller ends their nested jobs).
    mutating func commitUnfinished(
        _ job: inout JobRecord,
        outcome: Outcome,
        now: Instant
    ) -> (dropped: Int, stopping: [AttemptRef]) {
        var dropped = 0
        var stopping: [AttemptRef] = []
        for index in 0 ..< job.total {
            switch job.phases[Int(index)] {
            case .queued:
                job.commit(index, outcome: outcome, worker: "")
                dropped += 1
            case .waitingRetry:
                job.commit(index, outcome: outcome, worker: "")
            case .running:
                let running = job.running[index]!
                job.commit(
                    index,
                    outcome: outcome,
                    worker: self.membership[running.worker]?.registration.workerID ?? ""
                )
                job.running[index]!.cancelledAt = now
                let attempt = AttemptRef(subtask: SubtaskRef(job: job.id, index: index), attempt: running.attempt)
                self.outbound.cancel(attempt, at: running.worker)
                stopping.append(attempt)
            case .finished:
                break
            }
        }
        self.queues.dropped(dropped, from: job.group)
        return (dropped, stopping)
    }

    /// After a commit the coordinator made itself (a deadline passed in the queue, a breaker open,
    /// a subtask given up after repeated worker loss): ends the job if that decided its fan-out
    /// policy or budget, as a committed RESULT does (PROTOCOL.md §7.10; found by the simulator).
    mutating func endIfDecided(
        _ subtask: SubtaskRef,
        outcome: Outcome,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        guard let job = self.jobs[subtask.job], !job.isEnding, job.finished < job.total,
            let reason = job.policyVerdict(lastIndex: subtask.index, lastOutcome: outcome)
        else { return }
        self.endJob(subtask.job, reason: reason, now: now, into: &actions)
    }

    /// An attempt is over for the coordinator (committed, cancelled, or lost): the jobs it
    /// submitted from inside its handler are cancelled, so no nested work outlives its parent.
    mutating func attemptEnded(_ attempt: AttemptRef, now: Instant, into actions: inout [CoordinatorAction]) {
        guard self.jobs.hasNestedJobs else { return }
        for child in self.jobs.takeChildren(of: attempt) {
            self.endJob(child, reason: Failure(.cancelled, "parent \(attempt) ended"), now: now, into: &actions)
        }
    }

    /// A worker confirms attempts stopped. For an attempt we cancelled, that releases its credit;
    /// for one we did not, the worker gave it back (it is re-queued).
    mutating func cancelledReceived(
        _ attempts: [AttemptRef],
        from peer: PeerID,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        for attempt in attempts {
            let subtask = attempt.subtask
            guard let running = self.jobs[subtask.job]?.running[subtask.index], running.attempt == attempt.attempt,
                running.worker == peer
            else { continue }
            if running.cancelledAt != nil {
                self.jobs[subtask.job]!.running[subtask.index] = nil
                if let worker = self.membership.released(subtask, from: peer) {
                    self.resilience.release(group: worker.group, workerID: worker.workerID)
                    self.queues.markDirty(worker.group)
                }
                self.jobs.markDirty(subtask.job)
            } else {
                self.attemptGivenBack(subtask, by: peer, now: now, into: &actions)
            }
        }
    }

    /// Partial output of a running attempt: forwarded to the client while the attempt is current
    /// and not cancelled; its usage counts against the job's budget.
    mutating func partialReceived(
        _ partial: PartialOutput,
        from peer: PeerID,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        let subtask = partial.attempt.subtask
        guard var job = self.jobs[subtask.job], let running = job.running[subtask.index],
            running.attempt == partial.attempt.attempt, running.worker == peer, running.cancelledAt == nil
        else { return }
        job.usage &+= partial.usage
        var forwarded = partial
        forwarded.worker = self.membership[peer]?.registration.workerID ?? ""
        let client = job.client
        let abandoned = job.abandoned
        let overBudget = job.budget.map { job.usage >= $0 } ?? false
        let usage = job.usage
        self.jobs[subtask.job] = job
        if !abandoned { self.send(.partial(forwarded), to: client, now: now, into: &actions) }
        if overBudget, let budget = job.budget {
            self.endJob(
                subtask.job,
                reason: Failure(.budgetExhausted, "used \(usage) of a budget of \(budget) units"),
                now: now,
                into: &actions
            )
        }
    }

    /// The coordinator's side of a job's deadline (the worker enforces it first; this catches a
    /// worker that is stalled or gone): every unfinished subtask fails with `timeout`, and
    /// outstanding attempts are told to stop.
    mutating func deadlineExpired(_ id: JobID, now: Instant, into actions: inout [CoordinatorAction]) {
        guard self.jobs[id]?.isEnding == false else { return }
        var job = self.jobs.take(id)!  // out while it changes: no copy-on-write
        let timeout = Outcome.failure(Failure(.timeout, "deadline passed (enforced by the coordinator)"))
        let (dropped, stopping) = self.commitUnfinished(&job, outcome: timeout, now: now)
        let expired = stopping.count
        self.jobs.put(job)
        self.jobs.markDirty(id)
        if dropped + expired > 0 {
            actions.append(
                .log(
                    LogLine(
                        .warning,
                        "job deadline enforced by the coordinator",
                        ["job": "\(id)", "queued": "\(dropped)", "running": "\(expired)"]
                    )
                )
            )
        }
        for attempt in stopping { self.attemptEnded(attempt, now: now, into: &actions) }
    }

    /// Sends the CANCEL batches decided since the last flush, one message per worker.
    mutating func flushCancels(now: Instant, into actions: inout [CoordinatorAction]) {
        for (peer, attempts) in self.outbound.takeCancels() where self.membership.isLive(peer) {
            self.send(.cancel(attempts), to: peer, now: now, into: &actions)
        }
    }
}
