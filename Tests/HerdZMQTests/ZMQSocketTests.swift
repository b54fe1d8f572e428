import CZeroMQ
import HerdZMQ
import Testing

@Suite struct ZMQSocketTests {
    /// DEALER → ROUTER → DEALER over `endpoint`; the router sees the dealer's routing id.
    private func roundTrip(bindTo endpoint: String) throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.set(.linger(milliseconds: 0))
        try router.bind(endpoint)
        let boundEndpoint = try router.lastEndpoint
        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.set(.linger(milliseconds: 0))
        try dealer.set(.routingID(bytes("worker-1")))
        try dealer.connect(boundEndpoint)

        #expect(try dealer.send([bytes("hello"), [], [0, 255, 7]]))
        let request = try #require(try receiveWaiting(router))
        #expect(request == [bytes("worker-1"), bytes("hello"), [], [0, 255, 7]])

        #expect(try router.send([request[0], bytes("reply"), []]))
        let reply = try #require(try receiveWaiting(dealer))
        #expect(reply == [bytes("reply"), []])
        #expect(try dealer.receive() == nil)
    }

    @Test func test_routerDealer_overTCP_roundTripsMultipartWithRoutingID() throws {
        let context = try ZMQContext()
        let probe = try ZMQSocket(context: context, type: .router)
        try probe.bind("tcp://127.0.0.1:*")
        let endpoint = try probe.lastEndpoint
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        #expect(!endpoint.hasSuffix("*"))
        #expect(Int(endpoint.split(separator: ":").last ?? "") ?? 0 > 0)
        probe.close()

        try roundTrip(bindTo: "tcp://127.0.0.1:*")
    }

    @Test func test_routerDealer_overInproc_roundTripsMultipartWithRoutingID() throws {
        try roundTrip(bindTo: "inproc://round-trip")
    }

    @Test func test_receiveBatch_manyWaiting_takesUpToLimitInOneCall() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.bind("inproc://batch")
        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.set(.routingID(bytes("d")))
        try dealer.connect("inproc://batch")
        for index in 0 ..< 100 {
            #expect(try dealer.send([[UInt8(index)], bytes("payload")]))
        }
        let first = try #require(try receiveWaiting(router))
        #expect(first == [bytes("d"), [0], bytes("payload")])

        var batch: [[[UInt8]]] = []
        try router.receiveBatch(limit: 30, into: &batch)
        #expect(batch.count == 30)
        try router.receiveBatch(limit: 1_000, into: &batch)
        #expect(batch.count == 99)
        #expect(batch.map { $0[1][0] } == (1 ..< 100).map { UInt8($0) })
        try router.receiveBatch(limit: 1_000, into: &batch)
        #expect(batch.count == 99)
    }

    @Test func test_send_atHighWaterMark_returnsFalseInsteadOfBlocking() throws {
        let context = try ZMQContext()
        // No peer and ZMQ_IMMEDIATE: nothing can be queued.
        let immediate = try ZMQSocket(context: context, type: .dealer)
        try immediate.set(.linger(milliseconds: 0))
        try immediate.set(.sendHighWaterMark(1))
        try immediate.set(.immediate(true))
        try immediate.connect("tcp://127.0.0.1:1")
        #expect(try immediate.send([bytes("x")]) == false)

        // A pending connection queues up to the high-water mark, then refuses.
        let queued = try ZMQSocket(context: context, type: .dealer)
        try queued.set(.linger(milliseconds: 0))
        try queued.set(.sendHighWaterMark(1))
        try queued.connect("tcp://127.0.0.1:1")
        #expect(try queued.send([bytes("first"), bytes("frame")]))
        var accepted = 1
        while try queued.send([bytes("more"), bytes("frame")]) {
            accepted += 1
            try #require(accepted < 100)
        }
        #expect(accepted >= 1)
    }

    @Test func test_send_routerMandatoryToUnknownPeer_throwsHostUnreachable() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.set(.routerMandatory(true))
        try router.bind("inproc://mandatory")
        let error = #expect(throws: ZMQError.self) {
            _ = try router.send([bytes("nobody"), bytes("hi")])
        }
        #expect(error?.code == EHOSTUNREACH)
    }

    @Test func test_connect_badEndpoint_throwsZMQError() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        let connectError = #expect(throws: ZMQError.self) { try socket.connect("tcp://nonsense") }
        #expect(connectError?.code == EINVAL)
        #expect(connectError?.description.contains("tcp://nonsense") == true)
        let bindError = #expect(throws: ZMQError.self) { try socket.bind("tcp://nonsense") }
        #expect(bindError != nil)
        #expect(throws: ZMQError.self) { try socket.connect("nonsense") }
    }

    @Test func test_options_allCases_areAccepted() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .router)
        #expect(try socket.integerOption(ZMQ_LINGER) == ZMQSocket.defaultLingerMilliseconds)
        let key = [UInt8](repeating: 7, count: 32)
        let options: [SocketOption] = [
            .sendHighWaterMark(10), .receiveHighWaterMark(20), .linger(milliseconds: 0),
            .maxMessageSize(1 << 20), .routingID(bytes("router")),
            .routerMandatory(true), .routerHandover(true), .immediate(true),
            .heartbeatInterval(milliseconds: 1_000), .heartbeatTimeout(milliseconds: 3_000),
            .heartbeatTTL(milliseconds: 5_000),
            .reconnectInterval(milliseconds: 100), .reconnectIntervalMax(milliseconds: 5_000),
            .tcpKeepalive(true),
        ]
        for option in options { try socket.set(option) }
        #expect(try socket.integerOption(ZMQ_SNDHWM) == 10)
        #expect(try socket.integerOption(ZMQ_RCVHWM) == 20)
        #expect(try socket.integerOption(ZMQ_LINGER) == 0)
        if zmq_has("curve") != 0 {
            for option: SocketOption in [.curveServer(true), .curveSecretKey(key), .curvePublicKey(key)] {
                try socket.set(option)
            }
            let client = try ZMQSocket(context: context, type: .dealer)
            try client.set(.curveServerKey(key))
        }
        #expect(SocketOption.curveSecretKey(key).description == "ZMQ_CURVE_SECRETKEY=<32 bytes>")
        #expect(throws: ZMQError.self) { try socket.set(.routingID([])) }
    }

    @Test func test_close_isIdempotentAndLaterCallsThrowNotASocket() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .pair)
        socket.close()
        socket.close()
        #expect(socket.isClosed)
        let error = #expect(throws: ZMQError.self) { _ = try socket.receive() }
        #expect(error?.code == ENOTSOCK)
    }
}
