import HeapModule

/// The coordinator's decisions: a pure state machine.
///
/// Events go in (``CoordinatorEvent``: messages, timers), time is passed in, and actions come out
/// (``CoordinatorAction``: sends, timers, log lines). The machine performs no I/O, reads no clock
/// and draws no randomness, so the same code runs in the `herd coordinator` process and in the
/// deterministic simulator.
///
/// Batching: the shell hands over every event of one wake-up through ``handle(_:now:into:)`` and then
/// calls ``flush(now:into:)`` once. The flush commits results to clients as one JOB-RESULTS message
/// per job and dispatches queued work as one DISPATCH message per worker, so a burst of N messages
/// costs a handful of sends, not N.
///
/// Invariants (checked by the tests and the simulator):
/// - a worker never has more attempts outstanding than its capacity (credit);
/// - each subtask's result is committed at most once, and only from its outstanding attempt;
/// - a subtask is queued, running at exactly one worker, or finished.
public struct CoordinatorStateMachine: Sendable {
    public let configuration: CoordinatorConfiguration

    /// Where the machine is in its life (running, shutting down, stopped).
    var lifeCycle = CoordinatorLifeCycle.created
    /// Workers (live, draining, dead) and the drains waiting for them to leave.
    var membership = Membership()
    /// Groups: their workers and queues, and which need a dispatch pass.
    var queues: GroupQueues
    /// Jobs, their subtasks and attempts, and the tree of nested jobs.
    var jobs = JobTable()
    /// Clients and the jobs each owns.
    var clients = ClientTable()
    /// Failed attempts waiting for their retry, under the cluster-wide retry budget.
    var retries: RetryScheduler
    /// Breakers, error statistics, recovery ramps and last good results.
    var resilience: ResilienceState
    /// CANCEL batches waiting for the flush, and when each peer was last sent anything.
    var outbound = Outbound()
    /// Journal records waiting for the flush (journaling coordinators only).
    var journal: JournalBuffer
    /// Every job's committed results (journaling coordinators only).
    var archive = ResultArchive()
    /// After a restart from a journal: no dispatch before this instant, so the workers that still
    /// hold restored attempts re-register (and keep them) before the work is handed out again.
    var resumeDispatchAt: Instant?
    /// Job owners, clients' open jobs and submission rates, routing-id bindings (`+Access`).
    var access = AccessControl()
    /// The principal of the authenticated message being handled (`nil` outside one, and for
    /// unauthenticated peers).
    var principal: Principal?
    /// When the last tick ran: a tick far later than its interval means the coordinator itself
    /// stalled, and its peers are not judged silent on it (their messages may be unread).
    var lastTickAt: Instant?
    /// Undecodable messages are logged at most 20 per 10 s (a garbage flood is not a log flood).
    var undecodableLogs = LogBudget(limit: 20, per: .seconds(10))
    /// What was committed and measured since the shell last took it (for its metrics).
    var observations = CoordinatorObservations()
    /// The latest finished jobs, oldest first, for `herd jobs` and `herd inspect` (at most
    /// ``recentJobsKept``).
    var recentJobs: [JobDetail] = []

    public init(configuration: CoordinatorConfiguration) {
        self.configuration = configuration
        self.queues = GroupQueues(fallbacks: configuration.groupPolicies.compactMapValues(\.fallback))
        self.retries = RetryScheduler(seed: configuration.seed, budget: configuration.retryBudget)
        self.resilience = ResilienceState(breakers: configuration.breakers, recoveryRamp: configuration.recoveryRamp)
        self.journal = JournalBuffer(enabled: configuration.journaled)
    }

    /// Hands the shell what was observed since the last call (and starts afresh).
    public mutating func takeObservations() -> CoordinatorObservations {
        guard !self.observations.isEmpty else { return CoordinatorObservations() }
        var taken = CoordinatorObservations()
        swap(&taken, &self.observations)
        return taken
    }

    // MARK: - Entry points

    /// Starts the machine: arms the first housekeeping tick.
    public mutating func start(now: Instant) -> [CoordinatorAction] {
        precondition(self.lifeCycle == .created, "coordinator machine started twice (or after a shutdown request)")
        self.lifeCycle = .running
        var actions: [CoordinatorAction] = [.schedule(.tick, at: now + self.configuration.heartbeatInterval)]
        // Restored jobs' deadlines (one that passed while the coordinator was down fires at once).
        for job in self.jobs.sorted where !job.isEnding {
            if let deadline = job.deadline {
                actions.append(.schedule(.deadline(job.id), at: max(now, deadline + self.configuration.deadlineSlack)))
            }
        }
        return actions
    }

