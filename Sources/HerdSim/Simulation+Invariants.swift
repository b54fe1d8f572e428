import HerdCore

// MARK: - Invariants, checked after every step

extension Simulation {
    /// How long a cooperative handler may keep running once the coordinator no longer wants its
    /// attempt and the worker is connected: the kill grace plus a generous allowance for the
    /// CANCEL's trip (latency spikes) and a re-registration.
    static let zombieBound: Duration = .seconds(2)

    func checkAfterStep() {
        if self.coordinatorTouched {
            self.coordinatorTouched = false
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
            for assignment in assignments { self.ledger.dispatchedAt[assignment.attempt] = self.now }
        case .accepted(let accepted):
            self.ledger.totals[accepted.job] = accepted.subtasks
            self.ledger.knownJobs.append(accepted.job)
        case .jobResults(let results):
            for result in results {
                let job = result.subtask.job
                if self.ledger.finished.contains(job) {
                    self.fail(.resultAfterFinish, "\(result.subtask) sent to \(peer) after JOB-FINISHED \(job)")
                }
                var tally = self.ledger.tallies[job, default: SimLedger.Tally()]
                if !tally.indices.insert(result.subtask.index).inserted {
                    self.fail(.resultTwice, "\(result.subtask) sent to \(peer) again: \(SimTrace.describe(result.outcome))")
                }
                switch result.outcome {
                case .success: tally.succeeded += 1
                case .failure(let failure) where failure.category == .cancelled: tally.cancelled += 1
                case .failure: tally.failed += 1
                }
                self.ledger.tallies[job] = tally
                self.checkProvenance(result)
            }
        case .jobFinished(let summary):
            let tally = self.ledger.tallies[summary.job, default: SimLedger.Tally()]
            let total = self.ledger.totals[summary.job] ?? 0
            if tally.indices.count != Int(total) {
                self.fail(.finishMismatch, "JOB-FINISHED \(summary.job) to \(peer) after \(tally.indices.count) of \(total) results")
            } else if (tally.succeeded, tally.failed, tally.cancelled) != (summary.succeeded, summary.failed, summary.cancelled) {
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

    /// A committed result must be what the subtask's current attempt produced: handlers stamp
    /// `attempt@worker` into their output, which must match the result's attempt count and worker.
    func checkProvenance(_ result: JobResult) {
        let text: String
        switch result.outcome {
        case .success(let bytes):
            guard self.ledger.producedOutputs.contains(bytes) else {
                self.fail(.supersededResult, "\(result.subtask) committed an output no handler produced: \(SimTrace.describe(result.outcome))")
                return
            }
            text = String(decoding: bytes, as: UTF8.self)
        case .failure(let failure):
            guard failure.message.hasPrefix("sim ") else { return }  // the worker's or coordinator's own failure
            text = failure.message
        }
        let stamp = text.split(separator: " ").dropFirst().first.map { String($0.split(separator: ":").first ?? $0) } ?? ""
        let expected = "\(result.subtask)#\(result.attempts)@\(result.worker)"
        if stamp != expected {
            self.fail(.supersededResult, "\(result.subtask) committed \(stamp)'s result, but its current attempt is \(expected)")
        }
    }

    /// When a job is reported finished (or its cancel confirmed), none of its attempts may still
    /// run, except on a worker the coordinator declared dead after dispatching the attempt (the
    /// protocol's "lost with its worker"), or one its worker gave back (a drain confirms before
    /// the handler ends).
    func checkNothingRuns(of job: JobID, when what: String) {
        guard self.liveRuns.contains(where: { self.runs[$0].attempt.subtask.job == job }) else { return }
        self.refreshDeaths()  // a death decided in this same step counts
        for id in self.liveRuns where self.runs[id].attempt.subtask.job == job {
            let run = self.runs[id]
            if let death = self.ledger.lastDeath[run.peer], death >= self.ledger.dispatchedAt[run.attempt] ?? run.startedAt { continue }
            if run.givenBackAt != nil { continue }
            self.fail(.finishedWhileRunning, "\(what) \(job) while \(run.attempt) still runs on \(run.peer) (\(run.behaviour)\(run.cancelledAt == nil ? "" : ", cancelled at \(SimTrace.time(run.cancelledAt!))"))")
            return
        }
    }

    // MARK: The coordinator's state

    /// Credit, deaths, and per job: an ended job has every result; a decided policy or an
    /// exhausted budget ends the job; a passed deadline leaves no subtask without a result.
    func checkCoordinator() {
        for worker in self.refreshDeaths() where worker.isLive && worker.outstanding.count > Int(worker.capacity) {
            self.fail(.creditExceeded, "\(worker.peer) has \(worker.outstanding.count) attempts outstanding, capacity \(worker.capacity): \(worker.outstanding)")
        }
        let slack = self.scenario.coordinator.deadlineSlack
        for id in self.coordinator.introspectedJobIDs {
            guard self.violation == nil, let job = self.coordinator.introspectJob(id) else { continue }
            guard job.finished < job.total else { continue }
            let unfinished = job.phases.indices.filter { job.phases[$0] != .finished }
            if let reason = job.endReason {
                self.fail(.endedButUnfinished, "\(id) ended (\(reason.message)) with subtasks \(unfinished) unfinished")
            } else if let verdict = Self.expectedVerdict(job) {
                self.fail(.policyIgnored, "\(id) (\(job.policy)\(job.budget.map { ", budget \($0)" } ?? "")) should have ended: \(verdict); subtasks \(unfinished) go on")
            } else if let deadline = job.deadline, self.now > deadline + slack, self.now > self.coordinatorResumedAt {
                self.fail(.deadlineIgnored, "\(id)'s deadline \(SimTrace.time(deadline)) + slack passed; subtasks \(unfinished) have no result")
            }
        }
    }

    /// Notes every worker the coordinator declared dead since the last look; returns the views.
    @discardableResult
    func refreshDeaths() -> [CoordinatorStateMachine.WorkerView] {
        let workers = self.coordinator.introspectedWorkers
        for worker in workers {
            if self.ledger.wasLive[worker.peer] == true, !worker.isLive { self.ledger.lastDeath[worker.peer] = self.now }
            self.ledger.wasLive[worker.peer] = worker.isLive
        }
        return workers
    }

    /// The fan-out policy and budget rules of docs/PROTOCOL.md §7.10, evaluated on the counts.
    static func expectedVerdict(_ job: CoordinatorStateMachine.JobView) -> String? {
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
            if job.total - job.failed - job.cancelled < k { return "quorum:\(k) no longer reachable (\(job.failed) failed, \(job.cancelled) cancelled)" }
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
            let worker = self.workers[slot]
            let healthy = !coordinatorStalled && worker.machine?.isRegistered == true && !self.network.isStalled(.worker(slot))
                && !self.network.isPartitioned(.worker(slot)) && worker.link != nil && self.network.route(worker.peer) == worker.link
                && self.coordinator.introspectWorkerIsLive(worker.peer)
            if !healthy {
                self.workers[slot].healthySince = nil
            } else if worker.healthySince == nil {
                self.workers[slot].healthySince = self.now
            }
        }
        for id in self.liveRuns {
            let run = self.runs[id]
            guard run.behaviour.isCooperative else { continue }
            let current = self.coordinator.introspectOutstanding(run.attempt.subtask)
            let wanted = current?.attempt == run.attempt.attempt && current?.worker == run.peer && current?.cancelledAt == nil
                && self.coordinator.introspectWorkerIsLive(run.peer)
            if wanted {
                self.runs[id].unwantedSince = nil
                continue
            }
            let since = run.unwantedSince ?? self.now
            self.runs[id].unwantedSince = since
            guard let healthy = self.workers[run.slot].healthySince else { continue }
            if self.now > max(since, healthy) + Self.zombieBound {
                let why = current.map { "the coordinator has \(run.attempt.subtask)#\($0.attempt)@\($0.worker)\($0.cancelledAt == nil ? "" : " (cancelled)")" } ?? "the coordinator has no attempt of \(run.attempt.subtask) outstanding"
                self.fail(
                    .zombieHandler,
                    "\(run.attempt) (\(run.behaviour)) still runs on \(run.peer), unwanted since \(SimTrace.time(since)) and connected since \(SimTrace.time(healthy)); \(why)\(run.cancelledAt == nil ? "; the worker never cancelled it" : "")"
                )
                return
            }
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
    }

    /// A finished job's client must have every subtask's result, unless its connection dropped
    /// messages at the high-water mark (then the loss is the network's, and the client should say so).
    func checkClientFinished(_ client: Int, job index: Int, _ summary: JobSummary) {
        let job = self.clients[client].jobs[index]
        let total = UInt32(job.submission.payloads.count)
        let counted = summary.succeeded + summary.failed + summary.cancelled
        guard counted != total || job.delivered.count != Int(total) else { return }
        if self.network.highWaterDrops[job.peer, default: 0] > 0 { return }
        self.fail(.clientMissedResults, "\(job.peer) got JOB-FINISHED \(summary.job) (\(counted) of \(total) counted) with \(job.delivered.count) results delivered")
    }
}
