import HerdCore

// MARK: - Breakers and the retry budget: the checks, and the world's moves that exercise them

extension Simulation {
    // MARK: Admission: no DISPATCH through an open breaker beyond a trial's probes

    /// One attempt of a DISPATCH to `peer` went through the cluster's, its group's and its own
    /// breaker. Judged against the breakers as they stood before the flush that sent it, with the
    /// attempts that flush already admitted: an open breaker admits nothing until its open
    /// duration has passed, then a trial's probes; a forced-open one nothing; a half-open one the
    /// probes its trial has left.
    ///
    /// (Not short-cut by the hierarchy's own "all closed" count: that count is part of what is checked.)
    func checkAdmission(_ attempt: AttemptRef, to peer: PeerID) {
        guard let baseline = self.admissionBaseline, let group = self.peerGroups[peer] else { return }
        let levels = self.scenario.coordinator.breakers
        for level in 0 ..< 3 {
            let path: BreakerPath
            let configuration: CircuitBreaker.Configuration
            switch level {
            case 0: (path, configuration) = (.cluster, levels.cluster)
            case 1: (path, configuration) = (.group(group), levels.group)
            default: (path, configuration) = (.worker(group: group, worker: peer.description), levels.worker)
            }
            guard let breaker = baseline.breaker(at: path) else { continue }  // never used: closed
            if case .closed = breaker.state { continue }
            let used = self.admissionUsed[path, default: 0] + 1
            self.admissionUsed[path] = used
            let allowance = SimBreakerSeen.allowance(breaker.state, configuration: configuration, now: self.now)
            guard used > allowance else { continue }
            self.fail(
                .breakerViolated,
                "DISPATCH of \(attempt) to \(peer) went through breaker \(path), \(Self.describe(breaker.state)), which admits \(allowance) (\(used) through it in that flush)"
            )
            return
        }
    }

    static func describe(_ state: CircuitBreaker.State) -> String {
        switch state {
        case .closed: "closed"
        case .open(let since): "open since \(SimTrace.time(since))"
        case .halfOpen(let trial):
            "half-open since \(SimTrace.time(trial.since)) with \(trial.probesAdmitted) probes admitted, \(trial.calls) recorded"
        case .forcedOpen: "forced open"
        case .disabled: "disabled"
        }
    }

    // MARK: Transitions: only the legal table, chained, on time

    /// Every breaker's transitions since the last look: each from the state the previous one left,
    /// in the legal table, an open → half-open no earlier than the open duration allows, a
    /// half-open expiry no earlier than its limit, an operator's transition only on a breaker an
    /// operator command just addressed; and the breaker is now in the state the last one left.
    /// Also that the hierarchy's own "all closed" shortcut (`admitsAll`) tells the truth.
    ///
    /// Looked at after a coordinator step that logged a breaker transition or handled an operator
    /// command, and every 64th coordinator step regardless (a transition the coordinator did not
    /// log is still found then: the transitions chain). When the coordinator's last outstanding
    /// attempt ends, every probe must be accounted for (``checkProbesReturned(_:)``).
    func checkBreakersIfNeeded(outstanding: Int) {
        self.breakerLooksLeft -= 1
        let look = self.breakerLogged || !self.operatorPaths.isEmpty || self.breakerLooksLeft <= 0
        let idle = outstanding == 0 && self.lastOutstanding > 0
        self.lastOutstanding = outstanding
        self.breakerLogged = false
        guard look || idle else { return }
        let hierarchy = self.coordinator.simBreakers
        if look { self.checkBreakerTransitions(hierarchy) }
        if idle, self.violation == nil { self.checkProbesReturned(hierarchy) }
    }

