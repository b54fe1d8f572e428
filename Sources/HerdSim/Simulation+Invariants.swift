import HerdCore

// MARK: - Invariants, checked after every step

extension Simulation {
    /// How long a cooperative handler may keep running once the coordinator no longer wants its
    /// attempt and the worker is connected: the kill grace plus a generous allowance for the
    /// CANCEL's trip (latency spikes) and a re-registration.
    static let zombieBound: Duration = .seconds(1)

    func checkAfterStep() {
        if self.coordinatorTouched {
            self.coordinatorTouched = false
            self.wantedDirty = true
            self.checkCoordinator()
        }
        if self.violation == nil { self.checkHandlers() }
    }

    // MARK: What the coordinator sends

    /// Checks a message as the coordinator sends it: each result once, never after JOB-FINISHED,
    /// only from the current attempt; JOB-FINISHED only after every result, with matching counts,
    /// and (with CANCEL-REPLY) only once nothing of the job runs.
    func coordinatorSending(_ message: Message, to peer: PeerID) {
        switch message {
        case .dispatch(let assignments):
            for assignment in assignments { self.dispatching(assignment.attempt, to: peer) }
        case .drainWorker:
            if self.ledger.drainedSince[peer] == nil { self.ledger.drainedSince[peer] = self.now }
        case .accepted(let accepted):
            self.ledger.totals[accepted.job] = accepted.subtasks
            self.ledger.knownJobs.append(accepted.job)
            if let parent = self.ledger.childTokens.removeValue(forKey: accepted.token) {
                self.ledger.parentJob[accepted.job] = parent.subtask.job
            }
        case .jobResults(let results):
            for result in results {
                let job = result.subtask.job
                // A restarted coordinator sends a re-attaching client what it had committed: the
                // very same result is no second report; any other one is (the subtask ran again).
                if let sent = self.sentResults[result.subtask] {
                    if sent != result {
                        self.fail(
                            .resultTwice,
                            "\(result.subtask) sent to \(peer) again, different: \(SimTrace.describe(result.outcome)) after \(SimTrace.describe(sent.outcome)) (attempt \(result.attempts) after \(sent.attempts))"
                        )
                    }
                    continue
                }
                self.sentResults[result.subtask] = result
                if self.ledger.finished.contains(job) {
                    self.fail(.resultAfterFinish, "\(result.subtask) sent to \(peer) after JOB-FINISHED \(job)")
                }
                var tally = self.ledger.tallies[job, default: SimLedger.Tally()]
                if !tally.indices.insert(result.subtask.index).inserted {
                    self.fail(
                        .resultTwice,
                        "\(result.subtask) sent to \(peer) again: \(SimTrace.describe(result.outcome))"
                    )
                }
                switch result.outcome {
                case .success: tally.succeeded += 1
                case .failure(let failure) where failure.category == .cancelled: tally.cancelled += 1
                case .failure(let failure):
                    tally.failed += 1
                    if failure.category == .circuitOpen { self.stats.circuitOpenFailures += 1 }
                    if failure.category == .budgetExhausted { self.stats.budgetExhausted += 1 }
                }
                self.ledger.tallies[job] = tally
                self.checkProvenance(result)
            }
        case .jobFinished(let summary) where self.ledger.finished.contains(summary.job):
            // Sent again to a client re-attaching after a restart: it must say the same.
            let tally = self.ledger.tallies[summary.job, default: SimLedger.Tally()]
            if (tally.succeeded, tally.failed, tally.cancelled) != (
                summary.succeeded, summary.failed, summary.cancelled
            ) {
                self.fail(.finishMismatch, "JOB-FINISHED \(summary.job) sent again to \(peer) with other counts")
            }
        case .jobFinished(let summary):
            let tally = self.ledger.tallies[summary.job, default: SimLedger.Tally()]
            let total = self.ledger.totals[summary.job] ?? 0
            if tally.indices.count != Int(total) {
                self.fail(
                    .finishMismatch,
                    "JOB-FINISHED \(summary.job) to \(peer) after \(tally.indices.count) of \(total) results"
                )
            } else if (tally.succeeded, tally.failed, tally.cancelled) != (
                summary.succeeded, summary.failed, summary.cancelled
            ) {
                self.fail(
                    .finishMismatch,
                    "JOB-FINISHED \(summary.job) says \(summary.succeeded)/\(summary.failed)/\(summary.cancelled), results sent were \(tally.succeeded)/\(tally.failed)/\(tally.cancelled)"
                )
            }
            self.ledger.finished.insert(summary.job)
            self.checkNothingRuns(of: summary.job, when: "JOB-FINISHED")
        case .cancelReply(let reply) where reply.found:
            self.checkNothingRuns(of: reply.job, when: "CANCEL-REPLY")
        default:
            break
        }
    }

