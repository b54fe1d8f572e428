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

    var workers: [PeerID: WorkerRecord] = [:]
    var groups: [String: GroupRecord] = [:]
    var jobs: [JobID: JobRecord] = [:]
    var clients: [PeerID: ClientRecord] = [:]
    /// When we last sent anything to a peer (to know when a heartbeat is due).
    var lastSent: [PeerID: Instant] = [:]
    var nextJobID: UInt64 = 1
    /// Groups whose queue or workers changed since the last flush.
    var dirtyGroups: Set<String> = []
    /// Jobs with results in their outbox since the last flush.
    var dirtyJobs: Set<JobID> = []
    /// CANCEL batches decided since the last flush, per worker.
    var pendingCancels: [PeerID: [AttemptRef]] = [:]
    /// Jobs submitted from inside a running attempt's handler (nested fan-out), by that attempt.
    var childJobs: [AttemptRef: Set<JobID>] = [:]
    /// Drains waiting for their workers to leave.
    var drains: [DrainRecord] = []
    /// Subtasks a drain moved, and the worker each was re-dispatched to (empty id: still queued).
    var movedSubtasks: [SubtaskRef: PeerID] = [:]
    /// Groups whose jobs' clients were told that no worker can take their work.
    var waitingGroups: Set<String> = []
    /// Jitter for retry delays, seeded from the configuration.
    var rng: SplitMix64
    var retryBudget: RetryBudget
    var breakers: BreakerHierarchy
    var errorStats: ErrorStats
    /// Workers getting their share of work back gradually.
    var ramps: [PeerID: RecoveryRamp] = [:]
    /// The last good results of the groups that keep them (`fallback-cache`), by group.
    var lastGood: [String: LastGoodCache] = [:]
    /// Failed attempts waiting for their retry delay.
    var retries = Heap<RetryEntry>()
    var retrySequence: UInt64 = 0
    var retryTimerAt: Instant?
    /// The worker a retried subtask last failed on (a retry prefers another).
    var lastTried: [SubtaskRef: PeerID] = [:]
    /// The failures of the earlier attempts of subtasks that are being retried: the cause chain
    /// of the failure they end with if they never succeed (``Failure/causes``).
    var earlierFailures: [SubtaskRef: [Failure]] = [:]
    var started = false
    /// Set by a shutdown request: new jobs are refused.
    var shuttingDown = false
    var stopped = false

    public init(configuration: CoordinatorConfiguration) {
        self.configuration = configuration
        self.rng = SplitMix64(seed: configuration.seed)
        self.retryBudget = RetryBudget(configuration: configuration.retryBudget)
        self.breakers = BreakerHierarchy(configuration: configuration.breakers)
        self.errorStats = ErrorStats()
    }

    /// A client as the coordinator sees it: a peer that submitted jobs or asked for status.
    struct ClientRecord {
        var lastHeard: Instant
        var jobs: Set<JobID> = []
    }

    // MARK: - Entry points

    /// Starts the machine: arms the first housekeeping tick.
    public mutating func start(now: Instant) -> [CoordinatorAction] {
        precondition(!self.started, "coordinator machine started twice")
        self.started = true
        return [.schedule(.tick, at: now + self.configuration.heartbeatInterval)]
    }

    /// Handles one event. Call ``flush(now:into:)`` after the last event of a batch.
    public mutating func handle(_ event: CoordinatorEvent, now: Instant, into actions: inout [CoordinatorAction]) {
        switch event {
        case .message(let message, let peer):
            self.received(message, from: peer, now: now, into: &actions)
        case .undecodable(let error, let peer):
            actions.append(.log(LogLine(.warning, "undecodable message", ["peer": peer.description, "error": error.description])))
            self.send(.error(error), to: peer, now: now, into: &actions)
        case .timer(.tick):
            self.tick(now: now, into: &actions)
        case .timer(.deadline(let job)):
            self.deadlineExpired(job, now: now, into: &actions)
        case .timer(.retryDue):
            self.retriesDue(now: now, into: &actions)
        case .unreachable(let peer):
            if self.workers[peer]?.isLive == true {
                self.declareDead(peer, reason: "unreachable", now: now, into: &actions)
            }
        case .shutdownRequested(let grace):
            guard !self.shuttingDown else {
                self.stopNow(reason: "second shutdown request", into: &actions)
                return
            }
            self.shuttingDown = true
            actions.append(.log(LogLine(.notice, "shutting down: refusing new jobs; in-flight work has \(grace) to finish", ["jobs": "\(self.jobs.count)"])))
            actions.append(.schedule(.shutdownGraceEnded, at: now + grace))
        case .timer(.shutdownGraceEnded):
            for id in self.jobs.keys.sorted() {
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
        if !self.dirtyGroups.isEmpty {
            // Credit freed in a fallback group may serve the groups that fall back to it.
            for (name, policy) in self.configuration.groupPolicies where policy.fallback.map(self.dirtyGroups.contains) == true {
                self.dirtyGroups.insert(name)
            }
            for name in self.dirtyGroups.sorted() {
                self.dispatch(group: name, now: now, into: &actions)
                self.noticeWaitingGroup(name, now: now, into: &actions)
            }
            self.dirtyGroups.removeAll(keepingCapacity: true)
        }
        self.answerCompletedDrains(now: now, into: &actions)
        if self.shuttingDown, self.jobs.isEmpty { self.stopNow(reason: "no job left", into: &actions) }
        // CANCELs first: a worker stops its handlers while the (possibly large) batch of cancelled
        // results is still being encoded for the client (bench: cancel latency at 1,000 in flight).
        if !self.pendingCancels.isEmpty { self.flushCancels(now: now, into: &actions) }
        // A nested job that completes makes its parent's job dirty again (it may complete now).
        while !self.dirtyJobs.isEmpty {
            let dirty = self.dirtyJobs.sorted()
            self.dirtyJobs.removeAll(keepingCapacity: true)
            for id in dirty { self.flushJob(id, now: now, into: &actions) }
        }
        if !self.pendingCancels.isEmpty { self.flushCancels(now: now, into: &actions) }
    }

    // MARK: - Messages

    mutating func received(_ message: Message, from peer: PeerID, now: Instant, into actions: inout [CoordinatorAction]) {
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
        case .drainWorker:
            guard self.touchLiveWorker(peer, now: now, into: &actions) else { return }
            actions.append(.log(LogLine(.info, "worker draining itself", self.workers[peer]!.metadata)))
            self.startDrain(peer, now: now)
        case .deregister:
            guard self.workers[peer]?.isLive == true else { return }
            self.declareDead(peer, reason: Self.deregistered, now: now, into: &actions)
        case .heartbeat:
            if self.workers[peer] != nil {
                _ = self.touchLiveWorker(peer, now: now, into: &actions)
            } else if self.clients[peer] != nil {
                self.clients[peer]?.lastHeard = now
            } else {
                self.send(.error(ProtocolError(.unknownPeer, "unknown peer: register or submit first")), to: peer, now: now, into: &actions)
            }
        case .submit(let submission):
            self.submit(submission, from: peer, now: now, into: &actions)
        case .statusRequest(let token):
            self.touchClient(peer, now: now)
            self.send(.statusReply(self.statusReport(token: token, now: now)), to: peer, now: now, into: &actions)
        case .error(let error):
            // Never answer an ERROR with an ERROR (no ping-pong); just record it.
            actions.append(.log(LogLine(.warning, "peer reported a protocol error", ["peer": peer.description, "error": error.description])))
        case .welcome, .dispatch, .cancel, .accepted, .rejected, .jobResults, .jobFinished, .statusReply, .cancelReply,
            .drainReply, .jobNotice, .breakerReply:
            self.send(.error(ProtocolError(.unexpected, "\(message.commandName) is sent by the coordinator, not to it")), to: peer, now: now, into: &actions)
        }
    }

    // MARK: - Sending and housekeeping

    mutating func stopNow(reason: String, into actions: inout [CoordinatorAction]) {
        guard !self.stopped else { return }
        self.stopped = true
        actions.append(.log(LogLine(.notice, "coordinator stopping: \(reason)")))
        actions.append(.stop)
    }

    mutating func send(_ message: Message, to peer: PeerID, now: Instant, into actions: inout [CoordinatorAction]) {
        self.lastSent[peer] = now
        actions.append(.send(peer, message))
    }

    mutating func touchClient(_ peer: PeerID, now: Instant) {
        if self.clients[peer] == nil {
            self.clients[peer] = ClientRecord(lastHeard: now)
        } else {
            self.clients[peer]!.lastHeard = now
        }
    }

    /// The periodic pass: expire silent workers and clients, heartbeat quiet peers, forget old dead workers.
    mutating func tick(now: Instant, into actions: inout [CoordinatorAction]) {
        let config = self.configuration
        for (peer, worker) in self.workers.sorted(by: { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }) {
            switch worker.state {
            case .live where worker.lastHeard.duration(to: now) > config.livenessWindow:
                self.declareDead(peer, reason: "silent for more than \(config.livenessWindow)", now: now, into: &actions)
            case .live:
                self.heartbeatIfQuiet(peer, now: now, into: &actions)
            case .dead(let since, _) where since.duration(to: now) > config.deadWorkerRetention:
                self.workers[peer] = nil
                self.lastSent[peer] = nil
            case .dead:
                break
            }
        }
        for (peer, client) in self.clients.sorted(by: { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }) {
            if client.lastHeard.duration(to: now) > config.clientLiveness {
                self.clientGone(peer, now: now, into: &actions)
            } else if !client.jobs.isEmpty {
                self.heartbeatIfQuiet(peer, now: now, into: &actions)
            }
        }
        // Time alone changes what a breaker admits (open → half-open) and how much credit a
        // recovering worker may use (its ramp's steps). While either is in play, queued work gets
        // a dispatch pass every tick instead of waiting for some message to come by.
        if !self.breakers.admitsAll || !self.ramps.isEmpty {
            for (name, group) in self.groups where group.queued > 0 { self.dirtyGroups.insert(name) }
        }
        actions.append(.schedule(.tick, at: now + config.heartbeatInterval))
    }

    mutating func heartbeatIfQuiet(_ peer: PeerID, now: Instant, into actions: inout [CoordinatorAction]) {
        // Send when a heartbeat would otherwise be late by the next tick.
        let quietSince = self.lastSent[peer] ?? .zero
        if quietSince.duration(to: now) + self.configuration.heartbeatInterval / 2 >= self.configuration.heartbeatInterval {
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