    func checkBreakerTransitions(_ hierarchy: BreakerHierarchy? = nil) {
        let hierarchy = hierarchy ?? self.coordinator.simBreakers
        let levels = self.scenario.coordinator.breakers
        self.breakerLooksLeft = 64
        defer { self.operatorPaths.removeAll(keepingCapacity: true) }
        var anyNotClosed = false
        for path in hierarchy.paths {
            guard let breaker = hierarchy.breaker(at: path) else { continue }
            if breaker.stateName != .closed { anyNotClosed = true }
            var seen = self.breakersSeen[path] ?? SimBreakerSeen()
            if breaker.transitionCount == seen.count, breaker.stateName == seen.state { continue }
            if breaker.transitionCount < seen.count { seen = SimBreakerSeen() }  // forgotten and created afresh
            let configuration: CircuitBreaker.Configuration
            switch path {
            case .cluster: configuration = levels.cluster
            case .group: configuration = levels.group
            case .worker: configuration = levels.worker
            }
            let fresh = breaker.transitionCount - seen.count
            let visible = breaker.history.suffix(fresh)
            if visible.count < fresh, let first = visible.first { seen.state = first.from }  // older ones fell out of the history
            for transition in visible {
                let problem: String?
                if transition.from != seen.state {
                    problem = "starts from \(transition.from), but the breaker was \(seen.state)"
                } else if !SimBreakerSeen.isLegal(transition.from, transition.to, transition.trigger) {
                    problem = "is not in the legal table"
                } else if transition.trigger == .openDurationElapsed, let opened = seen.openedAt,
                    transition.at < opened + configuration.openDuration
                {
                    problem =
                        "comes before the open duration \(SimTrace.duration(configuration.openDuration)) since \(SimTrace.time(opened)) passed"
                } else if transition.trigger == .halfOpenExpired,
                    configuration.maxHalfOpenDuration == nil
                        || seen.halfOpenAt.map({ transition.at < $0 + configuration.maxHalfOpenDuration! }) == true
                {
                    problem = "expires a trial before its limit"
                } else if [.operatorForceOpen, .operatorClose, .operatorReset, .operatorDisable].contains(
                    transition.trigger
                ), !self.operatorPaths.contains(path) {
                    problem = "is an operator's, but no operator command addressed \(path)"
                } else {
                    problem = nil
                }
                if let problem {
                    self.fail(
                        .breakerViolated,
                        "breaker \(path): transition \(transition.from) → \(transition.to) (\(transition.trigger)) at \(SimTrace.time(transition.at)) \(problem)"
                    )
                    return
                }
                seen.state = transition.to
                switch transition.to {
                case .open:
                    seen.openedAt = transition.at
                    self.stats.breakersOpened += 1
                case .halfOpen:
                    seen.halfOpenAt = transition.at
                case .closed where transition.trigger == .probesSucceeded:
                    self.stats.breakersClosed += 1
                default:
                    break
                }
            }
            seen.count = breaker.transitionCount
            if breaker.stateName != seen.state {
                self.fail(
                    .breakerViolated,
                    "breaker \(path) is \(breaker.stateName) though its transitions left it \(seen.state)"
                )
                return
            }
            self.breakersSeen[path] = seen
        }
        if anyNotClosed == hierarchy.admitsAll {
            self.fail(
                .breakerViolated,
                "the breaker hierarchy says \(hierarchy.admitsAll ? "every breaker is closed" : "some breaker is not closed"), but \(anyNotClosed ? "one is not" : "all are")"
            )
        }
    }

    /// With no attempt outstanding (at rest, or whenever the coordinator has none), every probe a
    /// half-open breaker admitted has been recorded or its permit returned: a trial with more
    /// probes admitted than results recorded leaked a permit, and admits fewer probes from then on
    /// (with none left it never decides, and everything behind it waits).
    func checkProbesReturned(_ hierarchy: BreakerHierarchy? = nil) {
        let hierarchy = hierarchy ?? self.coordinator.simBreakers
        for path in hierarchy.paths {
            guard let breaker = hierarchy.breaker(at: path), case .halfOpen(let trial) = breaker.state,
                trial.probesAdmitted > trial.calls
            else { continue }
            self.fail(
                .breakerViolated,
                "with no attempt outstanding, breaker \(path) is \(Self.describe(breaker.state)): \(trial.probesAdmitted - trial.calls) probe permits were never returned "
                    + "(it admits \(max(0, breaker.configuration.permittedCallsInHalfOpen - trial.probesAdmitted)) more of \(breaker.configuration.permittedCallsInHalfOpen))"
            )
            return
        }
    }

    // MARK: The retry budget

