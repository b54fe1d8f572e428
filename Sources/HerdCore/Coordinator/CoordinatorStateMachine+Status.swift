// MARK: - Status snapshot for `herd status`

extension CoordinatorStateMachine {
    /// A snapshot of workers, groups and jobs in progress.
    public func statusReport(token: UInt64, now: Instant) -> StatusReport {
        let workers = self.membership.all
            .sorted {
                ($0.registration.group, $0.registration.workerID) < ($1.registration.group, $1.registration.workerID)
            }
            .map { worker in
                let state: String
                switch worker.state {
                case .live:
                    state =
                        worker.drain != nil
                        ? "draining" : worker.unhealthy.map { "unhealthy (\($0))" } ?? "live"
                case .dead(_, let reason): state = reason == Self.deregistered ? "left" : "dead (\(reason))"
                }
                var cancelling: UInt32 = 0
                var overdue: UInt32 = 0
                for subtask in worker.running {
                    guard let since = self.jobs[subtask.job]?.running[subtask.index]?.cancelledAt else { continue }
                    cancelling += 1
                    if since.duration(to: now) > self.configuration.cancelOverdueAfter { overdue += 1 }
                }
                return WorkerStatus(
                    id: worker.registration.workerID,
                    group: worker.registration.group,
                    node: worker.registration.node,
                    state: state,
                    inFlight: UInt32(worker.running.count),
                    capacity: worker.registration.capacity,
                    lastHeard: worker.lastHeard.duration(to: now),
                    cancelling: cancelling,
                    overdue: overdue,
                    breaker: self.resilience.breakerState(
                        .worker(group: worker.registration.group, worker: worker.registration.workerID),
                        now: now
                    )
                        + self.resilience.rampNote(worker.peer, now: now)
                )
            }
        let groups = self.queues.sorted.map { group in
            let live = group.workers.compactMap { self.membership[$0] }
            return GroupStatus(
                name: group.name,
                queued: UInt32(clamping: group.queued),
                workers: UInt32(live.count),
                inFlight: UInt32(live.reduce(0) { $0 + $1.running.count }),
                breaker: self.resilience.breakerState(.group(group.name), now: now),
                fallback: self.queues.fallbacks[group.name] ?? ""
            )
        }
        let jobs = self.jobs.sorted.map { job in
            JobStatus(
                job: job.id,
                group: job.group,
                kind: job.kind,
                total: job.total,
                finished: job.finished,
                running: UInt32(job.running.count - job.cancellingCount),
                cancelling: UInt32(job.cancellingCount),
                parent: job.parent
            )
        }
        let budget = self.retries.budget.level(now: now)
        let stats = self.resilience.errorStats.snapshot(now: now)
        let errors = ErrorCategory.allCases.compactMap { category -> CategoryCount? in
            let count = stats.failures[category] ?? 0
            return count > 0 ? CategoryCount(category: category, count: UInt32(clamping: count)) : nil
        }
        return StatusReport(
            token: token,
            coordinatorID: self.configuration.coordinatorID,
            workers: workers,
            groups: groups,
            jobs: jobs,
            clusterBreaker: self.resilience.breakerState(.cluster, now: now),
            retryBudget: RetryBudgetStatus(
                firstAttempts: UInt32(clamping: budget.firstAttempts),
                retries: UInt32(clamping: budget.retries),
                available: UInt32(clamping: budget.available)
            ),
            errors: errors,
            recentCalls: UInt32(clamping: stats.successes + stats.failures.values.reduce(0, +))
        )
    }

    /// The gauges of `herd_*` metrics, sampled now: counts only, no lists of subtasks (the shell
    /// samples this at most a few times a second, not per message).
    public func gauges(now: Instant) -> CoordinatorGauges {
        var gauges = CoordinatorGauges()
        for group in self.queues.sorted {
            gauges.queueDepth[group.name] = group.queued
            var inFlight = 0
            for peer in group.workers { inFlight += self.membership[peer]?.running.count ?? 0 }
            gauges.inFlight[group.name] = inFlight
        }
        for worker in self.membership.all {
            let state: String
            switch worker.state {
            case .live: state = worker.drain != nil ? "draining" : worker.unhealthy == nil ? "live" : "unhealthy"
            case .dead(_, let reason): state = reason == Self.deregistered ? "left" : "dead"
            }
            gauges.workers[CoordinatorGauges.Workers(group: worker.registration.group, state: state), default: 0] += 1
        }
        for path in self.resilience.breakers.paths {
            let level: String
            let name: String
            switch path {
            case .cluster: (level, name) = ("cluster", "/")
            case .group(let group): (level, name) = ("group", group)
            case .worker(let group, let worker): (level, name) = ("worker", "\(group)/\(worker)")
            }
            let value: Int
            switch self.resilience.breakers.breaker(at: path)?.stateName(now: now) ?? .closed {
            case .closed: value = 0
            case .halfOpen: value = 1
            case .open: value = 2
            case .forcedOpen, .disabled: value = 3
            }
            gauges.breakers[CoordinatorGauges.Breaker(level: level, name: name)] = value
        }
        gauges.retryBudgetAvailable = self.retries.budget.level(now: now).available
        gauges.jobs = ["running": 0, "ending": 0]
        for job in self.jobs.all { gauges.jobs[job.isEnding ? "ending" : "running", default: 0] += 1 }
        return gauges
    }

    /// Number of subtasks queued across all groups (for tests and metrics).
    public var queuedSubtasks: Int { self.queues.queuedTotal }

    /// Number of attempts outstanding across all workers.
    public var outstandingAttempts: Int { self.membership.all.reduce(0) { $0 + $1.running.count } }

    /// Number of jobs the coordinator still tracks.
    public var activeJobs: Int { self.jobs.count }
}

extension CoordinatorStateMachine {
    /// `herd breaker open|close|reset|disable PATH`.
    mutating func breakerCommand(
        _ command: BreakerCommand,
        from peer: PeerID,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        self.clients.touch(peer, now: now)
        guard let path = BreakerPath(parsing: command.path) else {
            self.send(
                .breakerReply(
                    BreakerReply(
                        token: command.token,
                        ok: false,
                        message: "bad breaker path '\(command.path)': use /, GROUP or GROUP/WORKER"
                    )
                ),
                to: peer,
                now: now,
                into: &actions
            )
            return
        }
        let transitions: [BreakerHierarchy.PathTransition]
        switch command.action {
        case .open: transitions = self.resilience.breakers.forceOpen(path, now: now)
        case .close: transitions = self.resilience.breakers.close(path, now: now)
        case .reset: transitions = self.resilience.breakers.reset(path, now: now)
        case .disable: transitions = self.resilience.breakers.disable(path, now: now)
        }
        self.logTransitions(transitions, into: &actions)
        self.journal.append(.breakerCommand(command.action, path: command.path))
        actions.append(
            .log(
                LogLine(
                    .notice,
                    "breaker \(command.action) by operator",
                    ["breaker": "\(path)", "by": peer.description]
                )
            )
        )
        self.queues.markAllDirty()
        self.send(
            .breakerReply(
                BreakerReply(
                    token: command.token,
                    ok: true,
                    message: "\(path): \(self.resilience.breakerState(path, now: now))"
                )
            ),
            to: peer,
            now: now,
            into: &actions
        )
    }
}
