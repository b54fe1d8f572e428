// MARK: - Jobs: submission, results, completion, vanished clients

extension CoordinatorStateMachine {
    /// The most subtasks one job may have.
    public static let maxSubtasksPerJob = 10_000_000

    mutating func submit(
        _ submission: Submission,
        from peer: PeerID,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        self.clients.touch(peer, now: now)
        var refusal = self.lifeCycle.acceptsJobs ? self.validate(submission, from: peer) : nil
        if !self.lifeCycle.acceptsJobs { refusal = Failure(.server, "coordinator shutting down: not accepting jobs") }
        if refusal == nil { refusal = self.limitExceeded(submission, from: peer, now: now) }
        if let failure = refusal {
            actions.append(.log(LogLine(.info, "job rejected: \(failure.message)", ["client": peer.description])))
            self.send(
                .rejected(Rejection(token: submission.token, failure: failure)),
                to: peer,
                now: now,
                into: &actions
            )
            return
        }
        // A nested job's deadline is the tighter of its own and its parent's.
        var deadline = submission.timeout.map { now + $0 }
        if let parent = submission.parent, let parentDeadline = self.jobs[parent.subtask.job]?.deadline {
            deadline = min(deadline ?? parentDeadline, parentDeadline)
        }
        let job = self.jobs.accept(submission, from: peer, deadline: deadline)  // validate() checked a parent is running
        let id = job.id
        self.jobs.inPlace(id) { $0.acceptedAt = now }
        self.journal.append(.jobAccepted(id, client: peer, deadline: deadline, submission))
        if self.journal.enabled {
            self.archive.open(id, token: submission.token)
            self.jobs.inPlace(id) { $0.keepsResults = true }
        }
        self.clients.add(id, to: peer)
        self.recordOwner(of: id, from: peer)
        self.queues.enqueue(id, count: job.total, in: submission.group)
        var metadata = [
            "job": "\(id)", "group": submission.group, "kind": submission.kind, "subtasks": "\(job.total)",
            "client": peer.description, "policy": "\(submission.policy)",
        ]
        if let parent = submission.parent { metadata["parent"] = "\(parent)" }
        if let budget = submission.budget { metadata["budget"] = "\(budget)" }
        // Debug, like a routine "job finished": per-job lines at info cost the coordinator a write
        // per job (`--log-level debug` shows them; `herd jobs` lists jobs).
        actions.append(.log(LogLine(.debug, "job accepted", metadata)))
        self.send(
            .accepted(Accepted(token: submission.token, job: id, subtasks: job.total)),
            to: peer,
            now: now,
            into: &actions
        )
        if let deadline {
            actions.append(.schedule(.deadline(id), at: deadline + self.configuration.deadlineSlack))
        }
    }

    func validate(_ submission: Submission, from peer: PeerID) -> Failure? {
        let count = submission.payloads.count
        if count == 0 { return Failure(.validation, "a job needs at least one subtask") }
        if count > Self.maxSubtasksPerJob {
            return Failure(.validation, "a job may have at most \(Self.maxSubtasksPerJob) subtasks, got \(count)")
        }
        if let timeout = submission.timeout, timeout <= .zero {
            return Failure(.validation, "timeout must be positive")
        }
        if case .quorum(let k) = submission.policy, k == 0 || Int(k) > count {
            return Failure(.validation, "quorum:\(k) needs 1...\(count) (the job's subtask count)")
        }
        if let parent = submission.parent {
            guard let running = self.jobs[parent.subtask.job]?.running[parent.subtask.index],
                running.attempt == parent.attempt, running.worker == peer, running.cancelledAt == nil
            else {
                return Failure(
                    .cancelled,
                    "parent attempt \(parent) is not running here (finished, cancelled or superseded)"
                )
            }
        }
        guard let group = self.queues[submission.group] else {
            let known = self.queues.names.joined(separator: ", ")
            return Failure(
                .notFound,
                "no worker has registered group '\(submission.group)' (known groups: \(known.isEmpty ? "none" : known))"
            )
        }
        let live = group.workers.compactMap { self.membership[$0] }
        if !live.isEmpty, !live.contains(where: { $0.kinds.contains(submission.kind) }) {
            let kinds = Set(live.flatMap(\.kinds)).sorted().joined(separator: ", ")
            return Failure(
                .validation,
                "no worker of group '\(submission.group)' runs kind '\(submission.kind)' (kinds: \(kinds))"
            )
        }
        return nil
    }

