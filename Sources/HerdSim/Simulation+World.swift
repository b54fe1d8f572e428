import HerdCore

// MARK: - The world: jobs and faults while active, healing and settling after

extension Simulation {
    /// What the world may do next, with its weight.
    enum WorldMove: CaseIterable {
        case submit, interrupt, cancelAnyJob, crashWorker, stallWorker, partitionWorker, terminateWorker, drain
        case stallCoordinator, stallClient, partitionClient, crashClient, crashCoordinator
        case degradeWorker, degradeGroup, operateBreaker

        var weight: Int {
            switch self {
            case .submit: 24
            case .interrupt: 4
            case .cancelAnyJob: 6
            case .crashWorker: 5
            case .stallWorker: 5
            case .partitionWorker: 5
            case .terminateWorker: 3
            case .drain: 3
            case .stallCoordinator: 2
            case .stallClient: 2
            case .partitionClient: 2
            case .crashClient: 1
            case .crashCoordinator: 1
            case .degradeWorker: 6
            case .degradeGroup: 4
            case .operateBreaker: 1
            }
        }
    }

    /// Draws and applies the world's next move, then schedules the one after.
    func worldEvent() {
        guard !self.settling else { return }
        defer { self.queue.push(.world, at: self.now + self.random.milliseconds(10, 250)) }
        let move = WorldMove.allCases[self.random.weighted(WorldMove.allCases.map(\.weight))]
        let upWorkers = self.workers.indices.filter { self.workers[$0].machine != nil }
        switch move {
        case .submit:
            let clients = self.clients.indices.filter { !self.clients[$0].crashed }
            let running = self.clients.reduce(0) { $0 + $1.jobs.filter(\.isRunning).count }
            guard !clients.isEmpty, running < 5 else { return }
            self.submitRootJob(client: self.random.pick(clients))
        case .interrupt:
            let jobs = self.clients.indices.flatMap { client in
                self.clients[client].jobs.indices.filter {
                    !self.clients[client].crashed && self.clients[client].jobs[$0].isRunning
                }.map { (client, $0) }
            }
            guard !jobs.isEmpty else { return }
            let (client, job) = self.random.pick(jobs)
            self.clientPatienceRanOut(client, job: job)
        case .cancelAnyJob:
            let active = Set(self.coordinator.introspectedJobIDs)
            let candidates = self.ledger.knownJobs.filter { active.contains($0) }
            guard !candidates.isEmpty else { return }
            let job = self.random.pick(candidates)
            self.stats.cancels += 1
            self.request(.cancelJob(CancelJob(token: self.token(), job: job, reason: "herd cancel \(job)")))
        case .crashWorker:
            guard !upWorkers.isEmpty else { return }
            let slot = self.random.pick(upWorkers)
            self.stats.crashes += 1
            self.trace.add("\(self.prefix) FAULT crash \(self.workers[slot].peer)")
            self.stopProcess(slot)
        case .stallWorker:
            guard !upWorkers.isEmpty else { return }
            self.stall(.worker(self.random.pick(upWorkers)), for: self.faultDuration())
        case .partitionWorker:
            self.partition(.worker(self.random.int(0 ... self.workers.count - 1)), for: self.faultDuration())
        case .terminateWorker:
            guard !upWorkers.isEmpty else { return }
            let slot = self.random.pick(upWorkers)
            self.stats.drains += 1
            self.trace.add("\(self.prefix) FAULT SIGTERM \(self.workers[slot].peer)")
            self.workerEvents(slot, incarnation: self.workers[slot].incarnation, [.stopRequested])
        case .drain:
            let slot = self.random.int(0 ... self.workers.count - 1)
            let target: DrainTarget
            switch self.random.int(0 ... 2) {
            case 0: target = .worker(self.workers[slot].peer.description)
            case 1: target = .node("n\(slot)")
            default: target = .group(self.workers[slot].spec.group)
            }
            self.stats.drains += 1
            self.request(
                .drain(DrainRequest(token: self.token(), target: target, grace: self.random.milliseconds(0, 1000)))
            )
        case .stallCoordinator:
            self.stall(.coordinator, for: self.random.milliseconds(20, 1500))
        case .stallClient:
            self.stall(.client(self.random.int(0 ... self.clients.count - 1)), for: self.faultDuration())
        case .partitionClient:
            self.partition(.client(self.random.int(0 ... self.clients.count - 1)), for: self.faultDuration())
        case .crashClient:
            let alive = self.clients.indices.filter { !self.clients[$0].crashed }
            guard alive.count > 1 else { return }
            self.crashClient(self.random.pick(alive))
        case .crashCoordinator:
            self.crashCoordinator()
        case .degradeWorker:
            self.degradeWorker(self.random.int(0 ... self.workers.count - 1), for: self.random.milliseconds(200, 2500))
        case .degradeGroup:
            self.degradeGroup(self.random.pick(self.scenario.groups), for: self.random.milliseconds(200, 2000))
        case .operateBreaker:
            self.randomBreakerCommand()
        }
    }

