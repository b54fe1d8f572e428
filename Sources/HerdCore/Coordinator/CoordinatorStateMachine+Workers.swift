// MARK: - Worker membership: registration, liveness, death

extension CoordinatorStateMachine {
    /// Limits on what a registration may claim.
    static let maxCapacity: UInt32 = 100_000
    /// The reason recorded for a worker that sent DEREGISTER.
    static let deregistered = "deregistered"

    mutating func register(
        _ registration: Registration,
        from peer: PeerID,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        if let problem = Self.validate(registration) {
            actions.append(.log(LogLine(.warning, "registration refused: \(problem)", ["peer": peer.description])))
            self.send(
                .error(ProtocolError(.unexpected, "registration refused: \(problem)")),
                to: peer,
                now: now,
                into: &actions
            )
            return
        }
        if let earlier = self.membership[peer], earlier.isLive,
            registration.isAnotherProcess(than: earlier.registration)
        {
            // A restarted process under the same id (not the same one reconnecting): whatever the old
            // one ran is gone with it, so it is dead now rather than after a round of CANCELs it
            // cannot answer for, and its work is re-queued at once.
            self.declareDead(peer, reason: "restarted (a new incarnation registered)", now: now, into: &actions)
        }
        var record = WorkerRecord(peer: peer, registration: registration, now: now)
        let previous = self.membership[peer]
        if let previous, !previous.isLive {
            // Back from the dead (or a restart): its share of work ramps up again.
            self.resilience.startRamp(peer, now: now)
            // What it ran when declared dead was re-queued, but a DISPATCH that crossed its REGISTER
            // may have started it anyway, unlisted: stop every one it does not list (a worker confirms
            // at once what it does not hold). Found by the simulator (docs/SIMULATION.md, seed 113944).
            let holding = Set(registration.holding)
            for attempt in previous.lostAtDeath where !holding.contains(attempt) {
                self.outbound.cancel(attempt, at: peer)
            }
        }
        if let previous, previous.isLive {
            // The same worker reconnected before we declared it dead: keep the attempts it still
            // holds; reclaim the ones it does not list.
            let holding = Set(registration.holding)
            self.queues.removeWorker(peer, from: previous.registration.group)
            // Still draining: the DRAIN order may have been lost with the old connection (it is
            // ordered again below), and a drained worker must not get work again.
            record.drain = previous.drain
            for subtask in previous.running.sorted(by: Self.subtaskOrder) {
                guard let attempt = self.jobs[subtask.job]?.running[subtask.index]?.attempt else { continue }
                record.running.insert(subtask)
                let ref = AttemptRef(subtask: subtask, attempt: attempt)
                if holding.contains(ref) {
                    // A CANCEL may have been lost with the old connection: say it again.
                    if self.jobs[subtask.job]?.running[subtask.index]?.cancelledAt != nil {
                        self.outbound.cancel(ref, at: peer)
                    }
                } else {
                    // Not listed, but `holding` is a snapshot from when the REGISTER was sent: a
                    // DISPATCH sent before we handled it may still reach the worker (and a
                    // duplicate REGISTER can be older than the last WELCOME). So the attempt stays
                    // outstanding and is told to stop; the worker's CANCELLED gives it back
                    // (re-queued, not a lost delivery), a RESULT that crossed commits as usual.
                    // Found by the simulator (docs/SIMULATION.md, seeds 29 and 37).
                    self.outbound.cancel(ref, at: peer)
                }
            }
        }
        self.membership.admit(record)
        self.reconcile(registration.holding, of: peer, now: now, into: &actions)
        self.queues.addWorker(peer, to: registration.group)
        actions.append(
            .log(
                LogLine(
                    .info,
                    "worker registered",
                    record.metadata.merging([
                        "capacity": "\(registration.capacity)", "kinds": registration.kinds.joined(separator: ","),
                    ]) { a, _ in a }
                )
            )
        )
        let welcome = Welcome(
            coordinatorID: self.configuration.coordinatorID,
            heartbeatInterval: self.configuration.heartbeatInterval,
            livenessWindow: self.configuration.livenessWindow
        )
        self.send(.welcome(welcome), to: peer, now: now, into: &actions)
        if let drain = record.drain {
            self.send(
                .drainWorker(DrainOrder(grace: max(.zero, drain.grace - drain.since.duration(to: now)))),
                to: peer,
                now: now,
                into: &actions
            )
        }
    }

