import HerdCore
import HerdJournal
import HerdSystem
import HerdZMQ
import Logging
import ServiceLifecycle
import Synchronization

/// What a coordinator process needs to run.
public struct CoordinatorOptions: Sendable {
    /// Where to listen, e.g. `tcp://127.0.0.1:5555` or `tcp://127.0.0.1:*` (any free port).
    public var endpoint: String
    public var configuration: CoordinatorConfiguration
    /// Messages larger than this are refused by libzmq (ZMQ_MAXMSGSIZE) and by the codec.
    public var maxMessageBytes: Int
    /// On SIGTERM, how long in-flight work may run before what remains is cancelled.
    public var shutdownGrace: Duration
    /// Where the coordinator keeps its journal (`nil`: in memory only; a crash loses every job).
    /// An existing journal is read at start: its jobs resume.
    public var journalPath: String?
    /// CURVE and the keys it knows, with their roles; `nil` runs without authentication or
    /// encryption (`--insecure`): every peer may do everything.
    public var security: CoordinatorSecurity?
    /// Record `herd_*` metrics through swift-metrics (the process bootstraps the backend and serves
    /// them: `herd coordinator --metrics`). Off: the machine's observations are dropped unread.
    public var metrics: Bool = false

    public init(
        endpoint: String,
        configuration: CoordinatorConfiguration,
        maxMessageBytes: Int = WireCodec.defaultMaxMessageBytes,
        shutdownGrace: Duration = .seconds(10),
        journalPath: String? = nil,
        security: CoordinatorSecurity? = nil
    ) {
        self.endpoint = endpoint
        self.configuration = configuration
        self.maxMessageBytes = maxMessageBytes
        self.shutdownGrace = shutdownGrace
        self.journalPath = journalPath
        self.security = security
    }
}

/// The coordinator process's service: a thin shell around ``CoordinatorStateMachine``.
///
/// One dedicated thread owns the ROUTER socket and the machine. A wake-up receives every waiting
/// message (up to a batch), steps the machine for each, flushes once and performs the actions:
/// no task wake-up, actor hop or lock per message on the hot path.
public final class CoordinatorServer: Service, Sendable {
    private let options: CoordinatorOptions
    private let logger: Logger
    private let bound = OneShot<Result<String, any Error>>()
    private let mailbox: Mailbox<CoordinatorCommand>
    private let wakeup: Wakeup

    public init(options: CoordinatorOptions, logger: Logger) throws {
        self.options = options
        self.logger = logger
        self.wakeup = try Wakeup()
        self.mailbox = Mailbox(capacity: 64, wakeup: self.wakeup)
    }

    /// The endpoint actually bound (with the real port when the configured one was `*`).
    public func boundEndpoint() async throws -> String { try await self.bound.valueUnlessCancelled().get() }

    public func run() async throws {
        let failure = Mutex<(any Error)?>(nil)
        let thread = LoopThread.start(name: "herd-coordinator") { [options, logger, mailbox, wakeup, bound] in
            do {
                let loop = try CoordinatorLoop(options: options, logger: logger, mailbox: mailbox, wakeup: wakeup)
                bound.resolve(.success(loop.endpoint))
                loop.run()
            } catch {
                bound.resolve(.failure(error))
                failure.withLock { $0 = error }
            }
        }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await thread.join()
            } onGracefulShutdown: {
                self.mailbox.post(.shutdown(self.options.shutdownGrace))
            }
        } onCancel: {
            self.mailbox.post(.stop)
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// Stops the coordinator at once (from any thread).
    public func stop() { self.mailbox.post(.stop) }

    /// Shuts down gracefully: refuses new jobs, lets in-flight work finish within `grace`,
    /// cancels what remains (its clients are told), then stops.
    public func shutdown(grace: Duration) { self.mailbox.post(.shutdown(grace)) }
}

/// Requests from other threads to the coordinator's loop thread.
enum CoordinatorCommand: Sendable {
    case stop
    case shutdown(Duration)
}

/// Everything on the coordinator's loop thread: socket, poll loop, machine.
private final class CoordinatorLoop {
    private let loop = PollLoop()
    private let clock = LoopClock.anchoredToWallClock()
    private let logger: Logger
    private let mailbox: Mailbox<CoordinatorCommand>
    private let socket: MessageSocket
    private var machine: CoordinatorStateMachine
    /// The journal, when the coordinator keeps one (written on this thread only).
    private let journal: JournalStore?
    private var actions: [CoordinatorAction] = []
    private var unreachable: [PeerID] = []
    private var commands: [CoordinatorCommand] = []
    /// The ZAP handler, when peers are authenticated (stopped when the loop ends).
    private let zap: ZAPHandler?
    /// The `herd_*` metrics, when recorded (``CoordinatorOptions/metrics``).
    private let metrics: CoordinatorMetrics?
    let endpoint: String