    /// One attempt of a DISPATCH to `peer`: never to a worker the coordinator has draining, only
    /// through breakers that admit it; an attempt 1 is a deposit in the retry budget, the retry of
    /// a failed attempt is counted.
    func dispatching(_ attempt: AttemptRef, to peer: PeerID) {
        let earlier = self.ledger.dispatchedAt.updateValue(
            self.now,
            forKey: SimLedger.Dispatch(attempt: attempt, peer: peer)
        )
        if self.ledger.drainedSince[peer] != nil,
            self.coordinator.registeredIncarnation(of: peer) != self.ledger.lastIncarnation[peer]
        {
            // Another process registered under the id in this very step: the coordinator declared the
            // drained one dead first (docs/PROTOCOL.md §5.3), and the new one is a new worker.
            self.ledger.lastDeath[peer] = self.now
            self.ledger.drainedSince[peer] = nil
        }
        if let since = self.ledger.drainedSince[peer], earlier.map({ $0 >= since }) ?? true {
            self.fail(
                .drainedWorkerGotWork,
                "DISPATCH of \(attempt) to \(peer), which the coordinator has had draining since \(SimTrace.time(since))"
            )
        }
        if self.ledger.drainedSince[peer] == nil, let slot = self.peerSlots[peer], self.workers[slot].peer == peer,
            self.workers[slot].drainingSince != nil
        {
            self.stats.dispatchesToDrainingProcess += 1  // legal: docs/SIMULATION.md, "Drains: what is legal"
        }
        self.checkAdmission(attempt, to: peer)
        if attempt.attempt == 1 {
            if self.ledger.firstAttemptsDeposited.insert(attempt).inserted { self.budget.deposit(at: self.now) }
        } else if self.ledger.retryScheduled.remove(AttemptRef(subtask: attempt.subtask, attempt: attempt.attempt - 1))
            != nil
        {
            self.stats.retryDispatches += 1
        }
    }

    /// A committed result must be what the subtask's current attempt produced: handlers stamp
    /// `attempt@worker` into their output, which must match the result's attempt count and worker.
    func checkProvenance(_ result: JobResult) {
        let text: String
        switch result.outcome {
        case .success(let bytes) where result.fallback == .staticValue:
            // The coordinator's own answer for an open group: exactly the configured value.
            if bytes != Array(SimScenario.staticFallback.utf8) {
                self.fail(
                    .supersededResult,
                    "\(result.subtask) was served a static fallback that is not the group's value: \(SimTrace.describe(result.outcome))"
                )
            }
            self.stats.servedByFallbackValue += 1
            return
        case .success(let bytes) where result.fallback == .lastGood:
            // A last good result: some handler must have produced exactly it before.
            if !self.ledger.producedOutputs.contains(bytes) {
                self.fail(
                    .supersededResult,
                    "\(result.subtask) was served a cached result no handler produced: \(SimTrace.describe(result.outcome))"
                )
            }
            self.stats.servedFromCache += 1
            return
        case .success(let bytes):
            guard self.ledger.producedOutputs.contains(bytes) else {
                self.fail(
                    .supersededResult,
                    "\(result.subtask) committed an output no handler produced: \(SimTrace.describe(result.outcome))"
                )
                return
            }
            text = String(decoding: bytes, as: UTF8.self)
        case .failure(let failure):
            guard failure.message.hasPrefix("sim ") else { return }  // the worker's or coordinator's own failure
            text = failure.message
        }
        let stamp =
            text.split(separator: " ").dropFirst().first.map { String($0.split(separator: ":").first ?? $0) } ?? ""
        let expected = "\(result.subtask)#\(result.attempts)@\(result.worker)"
        if stamp != expected {
            self.fail(
                .supersededResult,
                "\(result.subtask) committed \(stamp)'s result, but its current attempt is \(expected)"
            )
        }
    }

