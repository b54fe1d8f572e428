// MARK: - Drain: workers leave without losing or duplicating work

extension CoordinatorStateMachine {
    /// A drain someone asked for, answered once every worker it covers has left.
    struct DrainRecord {
        var token: UInt64
        var requester: PeerID
        var workers: [PeerID]
        /// Workers seen leaving (or dying) since the drain began: a process that registers later
        /// under the same id is not the one drained (found by the simulator, docs/SIMULATION.md).
        var left: Set<PeerID> = []
    }

    /// `herd drain`: every matching live worker stops getting work from this instant and is told
    /// to drain with `grace`. Answered with DRAIN-REPLY once all of them have left.
    mutating func drainRequested(_ request: DrainRequest, from peer: PeerID, now: Instant, into actions: inout [CoordinatorAction]) {
        self.touchClient(peer, now: now)
        let matching = self.workers.values.filter { worker in
            guard worker.isLive else { return false }
            switch request.target {
            case .worker(let id): return worker.registration.workerID == id
            case .node(let label): return worker.registration.node == label
            case .group(let name): return worker.registration.group == name
            }
        }.map(\.peer).sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        actions.append(.log(LogLine(.info, "drain requested", ["target": "\(request.target)", "workers": "\(matching.count)", "grace": "\(request.grace)"])))
        guard !matching.isEmpty else {
            self.send(.drainReply(DrainReport(token: request.token, workers: [])), to: peer, now: now, into: &actions)
            return
        }
        for worker in matching where self.workers[worker]?.drain == nil {
            self.startDrain(worker, now: now, grace: request.grace)
            self.send(.drainWorker(DrainOrder(grace: request.grace)), to: worker, now: now, into: &actions)
        }
        self.drains.append(DrainRecord(token: request.token, requester: peer, workers: matching))
    }

    /// A worker drains (asked, or on its own after SIGTERM): no new work from now on.
    mutating func startDrain(_ peer: PeerID, now: Instant, grace: Duration = .zero) {
        guard self.workers[peer]?.isLive == true, self.workers[peer]?.drain == nil else { return }
        self.workers[peer]!.drain = WorkerRecord.DrainProgress(since: now, grace: grace)
        self.dirtyGroups.insert(self.workers[peer]!.registration.group)
    }

    /// A worker gave an attempt back without being asked (drain, or a stop): re-queue it at the
    /// front. Not a failure: it does not count toward the poison limit or a breaker.
    mutating func attemptGivenBack(_ subtask: SubtaskRef, by peer: PeerID, now: Instant, into actions: inout [CoordinatorAction]) {
        // Taken out of the dictionary while it changes, so its arrays are never copied (CoW).
        guard var job = self.jobs.removeValue(forKey: subtask.job) else { return }
        defer { self.jobs[subtask.job] = job }
        guard let running = job.running[subtask.index], running.worker == peer else { return }
        job.running[subtask.index] = nil
        self.workers[peer]?.running.remove(subtask)
        self.workers[peer]?.drain?.moved.append(subtask)
        if let worker = self.workers[peer] {
            // A give-back is not a failure: it counts against no breaker.
            self.breakers.release(group: worker.registration.group, worker: worker.registration.workerID)
        }
        self.dirtyJobs.insert(job.id)
        if running.cancelledAt == nil {
            job.phases[Int(subtask.index)] = .queued
            self.groups[job.group, default: GroupRecord(name: job.group)].queue.prepend(
                GroupRecord.QueueEntry(job: job.id, next: subtask.index, end: subtask.index + 1)
            )
            self.groups[job.group]!.queued += 1
            self.dirtyGroups.insert(job.group)
            if self.workers[peer]?.drain != nil { self.movedSubtasks[subtask] = PeerID([]) }
        }
        self.attemptEnded(AttemptRef(subtask: subtask, attempt: running.attempt), now: now, into: &actions)
    }

    /// Answers every drain whose workers have all left.
    mutating func answerCompletedDrains(now: Instant, into actions: inout [CoordinatorAction]) {
        guard !self.drains.isEmpty else { return }
        var open: [DrainRecord] = []
        for drain in self.drains {
            if drain.workers.contains(where: { !drain.left.contains($0) && self.workers[$0]?.isLive == true }) {
                open.append(drain)
                continue
            }
            let report = drain.workers.map { peer -> DrainedWorker in
                let worker = self.workers[peer]
                let moved = (worker?.drain?.moved ?? []).map { subtask in
                    MovedSubtask(subtask: subtask, to: self.movedSubtasks[subtask].flatMap { self.workers[$0]?.registration.workerID } ?? "")
                }
                return DrainedWorker(worker: worker?.registration.workerID ?? peer.description, finished: worker?.drain?.finished ?? 0, moved: moved)
            }
            self.send(.drainReply(DrainReport(token: drain.token, workers: report)), to: drain.requester, now: now, into: &actions)
        }
        self.drains = open
        if self.drains.isEmpty { self.movedSubtasks.removeAll() }
    }

    /// Tells the clients of jobs waiting in `group` why, once, when the group has work queued and
    /// no worker that can take it (all draining, dead, or none ever).
    mutating func noticeWaitingGroup(_ name: String, now: Instant, into actions: inout [CoordinatorAction]) {
        guard let group = self.groups[name] else { return }
        let stuck = group.queued > 0 && !group.workers.contains { self.workers[$0]?.acceptsWork == true }
        guard stuck != self.waitingGroups.contains(name) else { return }
        if !stuck {
            self.waitingGroups.remove(name)
            return
        }
        self.waitingGroups.insert(name)
        let message = "group '\(name)' has no live worker that can take work; \(group.queued) subtasks wait for one"
        actions.append(.log(LogLine(.warning, message, ["group": name])))
        for job in self.jobs.values.sorted(by: { $0.id < $1.id }) where job.group == name && !job.isEnding && !job.abandoned {
            self.send(.jobNotice(JobNotice(job: job.id, message: message)), to: job.client, now: now, into: &actions)
        }
    }
}