    /// After the coordinator handled a RESULTS message: each failed attempt it now waits to retry
    /// is a withdrawal from the budget, which the budget's rule must allow.
    func noteRetriesScheduled(_ results: [SubtaskResult]) {
        for result in results {
            guard case .failure(let failure) = result.outcome, failure.category != .cancelled,
                !self.ledger.retryCounted.contains(result.attempt),
                let state = self.coordinator.simSubtask(result.attempt.subtask), state.phase == .waitingRetry,
                state.attempts == result.attempt.attempt
            else { continue }
            self.ledger.retryCounted.insert(result.attempt)
            self.ledger.retryScheduled.insert(result.attempt)
            self.stats.retriesScheduled += 1
            guard let counts = self.budget.withdraw(at: self.now) else { continue }
            let level = self.coordinator.simRetryBudgetLevel(now: self.now)
            let budget = self.scenario.coordinator.retryBudget
            self.fail(
                .retryBudgetExceeded,
                "retry of \(result.attempt) (\(failure.category)) scheduled as retry \(counts.retries + 1) of the window, which allows \(counts.allowed) "
                    + "(ratio \(budget.ratio) × \(counts.firsts) first attempts + reserve \(budget.reserve)); the coordinator's budget counts \(level.firstAttempts) first attempts, \(level.retries) retries"
            )
            return
        }
    }

    // MARK: Moves that exercise breakers

    /// A worker's host goes bad for a while: its handlers mostly fail with categories that count
    /// against the worker's breaker, or succeed slowly.
    func degradeWorker(_ slot: Int, for duration: Duration) {
        self.workers[slot].degradedUntil = self.now + duration
        self.trace.add("\(self.prefix) FAULT degrade \(self.workers[slot].peer) for \(SimTrace.duration(duration))")
    }

    /// A group's shared dependency goes down for a while: its handlers mostly fail with categories
    /// that count against the group's (and the cluster's) breaker.
    func degradeGroup(_ group: String, for duration: Duration) {
        self.groupDegradedUntil[group] = self.now + duration
        self.trace.add("\(self.prefix) FAULT degrade group \(group) for \(SimTrace.duration(duration))")
    }

    /// What a handler on a degraded worker or group does instead of its drawn behaviour, if
    /// anything (a quarter of its runs behave normally).
    func degradedBehaviour(slot: Int) -> SimBehaviour? {
        let workerBad = self.workers[slot].degradedUntil > self.now
        let groupBad = (self.groupDegradedUntil[self.workers[slot].spec.group] ?? .zero) > self.now
        guard workerBad || groupBad, self.random.chance(0.75) else { return nil }
        if groupBad, !workerBad || self.random.chance(0.5) {
            return .fail(
                self.random.pick([.server, .server, .rateLimited, .auth]),
                after: self.random.milliseconds(1, 300)
            )
        }
        if self.random.chance(0.3) { return .succeed(after: self.random.milliseconds(800, 2500), usage: 0) }
        return .fail(
            self.random.pick([.transient, .timeout, .network, .unknown]),
            after: self.random.milliseconds(1, 300)
        )
    }

    /// `herd breaker ACTION PATH` on a random breaker; a force-open or a disable is undone a few
    /// seconds later (close or reset).
    func randomBreakerCommand() {
        let path: BreakerPath
        switch self.random.int(0 ... 9) {
        case 0: path = .cluster
        case 1 ... 4: path = .group(self.random.pick(self.scenario.groups))
        default:
            let slot = self.random.int(0 ... self.workers.count - 1)
            path = .worker(group: self.workers[slot].spec.group, worker: self.workers[slot].peer.description)
        }
        let action: BreakerCommand.Action = [.open, .open, .open, .disable, .close, .close, .reset, .reset][
            self.random.int(0 ... 7)
        ]
        self.operateBreaker(action, path)
        if action == .open || action == .disable {
            self.queue.push(
                .operatorBreaker(self.random.chance(0.5) ? .close : .reset, path),
                at: self.now + self.random.milliseconds(300, 4000)
            )
        }
    }

    func operateBreaker(_ action: BreakerCommand.Action, _ path: BreakerPath) {
        self.stats.breakerCommands += 1
        self.request(.breaker(BreakerCommand(token: self.token(), action: action, path: path.description)))
    }
}
