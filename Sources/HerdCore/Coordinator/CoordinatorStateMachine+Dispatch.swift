// MARK: - Dispatch: queued subtasks to workers with free credit

extension CoordinatorStateMachine {
    /// Hands queued subtasks of `group` to its live workers, each to the worker with the most free
    /// credit that runs the subtask's kind, until the queue is empty or no credit is left.
    /// One DISPATCH message per worker carries the whole batch.
    ///
    /// The queue is FIFO across jobs. If no worker with credit runs the head subtask's kind, the
    /// group waits (head-of-line): groups are meant to be homogeneous in kinds.
    mutating func dispatch(group name: String, now: Instant, into actions: inout [CoordinatorAction]) {
        guard var group = self.groups[name], !group.queue.isEmpty, !group.workers.isEmpty else { return }
        var batches: [PeerID: [Assignment]] = [:]
        var order: [PeerID] = []
        while let entry = group.queue.first {
            guard var job = self.jobs[entry.job], !job.isEnding else {
                group.queue.removeFirst()
                continue
            }
            let index = entry.next
            if job.phases[Int(index)] != .queued {
                Self.advance(&group)
                continue
            }
            if let deadline = job.deadline, deadline <= now {
                Self.advance(&group)
                group.queued -= 1
                job.commit(index, outcome: .failure(Failure(.timeout, "deadline passed before a worker was free")), worker: "")
                self.jobs[entry.job] = job
                self.dirtyJobs.insert(job.id)
                continue
            }
            guard let peer = self.bestWorker(in: group, kind: job.kind) else { break }
            Self.advance(&group)
            group.queued -= 1
            job.attempts[Int(index)] += 1
            let attempt = job.attempts[Int(index)]
            job.phases[Int(index)] = .running
            job.running[index] = JobRecord.RunningAttempt(attempt: attempt, worker: peer)
            let subtask = SubtaskRef(job: job.id, index: index)
            let assignment = Assignment(
                attempt: AttemptRef(subtask: subtask, attempt: attempt),
                kind: job.kind,
                payload: job.payloads.payload(at: index),
                deadline: job.deadline.map { now.duration(to: $0) }
            )
            self.jobs[entry.job] = job
            self.workers[peer]!.running.insert(subtask)
            if self.movedSubtasks[subtask] != nil { self.movedSubtasks[subtask] = peer }
            if batches[peer] == nil { order.append(peer) }
            batches[peer, default: []].append(assignment)
        }
        self.groups[name] = group
        for peer in order {
            self.send(.dispatch(batches[peer]!), to: peer, now: now, into: &actions)
        }
    }

    /// The live worker of `group` with the most free credit that runs `kind` (ties: first registered).
    func bestWorker(in group: GroupRecord, kind: String) -> PeerID? {
        var best: PeerID?
        var bestFree = 0
        for peer in group.workers {
            guard let worker = self.workers[peer], worker.acceptsWork else { continue }
            let free = worker.freeCredit
            if free > bestFree, worker.kinds.contains(kind) {
                best = peer
                bestFree = free
            }
        }
        return best
    }

    /// Moves past the head subtask of the group's queue.
    static func advance(_ group: inout GroupRecord) {
        group.queue[0].next += 1
        if group.queue[0].next >= group.queue[0].end { group.queue.removeFirst() }
    }
}
