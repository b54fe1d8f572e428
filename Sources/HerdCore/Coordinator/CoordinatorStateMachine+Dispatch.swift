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
        guard self.queues[name]?.queue.isEmpty == false, var group = self.queues.take(name) else { return }
        var batches: [PeerID: [Assignment]] = [:]
        var order: [PeerID] = []
        // Jobs with a result committed here (deadline passed, breaker open): their policy is decided below.
        var committed: [JobID] = []
        while let entry = group.queue.first {
            // The job is taken out of the dictionary while it changes, so its per-subtask arrays
            // are mutated in place, never copied (copy-on-write); it goes back after its run.
            guard var job = self.jobs.take(entry.job) else {
                group.queue.removeFirst()
                continue
            }
            var step = DispatchStep.next
            let finished = job.finished
            repeat {
                step = self.dispatchHead(
                    of: &group,
                    job: &job,
                    now: now,
                    batches: &batches,
                    order: &order,
                    into: &actions
                )
            } while step == .next && group.queue.first?.job == job.id
            if job.finished > finished, !committed.contains(job.id) { committed.append(job.id) }
            self.jobs.put(job)
            if step == .stop { break }
        }
        self.queues.put(group)
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
        of group: inout GroupRecord,
        job: inout JobRecord,
        now: Instant,
        batches: inout [PeerID: [Assignment]],
        order: inout [PeerID],
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
            group.advanceHead()
            return .next
        }
        let subtask = SubtaskRef(job: job.id, index: index)
        if let deadline = job.deadline, deadline <= now {
            group.advanceHead()
            group.queued -= 1
            job.commit(
                index,
                outcome: .failure(
                    self.retries.withEarlierFailures(
                        Failure(.timeout, "deadline passed before a worker was free"),
                        of: subtask
                    )
                ),
                worker: ""
            )
            self.jobs.markDirty(job.id)
            return .next
        }
        // Where the work may go: the group itself, or its fallback while it is open.
        var target = name
        if !self.resilience.groupAdmitsWork(name, now: now) {
            guard self.resilience.groupIsOpen(name, now: now) else { return .stop }  // half-open, probes busy: wait
            if let fallback = self.queues.fallbacks[name], self.resilience.groupAdmitsWork(fallback, now: now),
                self.queues[fallback]?.workers.isEmpty == false
            {
                target = fallback
            } else {
                group.advanceHead()
                group.queued -= 1
                // The end of the fallback chain: a last good result, a static value, or fail fast.
                let policy = self.configuration.groupPolicies[name]
                if let served = self.resilience.lastResort(
                    group: name,
                    policy: policy,
                    kind: job.kind,
                    payload: { job.payload(at: index) }
                ) {
                    self.retries.forgetFailures(of: subtask)
                    job.servedByFallback.insert(index)
                    job.commit(index, outcome: .success(served.output), worker: "", fallback: served.source)
                } else {
                    job.commit(
                        index,
                        outcome: .failure(
                            self.retries.withEarlierFailures(
                                Failure(.circuitOpen, "the breaker of group '\(name)' is open"),
                                of: subtask
                            )
                        ),
                        worker: ""
                    )
                }
                self.jobs.markDirty(job.id)
                return .next
            }
        }
        guard let candidates = target == name ? group : self.queues[target] else { return .stop }
        guard
            let peer = self.bestWorker(
                in: candidates,
                kind: job.kind,
                avoiding: self.retries.lastTried(subtask),
                now: now
            )
        else {
            // Workers are there, but every one that could run it has its breaker open: fail
            // fast rather than hold the work until a breaker half-opens.
            if self.allWorkersBreakerOpen(candidates, kind: job.kind, now: now) {
                group.advanceHead()
                group.queued -= 1
                job.commit(
                    index,
                    outcome: .failure(
                        self.retries.withEarlierFailures(
                            Failure(
                                .circuitOpen,
                                "every worker of group '\(target)' that runs '\(job.kind)' has its breaker open"
                            ),
                            of: subtask
                        )
                    ),
                    worker: ""
                )
                self.jobs.markDirty(job.id)
                return .next
            }
            return .stop
        }
        let (workerGroup, workerID) = self.membership.peek(peer) { ($0.registration.group, $0.registration.workerID) }!
        let admission = self.resilience.breakers.acquire(group: workerGroup, worker: workerID, now: now)
        self.logTransitions(admission.transitions, into: &actions)
        guard admission.isAdmitted else { return .stop }
        group.advanceHead()
        group.queued -= 1
        job.attempts[Int(index)] += 1
        let attempt = job.attempts[Int(index)]
        if attempt == 1 {
            self.retries.recordFirstAttempt(now: now)
            self.observations.dispatchWait(group: name, job.acceptedAt.duration(to: now))
        }
        job.phases[Int(index)] = .running
        job.running[index] = JobRecord.RunningAttempt(attempt: attempt, worker: peer, dispatchedAt: now)
        if target != name { job.servedByFallback.insert(index) }
        let assignment = Assignment(
            attempt: AttemptRef(subtask: subtask, attempt: attempt),
            kind: job.kind,
            payload: job.payload(at: index),
            deadline: job.deadline.map { now.duration(to: $0) }
        )
        self.membership.dispatched(subtask, to: peer)
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
            guard
                let candidate = self.membership.peek(
                    peer,
                    { worker -> (free: Int, capacity: Int)? in
                        guard worker.acceptsWork, worker.kinds.contains(kind) else { return nil }
                        return (worker.freeCredit, Int(worker.registration.capacity))
                    }
                ) ?? nil
            else { continue }
            let credit = self.resilience.usableCredit(
                peer,
                free: candidate.free,
                capacity: candidate.capacity,
                now: now
            )
            guard credit > 0 else { continue }
            if !self.resilience.breakers.admitsAll {
                let (workerGroup, workerID) = self.membership.peek(peer) {
                    ($0.registration.group, $0.registration.workerID)
                }!
                guard self.resilience.breakers.admits(group: workerGroup, worker: workerID, now: now) else { continue }
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
            guard let worker = self.membership[peer], worker.acceptsWork, worker.kinds.contains(kind) else { continue }
            any = true
            let path = BreakerPath.worker(group: worker.registration.group, worker: worker.registration.workerID)
            let state = self.resilience.breakers.breaker(at: path)?.stateName(now: now)
            guard state == .open || state == .forcedOpen else { return false }
        }
        return any
    }
}
