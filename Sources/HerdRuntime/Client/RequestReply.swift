import HerdCore
import HerdSystem
import HerdZMQ

/// One request and its reply on a short-lived loop thread and socket (STATUS, CANCEL-JOB).
enum RequestReply {
    /// A fresh random token for a request: its reply is matched by it, never by a fixed value
    /// (a late reply to an earlier request must not answer this one).
    static func newToken() -> UInt64 {
        var rng = SystemRandomNumberGenerator()
        return UInt64.random(in: 1 ... .max, using: &rng)
    }

    /// Sends `request` and returns the first reply `match` accepts; fails with a `network`
    /// failure if none arrives within `timeout`.
    static func run<Reply: Sendable>(
        endpoint: String,
        security: CurveSecurity?,
        request: Message,
        timeout: Duration,
        match: @escaping @Sendable (Message) -> Reply?
    ) async throws -> Reply {
        let reply = OneShot<Result<Reply, any Error>>()
        let thread = LoopThread.start(name: "herd-request") {
            do {
                let loop = PollLoop()
                let context = try ZMQContext()
                let dealer = try ZMQSocket(context: context, type: .dealer)
                try dealer.set(.routingID(clientRoutingID()))
                try dealer.set(.linger(milliseconds: 0))
                try dealer.secure(security)
                do { try dealer.connect(endpoint) } catch {
                    throw Failure(.validation, "bad endpoint \(endpoint): \(error)")
                }
                let socket = MessageSocket(
                    socket: dealer,
                    loop: loop,
                    routed: false,
                    maxBytes: WireCodec.defaultMaxMessageBytes
                )
                socket.onMessages = { batch in
                    for inbound in batch {
                        if case .success(.error(let error)) = inbound.message, error.code == .notAllowed {
                            // The coordinator knows the key but its role may not do this.
                            reply.resolve(.failure(Failure(.auth, error.message)))
                            loop.stop()
                        } else if case .success(let message) = inbound.message, let value = match(message) {
                            reply.resolve(.success(value))
                            loop.stop()
                        }
                    }
                }
                loop.schedule(at: .now.advanced(by: timeout)) {
                    reply.resolve(
                        .failure(
                            Failure(
                                .network,
                                "no answer from a coordinator at \(endpoint) after \(ClientStateMachine.seconds(timeout))"
                                    + (security == nil
                                        ? "" : " (with CURVE: is its public key right, and does it know this key?)")
                            )
                        )
                    )
                    loop.stop()
                }
                socket.send(request)
                loop.run()
                dealer.close()
            } catch {
                reply.resolve(.failure(error))
            }
        }
        defer { _ = thread }
        return try await reply.valueUnlessCancelled().get()
    }
}

extension HerdClient {
    /// Asks the coordinator for a snapshot of workers, groups and jobs.
    public func status() async throws -> StatusReport {
        let token = RequestReply.newToken()
        do {
            return try await RequestReply.run(
                endpoint: self.endpoint,
                security: self.security,
                request: .statusRequest(token: token),
                timeout: self.connectTimeout
            ) { message in
                if case .statusReply(let report) = message, report.token == token { return report }
                return nil
            }
        } catch let failure as Failure where failure.category == .network {
            throw Failure(
                .network,
                "no coordinator at \(self.endpoint) after \(ClientStateMachine.seconds(self.connectTimeout))"
                    + (self.security == nil ? "" : " (with CURVE: is its public key right, and does it know this key?)")
            )
        }
    }
}