    mutating func resultReceived(
        _ result: SubtaskResult,
        from peer: PeerID,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        let subtask = result.attempt.subtask
        // Exactly once: only the attempt we have outstanding, at this worker, may commit.
        // (Records are read and changed in place: see Dictionary.inPlace.)
        guard let running = self.jobs.inPlace(subtask.job, { $0.running[subtask.index] }) ?? nil,
            running.attempt == result.attempt.attempt, running.worker == peer
        else {
            actions.append(
                .log(
                    LogLine(
                        .debug,
                        "stale result discarded",
                        ["attempt": "\(result.attempt)", "peer": peer.description]
                    )
                )
            )
            return
        }
        let (workerGroup, workerID) = self.membership.finished(subtask, at: peer)!
        self.queues.markDirty(workerGroup)
        self.jobs.markDirty(subtask.job)
        self.jobs[subtask.job]!.running[subtask.index] = nil
        // Cancel wins over a result that crossed the CANCEL in flight: the subtask was committed
        // as cancelled when the cancel was decided; this result only confirms the attempt ended.
        guard running.cancelledAt == nil else {
            self.resilience.release(group: workerGroup, workerID: workerID)
            return
        }
        let duration = running.dispatchedAt.duration(to: now)
        var outcome = self.limitedOutput(result.outcome)
        switch outcome {
        case .success(let output):
            self.recordOutcome(.success, group: workerGroup, worker: peer, duration: duration, now: now, into: &actions)
            if !self.configuration.groupPolicies.isEmpty {
                self.rememberLastGood(subtask, output: output, servedBy: workerGroup)
            }
        case .failure(let failure) where failure.category == .cancelled:
            self.resilience.release(group: workerGroup, workerID: workerID)
        case .failure(let failure):
            self.recordOutcome(
                .failure(failure.category),
                group: workerGroup,
                worker: peer,
                duration: duration,
                now: now,
                into: &actions
            )
        }
        self.jobs[subtask.job]!.usage &+= result.usage
        if case .failure(let failure) = outcome {
            guard
                let final = self.scheduleRetry(
                    subtask,
                    failure: failure,
                    attempt: running.attempt,
                    worker: peer,
                    now: now,
                    into: &actions
                )
            else {
                self.attemptEnded(result.attempt, now: now, into: &actions)
                return
            }
            outcome = .failure(final)
        }
        self.retries.settled(subtask)
        let fallbacks = self.queues.fallbacks
        let (group, kind) = self.jobs.inPlace(subtask.job) { job in
            let fallback = fallbacks.isEmpty ? nil : fallbacks[job.group].map(FallbackSource.group)
            job.commit(subtask.index, outcome: outcome, worker: workerID, fallback: fallback)
            if !job.failureNotes.isEmpty, case .failure = outcome {
                job.failureNotes[subtask.index]?.elapsed = duration
            }
            return (job.group, job.kind)
        }!
        self.observations.duration(group: group, kind: kind, duration)
        if self.jobs.hasNestedJobs { self.attemptEnded(result.attempt, now: now, into: &actions) }
        let verdict = self.jobs.inPlace(subtask.job) { job -> Failure? in
            guard !job.isEnding, job.finished < job.total else { return nil }
            return job.policyVerdict(lastIndex: subtask.index, lastOutcome: outcome)
        }
        if let reason = verdict ?? nil {
            self.endJob(subtask.job, reason: reason, now: now, into: &actions)
        }
    }

    /// Keeps a success as its job's group's last good result, if that group keeps them (only the
    /// job's own group: a fallback group's answer is not the job's group's).
    mutating func rememberLastGood(_ subtask: SubtaskRef, output: [UInt8], servedBy workerGroup: String) {
        let capacity = self.configuration.groupPolicies[workerGroup]?.fallbackCache ?? 0
        guard capacity > 0,
            let (group, kind, payload) = self.jobs.inPlace(
                subtask.job,
                { job -> (String, String, [UInt8])? in
                    guard job.group == workerGroup else { return nil }
                    return (job.group, job.kind, job.payload(at: subtask.index))
                }
            ) ?? nil
        else { return }
        self.resilience.rememberLastGood(group: group, capacity: capacity, kind: kind, payload: payload, output: output)
    }

