// MARK: - Drain: workers leave without losing or duplicating work

extension CoordinatorStateMachine {
    /// `herd drain`: every matching live worker stops getting work from this instant and is told
    /// to drain with `grace`. Answered with DRAIN-REPLY once all of them have left.
    mutating func drainRequested(
        _ request: DrainRequest,
        from peer: PeerID,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        self.clients.touch(peer, now: now)
        let matching = self.membership.matching(request.target)
        actions.append(
            .log(
                LogLine(
                    .info,
                    "drain requested",
                    ["target": "\(request.target)", "workers": "\(matching.count)", "grace": "\(request.grace)"]
                )
            )
        )
        guard !matching.isEmpty else {
            self.send(.drainReply(DrainReport(token: request.token, workers: [])), to: peer, now: now, into: &actions)
            return
        }
        for worker in matching where self.membership[worker]?.drain == nil {
            self.startDrain(worker, now: now, grace: request.grace)
            self.send(.drainWorker(DrainOrder(grace: request.grace)), to: worker, now: now, into: &actions)
        }
        self.membership.add(DrainRecord(token: request.token, requester: peer, workers: matching))
    }

    /// A worker drains (asked, or on its own after SIGTERM): no new work from now on.
    mutating func startDrain(_ peer: PeerID, now: Instant, grace: Duration = .zero) {
        guard let group = self.membership.startDrain(peer, now: now, grace: grace) else { return }
        self.queues.markDirty(group)
    }

    /// A worker gave an attempt back without being asked (drain, or a stop): re-queue it at the
    /// front. Not a failure: it does not count toward the poison limit or a breaker.
    mutating func attemptGivenBack(
        _ subtask: SubtaskRef,
        by peer: PeerID,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        // Taken out of the table while it changes, so its arrays are never copied (CoW).
        guard var job = self.jobs.take(subtask.job) else { return }
        defer { self.jobs.put(job) }
        guard let running = job.running[subtask.index], running.worker == peer else { return }
        job.running[subtask.index] = nil
        let requeued = running.cancelledAt == nil
        if let worker = self.membership.gaveBack(subtask, by: peer, requeued: requeued) {
            // A give-back is not a failure: it counts against no breaker.
            self.resilience.release(group: worker.group, workerID: worker.workerID)
        }
        self.jobs.markDirty(job.id)
        if requeued { self.requeueAtFront(subtask.index, of: &job) }
        self.attemptEnded(AttemptRef(subtask: subtask, attempt: running.attempt), now: now, into: &actions)
    }

    /// Answers every drain whose workers have all left.
    mutating func answerCompletedDrains(now: Instant, into actions: inout [CoordinatorAction]) {
        for (requester, report) in self.membership.takeCompletedDrains() {
            self.send(.drainReply(report), to: requester, now: now, into: &actions)
        }
    }

    /// Tells the clients of jobs waiting in `group` why, once, when the group has work queued and
    /// no worker that can take it (all draining, dead, or none ever).
    mutating func noticeWaitingGroup(_ name: String, now: Instant, into actions: inout [CoordinatorAction]) {
        guard let group = self.queues[name] else { return }
        let stuck = group.queued > 0 && !group.workers.contains { self.membership[$0]?.acceptsWork == true }
        guard self.queues.setStuck(name, stuck) else { return }
        let message = "group '\(name)' has no live worker that can take work; \(group.queued) subtasks wait for one"
        actions.append(.log(LogLine(.warning, message, ["group": name])))
        for job in self.jobs.sorted where job.group == name && !job.isEnding && !job.abandoned {
            self.send(.jobNotice(JobNotice(job: job.id, message: message)), to: job.client, now: now, into: &actions)
        }
    }
}
