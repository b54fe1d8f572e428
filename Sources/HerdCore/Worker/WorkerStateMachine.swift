/// The worker's decisions: a pure state machine (events in, actions out, time passed in).
///
/// It registers with the coordinator, runs what is dispatched to it (up to its capacity, which the
/// coordinator enforces through credit), batches results, heartbeats when quiet, enforces each
/// attempt's deadline, and reconnects when the coordinator goes silent, keeping its running work
/// and telling the coordinator what it holds when it registers again.
public struct WorkerStateMachine: Sendable {
    /// Where the worker stands with the coordinator.
    enum Connection: Hashable {
        /// REGISTER sent (at `since`), no WELCOME yet. Can transition to: registered.
        case connecting(since: Instant)
        /// WELCOME received from this coordinator. Can transition to: connecting (silence, unknownPeer).
        case registered(coordinatorID: String)
    }

    /// A running attempt.
    struct RunningAttempt: Hashable {
        /// Why the worker cancelled it, if it did (deadline, stop); the result reports this failure.
        var cancelledBecause: Failure?
        /// The coordinator cancelled it: confirm with CANCELLED, not RESULTS.
        var confirmAsCancelled = false
        /// Already given back (CANCELLED sent) by a drain: whatever it returns is dropped.
        var givenBack = false
    }

    public private(set) var configuration: WorkerConfiguration
    var connection: Connection = .connecting(since: .zero)
    var lastCoordinatorID: String?
    var running: [AttemptRef: RunningAttempt] = [:]
    /// Results not yet sent (batched until the flush; held while not registered).
    var outbox: [SubtaskResult] = []
    /// Attempts whose stop is to be confirmed with CANCELLED (batched until the flush).
    var cancelledOutbox: [AttemptRef] = []
    var lastHeard: Instant = .zero
    var lastSent: Instant = .zero
    /// Set when the worker drains: no new work is started; it exits once nothing runs.
    var drainingSince: Instant?
    var exited = false

    public init(configuration: WorkerConfiguration) {
        self.configuration = configuration
    }

    /// Attempts running now.
    public var runningCount: Int { self.running.count }
    /// True once WELCOME has been received and the coordinator has not gone silent since.
    /// The health probe's latest verdict (`nil`: no probe, or none yet).
    var health: HealthReport?

    public var isRegistered: Bool { if case .registered = self.connection { true } else { false } }

    // MARK: - Entry points

    /// Handles a batch of events, then flushes results as one RESULTS message.
    public mutating func handle(_ events: [WorkerEvent], now: Instant) -> [WorkerAction] {
        var actions: [WorkerAction] = []
        for event in events { self.handle(event, now: now, into: &actions) }
        self.flush(now: now, into: &actions)
        return actions
    }

    public mutating func handle(_ event: WorkerEvent, now: Instant, into actions: inout [WorkerAction]) {
        guard !self.exited else { return }
        switch event {
        case .started:
            self.lastHeard = now
            self.sendRegister(now: now, into: &actions)
            actions.append(.schedule(.tick, at: now + self.configuration.heartbeatInterval))
        case .message(let message):
            self.lastHeard = now
            self.received(message, now: now, into: &actions)
        case .undecodable(let error):
            actions.append(
                .log(LogLine(.warning, "undecodable message from coordinator", ["error": error.description]))
            )
        case .handlerFinished(let attempt, let outcome, let usage):
            self.handlerFinished(attempt, outcome: outcome, usage: usage, now: now, into: &actions)
        case .timer(.tick):
            self.tick(now: now, into: &actions)
        case .timer(.deadline(let attempt)):
            self.cancel(
                attempt,
                because: Failure(.timeout, "deadline exceeded on the worker"),
                now: now,
                into: &actions
            )
        case .timer(.drainGraceEnded):
            self.giveBackAll(reason: "drain grace ended", now: now, into: &actions)
        case .timer(.cancelOverdue(let attempt)):
            if self.running[attempt] != nil {
                actions.append(
                    .log(
                        LogLine(
                            .error,
                            "handler ignores cancellation: still running \(self.configuration.overdueAfter) after it was cancelled; its result will be discarded",
                            ["attempt": "\(attempt)"]
                        )
                    )
                )
            }
        case .partialOutput(let attempt, let data, let usage):
            if let record = self.running[attempt], record.cancelledBecause == nil, self.isRegistered {
                self.send(.partial(PartialOutput(attempt: attempt, data: data, usage: usage)), now: now, into: &actions)
            }
        case .submitChild(let submission):
            if self.isRegistered {
                self.send(.submit(submission), now: now, into: &actions)
            } else {
                let failure = Failure(
                    .network,
                    "worker \(self.configuration.workerID) is not connected to a coordinator"
                )
                actions.append(.deliverToChildren(.rejected(Rejection(token: submission.token, failure: failure))))
            }
        case .cancelChild(let request):
            if self.isRegistered { self.send(.cancelJob(request), now: now, into: &actions) }
        case .healthChanged(let report):
            self.health = report
            actions.append(
                .log(
                    LogLine(
                        report.healthy ? .notice : .warning,
                        report.healthy ? "healthy again" : "unhealthy",
                        ["probe": report.reason]
                    )
                )
            )
            if self.isRegistered { self.send(.health(report), now: now, into: &actions) }
        case .stopRequested:
            if self.drainingSince == nil {
                self.drain(grace: self.configuration.drainGrace, announce: true, now: now, into: &actions)
            } else {
                self.giveBackAll(reason: "second stop request", now: now, into: &actions)
            }
        }
    }

