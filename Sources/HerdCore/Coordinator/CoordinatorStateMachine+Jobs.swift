// MARK: - Jobs: submission, results, completion, abandoned clients

extension CoordinatorStateMachine {
    /// The most subtasks one job may have.
    public static let maxSubtasksPerJob = 10_000_000

    mutating func submit(_ submission: Submission, from peer: PeerID, now: Instant, into actions: inout [CoordinatorAction]) {
        self.touchClient(peer, now: now)
        if let failure = self.validate(submission) {
            actions.append(.log(LogLine(.info, "job rejected: \(failure.message)", ["client": peer.description])))
            self.send(.rejected(Rejection(token: submission.token, failure: failure)), to: peer, now: now, into: &actions)
            return
        }
        let id = JobID(self.nextJobID)
        self.nextJobID += 1
        let job = JobRecord(id: id, client: peer, submission: submission, deadline: submission.timeout.map { now + $0 })
        self.jobs[id] = job
        self.clients[peer]!.jobs.insert(id)
        self.groups[submission.group]!.queue.append(GroupRecord.QueueEntry(job: id, next: 0, end: job.total))
        self.groups[submission.group]!.queued += Int(job.total)
        self.dirtyGroups.insert(submission.group)
        actions.append(.log(LogLine(.info, "job accepted", ["job": "\(id)", "group": submission.group, "kind": submission.kind, "subtasks": "\(job.total)", "client": peer.description])))
        self.send(.accepted(Accepted(token: submission.token, job: id, subtasks: job.total)), to: peer, now: now, into: &actions)
    }

    func validate(_ submission: Submission) -> Failure? {
        let count = submission.payloads.count
        if count == 0 { return Failure(.validation, "a job needs at least one subtask") }
        if count > Self.maxSubtasksPerJob {
            return Failure(.validation, "a job may have at most \(Self.maxSubtasksPerJob) subtasks, got \(count)")
        }
        if let timeout = submission.timeout, timeout <= .zero {
            return Failure(.validation, "timeout must be positive")
        }
        guard let group = self.groups[submission.group] else {
            let known = self.groups.keys.sorted().joined(separator: ", ")
            return Failure(.notFound, "no worker has registered group '\(submission.group)' (known groups: \(known.isEmpty ? "none" : known))")
        }
        let live = group.workers.compactMap { self.workers[$0] }
        if !live.isEmpty, !live.contains(where: { $0.kinds.contains(submission.kind) }) {
            let kinds = Set(live.flatMap(\.kinds)).sorted().joined(separator: ", ")
            return Failure(.validation, "no worker of group '\(submission.group)' runs kind '\(submission.kind)' (kinds: \(kinds))")
        }
        return nil
    }

    mutating func resultReceived(_ result: SubtaskResult, from peer: PeerID, now: Instant, into actions: inout [CoordinatorAction]) {
        let subtask = result.attempt.subtask
        // Exactly once: only the attempt we have outstanding, at this worker, may commit.
        guard let running = self.jobs[subtask.job]?.running[subtask.index],
            running.attempt == result.attempt.attempt, running.worker == peer
        else {
            actions.append(.log(LogLine(.debug, "stale result discarded", ["attempt": "\(result.attempt)", "peer": peer.description])))
            return
        }
        self.workers[peer]!.running.remove(subtask)
        let workerID = self.workers[peer]!.registration.workerID
        self.jobs[subtask.job]!.running[subtask.index] = nil
        if self.jobs[subtask.job]!.abandoned {
            self.jobs[subtask.job]!.commit(subtask.index, outcome: .failure(Failure(.cancelled, "client gone")), worker: workerID)
        } else {
            self.jobs[subtask.job]!.commit(subtask.index, outcome: result.outcome, worker: workerID)
        }
        self.dirtyJobs.insert(subtask.job)
        self.dirtyGroups.insert(self.workers[peer]!.registration.group)
    }

    /// Sends a job's committed results, and its summary once it is complete.
    mutating func flushJob(_ id: JobID, now: Instant, into actions: inout [CoordinatorAction]) {
        guard var job = self.jobs[id] else { return }
        if !job.outbox.isEmpty {
            let batch = job.outbox
            job.outbox.removeAll(keepingCapacity: false)
            self.jobs[id] = job
            self.send(.jobResults(batch), to: job.client, now: now, into: &actions)
        }
        if job.isComplete {
            self.jobs[id] = nil
            self.clients[job.client]?.jobs.remove(id)
            if !job.abandoned {
                self.send(.jobFinished(job.summary), to: job.client, now: now, into: &actions)
            }
            actions.append(.log(LogLine(.info, "job finished", ["job": "\(id)", "succeeded": "\(job.succeeded)", "failed": "\(job.failed)", "cancelled": "\(job.cancelled)"])))
        }
    }

    /// A client went silent past its liveness window: drop its queued subtasks and forget it.
    /// Outstanding attempts are waited out (they hold credit) and their results discarded.
    mutating func clientGone(_ peer: PeerID, now: Instant, into actions: inout [CoordinatorAction]) {
        guard let client = self.clients.removeValue(forKey: peer) else { return }
        self.lastSent[peer] = nil
        for id in client.jobs.sorted() {
            guard var job = self.jobs[id] else { continue }
            job.abandoned = true
            job.outbox.removeAll()
            var dropped = 0
            for index in 0..<job.total where job.phases[Int(index)] == .queued {
                job.commit(index, outcome: .failure(Failure(.cancelled, "client gone")), worker: "")
                dropped += 1
            }
            self.groups[job.group]?.queued -= dropped
            self.jobs[id] = job
            self.dirtyJobs.insert(id)
            actions.append(.log(LogLine(.warning, "client gone: job abandoned", ["job": "\(id)", "client": peer.description, "dropped": "\(dropped)", "outstanding": "\(job.running.count)"])))
        }
    }
}