    init(options: CoordinatorOptions, logger: Logger, mailbox: Mailbox<CoordinatorCommand>, wakeup: Wakeup) throws {
        self.logger = logger
        self.mailbox = mailbox
        if let path = options.journalPath {
            let (journal, machine) = try Self.restore(
                path: path,
                options: options,
                now: self.clock.now(),
                logger: logger
            )
            self.journal = journal
            self.machine = machine
        } else {
            self.journal = nil
            self.machine = CoordinatorStateMachine(configuration: options.configuration)
        }
        self.metrics = options.metrics ? CoordinatorMetrics(journaled: options.journalPath != nil) : nil
        let context = try ZMQContext()
        if let security = options.security {
            // Bound before the ROUTER, so that no handshake can complete without it.
            let authenticator = ZAPAuthenticator(keyring: security.keyring, logger: logger)
            self.zap = try ZAPHandler(context: context) { authenticator.authenticate($0) }
        } else {
            self.zap = nil
        }
        let router = try ZMQSocket(context: context, type: .router)
        try router.secure(options.security.map { .server($0.keyPair) })
        try router.set(.routerMandatory(true))
        try router.set(.routerHandover(true))
        try router.set(.linger(milliseconds: 0))
        try router.set(.maxMessageSize(Int64(options.maxMessageBytes)))
        try router.set(.sendHighWaterMark(100_000))
        try router.set(.receiveHighWaterMark(100_000))
        do {
            try router.bind(options.endpoint)
        } catch {
            throw HerdRuntimeError("cannot listen on \(options.endpoint): \(error.message)")
        }
        self.endpoint = try router.lastEndpoint
        self.socket = MessageSocket(socket: router, loop: self.loop, routed: true, maxBytes: options.maxMessageBytes)
        self.socket.readsUserIDs = options.security != nil
        self.socket.onMessages = { [unowned self] batch in self.received(batch) }
        self.socket.onUnreachable = { [unowned self] peer in self.unreachable.append(peer) }
        self.socket.onSendError = { [unowned self] error in
            self.logger.warning("send failed", metadata: ["error": "\(error)"])
        }
        self.loop.watchReadable(wakeup) { [unowned self] in self.drainCommands() }
    }

    /// Opens the journal at `path` and rebuilds the machine from it (a fresh journal: a fresh machine).
    private static func restore(
        path: String,
        options: CoordinatorOptions,
        now: Instant,
        logger: Logger
    ) throws -> (JournalStore, CoordinatorStateMachine) {
        let journal = try JournalStore(path: path)
        var configuration = options.configuration
        configuration.journaled = true
        var records: [JournalRecord] = []
        for (position, entry) in try journal.readAll().enumerated() {
            do { records.append(try JournalCodec.decode(entry.body)) } catch {
                throw HerdRuntimeError(
                    "journal \(path): record \(position + 1) (job \(entry.job)) is unreadable: \(error.message)"
                )
            }
        }
        let machine = CoordinatorStateMachine(configuration: configuration, restoring: records, now: now)
        let size = journal.size()
        logger.notice(
            records.isEmpty ? "journal opened" : "restored from the journal",
            metadata: [
                "journal": "\(path)", "records": "\(records.count)", "jobs": "\(machine.activeJobs)",
                "bytes": "\(size.bytes)",
            ]
        )
        return (journal, machine)
    }

    func run() {
        self.logger.info(
            "coordinator listening",
            metadata: [
                "endpoint": "\(self.endpoint)", "coordinator": "\(self.machine.configuration.coordinatorID)",
                "security": "\(self.zap == nil ? "none (insecure)" : "CURVE")",
            ]
        )
        self.perform(self.machine.start(now: self.clock.now()))
        self.loop.run()
        self.socket.socket.close()
        self.zap?.signalStop()
        self.journal?.close()
        self.logger.info("coordinator stopped")
    }

