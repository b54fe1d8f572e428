import HerdZMQ
import Testing

@Suite struct ZMQContextTests {
    /// Contexts and sockets let go in any order, closed or not, with messages pending: teardown
    /// never hangs (sockets keep the context alive; linger is bounded).
    @Test func test_teardown_inAnyOrder_neverHangs() throws {
        let start = ContinuousClock.now
        for round in 0 ..< 20 {
            var context: ZMQContext? = try ZMQContext()
            let router = try ZMQSocket(context: context!, type: .router)
            try router.set(.linger(milliseconds: 0))
            try router.bind("inproc://teardown")
            try router.bind("tcp://127.0.0.1:*")
            let tcp = try router.lastEndpoint
            let dealer = try ZMQSocket(context: context!, type: .dealer)
            try dealer.set(.linger(milliseconds: 0))
            try dealer.connect(round.isMultiple(of: 2) ? "inproc://teardown" : tcp)
            _ = try dealer.send([bytes("pending")])
            context = nil  // the sockets still hold it
            if round.isMultiple(of: 3) { router.close() }
            _ = try dealer.send([bytes("still works")])
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    /// With the default linger, a message that can never leave delays teardown by at most the
    /// linger period, instead of forever.
    @Test func test_teardown_withUndeliverableMessageAndDefaultLinger_isBounded() throws {
        let start = ContinuousClock.now
        do {
            let context = try ZMQContext()
            let dealer = try ZMQSocket(context: context, type: .dealer)
            try dealer.connect("tcp://127.0.0.1:1")
            #expect(try dealer.send([bytes("never delivered")]))
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .milliseconds(Int(ZMQSocket.defaultLingerMilliseconds) + 2_000))
    }

    @Test func test_init_withIOThreads_works() throws {
        let context = try ZMQContext(ioThreads: 2)
        let socket = try ZMQSocket(context: context, type: .push)
        try socket.bind("inproc://io")
    }
}
