import HerdCore
import HerdSystem
import HerdZMQ
import Logging
import ServiceLifecycle
import Synchronization

/// The worker process's service: a thin shell around ``WorkerStateMachine``.
///
/// A dedicated thread owns the DEALER socket and the machine. The loop thread starts each handler
/// as a task of its own (one task per subtask, cancelled directly on CANCEL); results come back
/// through a bounded mailbox that wakes the loop once per burst. ``run()`` returns only after
/// every handler it started has ended.
public final class WorkerService: Service, Sendable {
    private let options: WorkerOptions
    private let logger: Logger
    private let wakeup: Wakeup
    private let mailbox: Mailbox<WorkerEvent>
    private let registered = OneShot<Result<Void, any Error>>()
    private let children: ChildJobs

    /// The `herd_worker_*` metrics, when ``WorkerOptions/metrics`` is on.
    private let metrics: WorkerMetrics?

    public init(options: WorkerOptions, logger: Logger) throws {
        self.metrics = options.metrics ? WorkerMetrics() : nil
        self.options = options
        self.logger = logger
        self.wakeup = try Wakeup()
        self.mailbox = Mailbox(capacity: Int(max(options.capacity, 16)) * 4 + 64, wakeup: self.wakeup)
        self.children = ChildJobs(endpoint: options.endpoint, mailbox: self.mailbox)
    }

    /// Returns once the coordinator has welcomed this worker.
    public func waitUntilRegistered() async throws { try await self.registered.valueUnlessCancelled().get() }