    /// Handles one event. Call ``flush(now:into:)`` after the last event of a batch.
    public mutating func handle(_ event: CoordinatorEvent, now: Instant, into actions: inout [CoordinatorAction]) {
        switch event {
        case .message(let message, let peer):
            self.received(message, from: peer, now: now, into: &actions)
        case .authenticated(let message, let peer, let principal):
            self.receivedAuthenticated(message, from: peer, as: principal, now: now, into: &actions)
        case .undecodable(let error, let peer):
            let (allowed, leftOut) = self.undecodableLogs.spend(at: now)
            if let leftOut {
                actions.append(.log(LogLine(.warning, "undecodable messages not logged", ["count": "\(leftOut)"])))
            }
            if allowed {
                actions.append(
                    .log(
                        LogLine(
                            .warning,
                            "undecodable message",
                            ["peer": peer.description, "error": error.description]
                        )
                    )
                )
            }
            // Never answer an ERROR with an ERROR, even one of another version (no ping-pong).
            guard !error.isAboutAnError else { return }
            self.send(.error(ProtocolError(error.code, error.message)), to: peer, now: now, into: &actions)
        case .timer(.tick):
            self.tick(now: now, into: &actions)
        case .timer(.deadline(let job)):
            self.deadlineExpired(job, now: now, into: &actions)
        case .timer(.retryDue):
            self.retriesDue(now: now, into: &actions)
        case .unreachable(let peer):
            if self.membership.isLive(peer) {
                self.declareDead(peer, reason: "unreachable", now: now, into: &actions)
            } else {
                // A client's connection is gone (a killed `herd submit`: the kernel closed its
                // socket, and the heartbeat the coordinator sends a quiet client every
                // `heartbeatInterval` failed). It is gone unless it reconnects and is heard within
                // two heartbeats (``clientReconnectGrace``), not after the whole client liveness
                // window: its work would run on for nothing (issue 13: gone within 2 s).
                self.clients.markUnreachable(peer, now: now)
            }
        case .shutdownRequested(let grace):
            guard self.lifeCycle.acceptsJobs else {
                self.stopNow(reason: "second shutdown request", into: &actions)
                return
            }
            self.lifeCycle = .shuttingDown
            actions.append(
                .log(
                    LogLine(
                        .notice,
                        "shutting down: refusing new jobs; in-flight work has \(grace) to finish",
                        ["jobs": "\(self.jobs.count)"]
                    )
                )
            )
            actions.append(.schedule(.shutdownGraceEnded, at: now + grace))
        case .timer(.shutdownGraceEnded):
            for id in self.jobs.ids {
                self.endJob(id, reason: Failure(.cancelled, "coordinator shutting down"), now: now, into: &actions)
            }
            actions.append(.schedule(.shutdownDeadline, at: now + self.configuration.cancelOverdueAfter))
        case .timer(.shutdownDeadline):
            self.stopNow(reason: "cancel confirmations overdue", into: &actions)
        }
    }

    /// Handles a batch of events and flushes once: the convenient form for shells and tests.
    public mutating func handle(_ events: [CoordinatorEvent], now: Instant) -> [CoordinatorAction] {
        var actions: [CoordinatorAction] = []
        for event in events { self.handle(event, now: now, into: &actions) }
        self.flush(now: now, into: &actions)
        return actions
    }

    /// Sends what the events of a batch produced: queued subtasks to workers with free credit, then
    /// committed results and finished jobs to their clients.
    public mutating func flush(now: Instant, into actions: inout [CoordinatorAction]) {
        // Dispatch first: it may commit results too (a deadline that passed in the queue).
        // (Credit freed in a fallback group may serve the groups that fall back to it.)
        if let resume = self.resumeDispatchAt {
            if now < resume { return self.flushWithoutDispatch(now: now, into: &actions) }
            self.resumeDispatchAt = nil
            self.queues.markQueuedDirty()
            for id in self.jobs.all.filter(\.restored).map(\.id) { self.jobs.markDirty(id) }
        }
        let due = self.queues.dueDispatch()
        if !due.isEmpty {
            for name in due {
                self.dispatch(group: name, now: now, into: &actions)
                self.noticeWaitingGroup(name, now: now, into: &actions)
            }
            self.queues.clearDirty()
        }
        self.answerCompletedDrains(now: now, into: &actions)
        if self.lifeCycle == .shuttingDown, self.jobs.isEmpty { self.stopNow(reason: "no job left", into: &actions) }
        // CANCELs first: a worker stops its handlers while the (possibly large) batch of cancelled
        // results is still being encoded for the client (bench: cancel latency at 1,000 in flight).
        if self.outbound.hasCancels { self.flushCancels(now: now, into: &actions) }
        // A nested job that completes makes its parent's job dirty again (it may complete now).
        while self.jobs.hasDirty {
            for id in self.jobs.takeDirty() { self.flushJob(id, now: now, into: &actions) }
        }
        if self.outbound.hasCancels { self.flushCancels(now: now, into: &actions) }
        if let batch = self.journal.take() { actions.append(.journal(batch)) }
    }