    /// Reconciles what a (re)registering worker says it holds: an attempt that is still the
    /// subtask's current one is kept (re-adopted if the subtask was re-queued and not yet
    /// re-dispatched, sparing the work); every other held attempt is told to stop.
    mutating func reconcile(
        _ holding: [AttemptRef],
        of peer: PeerID,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        var adopted = 0
        var refused = 0
        for held in holding where self.membership[peer]?.running.contains(held.subtask) != true {
            let subtask = held.subtask
            // A restored job does not know which attempt of an in-flight subtask was out: a higher one
            // than any it committed is adopted.
            if let job = self.jobs[subtask.job], !job.isEnding, job.phases[Int(subtask.index)] == .queued,
                job.attempts[Int(subtask.index)] == held.attempt
                    || (job.restored && held.attempt > job.attempts[Int(subtask.index)])
            {
                self.jobs[subtask.job]!.attempts[Int(subtask.index)] = held.attempt
                self.jobs[subtask.job]!.phases[Int(subtask.index)] = .running
                self.jobs[subtask.job]!.running[subtask.index] = JobRecord.RunningAttempt(
                    attempt: held.attempt,
                    worker: peer,
                    dispatchedAt: now
                )
                self.queues.dropped(1, from: job.group)
                self.membership.adopted(subtask, by: peer)
                adopted += 1
            } else if let job = self.jobs[subtask.job], job.restored, job.phases[Int(subtask.index)] == .finished,
                job.running[subtask.index] == nil, held.attempt >= job.attempts[Int(subtask.index)]
            {
                // A restored job's subtask committed (cancelled, timed out) while this attempt ran:
                // it is told to stop, and the job completes only once it confirms (as it would have
                // without the crash).
                self.jobs[subtask.job]!.attempts[Int(subtask.index)] = held.attempt
                self.jobs[subtask.job]!.running[subtask.index] = JobRecord.RunningAttempt(
                    attempt: held.attempt,
                    worker: peer,
                    dispatchedAt: now,
                    cancelledAt: now
                )
                self.membership.adopted(subtask, by: peer)
                self.outbound.cancel(held, at: peer)
                refused += 1
            } else {
                self.outbound.cancel(held, at: peer)
                refused += 1
            }
        }
        if adopted + refused > 0 {
            actions.append(
                .log(
                    LogLine(
                        .info,
                        "reconciled a returning worker",
                        (self.membership[peer]?.metadata ?? [:]).merging([
                            "kept": "\(adopted)", "cancelled": "\(refused)",
                        ]) { a, _ in a }
                    )
                )
            )
        }
    }

    static func validate(_ registration: Registration) -> String? {
        if registration.workerID.isEmpty { return "empty worker id" }
        if registration.group.isEmpty { return "empty group name" }
        if registration.capacity == 0 || registration.capacity > maxCapacity {
            return "capacity must be 1...\(maxCapacity), got \(registration.capacity)"
        }
        if registration.kinds.isEmpty { return "a worker must run at least one kind" }
        return nil
    }

    /// Marks a message from `peer` as proof of life. Returns false (and asks the peer to register)
    /// when the peer is not a live worker: a dead worker's late messages are not trusted.
    mutating func touchLiveWorker(_ peer: PeerID, now: Instant, into actions: inout [CoordinatorAction]) -> Bool {
        guard self.membership.heard(from: peer, now: now) else {
            self.send(
                .error(
                    ProtocolError(
                        .unknownPeer,
                        "not a registered worker (declared dead or coordinator restarted): register again"
                    )
                ),
                to: peer,
                now: now,
                into: &actions
            )
            return false
        }
        return true
    }

    /// Declares a worker dead and re-queues every attempt it held (attempt + 1 on re-dispatch).
    mutating func declareDead(_ peer: PeerID, reason: String, now: Instant, into actions: inout [CoordinatorAction]) {
        guard let worker = self.membership[peer], worker.isLive else { return }
        let lost = worker.running.sorted(by: Self.subtaskOrder)
        let lostAtDeath = lost.compactMap { subtask in
            self.jobs[subtask.job]?.running[subtask.index].map { AttemptRef(subtask: subtask, attempt: $0.attempt) }
        }
        self.membership.markDead(peer, reason: reason, now: now, lostAtDeath: lostAtDeath)
        self.queues.removeWorker(peer, from: worker.registration.group)
        let left = reason == Self.deregistered
        let line = LogLine(
            left ? .info : .warning,
            left ? "worker left" : "worker dead: \(reason)",
            worker.metadata.merging(["requeued": "\(lost.count)"]) { a, _ in a }
        )
        actions.append(.log(line))
        // One death is one piece of evidence against the worker's breaker, however many attempts
        // it held: counting each (500 at once) opened the breaker of a worker that had only
        // stalled under load, and its subtasks then failed fast as `circuit-open` once it was back.
        var deathRecorded = false
        for subtask in lost {
            self.attemptLost(
                subtask,
                worker: worker,
                reason: reason,
                deathRecorded: &deathRecorded,
                now: now,
                into: &actions
            )
        }
    }