    public func run() async throws {
        let failure = Mutex<(any Error)?>(nil)
        let leftovers = Mutex<[Task<Void, Never>]>([])
        let routes = self.options.routes
        // The loop thread starts each handler as a task of its own, right where the DISPATCH is
        // decoded: no hop through another task, and a CANCEL cancels exactly that task.
        let start: @Sendable (Assignment, ContinuousClock.Instant) -> Task<Void, Never> = {
            [self] assignment, receivedAt in
            Task {
                let exec: Bool
                if case .exec = routes.route(for: assignment.kind) { exec = true } else { exec = false }
                let began = ContinuousClock.now
                self.metrics?.started(exec: exec)
                let (outcome, usage) = await self.execute(assignment, receivedAt: receivedAt, routes: routes)
                self.metrics?.finished(
                    exec: exec,
                    kind: assignment.kind,
                    outcome: outcome,
                    duration: began.duration(to: .now)
                )
                await self.mailbox.send(.handlerFinished(assignment.attempt, outcome, usage: usage))
            }
        }
        let thread = LoopThread.start(name: "herd-worker") { [options, logger, mailbox, wakeup, registered, children] in
            do {
                let loop = try WorkerLoop(
                    options: options,
                    logger: logger,
                    mailbox: mailbox,
                    wakeup: wakeup,
                    start: start,
                    registered: registered,
                    children: children
                )
                loop.run()
                leftovers.withLock { $0 = loop.unfinishedHandlers }
            } catch {
                failure.withLock { $0 = error }
                registered.resolve(.failure(error))
            }
        }
        let probe = self.options.health.map { command in
            Task { [options, mailbox, logger] in
                await Self.probeHealth(command, every: options.healthInterval, mailbox: mailbox, logger: logger)
            }
        }
        defer { probe?.cancel() }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await thread.join()
            } onGracefulShutdown: {
                self.mailbox.post(.stopRequested)
            }
        } onCancel: {
            self.mailbox.post(.stopRequested)
        }
        // Handlers still running when the loop ended (a forced stop gave them back) were told
        // to stop; the service ends only once they have.
        for task in leftovers.withLock({ $0 }) {
            task.cancel()
            await task.value
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// Runs `command` every `interval` and tells the loop when its verdict changes (exit 0:
    /// healthy). The first verdict is always told.
    static func probeHealth(
        _ command: String,
        every interval: Duration,
        mailbox: Mailbox<WorkerEvent>,
        logger: Logger
    ) async {
        var last: Bool?
        while !Task.isCancelled {
            var reason = ""
            var healthy = false
            do {
                let child = try ChildProcess(name: "health", executable: "/bin/sh", arguments: ["-c", command])
                var output: [String] = []
                for await line in child.lines where output.count < 3 { output.append(line) }
                let status = await child.waitForExit()
                healthy = status == 0
                reason = (["exit \(status)"] + output).joined(separator: ": ").prefix(200).description
            } catch {
                reason = "cannot run the probe: \(error)"
            }
            if healthy != last {
                last = healthy
                await mailbox.send(.healthChanged(HealthReport(healthy: healthy, reason: reason)))
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Asks the worker to stop (from any thread): the first call drains it (in-flight subtasks
    /// may finish within the drain grace, the rest go back to the coordinator, then it
    /// deregisters and ``run()`` returns); a second call gives everything back at once.
    public func stop() { self.mailbox.post(.stopRequested) }

    /// Runs one handler in the calling task (cancelling that task cancels the handler).
    private func execute(
        _ assignment: Assignment,
        receivedAt: ContinuousClock.Instant,
        routes: KindRoutes
    ) async -> (Outcome, UInt64) {
        let meter = UsageMeter()
        let deadline = assignment.deadline.map { receivedAt.advanced(by: $0) }
        switch routes.route(for: assignment.kind) {
        case .exec(let exec):
            let context = ExecContext(
                job: assignment.attempt.subtask.job.rawValue,
                subtask: assignment.attempt.subtask.index,
                attempt: assignment.attempt.attempt,
                kind: assignment.kind,
                worker: self.options.workerID,
                group: self.options.group,
                deadline: deadline.map { ContinuousClock.now.duration(to: $0) }
            )
            let result = await ExecRunner.run(
                exec,
                payload: assignment.payload,
                context: context,
                killGrace: self.options.killGrace,
                logger: self.logger
            )
            return (result.outcome, result.usage)
        case .handler(let handler):
            let context = SubtaskContext(
                job: assignment.attempt.subtask.job,
                index: assignment.attempt.subtask.index,
                attempt: assignment.attempt.attempt,
                kind: assignment.kind,
                payload: assignment.payload,
                deadline: deadline,
                worker: self.options.workerID,
                group: self.options.group,
                meter: meter,
                partialSink: { [mailbox] data, usage in
                    await mailbox.send(.partialOutput(assignment.attempt, data, usage: usage))
                },
                submitter: { [children] spec in Self.submitChild(spec, parent: assignment.attempt, children: children) }
            )
            let outcome: Outcome
            do { outcome = .success(try await handler(context)) } catch { outcome = .failure(classify(error)) }
            return (outcome, meter.take())
        case nil:
            return (.failure(Failure(.validation, "no handler for kind '\(assignment.kind)'")), 0)
        }
    }

    /// Sends a handler's nested job through the worker's own connection.
    private static func submitChild(_ spec: JobSpec, parent: AttemptRef, children: ChildJobs) -> JobRun {
        let token = RequestReply.newToken()
        let (stream, continuation) = AsyncThrowingStream<JobUpdate, any Error>.makeStream()
        let cancel: @Sendable (String) -> Void = { reason in children.cancel(token: token, reason: reason) }
        continuation.onTermination = { termination in
            // A handler that stops waiting cancels the job (its machine forgets it once the
            // coordinator confirms); one that read it to the end has nothing left to forget.
            if case .cancelled = termination {
                cancel("the parent handler stopped waiting")
            } else {
                children.remove(token: token)
            }
        }
        children.submit(spec.submission(token: token, parent: parent), continuation: continuation)
        return JobRun(stream: stream, cancel: cancel)
    }
}

/// Everything on the worker's loop thread: socket, poll loop, machine, cancel signals.
private final class WorkerLoop {
    private let loop = PollLoop()
    private let clock = LoopClock()
    private let logger: Logger
    private let options: WorkerOptions
    private let mailbox: Mailbox<WorkerEvent>
    private let socket: MessageSocket
    /// Starts a handler's task (made by ``WorkerService/run()``).
    private let start: @Sendable (Assignment, ContinuousClock.Instant) -> Task<Void, Never>
    private let registered: OneShot<Result<Void, any Error>>
    private var machine: WorkerStateMachine
    private var actions: [WorkerAction] = []
    private var events: [WorkerEvent] = []
    /// The task of every handler that has not reported its end to the machine yet.
    private var handlerTasks: [AttemptRef: Task<Void, Never>] = [:]
    private var timers: [WorkerTimer: PollLoop.TimerID] = [:]

    private let children: ChildJobs

    init(
        options: WorkerOptions,
        logger: Logger,
        mailbox: Mailbox<WorkerEvent>,
        wakeup: Wakeup,
        start: @escaping @Sendable (Assignment, ContinuousClock.Instant) -> Task<Void, Never>,
        registered: OneShot<Result<Void, any Error>>,
        children: ChildJobs
    ) throws {
        self.children = children
        self.options = options
        var logger = logger
        logger[metadataKey: "worker"] = .string(options.workerID)
        logger[metadataKey: "group"] = .string(options.group)
        self.logger = logger
        self.mailbox = mailbox
        self.start = start
        self.registered = registered
        self.machine = WorkerStateMachine(
            configuration: WorkerConfiguration(
                workerID: options.workerID,
                group: options.group,
                node: options.node,
                capacity: options.capacity,
                kinds: options.kinds,
                overdueAfter: options.killGrace + .seconds(1),
                drainGrace: options.drainGrace,
                incarnation: UInt64.random(in: 1 ... .max)
            )
        )
        let context = try ZMQContext()
        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.set(.routingID(Array(options.workerID.utf8)))
        try dealer.set(.linger(milliseconds: 0))
        try dealer.set(.maxMessageSize(Int64(options.maxMessageBytes)))
        try dealer.set(.reconnectInterval(milliseconds: 100))
        try dealer.set(.reconnectIntervalMax(milliseconds: 1000))
        try dealer.secure(options.security)
        do {
            try dealer.connect(options.endpoint)
        } catch {
            throw HerdRuntimeError("cannot connect to \(options.endpoint): \(error.message)")
        }
        self.socket = MessageSocket(socket: dealer, loop: self.loop, routed: false, maxBytes: options.maxMessageBytes)
        self.socket.onMessages = { [unowned self] batch in
            for inbound in batch {
                switch inbound.message {
                case .success(let message): self.events.append(.message(message))
                case .failure(let error): self.events.append(.undecodable(error))
                }
            }
            self.step()
        }
        self.socket.onSendError = { [unowned self] error in
            self.logger.warning("send failed", metadata: ["error": "\(error)"])
        }
        self.loop.watchReadable(wakeup) { [unowned self] in
            self.mailbox.drain(into: &self.events)
            self.step()
        }
    }

    func run() {
        self.events.append(.started)
        self.step()
        self.loop.run()
        self.socket.socket.close()
    }

    /// Feeds the collected events to the machine and performs what it decides.
    private func step() {
        guard !self.events.isEmpty else { return }
        let now = self.clock.now()
        for event in self.events {
            if case .handlerFinished(let attempt, _, _) = event { self.handlerTasks[attempt] = nil }
            self.machine.handle(event, now: now, into: &self.actions)
        }
        self.events.removeAll(keepingCapacity: true)
        self.machine.flush(now: now, into: &self.actions)
        self.perform()
    }

    /// Handlers whose end the machine has not seen (for ``WorkerService/run()`` to await).
    var unfinishedHandlers: [Task<Void, Never>] { Array(self.handlerTasks.values) }

    private func perform() {
        let receivedAt = ContinuousClock.now
        for action in self.actions {
            switch action {
            case .send(let message):
                self.socket.send(message)
            case .startHandler(let assignment):
                self.handlerTasks[assignment.attempt] = self.start(assignment, receivedAt)
            case .cancelHandler(let attempt):
                self.handlerTasks[attempt]?.cancel()
            case .reconnect:
                self.socket.dropBacklog()
                try? self.socket.socket.disconnect(self.options.endpoint)
                do { try self.socket.socket.connect(self.options.endpoint) } catch {
                    self.logger.error("reconnect failed", metadata: ["error": "\(error)"])
                }
            case .schedule(let timer, let instant):
                if let previous = self.timers[timer] { self.loop.cancel(previous) }
                self.timers[timer] = self.loop.schedule(at: self.clock.continuous(instant)) { [unowned self] in
                    self.timers[timer] = nil
                    self.events.append(.timer(timer))
                    self.step()
                }
            case .log(let event):
                self.logger.write(event)
            case .deliverToChildren(let message):
                self.children.deliver(message)
            case .failChildren(let failure):
                self.children.failAll(failure)
            case .exit:
                self.children.failAll(Failure(.cancelled, "worker stopping"))
                self.loop.stop()
            }
        }
        self.actions.removeAll(keepingCapacity: true)
        if self.machine.isRegistered { self.registered.resolve(.success(())) }
    }
}