    /// The flush of a coordinator restarted from a journal while it waits for its workers to
    /// re-register: everything but dispatch.
    private mutating func flushWithoutDispatch(now: Instant, into actions: inout [CoordinatorAction]) {
        self.answerCompletedDrains(now: now, into: &actions)
        if self.outbound.hasCancels { self.flushCancels(now: now, into: &actions) }
        while self.jobs.hasDirty {
            for id in self.jobs.takeDirty() { self.flushJob(id, now: now, into: &actions) }
        }
        if self.outbound.hasCancels { self.flushCancels(now: now, into: &actions) }
        if let batch = self.journal.take() { actions.append(.journal(batch)) }
    }

    // MARK: - Messages

    mutating func received(_ message: Message, from peer: PeerID, now: Instant, into actions: inout [CoordinatorAction])
    {
        let restored = self.clients.awaitsReattach ? self.clients.reattached(peer) : nil
        if case .submit(let submission) = message,
            let accepted = self.alreadyAccepted(submission.token, from: peer, restored: restored ?? [])
        {
            // A SUBMIT sent again (no answer reached the client): ACCEPTED again, before anything
            // a re-attaching client is owed, so that it knows the job its results belong to.
            self.clients.touch(peer, now: now)
            self.send(.accepted(accepted), to: peer, now: now, into: &actions)
            actions.append(
                .log(
                    LogLine(
                        .info,
                        "SUBMIT sent again: answered with the job it already is",
                        ["job": "\(accepted.job)", "client": peer.description]
                    )
                )
            )
            if let restored { self.reattach(peer, jobs: restored, now: now, into: &actions) }
            return
        }
        if let restored { self.reattach(peer, jobs: restored, now: now, into: &actions) }
        switch message {
        case .register(let registration):
            self.register(registration, from: peer, now: now, into: &actions)
        case .results(let results):
            guard self.touchLiveWorker(peer, now: now, into: &actions) else { return }
            for result in results { self.resultReceived(result, from: peer, now: now, into: &actions) }
        case .cancelled(let attempts):
            guard self.touchLiveWorker(peer, now: now, into: &actions) else { return }
            self.cancelledReceived(attempts, from: peer, now: now, into: &actions)
        case .partial(let partial):
            guard self.touchLiveWorker(peer, now: now, into: &actions) else { return }
            self.partialReceived(partial, from: peer, now: now, into: &actions)
        case .cancelJob(let request):
            self.cancelRequested(request, from: peer, now: now, into: &actions)
        case .drain(let request):
            self.drainRequested(request, from: peer, now: now, into: &actions)
        case .breaker(let command):
            self.breakerCommand(command, from: peer, now: now, into: &actions)
        case .resultsRequest(let request):
            self.clients.touch(peer, now: now)
            self.send(.resultsReply(self.resultsReply(request)), to: peer, now: now, into: &actions)
        case .health(let report):
            guard self.touchLiveWorker(peer, now: now, into: &actions) else { return }
            self.healthReported(report, from: peer, now: now, into: &actions)
        case .inspect(let request):
            self.clients.touch(peer, now: now)
            self.send(.inspectReply(self.inspectReply(request, now: now)), to: peer, now: now, into: &actions)
        case .drainWorker:
            guard self.touchLiveWorker(peer, now: now, into: &actions) else { return }
            actions.append(.log(LogLine(.info, "worker draining itself", self.membership[peer]!.metadata)))
            self.startDrain(peer, now: now)
        case .deregister:
            guard self.membership.isLive(peer) else { return }
            self.declareDead(peer, reason: Self.deregistered, now: now, into: &actions)
        case .heartbeat:
            if self.membership[peer] != nil {
                _ = self.touchLiveWorker(peer, now: now, into: &actions)
            } else if self.clients.contains(peer) {
                self.clients.heard(from: peer, now: now)
            } else {
                self.send(
                    .error(ProtocolError(.unknownPeer, "unknown peer: register or submit first")),
                    to: peer,
                    now: now,
                    into: &actions
                )
            }
        case .submit(let submission):
            self.submit(submission, from: peer, now: now, into: &actions)
        case .statusRequest(let token):
            self.clients.touch(peer, now: now)
            self.send(.statusReply(self.statusReport(token: token, now: now)), to: peer, now: now, into: &actions)
        case .error(let error):
            // Never answer an ERROR with an ERROR (no ping-pong); just record it.
            actions.append(
                .log(
                    LogLine(
                        .warning,
                        "peer reported a protocol error",
                        ["peer": peer.description, "error": error.description]
                    )
                )
            )
        case .welcome, .dispatch, .cancel, .accepted, .rejected, .jobResults, .jobFinished, .statusReply, .cancelReply,
            .drainReply, .jobNotice, .breakerReply, .resultsReply, .inspectReply:
            self.send(
                .error(ProtocolError(.unexpected, "\(message.commandName) is sent by the coordinator, not to it")),
                to: peer,
                now: now,
                into: &actions
            )
        }
    }

