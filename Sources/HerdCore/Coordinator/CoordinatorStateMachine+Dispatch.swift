// MARK: - Dispatch: queued subtasks to workers with free credit

extension CoordinatorStateMachine {
    /// Hands queued subtasks of `group` to its live workers, each to the worker with the most
    /// usable credit that runs the subtask's kind and whose breakers admit it, until the queue is
    /// empty or no credit is left. One DISPATCH message per worker carries the whole batch.
    ///
    /// - Breakers: while the group's (or the cluster's) breaker is open, its subtasks go to the
    ///   group's fallback group when one is configured, else fail fast with `circuit-open`; while it
    ///   is half-open with its probes in use, they wait.
    /// - Retries prefer a worker other than the one the subtask last failed on.
    /// - A recovering worker's usable credit follows its recovery ramp.
    /// - The queue is FIFO across jobs. If no worker with credit runs the head subtask's kind, the
    ///   group waits (head-of-line): groups are meant to be homogeneous in kinds.
    mutating func dispatch(group name: String, now: Instant, into actions: inout [CoordinatorAction]) {
        guard var group = self.groups[name], !group.queue.isEmpty else { return }
        var batches: [PeerID: [Assignment]] = [:]
        var order: [PeerID] = []
        // Jobs with a result committed here (deadline passed, breaker open): their policy is decided below.
        var committed: [JobID] = []
        while let entry = group.queue.first {
            // The job is taken out of the dictionary while it changes, so its per-subtask arrays
            // are mutated in place, never copied (copy-on-write); it goes back after its run.
            guard var job = self.jobs.removeValue(forKey: entry.job) else {
                group.queue.removeFirst()
                continue
            }
            var step = DispatchStep.next
            let finished = job.finished
            repeat {
                step = self.dispatchHead(of: &group, job: &job, now: now, batches: &batches, order: &order, into: &actions)
            } while step == .next && group.queue.first?.job == job.id
            if job.finished > finished, !committed.contains(job.id) { committed.append(job.id) }
            self.jobs[job.id] = job
            if step == .stop { break }
        }
        self.groups[name] = group
        // Those commits count for the fan-out policy too (PROTOCOL.md §7.10), as a RESULT's do:
        // every one of them, not only the last (a success served from the cache followed by
        // circuit-open failures decides a `first` job; found by the simulator, seed 252).
        for id in committed {
            for result in self.jobs[id]?.outbox ?? [] {
                self.endIfDecided(result.subtask, outcome: result.outcome, now: now, into: &actions)
            }
        }
        for peer in order {
            self.send(.dispatch(batches[peer]!), to: peer, now: now, into: &actions)
        }
    }

    /// The outcome of dispatching (or resolving) the head subtask of a group's queue.
    enum DispatchStep { case next, stop }

    /// Dispatches, fails fast or skips the head subtask of `group`'s queue (of `job`, taken out of
    /// the jobs dictionary by the caller). `.stop` when no worker can take it now.
    mutating func dispatchHead(
        of group: inout GroupRecord, job: inout JobRecord, now: Instant, batches: inout [PeerID: [Assignment]], order: inout [PeerID],
        into actions: inout [CoordinatorAction]
    ) -> DispatchStep {
        let name = group.name
        let entry = group.queue.first!
        if job.isEnding {
            group.queue.removeFirst()
            return .next
        }
        let index = entry.next
        if job.phases[Int(index)] != .queued {
            Self.advance(&group)
            return .next
        }
        let subtask = SubtaskRef(job: job.id, index: index)
        if let deadline = job.deadline, deadline <= now {
            Self.advance(&group)
            group.queued -= 1
            job.commit(index, outcome: .failure(self.withEarlierFailures(Failure(.timeout, "deadline passed before a worker was free"), of: subtask)), worker: "")
            self.dirtyJobs.insert(job.id)
            return .next
        }
        // Where the work may go: the group itself, or its fallback while it is open.
        var target = name
        if !self.groupAdmitsWork(name, now: now) {
            guard self.groupIsOpen(name, now: now) else { return .stop }  // half-open, probes busy: wait
            if let fallback = self.configuration.groupPolicies[name]?.fallback, self.groupAdmitsWork(fallback, now: now),
                self.groups[fallback]?.workers.isEmpty == false
            {
                target = fallback
            } else {
                Self.advance(&group)
                group.queued -= 1
                // The end of the fallback chain: a last good result, a static value, or fail fast.
                if let served = self.lastResort(group: name, kind: job.kind, payload: job.payload(at: index)) {
                    if !self.earlierFailures.isEmpty { self.earlierFailures[subtask] = nil }
                    job.servedByFallback.insert(index)
                    job.commit(index, outcome: .success(served.output), worker: "", fallback: served.source)
                } else {
                    job.commit(index, outcome: .failure(self.withEarlierFailures(Failure(.circuitOpen, "the breaker of group '\(name)' is open"), of: subtask)), worker: "")
                }
                self.dirtyJobs.insert(job.id)
                return .next
            }
        }
        guard let candidates = target == name ? group : self.groups[target] else { return .stop }
        guard let peer = self.bestWorker(in: candidates, kind: job.kind, avoiding: self.lastTried[subtask], now: now) else {
            // Workers are there, but every one that could run it has its breaker open: fail
            // fast rather than hold the work until a breaker half-opens.
            if self.allWorkersBreakerOpen(candidates, kind: job.kind, now: now) {
                Self.advance(&group)
                group.queued -= 1
                job.commit(index, outcome: .failure(self.withEarlierFailures(Failure(.circuitOpen, "every worker of group '\(target)' that runs '\(job.kind)' has its breaker open"), of: subtask)), worker: "")
                self.dirtyJobs.insert(job.id)
                return .next
            }
            return .stop
        }
        let (workerGroup, workerID) = self.workers.inPlace(peer) { ($0.registration.group, $0.registration.workerID) }!
        let admission = self.breakers.acquire(group: workerGroup, worker: workerID, now: now)
        self.logTransitions(admission.transitions, into: &actions)
        guard admission.isAdmitted else { return .stop }
        Self.advance(&group)
        group.queued -= 1
        job.attempts[Int(index)] += 1
        let attempt = job.attempts[Int(index)]
        if attempt == 1 { self.retryBudget.recordFirstAttempt(now: now) }
        job.phases[Int(index)] = .running
        job.running[index] = JobRecord.RunningAttempt(attempt: attempt, worker: peer, dispatchedAt: now)
        if target != name { job.servedByFallback.insert(index) }
        let assignment = Assignment(
            attempt: AttemptRef(subtask: subtask, attempt: attempt),
            kind: job.kind,
            payload: job.payload(at: index),
            deadline: job.deadline.map { now.duration(to: $0) }
        )
        self.workers[peer]!.running.insert(subtask)
        if self.movedSubtasks[subtask] != nil { self.movedSubtasks[subtask] = peer }
        if batches[peer] == nil { order.append(peer) }
        batches[peer, default: []].append(assignment)
        return .next
    }