    /// When a job is reported finished (or its cancel confirmed), none of its attempts may still
    /// run, except on a worker the coordinator declared dead after dispatching the attempt (the
    /// protocol's "lost with its worker"), or one its worker gave back (a drain confirms before
    /// the handler ends).
    ///
    /// The same holds for every nested job under it (submitted by its attempts' handlers, and by
    /// theirs): a job completes only after its whole subtree has stopped.
    func checkNothingRuns(of job: JobID, when what: String) {
        let inTree = { (other: JobID) in other == job || self.ledger.isNested(other, under: job) }
        guard self.liveRuns.contains(where: { inTree(self.runs[$0].attempt.subtask.job) }) else { return }
        self.refreshDeaths()  // a death decided in this same step counts
        for id in self.liveRuns where inTree(self.runs[id].attempt.subtask.job) {
            let run = self.runs[id]
            let dispatched =
                self.ledger.dispatchedAt[SimLedger.Dispatch(attempt: run.attempt, peer: run.peer)] ?? run.startedAt
            if let death = self.ledger.lastDeath[run.peer], death >= dispatched { continue }
            // Dispatched by a coordinator that crashed, on a worker that has not come back to the
            // new one: lost with the old process, as with a death.
            if let crash = self.coordinatorCrashedAt, dispatched <= crash,
                !self.livePeers.contains(run.peer) || self.lateAfterCrash[run.peer] == true
            {
                continue
            }
            if run.givenBackAt != nil { continue }
            let state =
                "\(run.behaviour)\(run.cancelledAt == nil ? "" : ", cancelled at \(SimTrace.time(run.cancelledAt!))")"
            if run.attempt.subtask.job == job {
                self.fail(
                    .finishedWhileRunning,
                    "\(what) \(job) while \(run.attempt) still runs on \(run.peer) (\(state))"
                )
            } else {
                self.fail(
                    .subtreeStillRunning,
                    "\(what) \(job) while \(run.attempt) of its nested job \(run.attempt.subtask.job) still runs on \(run.peer) (\(state))"
                )
            }
            return
        }
    }

    // MARK: The coordinator's state