    // MARK: - Sending and housekeeping

    mutating func stopNow(reason: String, into actions: inout [CoordinatorAction]) {
        guard self.lifeCycle != .stopped else { return }
        self.lifeCycle = .stopped
        actions.append(.log(LogLine(.notice, "coordinator stopping: \(reason)")))
        actions.append(.stop)
    }

    mutating func send(_ message: Message, to peer: PeerID, now: Instant, into actions: inout [CoordinatorAction]) {
        self.outbound.sent(to: peer, at: now)
        actions.append(.send(peer, message))
    }

    /// The periodic pass: expire silent workers and clients, heartbeat quiet peers, forget old dead workers.
    mutating func tick(now: Instant, into actions: inout [CoordinatorAction]) {
        let config = self.configuration
        // A tick this late means the coordinator itself was stopped or starved (SIGSTOP, a saturated
        // machine): the messages it has not read yet may be its peers' proof of life, so nobody is
        // judged silent on this tick; the next one, after the shell has read them, judges as usual.
        let stalled = self.lastTickAt.map { $0.duration(to: now) > config.heartbeatInterval * 4 } ?? false
        self.lastTickAt = now
        for worker in self.membership.sorted {
            let peer = worker.peer
            let window = worker.liveness.window(base: config.livenessWindow, maxStretch: config.livenessMaxStretch)
            switch worker.state {
            case .live where !stalled && worker.lastHeard.duration(to: now) > window:
                self.declareDead(
                    peer,
                    reason: "silent for more than \(window)"
                        + (window > config.livenessWindow
                            ? " (its window, stretched by the jitter it was heard with)" : ""),
                    now: now,
                    into: &actions
                )
            case .live:
                self.heartbeatIfQuiet(peer, now: now, into: &actions)
            case .dead(let since, _) where since.duration(to: now) > config.deadWorkerRetention:
                self.membership.forget(peer)
                self.outbound.forget(peer)
            case .dead:
                break
            }
        }
        for (peer, client) in self.clients.sorted {
            if !stalled, let since = client.unreachableSince, since.duration(to: now) >= self.clientReconnectGrace {
                self.clientGone(peer, reason: "unreachable for \(since.duration(to: now))", now: now, into: &actions)
            } else if !stalled, client.lastHeard.duration(to: now) > config.clientLiveness {
                self.clientGone(peer, reason: "silent for more than \(config.clientLiveness)", now: now, into: &actions)
            } else if !client.jobs.isEmpty {
                self.heartbeatIfQuiet(peer, now: now, into: &actions)
            }
        }
        // Time alone changes what a breaker admits (open → half-open) and how much credit a
        // recovering worker may use (its ramp's steps). While either is in play, queued work gets
        // a dispatch pass every tick instead of waiting for some message to come by.
        if !self.resilience.breakers.admitsAll || self.resilience.hasRamps { self.queues.markQueuedDirty() }
        if self.journal.enabled {
            self.journal.forget(self.archive.purge(finishedBefore: now - config.finishedJobRetention))
        }
        self.pruneAccess(now: now)
        actions.append(.schedule(.tick, at: now + config.heartbeatInterval))
    }

    /// How long a client whose connection broke (a send to it failed as unreachable) has to
    /// reconnect and be heard before its jobs are cancelled: two heartbeats, capped by the client
    /// liveness window.
    var clientReconnectGrace: Duration {
        min(self.configuration.heartbeatInterval * 2, self.configuration.clientLiveness)
    }

    mutating func heartbeatIfQuiet(_ peer: PeerID, now: Instant, into actions: inout [CoordinatorAction]) {
        // Send when a heartbeat would otherwise be late by the next tick.
        if self.outbound.isQuiet(peer, now: now, interval: self.configuration.heartbeatInterval) {
            self.send(.heartbeat, to: peer, now: now, into: &actions)
        }
    }
}

extension Message {
    /// The command's name as docs/PROTOCOL.md spells it (`"JOB-RESULTS"`).
    public var commandName: String {
        WireCodec.Command(self).description
    }
}