    /// Sends a job's committed results; once it is complete (every attempt accounted for), its
    /// summary to the client and CANCEL-REPLY to whoever asked to cancel it.
    mutating func flushJob(_ id: JobID, now: Instant, into actions: inout [CoordinatorAction]) {
        guard var job = self.jobs[id] else { return }
        // A restored client is sent its job's results and summary when it re-attaches (all of
        // them, from the archive), not before.
        let deliver = !job.abandoned && !(self.clients.awaitsReattach && self.clients.isReattaching(job.client))
        if !job.outbox.isEmpty {
            let batch = job.outbox
            job.outbox.removeAll(keepingCapacity: false)
            for result in batch { self.observations.count(result.outcome, group: job.group, kind: job.kind) }
            self.jobs[id] = job
            if self.journal.enabled {
                self.journal.append(.resultsCommitted(id, batch, usage: job.usage))
                self.archive.append(batch, of: id)
            }
            if deliver { self.send(.jobResults(batch), to: job.client, now: now, into: &actions) }
        }
        // A restored job completes only once its workers had their window to re-register and
        // say what of it they still run.
        guard job.isComplete, !(job.restored && self.resumeDispatchAt != nil) else { return }
        self.rememberFinished(job, now: now)
        _ = self.jobs.forget(id)
        self.retries.forgetJob(id)
        self.clients.remove(id, of: job.client)
        if deliver {
            self.send(.jobFinished(job.summary), to: job.client, now: now, into: &actions)
        }
        if self.journal.enabled {
            self.journal.append(.jobFinished(job.summary, at: now))
            self.archive.finished(job.summary, at: now)
        }
        for requester in job.cancelRequests {
            self.observations.cancelLatency(requester.at.duration(to: now))
            self.send(
                .cancelReply(CancelReply(token: requester.token, job: id, found: true, cancelled: job.cancelled)),
                to: requester.peer,
                now: now,
                into: &actions
            )
        }
        var metadata = [
            "job": "\(id)", "succeeded": "\(job.succeeded)", "failed": "\(job.failed)", "cancelled": "\(job.cancelled)",
            "usage": "\(job.usage)",
        ]
        if let reason = job.endReason { metadata["reason"] = reason.description }
        // A job whose every subtask succeeded is routine: at thousands of jobs a second a line each
        // was a tenth of the coordinator's CPU per job (issue 13's profile); `herd jobs` lists it
        // (docs/OPERATIONS.md, Logs). One that failed, was cancelled or ended early is logged at info.
        let routine = job.failed == 0 && job.cancelled == 0 && job.endReason == nil
        actions.append(.log(LogLine(routine ? .debug : .info, "job finished", metadata)))
    }

    /// The job a SUBMIT sent again stands for: one of the client's incomplete jobs with its token,
    /// or one of its restored jobs (`restored`, on its first message after a restart) that finished.
    /// The client resends when no answer came (docs/PROTOCOL.md §5.9); it must not get a second job.
    func alreadyAccepted(_ token: UInt64, from peer: PeerID, restored: [JobID]) -> Accepted? {
        for id in self.clients.jobs(of: peer).sorted() {
            if let job = self.jobs[id], job.token == token {
                return Accepted(token: token, job: id, subtasks: job.total)
            }
        }
        for id in restored where self.jobs[id] == nil {
            if let kept = self.archive[id], kept.token == token, let summary = kept.summary {
                return Accepted(token: token, job: id, subtasks: summary.succeeded + summary.failed + summary.cancelled)
            }
        }
        return nil
    }

    /// A client went silent past its liveness window (killed, or its network gone): its jobs are
    /// cancelled everywhere, exactly as if it had asked.
    mutating func clientGone(_ peer: PeerID, reason: String, now: Instant, into actions: inout [CoordinatorAction]) {
        guard let client = self.clients.remove(peer) else { return }
        self.outbound.forget(peer)
        for id in client.jobs.sorted() where self.jobs[id] != nil {
            self.jobs[id]!.abandoned = true
            if !self.jobs[id]!.keepsResults { self.jobs[id]!.outbox.removeAll() }
            actions.append(
                .log(
                    LogLine(
                        .warning,
                        "client gone: cancelling its job",
                        ["job": "\(id)", "client": peer.description, "reason": reason]
                    )
                )
            )
            self.endJob(id, reason: Failure(.cancelled, "client gone"), now: now, into: &actions)
        }
    }
}
