import HerdCore
import HerdZMQ

/// One STATUS request/reply on its own short-lived loop thread.
enum StatusRequest {
    static func run(endpoint: String, timeout: Duration) async throws -> StatusReport {
        let reply = OneShot<StatusReport>()
        let thread = LoopThread.start(name: "herd-status") {
            do {
                let loop = PollLoop()
                let context = try ZMQContext()
                let dealer = try ZMQSocket(context: context, type: .dealer)
                try dealer.set(.routingID(clientRoutingID()))
                try dealer.set(.linger(milliseconds: 0))
                do { try dealer.connect(endpoint) } catch {
                    throw Failure(.validation, "bad endpoint \(endpoint): \(error)")
                }
                let socket = MessageSocket(socket: dealer, loop: loop, routed: false, maxBytes: WireCodec.defaultMaxMessageBytes)
                let token: UInt64 = 1
                socket.onMessages = { batch in
                    for inbound in batch {
                        if case .success(.statusReply(let report)) = inbound.message, report.token == token {
                            reply.resolve(.success(report))
                            loop.stop()
                        }
                    }
                }
                loop.schedule(at: .now.advanced(by: timeout)) {
                    reply.resolve(.failure(Failure(.network, "no coordinator at \(endpoint) after \(ClientStateMachine.seconds(timeout))")))
                    loop.stop()
                }
                socket.send(.statusRequest(token: token))
                loop.run()
                dealer.close()
            } catch {
                reply.resolve(.failure(error))
            }
        }
        defer { _ = thread }
        return try await reply.value()
    }
}
