// MARK: - Restore: a coordinator rebuilt from its journal after a crash or a restart

extension CoordinatorStateMachine {
    /// A machine rebuilt from the records a journaling coordinator wrote (in write order).
    ///
    /// Committed results are kept and never run again; every other subtask is queued, and
    /// dispatch waits one liveness window so the workers still running restored attempts
    /// re-register first and keep them (``reconcile(_:of:now:into:)``). A job that was ending
    /// ends (its unfinished subtasks cancelled); a nested job is cancelled, since its parent
    /// attempt cannot be known to survive; breaker commands are replayed. Clients are expected
    /// back: their first message re-attaches them, and they are sent their jobs' results again
    /// (clients drop results they already have).
    public init(configuration: CoordinatorConfiguration, restoring records: [JournalRecord], now: Instant) {
        self.init(configuration: configuration)
        for record in records {
            switch record {
            case .jobAccepted(let id, let client, let deadline, let submission):
                var job = JobRecord(id: id, client: client, submission: submission, deadline: deadline)
                job.restored = true
                job.acceptedAt = now
                job.keepsResults = self.journal.enabled
                self.jobs.restore(job)
                self.clients.restore(client, job: id, now: now)
                if self.journal.enabled { self.archive.open(id, token: submission.token) }
            case .resultsCommitted(let id, let results, let usage):
                self.jobs.inPlace(id) { job in
                    for result in results { job.restoreCommitted(result) }
                    job.usage = usage
                }
                self.archive.append(results, of: id)
            case .jobEnded(let id, let reason):
                self.jobs.inPlace(id) { $0.endReason = reason }
            case .jobFinished(let summary, let at):
                if let job = self.jobs.forget(summary.job) { self.clients.remove(job.id, of: job.client) }
                self.archive.finished(summary, at: at)
            case .breakerCommand(let action, let path):
                guard let path = BreakerPath(parsing: path) else { continue }
                switch action {
                case .open: _ = self.resilience.breakers.forceOpen(path, now: now)
                case .close: _ = self.resilience.breakers.close(path, now: now)
                case .reset: _ = self.resilience.breakers.reset(path, now: now)
                case .disable: _ = self.resilience.breakers.disable(path, now: now)
                }
            }
        }
        for id in self.jobs.ids {
            guard var job = self.jobs.take(id) else { continue }
            if job.parent != nil, !job.isEnding {
                job.endReason = Failure(.cancelled, "its parent attempt did not survive a coordinator restart")
                self.journal.append(.jobEnded(id, reason: job.endReason!))
            }
            // Queued first, so an ending job's subtasks leave the queue's count as they are committed.
            self.queueUnfinished(of: job)
            if job.isEnding {
                _ = self.commitUnfinished(
                    &job,
                    outcome: .failure(Failure(.cancelled, job.endReason!.message)),
                    now: now
                )
            }
            self.jobs.put(job)
            self.jobs.markDirty(id)
        }
        // Only restored work waits for its workers; a fresh journal dispatches at once.
        if !self.jobs.isEmpty { self.resumeDispatchAt = now + configuration.livenessWindow }
    }

    /// Queues the runs of a restored job's unfinished subtasks, in index order.
    private mutating func queueUnfinished(of job: JobRecord) {
        var start: UInt32?
        for index in 0 ... job.total {
            let unfinished = index < job.total && job.phases[Int(index)] != .finished
            if unfinished, start == nil { start = index }
            if !unfinished, let first = start {
                self.queues.enqueue(job.id, range: first ..< index, in: job.group)
                start = nil
            }
        }
    }

    /// `herd results JOB`: the job's kept results (a journaling coordinator keeps them until the
    /// retention after the job finished; one without a journal keeps none).
    func resultsReply(_ request: ResultsRequest) -> ResultsReply {
        guard let kept = self.archive[request.job] else {
            return ResultsReply(token: request.token, job: request.job, state: .unknown)
        }
        let finished = kept.summary != nil && self.jobs[request.job] == nil
        return ResultsReply(
            token: request.token,
            job: request.job,
            state: finished ? .finished : .running,
            results: kept.results,
            summary: finished ? kept.summary : nil
        )
    }

    /// A restored client was heard from: it is sent its restored jobs' kept results again, and
    /// the summary of those that finished (maybe while it was away, or just before the crash).
    mutating func reattach(_ peer: PeerID, jobs: [JobID], now: Instant, into actions: inout [CoordinatorAction]) {
        for id in jobs {
            guard let kept = self.archive[id] else { continue }
            if !kept.results.isEmpty { self.send(.jobResults(kept.results), to: peer, now: now, into: &actions) }
            if let summary = kept.summary, self.jobs[id] == nil {
                self.send(.jobFinished(summary), to: peer, now: now, into: &actions)
            }
        }
        actions.append(.log(LogLine(.info, "client re-attached after a restart", ["client": peer.description])))
    }
}
