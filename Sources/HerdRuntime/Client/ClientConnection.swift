import HerdCore
import HerdZMQ
import Logging
import Synchronization

/// Requests to a connection's loop thread, from ``HerdClient/submit(_:)`` and the job runs.
enum ConnectionCommand: Sendable {
    /// Submit a job on this connection.
    case submit(ClientConnection.Job)
    /// Cancel a job; keep delivering until JOB-FINISHED confirms every attempt stopped.
    case cancel(token: UInt64, reason: String)
    /// The consumer of a job stopped listening: cancel the job, send that, and forget it.
    case cancelAndForget(token: UInt64, reason: String)
    /// Nobody can submit on this connection any more: close it once its jobs are done.
    case close
}

/// The connections of one ``HerdClient`` and its copies: one loop thread with one DEALER socket
/// per endpoint and security (in practice one), shared by every job the client submits.
///
/// Decision (issue 13): a job used to get a thread, a ZeroMQ context and a TCP connection of its
/// own, and the coordinator a new client per job: connecting alone cost more than a whole round
/// trip of the raw libzmq broker. Now the first submission connects and later ones reuse the
/// connection; each job keeps its own ``ClientStateMachine``, and messages are routed to it by
/// submission token (ACCEPTED, REJECTED) and job id (results, notices, partials, JOB-FINISHED).
/// The connection lives while the client or any job run does; an idle one costs no CPU (no job:
/// no timer, no heartbeat). Status, cancel, drain and the other one-shot requests keep their own
/// short-lived socket (``RequestReply``): they are not on anybody's hot path.
final class ClientConnections: Sendable {
    private struct Key: Hashable {
        var endpoint: String
        var security: CurveSecurity?
    }

    private let running = Mutex<[Key: ClientConnection]>([:])

    init() {}

    deinit {
        for connection in self.running.withLock({ Array($0.values) }) { connection.post(.close) }
    }

    /// The running connection to `endpoint` with `security`, started on first use.
    func connection(endpoint: String, security: CurveSecurity?, logger: Logger) throws -> ClientConnection {
        try self.running.withLock { running in
            let key = Key(endpoint: endpoint, security: security)
            if let connection = running[key] { return connection }
            let connection = try ClientConnection.start(endpoint: endpoint, security: security, logger: logger)
            running[key] = connection
            return connection
        }
    }
}

/// One connection's mailbox: what the rest of the process holds of a running connection loop.
final class ClientConnection: Sendable {
    /// A job to submit: its spec's submission, its timeouts, and where its updates go.
    struct Job: Sendable {
        var submission: Submission
        var connectTimeout: Duration
        var reconnectWindow: Duration
        var continuation: AsyncThrowingStream<JobUpdate, any Error>.Continuation
    }

    private let mailbox: Mailbox<ConnectionCommand>

    private init(mailbox: Mailbox<ConnectionCommand>) { self.mailbox = mailbox }

    /// Connects (without waiting for the coordinator: ZeroMQ connects in the background) and starts
    /// the loop thread.
    static func start(endpoint: String, security: CurveSecurity?, logger: Logger) throws -> ClientConnection {
        let wakeup = try Wakeup()
        // Room for a burst of submissions; a full mailbox fails the submission rather than block.
        let mailbox = Mailbox<ConnectionCommand>(capacity: 1 << 16, wakeup: wakeup)
        let loop = try ClientConnectionLoop(
            endpoint: endpoint,
            security: security,
            logger: logger,
            mailbox: mailbox,
            wakeup: wakeup
        )
        // The loop is handed to its thread and used there only.
        nonisolated(unsafe) let confined = loop
        _ = LoopThread.start(name: "herd-client") { confined.run() }
        return ClientConnection(mailbox: mailbox)
    }

    /// Posts a command; false if the mailbox is full.
    @discardableResult
    func post(_ command: ConnectionCommand) -> Bool { self.mailbox.post(command) }
}

/// A connection's loop thread: its DEALER socket and the state machine of each of its jobs.
final class ClientConnectionLoop {
    private struct Entry {
        var machine: ClientStateMachine
        let continuation: AsyncThrowingStream<JobUpdate, any Error>.Continuation
        /// Its id, once ACCEPTED.
        var job: JobID?
    }

    private let loop = PollLoop()
    private let clock = LoopClock()
    private let socket: MessageSocket
    private let mailbox: Mailbox<ConnectionCommand>
    private let endpoint: String
    private let logger: Logger
    /// The running jobs, by submission token.
    private var entries: [UInt64: Entry] = [:]
    /// Which job each message is about (by token, or by the job id of an accepted one).
    private var router = ClientJobRouter()
    /// When anything was last sent: a job's heartbeat is left out while the connection is not quiet
    /// (the coordinator's liveness of a client counts any message from it).
    private var lastSent: Instant = .zero
    private var closing = false
    private static let heartbeatInterval = ClientStateMachine.Configuration(endpoint: "").heartbeatInterval