    /// How long a stall or a partition lasts: mostly short, sometimes past the liveness window.
    func faultDuration() -> Duration {
        self.random.chance(0.7) ? self.random.milliseconds(5, 800) : self.random.milliseconds(800, 4000)
    }

    /// Ends the active phase: every fault is healed, every worker slot runs a process, and
    /// nothing new happens from here on.
    func beginSettling() {
        self.settling = true
        self.settleDeadline = self.now + self.options.settleLimit
        self.trace.add("\(self.prefix) ---- settling: every fault healed, nothing new from here on ----")
        var nodes: [SimNode] = [.coordinator]
        nodes += self.workers.indices.map { .worker($0) }
        nodes += self.clients.indices.map { .client($0) }
        for node in nodes {
            self.heal(node)
            self.resume(node)
        }
        for slot in self.workers.indices where self.workers[slot].machine == nil {
            self.queue.push(.restart(slot: slot), at: self.now)
        }
        for slot in self.workers.indices { self.workers[slot].degradedUntil = .zero }
        self.groupDegradedUntil.removeAll()
    }

    /// At rest: every job of a living client is done, every request answered, no handler runs,
    /// and the coordinator tracks no job and no attempt.
    var isQuiescent: Bool {
        guard self.liveRuns.isEmpty, self.coordinator.activeJobs == 0, self.coordinator.outstandingAttempts == 0 else {
            return false
        }
        for client in self.clients where !client.crashed {
            if client.jobs.contains(where: \.isRunning) { return false }
        }
        return self.requesters.allSatisfy(\.isDone)
    }

    /// `j3 (g1, 2/5 done, 1 queued, 1 waiting to retry, running [j3/2#1@w0]), ending: …`
    static func describe(_ job: CoordinatorStateMachine.JobView) -> String {
        let counts = job.counts
        let queued = job.phases.filter { $0 == .queued }.count
        let retrying = job.phases.filter { $0 == .waitingRetry }.count
        let running = job.running.map {
            "\(counts.id)/\($0.index)#\($0.attempt)@\($0.worker)\($0.cancelledAt == nil ? "" : " (cancelling)")"
        }
        return
            "\(counts.id) (\(job.group), \(counts.finished)/\(counts.total) done, \(queued) queued, \(retrying) waiting to retry, "
            + "running [\(running.joined(separator: ", "))])\(counts.endReason.map { ", ending: \($0.message)" } ?? "")"
    }

    /// What is left when a run does not come to rest: the evidence for a stuck run.
    func stuckDescription() -> String {
        var parts: [String] = []
        for id in self.coordinator.introspectedJobIDs {
            guard let job = self.coordinator.introspectJob(id) else { continue }
            parts.append("coordinator job \(Self.describe(job))")
        }
        for id in self.liveRuns {
            let run = self.runs[id]
            parts.append(
                "handler \(run.attempt) on \(run.peer) since \(SimTrace.time(run.startedAt)): \(run.behaviour)\(run.cancelledAt == nil ? "" : ", cancelled")"
            )
        }
        for client in self.clients where !client.crashed {
            for job in client.jobs where job.isRunning {
                parts.append("client \(job.peer) still waits for \(job.job.map(\.description) ?? "acceptance")")
            }
        }
        for requester in self.requesters where !requester.isDone {
            parts.append("\(requester.peer) still waits for the reply to \(SimTrace.describe(requester.request))")
        }
        if self.coordinator.outstandingAttempts > 0 {
            parts.append("\(self.coordinator.outstandingAttempts) attempts outstanding at workers")
        }
        return parts.isEmpty ? "nothing left, yet not at rest" : parts.joined(separator: "; ")
    }
}