    /// Credit, deaths, and per job: an ended job has every result; a decided policy or an
    /// exhausted budget ends the job; a passed deadline leaves no subtask without a result.
    func checkCoordinator() {
        let workers = self.refreshDeaths()
        if self.violation == nil { self.checkBreakersIfNeeded(outstanding: workers.reduce(0) { $0 + $1.outstanding }) }
        guard self.violation == nil else { return }
        let overCredit = workers.filter { $0.isLive && $0.outstanding > Int($0.capacity) }
        if let worker = overCredit.min(by: { $0.peer.bytes.lexicographicallyPrecedes($1.peer.bytes) }) {
            self.fail(
                .creditExceeded,
                "\(worker.peer) has \(worker.outstanding) attempts outstanding, capacity \(worker.capacity): \(self.coordinator.introspectOutstanding(at: worker.peer))"
            )
            return
        }
        let slack = self.deadlineSlack
        var first: (id: JobID, invariant: SimInvariant, text: String)?
        for job in self.coordinator.introspectedJobs
        where job.finished < job.total && job.id < (first?.id ?? JobID(.max)) {
            let problem: (SimInvariant, String)?
            if let reason = job.endReason {
                problem = (.endedButUnfinished, "ended (\(reason.message)) with subtasks unfinished")
            } else if let verdict = Self.expectedVerdict(job) {
                problem = (
                    .policyIgnored,
                    "(\(job.policy)\(job.budget.map { ", budget \($0)" } ?? "")) should have ended: \(verdict)"
                )
            } else if let deadline = job.deadline, self.now > deadline + slack, self.now > self.coordinatorResumedAt {
                problem = (
                    .deadlineIgnored, "deadline \(SimTrace.time(deadline)) + slack passed with subtasks unfinished"
                )
            } else {
                problem = nil
            }
            if let (invariant, text) = problem { first = (job.id, invariant, text) }
        }
        if let first {  // the lowest job id, so the report does not depend on dictionary order
            let detail = self.coordinator.introspectJob(first.id).map { Self.describe($0) } ?? "\(first.id)"
            self.fail(first.invariant, "\(first.id) \(first.text): \(detail)")
        }
    }

    /// Notes every worker the coordinator declared dead since the last look, and which are live.
    @discardableResult
    func refreshDeaths() -> [CoordinatorStateMachine.WorkerView] {
        let workers = self.coordinator.introspectedWorkers
        self.livePeers.removeAll(keepingCapacity: true)
        for worker in workers {
            if worker.isLive { self.livePeers.insert(worker.peer) }
            let restarted =
                self.ledger.lastIncarnation.updateValue(worker.incarnation, forKey: worker.peer)
                .map { $0 != worker.incarnation } ?? false
            if self.ledger.wasLive[worker.peer] == true, !worker.isLive || restarted {
                self.ledger.lastDeath[worker.peer] = self.now
                self.ledger.drainedSince[worker.peer] = nil  // a drain lasts until the worker is gone
            }
            self.ledger.wasLive[worker.peer] = worker.isLive
            if worker.isDraining, self.ledger.drainedSince[worker.peer] == nil {
                self.ledger.drainedSince[worker.peer] = self.now
            } else if worker.isLive, !worker.isDraining, let since = self.ledger.drainedSince[worker.peer] {
                self.fail(
                    .drainedWorkerGotWork,
                    "\(worker.peer), draining since \(SimTrace.time(since)), is live and no longer draining: it would get new work"
                )
            }
        }
        return workers
    }

    /// The fan-out policy and budget rules of docs/PROTOCOL.md §7.10, evaluated on the counts.
    static func expectedVerdict(_ job: CoordinatorStateMachine.JobCountsView) -> String? {
        if let budget = job.budget, job.usage >= budget { return "used \(job.usage) of a budget of \(budget)" }
        switch job.policy {
        case .all:
            return nil
        case .failFast:
            return job.failed > 0 ? "fail-fast with \(job.failed) failed" : nil
        case .first:
            return job.succeeded > 0 ? "first with \(job.succeeded) succeeded" : nil
        case .quorum(let k):
            if job.succeeded >= k { return "quorum:\(k) with \(job.succeeded) succeeded" }
            if job.total - job.failed - job.cancelled < k {
                return "quorum:\(k) no longer reachable (\(job.failed) failed, \(job.cancelled) cancelled)"
            }
            return nil
        }
    }

    // MARK: Handlers