    init(
        endpoint: String,
        security: CurveSecurity?,
        logger: Logger,
        mailbox: Mailbox<ConnectionCommand>,
        wakeup: Wakeup
    ) throws {
        self.endpoint = endpoint
        self.logger = logger
        self.mailbox = mailbox
        let context = try ZMQContext()
        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.set(.routingID(clientRoutingID()))
        // A cancel sent just before closing must still go out.
        try dealer.set(.linger(milliseconds: 1000))
        try dealer.set(.receiveHighWaterMark(100_000))
        try dealer.secure(security)
        do { try dealer.connect(endpoint) } catch {
            throw Failure(.validation, "bad endpoint \(endpoint): \(error.message)")
        }
        self.socket = MessageSocket(
            socket: dealer,
            loop: self.loop,
            routed: false,
            maxBytes: WireCodec.defaultMaxMessageBytes
        )
        self.socket.onMessages = { [unowned self] batch in self.received(batch) }
        self.loop.watchReadable(wakeup) { [unowned self] in
            var commands: [ConnectionCommand] = []
            self.mailbox.drain(into: &commands)
            for command in commands { self.perform(command) }
        }
    }

    func run() {
        self.loop.run()
        self.socket.socket.close()
    }

    private func perform(_ command: ConnectionCommand) {
        switch command {
        case .submit(let job):
            let token = job.submission.token
            self.entries[token] = Entry(
                machine: ClientStateMachine(
                    configuration: .init(
                        endpoint: self.endpoint,
                        connectTimeout: job.connectTimeout,
                        coordinatorLiveness: job.reconnectWindow
                    )
                ),
                continuation: job.continuation
            )
            self.step(token, .submit(job.submission))
        case .cancel(let token, let reason):
            self.step(token, .cancel(reason: reason))
        case .cancelAndForget(let token, let reason):
            self.step(token, .cancel(reason: reason))
            self.forget(token)
        case .close:
            self.closing = true
        }
        self.stopIfClosedAndIdle()
    }

    /// Routes each message to the job it is about; one that is about none (HEARTBEAT, ERROR) goes
    /// to every job. Every job hears of the coordinator's life from every message.
    private func received(_ batch: [MessageSocket.Inbound]) {
        var heard: Set<UInt64> = []
        for inbound in batch {
            switch inbound.message {
            case .failure(let error):
                self.logger.write(
                    LogLine(.warning, "undecodable message from coordinator", ["error": error.description])
                )
            case .success(let message):
                for token in self.router.tokens(of: message) ?? Array(self.entries.keys) {
                    heard.insert(token)
                    self.step(token, .message(message))
                }
            }
        }
        for token in Array(self.entries.keys) where !heard.contains(token) {
            self.step(token, .message(.heartbeat))
        }
        self.stopIfClosedAndIdle()
    }

    private func step(_ token: UInt64, _ event: ClientStateMachine.Event) {
        guard self.entries[token] != nil else { return }  // finished, or forgotten
        let now = self.clock.now()
        let actions = self.entries[token]!.machine.handle(event, now: now)
        for action in actions {
            guard let entry = self.entries[token] else { return }
            switch action {
            case .send(.heartbeat)
            where !ClientJobRouter.heartbeatNeeded(lastSent: self.lastSent, now: now, interval: Self.heartbeatInterval):
                break  // the connection is not quiet: the coordinator heard from it lately
            case .send(let message):
                self.lastSent = now
                self.socket.send(message)
            case .schedule(let timer, let instant):
                self.loop.schedule(at: self.clock.continuous(instant)) { [unowned self] in
                    self.step(token, .timer(timer))
                }
            case .accepted(let accepted):
                self.router.accepted(accepted.job, token: token)
                self.entries[token]!.job = accepted.job
                entry.continuation.yield(.accepted(accepted))
            case .deliver(let results):
                entry.continuation.yield(.results(results))
            case .partial(let partial):
                entry.continuation.yield(.partial(partial))
            case .notice(let notice):
                entry.continuation.yield(.notice(notice.message))
            case .finished(let summary):
                self.forget(token)
                entry.continuation.yield(.finished(summary))
                entry.continuation.finish()
            case .failed(let failure):
                self.forget(token)
                entry.continuation.finish(throwing: failure)
            case .log(let line):
                self.logger.write(line)
            }
        }
    }

    private func forget(_ token: UInt64) {
        if let job = self.entries.removeValue(forKey: token)?.job { self.router.forget(job) }
    }

    private func stopIfClosedAndIdle() {
        if self.closing, self.entries.isEmpty { self.loop.stop() }
    }
}
