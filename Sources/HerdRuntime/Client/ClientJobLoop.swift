import HerdCore
import HerdZMQ
import Logging
import Synchronization

/// Requests from the consumer of a ``JobRun`` to its loop thread.
enum ClientCommand: Sendable {
    /// Cancel the job; keep delivering until JOB-FINISHED confirms every attempt stopped.
    case cancel(String)
    /// The consumer stopped listening: cancel the job, send that, and stop.
    case cancelAndStop(String)
}

/// One job's loop thread: its own DEALER socket and a ``ClientStateMachine``.
final class ClientJobLoop {
    private let loop = PollLoop()
    private let clock = LoopClock()
    private let socket: MessageSocket
    private let mailbox: Mailbox<ClientCommand>
    private let continuation: AsyncThrowingStream<JobUpdate, any Error>.Continuation
    private let logger: Logger
    private var machine: ClientStateMachine
    private let submission: Submission

    /// Starts the job's loop thread; returns the function that cancels the job.
    static func start(
        client: HerdClient,
        spec: JobSpec,
        continuation: AsyncThrowingStream<JobUpdate, any Error>.Continuation
    ) -> @Sendable (String) -> Void {
        let wakeup: Wakeup
        do { wakeup = try Wakeup() } catch {
            continuation.finish(throwing: error)
            return { _ in }
        }
        let mailbox = Mailbox<ClientCommand>(capacity: 16, wakeup: wakeup)
        continuation.onTermination = { termination in
            if case .cancelled = termination { mailbox.post(.cancelAndStop("the client stopped listening")) }
        }
        _ = LoopThread.start(name: "herd-client") {
            do {
                let loop = try ClientJobLoop(
                    client: client,
                    spec: spec,
                    mailbox: mailbox,
                    wakeup: wakeup,
                    continuation: continuation
                )
                loop.run()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return { reason in mailbox.post(.cancel(reason)) }
    }

    private init(
        client: HerdClient,
        spec: JobSpec,
        mailbox: Mailbox<ClientCommand>,
        wakeup: Wakeup,
        continuation: AsyncThrowingStream<JobUpdate, any Error>.Continuation
    ) throws {
        self.mailbox = mailbox
        self.continuation = continuation
        self.logger = client.logger
        self.machine = ClientStateMachine(
            configuration: .init(
                endpoint: client.endpoint,
                connectTimeout: client.connectTimeout,
                coordinatorLiveness: client.reconnectWindow
            )
        )
        var rng = SystemRandomNumberGenerator()
        self.submission = Submission(
            token: UInt64.random(in: 1 ... .max, using: &rng),
            group: spec.group,
            kind: spec.kind,
            payloads: spec.payloads,
            timeout: spec.timeout,
            policy: spec.policy,
            budget: spec.budget
        )
        let context = try ZMQContext()
        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.set(.routingID(clientRoutingID()))
        // A cancel sent just before closing must still go out.
        try dealer.set(.linger(milliseconds: 1000))
        try dealer.set(.receiveHighWaterMark(100_000))
        try dealer.secure(client.security)
        do { try dealer.connect(client.endpoint) } catch {
            throw Failure(.validation, "bad endpoint \(client.endpoint): \(error.message)")
        }
        self.socket = MessageSocket(
            socket: dealer,
            loop: self.loop,
            routed: false,
            maxBytes: WireCodec.defaultMaxMessageBytes
        )
        self.socket.onMessages = { [unowned self] batch in
            for inbound in batch {
                switch inbound.message {
                case .success(let message): self.step(.message(message))
                case .failure(let error): self.step(.undecodable(error))
                }
            }
        }
        self.loop.watchReadable(wakeup) { [unowned self] in
            var commands: [ClientCommand] = []
            self.mailbox.drain(into: &commands)
            for command in commands {
                switch command {
                case .cancel(let reason):
                    self.step(.cancel(reason: reason))
                case .cancelAndStop(let reason):
                    self.step(.cancel(reason: reason))
                    self.loop.stop()
                }
            }
        }
    }

    func run() {
        self.step(.submit(self.submission))
        self.loop.run()
        self.socket.socket.close()
    }

    private func step(_ event: ClientStateMachine.Event) {
        for action in self.machine.handle(event, now: self.clock.now()) {
            switch action {
            case .send(let message):
                self.socket.send(message)
            case .schedule(let timer, let instant):
                self.loop.schedule(at: self.clock.continuous(instant)) { [unowned self] in self.step(.timer(timer)) }
            case .accepted(let accepted):
                self.continuation.yield(.accepted(accepted))
            case .deliver(let results):
                self.continuation.yield(.results(results))
            case .partial(let partial):
                self.continuation.yield(.partial(partial))
            case .notice(let notice):
                self.continuation.yield(.notice(notice.message))
            case .finished(let summary):
                self.continuation.yield(.finished(summary))
                self.continuation.finish()
                self.loop.stop()
            case .failed(let failure):
                self.continuation.finish(throwing: failure)
                self.loop.stop()
            case .log(let line):
                self.logger.write(line)
            }
        }
    }
}