    /// An outstanding attempt will never report: re-queue its subtask at the front of its group's
    /// queue, or fail it once it has lost `maxDeliveries` attempts (a poison subtask must not take
    /// the cluster down one worker at a time).
    ///
    /// The first lost attempt of a death (`deathRecorded` false) is recorded against the worker's
    /// breaker as `workerLost`; the others only return their permits.
    mutating func attemptLost(
        _ subtask: SubtaskRef,
        worker: WorkerRecord,
        reason: String,
        deathRecorded: inout Bool,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        // Taken out of the table while it changes, so its arrays are never copied (CoW).
        guard var job = self.jobs.take(subtask.job) else { return }
        let gaveUp = self.attemptLost(
            subtask,
            of: &job,
            worker: worker,
            reason: reason,
            deathRecorded: &deathRecorded,
            now: now,
            into: &actions
        )
        self.jobs.put(job)
        // Giving up is a commit: it counts for the fan-out policy (judged on the stored job).
        if let gaveUp { self.endIfDecided(subtask, outcome: gaveUp, now: now, into: &actions) }
    }

    /// ``attemptLost(_:worker:reason:deathRecorded:now:into:)`` on a job taken out of the table.
    /// Returns the outcome committed if the subtask was given up.
    private mutating func attemptLost(
        _ subtask: SubtaskRef,
        of job: inout JobRecord,
        worker: WorkerRecord,
        reason: String,
        deathRecorded: inout Bool,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) -> Outcome? {
        guard let running = job.running[subtask.index], running.worker == worker.peer else { return nil }
        let index = subtask.index
        job.running[index] = nil
        self.jobs.markDirty(job.id)
        // Already committed as cancelled: the dead worker cannot confirm, and need not. Its breaker
        // permits go back as its confirmation's would: a half-open trial's probe would otherwise
        // stay taken for good, and a trial with none left never decides (everything behind the
        // breaker waits). Found by the simulator (docs/SIMULATION.md, seed 66).
        if running.cancelledAt != nil {
            self.resilience.release(group: worker.registration.group, workerID: worker.registration.workerID)
            return nil
        }
        self.attemptEnded(AttemptRef(subtask: subtask, attempt: running.attempt), now: now, into: &actions)
        if deathRecorded {
            self.resilience.release(group: worker.registration.group, workerID: worker.registration.workerID)
        } else {
            deathRecorded = true
            self.recordOutcome(
                .workerLost,
                group: worker.registration.group,
                worker: worker.peer,
                duration: running.dispatchedAt.duration(to: now),
                now: now,
                into: &actions
            )
        }
        guard job.attempts[Int(index)] >= self.configuration.maxDeliveries else {
            self.requeueAtFront(index, of: &job)
            return nil
        }
        let failure = Failure(
            .unknown,
            "gave up after \(job.attempts[Int(index)]) attempts: every worker running it was lost (last: \(worker.registration.workerID), \(reason))"
        )
        job.commit(index, outcome: .failure(failure), worker: worker.registration.workerID)
        actions.append(
            .log(
                LogLine(
                    .error,
                    "subtask abandoned after repeated worker loss",
                    ["job": "\(job.id)", "subtask": "\(index)", "attempts": "\(job.attempts[Int(index)])"]
                )
            )
        )
        return .failure(failure)
    }

    /// Puts subtask `index` of `job` (taken out of the table) back at the front of its group's
    /// queue, so it runs next: its worker was lost, gave it back, or its retry is due.
    mutating func requeueAtFront(_ index: UInt32, of job: inout JobRecord) {
        job.phases[Int(index)] = .queued
        self.queues.requeueAtFront(SubtaskRef(job: job.id, index: index), in: job.group)
    }

    static func subtaskOrder(_ a: SubtaskRef, _ b: SubtaskRef) -> Bool {
        (a.job, a.index) < (b.job, b.index)
    }
}