    /// The worker of `group` with the most usable credit that runs `kind` and that its breakers
    /// admit, preferring any worker over `avoiding` (ties: first registered).
    mutating func bestWorker(in group: GroupRecord, kind: String, avoiding: PeerID?, now: Instant) -> PeerID? {
        var best: PeerID?
        var bestScore = 0
        for peer in group.workers {
            // Read in place (no copy of the record): this runs for every dispatched subtask.
            guard let candidate = self.workers.inPlace(peer, { worker -> (free: Int, capacity: Int)? in
                guard worker.acceptsWork, worker.kinds.contains(kind) else { return nil }
                return (worker.freeCredit, Int(worker.registration.capacity))
            }) ?? nil else { continue }
            let credit = self.usableCredit(peer, free: candidate.free, capacity: candidate.capacity, now: now)
            guard credit > 0 else { continue }
            if !self.breakers.admitsAll {
                let (workerGroup, workerID) = self.workers.inPlace(peer) { ($0.registration.group, $0.registration.workerID) }!
                guard self.breakers.admits(group: workerGroup, worker: workerID, now: now) else { continue }
            }
            // A worker the subtask just failed on ranks below every other.
            let score = peer == avoiding ? credit : credit + 1_000_000
            if score > bestScore {
                best = peer
                bestScore = score
            }
        }
        return best
    }

    /// True when the group has live workers that run `kind` and every one of them is refused by
    /// its own breaker (so no credit will free up until a breaker half-opens).
    func allWorkersBreakerOpen(_ group: GroupRecord, kind: String, now: Instant) -> Bool {
        var any = false
        for peer in group.workers {
            guard let worker = self.workers[peer], worker.acceptsWork, worker.kinds.contains(kind) else { continue }
            any = true
            let path = BreakerPath.worker(group: worker.registration.group, worker: worker.registration.workerID)
            let state = self.breakers.breaker(at: path)?.stateName(now: now)
            guard state == .open || state == .forcedOpen else { return false }
        }
        return any
    }

    /// What an open group answers with when no fallback group can serve: the last good result of
    /// the same kind and payload (source `(cache)`), else the group's static value (`(static)`),
    /// else nothing (the subtask fails fast). The sources are not group names (those cannot hold
    /// parentheses), so a result's `fallback` field tells them apart.
    /// (`payload` is rendered only for a group that keeps last good results.)
    func lastResort(group: String, kind: String, payload: @autoclosure () -> [UInt8]) -> (output: [UInt8], source: String)? {
        guard let policy = self.configuration.groupPolicies[group] else { return nil }
        if let cache = self.lastGood[group], let cached = cache.lookUp(kind: kind, payload: payload()) { return (cached, Self.cacheSource) }
        if let value = policy.fallbackValue { return (value, Self.staticSource) }
        return nil
    }

    /// The `fallback` of a result served from a group's last good results.
    public static let cacheSource = "(cache)"
    /// The `fallback` of a result served with a group's static value.
    public static let staticSource = "(static)"

    /// `failure` with the failures of the subtask's earlier attempts as its causes (forgetting them).
    mutating func withEarlierFailures(_ failure: Failure, of subtask: SubtaskRef) -> Failure {
        guard !self.earlierFailures.isEmpty, let earlier = self.earlierFailures.removeValue(forKey: subtask) else { return failure }
        return failure.causedBy(earlier)
    }

    /// Moves past the head subtask of the group's queue.
    static func advance(_ group: inout GroupRecord) {
        group.queue[0].next += 1
        if group.queue[0].next >= group.queue[0].end { group.queue.removeFirst() }
    }
}