    /// Sends held results and confirmations when registered; ends a drain once nothing runs.
    public mutating func flush(now: Instant, into actions: inout [WorkerAction]) {
        if self.isRegistered, !self.outbox.isEmpty {
            let batch = self.outbox
            self.outbox.removeAll(keepingCapacity: true)
            self.send(.results(batch), now: now, into: &actions)
        }
        if self.isRegistered, !self.cancelledOutbox.isEmpty {
            let batch = self.cancelledOutbox
            self.cancelledOutbox.removeAll(keepingCapacity: true)
            self.send(.cancelled(batch), now: now, into: &actions)
        }
        if self.drainingSince != nil, self.running.isEmpty, !self.exited {
            // Everything finished or was given back: leave, and exit.
            if self.isRegistered { self.send(.deregister, now: now, into: &actions) }
            self.exited = true
            actions.append(.log(LogLine(.info, "drained; leaving")))
            actions.append(.exit)
        }
    }

    // MARK: - Messages

    mutating func received(_ message: Message, now: Instant, into actions: inout [WorkerAction]) {
        switch message {
        case .welcome(let welcome):
            if let previous = self.lastCoordinatorID, previous != welcome.coordinatorID {
                actions.append(
                    .log(
                        LogLine(
                            .notice,
                            "coordinator restarted",
                            ["previous": previous, "coordinator": welcome.coordinatorID]
                        )
                    )
                )
            }
            self.lastCoordinatorID = welcome.coordinatorID
            // A coordinator (re)welcoming us hears an unhealthy verdict again.
            if let health = self.health, !health.healthy { self.send(.health(health), now: now, into: &actions) }
            self.connection = .registered(coordinatorID: welcome.coordinatorID)
            self.configuration.heartbeatInterval = welcome.heartbeatInterval
            self.configuration.livenessWindow = welcome.livenessWindow
            if let since = self.drainingSince {
                // Registered again mid-drain: the new coordinator (or session) must not send us work.
                let left = max(.zero, self.configuration.drainGrace - since.duration(to: now))
                self.send(.drainWorker(DrainOrder(grace: left)), now: now, into: &actions)
            }
            actions.append(
                .log(
                    LogLine(
                        .info,
                        "registered",
                        [
                            "coordinator": welcome.coordinatorID, "worker": self.configuration.workerID,
                            "group": self.configuration.group,
                        ]
                    )
                )
            )
        case .dispatch(let assignments):
            for assignment in assignments { self.assigned(assignment, now: now, into: &actions) }
        case .drainWorker(let order):
            self.drain(grace: order.grace, announce: false, now: now, into: &actions)
        case .cancel(let attempts):
            for attempt in attempts { self.cancelRequested(attempt, now: now, into: &actions) }
        case .accepted, .rejected, .jobResults, .jobFinished, .cancelReply, .partial, .jobNotice:
            actions.append(.deliverToChildren(message))
        case .heartbeat:
            break
        case .error(let error) where error.code == .unknownPeer:
            // While a REGISTER is on its way, the ERRORs answering messages sent before it need no
            // REGISTER of their own (a burst of them made a REGISTER storm whose stale `holding`
            // raced the DISPATCHes after each WELCOME); the register retry covers a lost one.
            guard self.isRegistered else { return }
            actions.append(
                .log(
                    LogLine(
                        .notice,
                        "coordinator does not know this worker; registering again",
                        ["error": error.message]
                    )
                )
            )
            self.sendRegister(now: now, into: &actions)
        case .error(let error):
            actions.append(.log(LogLine(.warning, "coordinator reported an error", ["error": error.description])))
        case .register, .results, .deregister, .cancelled, .submit, .statusRequest, .cancelJob, .statusReply, .drain,
            .drainReply, .breaker, .breakerReply, .resultsRequest, .resultsReply, .inspect, .inspectReply, .health:
            actions.append(.log(LogLine(.warning, "unexpected \(message.commandName) from coordinator")))
        }
    }