    /// A cooperative handler whose attempt the coordinator no longer wants must stop within
    /// ``zombieBound`` of the moment its worker is connected, registered and live (and neither it
    /// nor the coordinator stalled): the coordinator's CANCEL, or the reconciliation when the
    /// worker registers again, must reach it.
    func checkHandlers() {
        let coordinatorStalled = self.network.isStalled(.coordinator)
        for slot in self.workers.indices {
            let peer = self.workers[slot].peer
            let link = self.workers[slot].link
            let healthy =
                !coordinatorStalled && self.workers[slot].registered && link != nil
                && !self.network.isStalled(.worker(slot))
                && !self.network.isPartitioned(.worker(slot)) && self.network.route(peer) == link
                && self.livePeers.contains(peer)
            if !healthy {
                self.workers[slot].healthySince = nil
            } else if self.workers[slot].healthySince == nil {
                self.workers[slot].healthySince = self.now
            }
        }
        if self.wantedDirty {
            self.wantedDirty = false
            let cooperative = self.liveRuns.filter { self.runs[$0].behaviour.isCooperative }
            let current = self.coordinator.introspectOutstanding(cooperative.map { self.runs[$0].attempt.subtask })
            for (id, attempt) in zip(cooperative, current) {
                let run = self.runs[id]
                let wanted =
                    attempt?.attempt == run.attempt.attempt && attempt?.worker == run.peer
                    && attempt?.cancelledAt == nil
                    && self.livePeers.contains(run.peer)
                if wanted {
                    self.runs[id].unwantedSince = nil
                } else if run.unwantedSince == nil {
                    self.runs[id].unwantedSince = self.now
                }
            }
        }
        for id in self.liveRuns {
            guard let since = self.runs[id].unwantedSince, let healthy = self.workers[self.runs[id].slot].healthySince,
                self.now > max(since, healthy) + Self.zombieBound
            else { continue }
            let run = self.runs[id]
            let current = self.coordinator.introspectOutstanding([run.attempt.subtask])[0]
            let why =
                current.map {
                    "the coordinator has \(run.attempt.subtask)#\($0.attempt)@\($0.worker)\($0.cancelledAt == nil ? "" : " (cancelled)")"
                } ?? "the coordinator has no attempt of \(run.attempt.subtask) outstanding"
            self.fail(
                .zombieHandler,
                "\(run.attempt) (\(run.behaviour)) still runs on \(run.peer), unwanted since \(SimTrace.time(since)) and connected since \(SimTrace.time(healthy)); \(why)\(run.cancelledAt == nil ? "; the worker never cancelled it" : "")"
            )
            return
        }
    }

    // MARK: At rest

    /// Once the cluster is at rest: nothing runs on any worker, nothing is queued, every request
    /// was answered.
    func checkAtRest() {
        for slot in self.workers.indices {
            if let running = self.workers[slot].machine?.introspectedRunning, !running.isEmpty {
                self.fail(.stuck, "at rest, \(self.workers[slot].peer) still runs \(running)")
                return
            }
        }
        if self.coordinator.queuedSubtasks != 0 {
            self.fail(.stuck, "at rest, the coordinator still has \(self.coordinator.queuedSubtasks) subtasks queued")
        }
        if let requester = self.requesters.first(where: \.timedOut) {
            self.fail(.stuck, "\(requester.peer) never got an answer to \(SimTrace.describe(requester.request))")
        }
        if self.violation == nil { self.checkProbesReturned() }
    }

    /// A finished job's client must have every subtask's result, unless its connection dropped
    /// messages at the high-water mark (then the loss is the network's, and the client should say so).
    func checkClientFinished(_ client: Int, job index: Int, _ summary: JobSummary) {
        let job = self.clients[client].jobs[index]
        let total = UInt32(job.submission.payloads.count)
        let counted = summary.succeeded + summary.failed + summary.cancelled
        guard counted != total || job.delivered.count != Int(total) else { return }
        if self.network.highWaterDrops[job.peer, default: 0] > 0 { return }
        self.fail(
            .clientMissedResults,
            "\(job.peer) got JOB-FINISHED \(summary.job) (\(counted) of \(total) counted) with \(job.delivered.count) results delivered"
        )
    }
}