    private func received(_ batch: [MessageSocket.Inbound]) {
        let now = self.clock.now()
        for inbound in batch {
            switch inbound.message {
            case .success(let message) where self.zap != nil:
                // Every connection passed the ZAP handler, which tags it with its principal.
                guard let userID = inbound.userID, let principal = Principal(userID: userID) else {
                    self.logger.error("message without a ZAP User-Id dropped", metadata: ["peer": "\(inbound.peer)"])
                    continue
                }
                self.machine.handle(
                    .authenticated(message, from: inbound.peer, as: principal),
                    now: now,
                    into: &self.actions
                )
            case .success(let message):
                self.machine.handle(.message(message, from: inbound.peer), now: now, into: &self.actions)
            case .failure(let error):
                self.machine.handle(.undecodable(error, from: inbound.peer), now: now, into: &self.actions)
            }
        }
        self.machine.flush(now: now, into: &self.actions)
        self.performPending()
        self.observe(now: now)
    }

    private func fire(_ timer: CoordinatorTimer) {
        let now = self.clock.now()
        self.machine.handle(.timer(timer), now: now, into: &self.actions)
        self.machine.flush(now: now, into: &self.actions)
        self.performPending()
        self.observe(now: now)
    }

    private func perform(_ actions: [CoordinatorAction]) {
        self.actions.append(contentsOf: actions)
        self.performPending()
    }

    /// Hands the machine's observations to the metrics and samples the gauges when due.
    private func observe(now: Instant) {
        guard let metrics = self.metrics else {
            _ = self.machine.takeObservations()
            return
        }
        metrics.record(self.machine.takeObservations())
        if metrics.gaugesDue(now: now) {
            metrics.sample(self.machine.gauges(now: now), journalBytes: self.journal?.size().bytes, now: now)
        }
    }

    /// Performs queued actions; sends that find a peer gone feed back as events until none remain.
    private func performPending() {
        while !self.actions.isEmpty {
            let batch = self.actions
            self.actions.removeAll(keepingCapacity: true)
            // Write-ahead: the batch's journal records are durable before any of its sends leaves.
            guard self.commitJournal(of: batch) else { return }
            for action in batch {
                switch action {
                case .send(let peer, .statusReply(var report)) where self.journal != nil:
                    // The journal is the shell's: it says where and how big (the machine cannot).
                    let size = self.journal!.size()
                    report.journal = "\(self.journal!.path): \(size.entries) records, \(size.bytes) bytes"
                    self.socket.send(.statusReply(report), to: peer)
                case .send(let peer, let message):
                    self.socket.send(message, to: peer)
                case .schedule(let timer, let instant):
                    self.loop.schedule(at: self.clock.continuous(instant)) { [unowned self] in self.fire(timer) }
                case .log(let event):
                    self.logger.write(event)
                case .stop:
                    self.loop.stop()
                case .journal:
                    break  // committed above
                }
            }
            if !self.unreachable.isEmpty {
                let now = self.clock.now()
                let peers = self.unreachable
                self.unreachable.removeAll()
                for peer in peers { self.machine.handle(.unreachable(peer), now: now, into: &self.actions) }
                self.machine.flush(now: now, into: &self.actions)
            }
        }
    }

    /// Commits the journal records of `batch` in one transaction. A coordinator that cannot write
    /// its journal cannot keep its promises: it logs why and stops (false), sending nothing more.
    private func commitJournal(of batch: [CoordinatorAction]) -> Bool {
        guard let journal = self.journal else { return true }
        var records: [JournalEntry] = []
        var forgetting: [UInt64] = []
        for case .journal(let journaled) in batch {
            for record in journaled.records {
                records.append(JournalEntry(job: record.job?.rawValue ?? 0, body: JournalCodec.encode(record)))
            }
            forgetting.append(contentsOf: journaled.forgetting.map(\.rawValue))
        }
        guard !records.isEmpty || !forgetting.isEmpty else { return true }
        do {
            try journal.write(records, forgetting: forgetting)
            return true
        } catch {
            self.logger.critical(
                "cannot write the journal: stopping",
                metadata: ["journal": "\(journal.path)", "error": "\(error)"]
            )
            self.actions.removeAll()
            self.loop.stop()
            return false
        }
    }

    private func drainCommands() {
        self.mailbox.drain(into: &self.commands)
        for command in self.commands {
            switch command {
            case .stop: self.loop.stop()
            case .shutdown(let grace):
                let now = self.clock.now()
                self.machine.handle(.shutdownRequested(grace: grace), now: now, into: &self.actions)
                self.machine.flush(now: now, into: &self.actions)
                self.performPending()
                self.observe(now: now)
            }
        }
        self.commands.removeAll()
    }
}