    mutating func assigned(_ assignment: Assignment, now: Instant, into actions: inout [WorkerAction]) {
        let attempt = assignment.attempt
        guard self.running[attempt] == nil else { return }  // duplicate delivery
        // Arrived before the WELCOME answering our REGISTER, so sent before the coordinator handled
        // it: that REGISTER does not list it, and the coordinator reclaims it (or re-queued it
        // already, having declared us dead). Run, it would be a zombie nobody cancels.
        guard self.isRegistered else { return }
        if self.drainingSince != nil {
            // Crossed the drain in flight: give it back at once, unstarted.
            if !self.cancelledOutbox.contains(attempt) { self.cancelledOutbox.append(attempt) }
            return
        }
        if !self.configuration.kinds.contains(assignment.kind) {
            self.outbox.append(
                SubtaskResult(
                    attempt: attempt,
                    outcome: .failure(
                        Failure(
                            .validation,
                            "worker \(self.configuration.workerID) does not run kind '\(assignment.kind)'"
                        )
                    )
                )
            )
            return
        }
        self.running[attempt] = RunningAttempt()
        actions.append(.startHandler(assignment))
        if let deadline = assignment.deadline {
            actions.append(.schedule(.deadline(attempt), at: now + deadline))
        }
    }

    mutating func handlerFinished(
        _ attempt: AttemptRef,
        outcome: Outcome,
        usage: UInt64,
        now: Instant,
        into actions: inout [WorkerAction]
    ) {
        guard let record = self.running.removeValue(forKey: attempt) else { return }
        if record.givenBack { return }
        if record.confirmAsCancelled {
            self.cancelledOutbox.append(attempt)
            return
        }
        let final = record.cancelledBecause.map { Outcome.failure($0) } ?? outcome
        self.outbox.append(SubtaskResult(attempt: attempt, outcome: final, usage: usage))
    }

    mutating func cancel(
        _ attempt: AttemptRef,
        because failure: Failure,
        now: Instant,
        into actions: inout [WorkerAction]
    ) {
        guard var record = self.running[attempt], record.cancelledBecause == nil else { return }
        record.cancelledBecause = failure
        self.running[attempt] = record
        actions.append(.cancelHandler(attempt))
        actions.append(.schedule(.cancelOverdue(attempt), at: now + self.configuration.overdueAfter))
    }

    /// The coordinator cancelled an attempt (idempotent). A running handler is cancelled and
    /// confirmed when it returns; an attempt not running here is confirmed at once, so every
    /// CANCEL gets its CANCELLED; a finished but unsent result is withdrawn (cancel wins).
    mutating func cancelRequested(_ attempt: AttemptRef, now: Instant, into actions: inout [WorkerAction]) {
        if var record = self.running[attempt] {
            record.confirmAsCancelled = true
            self.running[attempt] = record
            self.cancel(attempt, because: Failure(.cancelled, "cancelled by the coordinator"), now: now, into: &actions)
            return
        }
        self.outbox.removeAll { $0.attempt == attempt }
        if !self.cancelledOutbox.contains(attempt) { self.cancelledOutbox.append(attempt) }
    }

    // MARK: - Liveness

    mutating func tick(now: Instant, into actions: inout [WorkerAction]) {
        let config = self.configuration
        switch self.connection {
        case .registered where self.lastHeard.duration(to: now) > config.livenessWindow:
            actions.append(
                .log(
                    LogLine(
                        .warning,
                        "coordinator silent for more than \(config.livenessWindow); reconnecting",
                        ["running": "\(self.running.count)"]
                    )
                )
            )
            actions.append(.reconnect)
            actions.append(.failChildren(Failure(.network, "the worker lost its coordinator")))
            self.sendRegister(now: now, into: &actions)
        case .registered:
            if self.lastSent.duration(to: now) + config.heartbeatInterval / 2 >= config.heartbeatInterval {
                self.send(.heartbeat, now: now, into: &actions)
            }
        case .connecting(let since) where since.duration(to: now) >= config.registerRetry:
            self.sendRegister(now: now, into: &actions)
        case .connecting:
            break
        }
        actions.append(.schedule(.tick, at: now + config.heartbeatInterval))
    }

    mutating func sendRegister(now: Instant, into actions: inout [WorkerAction]) {
        guard !self.exited else { return }
        self.connection = .connecting(since: now)
        let holding = (Array(self.running.keys) + self.outbox.map(\.attempt)).sorted {
            ($0.subtask.job, $0.subtask.index, $0.attempt) < ($1.subtask.job, $1.subtask.index, $1.attempt)
        }
        let registration = Registration(
            workerID: self.configuration.workerID,
            group: self.configuration.group,
            node: self.configuration.node,
            capacity: self.configuration.capacity,
            kinds: self.configuration.kinds,
            holding: holding,
            incarnation: self.configuration.incarnation
        )
        self.send(.register(registration), now: now, into: &actions)
    }

    mutating func send(_ message: Message, now: Instant, into actions: inout [WorkerAction]) {
        self.lastSent = now
        actions.append(.send(message))
    }

    // MARK: - Drain

    /// Drains: no new work is started (what arrives is given back unstarted), in-flight attempts
    /// may finish until `grace` passes, then the rest is given back; once nothing runs the worker
    /// deregisters and exits. `announce`: tell the coordinator (a drain we started ourselves).
    mutating func drain(grace: Duration, announce: Bool, now: Instant, into actions: inout [WorkerAction]) {
        guard self.drainingSince == nil else { return }
        self.drainingSince = now
        actions.append(.log(LogLine(.info, "draining", ["running": "\(self.running.count)", "grace": "\(grace)"])))
        if announce, self.isRegistered { self.send(.drainWorker(DrainOrder(grace: grace)), now: now, into: &actions) }
        actions.append(.schedule(.drainGraceEnded, at: now + grace))
    }

    /// Gives every running attempt back to the coordinator now (CANCELLED, unasked: it re-queues
    /// them elsewhere) and cancels their handlers; what they still return is dropped.
    mutating func giveBackAll(reason: String, now: Instant, into actions: inout [WorkerAction]) {
        if self.drainingSince == nil { self.drainingSince = now }
        let attempts = self.running.keys.sorted {
            ($0.subtask.job, $0.subtask.index) < ($1.subtask.job, $1.subtask.index)
        }
        var given = 0
        // Attempts the coordinator cancelled are confirmed as usual when their handler returns.
        for attempt in attempts
        where self.running[attempt]?.givenBack == false && self.running[attempt]?.confirmAsCancelled == false {
            self.cancelledOutbox.append(attempt)
            given += 1
            self.running[attempt]!.givenBack = true
            self.cancel(attempt, because: Failure(.cancelled, reason), now: now, into: &actions)
        }
        if given > 0 {
            actions.append(.log(LogLine(.info, "gave back running work: \(reason)", ["attempts": "\(given)"])))
        }
    }
}

extension WorkerStateMachine {
    /// Whether this attempt is running here.
    public func isRunning(_ attempt: AttemptRef) -> Bool { self.running[attempt] != nil }
}
