import HerdZMQ
import Testing

@Suite struct PollLoopTests {
    @Test func test_timers_fireInDeadlineOrder_tiesInInsertionOrder_cancelledNever() {
        let loop = PollLoop()
        var fired: [String] = []
        let base = ContinuousClock.now + .milliseconds(20)
        loop.schedule(at: base + .milliseconds(30)) { fired.append("A") }
        loop.schedule(at: base) { fired.append("B") }
        loop.schedule(at: base) { fired.append("C") }
        let cancelled = loop.schedule(at: base + .milliseconds(10)) { fired.append("D") }
        loop.schedule(at: base + .milliseconds(10)) { fired.append("E") }
        loop.schedule(at: base - .seconds(1)) { fired.append("past") }
        loop.schedule(at: base + .milliseconds(30)) {
            fired.append("F")
            loop.stop()
        }
        loop.cancel(cancelled)
        loop.run()
        #expect(fired == ["past", "B", "C", "E", "A", "F"])
        #expect(ContinuousClock.now >= base + .milliseconds(30))
        loop.cancel(cancelled)  // cancelling twice, or after firing, is harmless
    }

    @Test func test_timer_scheduledByTimerHandler_firesOnLaterIteration() {
        let loop = PollLoop()
        var fired: [Int] = []
        loop.schedule(at: .now) {
            fired.append(1)
            loop.schedule(at: .now - .seconds(1)) {
                fired.append(3)
                loop.stop()
            }
        }
        loop.schedule(at: .now) { fired.append(2) }
        loop.run()
        #expect(fired == [1, 2, 3])
    }

    @Test func test_run_withSocketAndTimer_deliversBoth() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.bind("inproc://loop")
        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.set(.routingID(bytes("d")))
        try dealer.connect("inproc://loop")

        let loop = PollLoop()
        var messages: [[[UInt8]]] = []
        var timerFired = false
        var timedOut = false
        func stopIfDone() { if timerFired && messages.count == 3 { loop.stop() } }
        loop.watchReadable(router) {
            try? router.receiveBatch(limit: 64, into: &messages)
            stopIfDone()
        }
        loop.schedule(at: .now + .milliseconds(10)) {
            timerFired = true
            stopIfDone()
        }
        loop.schedule(at: .now + .seconds(5)) {
            timedOut = true
            loop.stop()
        }
        for index: UInt8 in 0 ..< 3 { #expect(try dealer.send([[index]])) }
        loop.run()
        #expect(!timedOut)
        #expect(timerFired)
        #expect(messages == [[bytes("d"), [0]], [bytes("d"), [1]], [bytes("d"), [2]]])
    }

    @Test func test_notifyWhenWritable_afterHighWaterMark_firesOnceDrained() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.set(.receiveHighWaterMark(1))
        try router.bind("inproc://writable")
        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.set(.sendHighWaterMark(1))
        try dealer.connect("inproc://writable")

        var sent = 0
        while try dealer.send([bytes("m")]) {
            sent += 1
            try #require(sent < 100)
        }
        #expect(sent >= 1)

        let loop = PollLoop()
        var received = 0
        var writableCalls = 0
        var timedOut = false
        loop.notifyWhenWritable(dealer) {
            writableCalls += 1
            // One more message fits now; stop once it arrives.
            _ = try? dealer.send([bytes("after")])
        }
        loop.watchReadable(router) {
            var batch: [[[UInt8]]] = []
            try? router.receiveBatch(limit: 64, into: &batch)
            received += batch.count
            if batch.last?.last == bytes("after") { loop.stop() }
        }
        loop.schedule(at: .now + .seconds(5)) {
            timedOut = true
            loop.stop()
        }
        loop.run()
        #expect(!timedOut)
        #expect(writableCalls == 1)
        #expect(received == sent + 1)
    }

    @Test func test_idleLoop_withFarTimer_doesNotSpin() throws {
        let loop = PollLoop()
        let wakeup = try Wakeup()
        loop.watchReadable(wakeup) {}
        loop.schedule(at: .now + .seconds(60)) {}
        let start = ContinuousClock.now
        loop.schedule(at: start + .milliseconds(200)) { loop.stop() }
        loop.run()
        #expect(ContinuousClock.now - start >= .milliseconds(200))
        #expect(loop.pollCount <= 2)
    }

    @Test func test_idleLoop_withoutSources_sleepsUntilTimer() {
        let loop = PollLoop()
        let start = ContinuousClock.now
        loop.schedule(at: start + .milliseconds(50)) { loop.stop() }
        loop.run()
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        #expect(loop.pollCount <= 2)
    }

    /// The documented pattern: another task stops the loop through a mailbox.
    @Test func test_run_returnsAfterStopRequestedFromAnotherThread() async throws {
        enum Command: Sendable { case work(Int), stop }
        let wakeup = try Wakeup()
        let commands = Mailbox<Command>(capacity: 8, wakeup: wakeup)
        let worked = Shared<[Int]>([])
        let thread = LoopThread.start(name: "test-loop") {
            let loop = PollLoop()
            var batch: [Command] = []
            loop.watchReadable(wakeup) {
                commands.drain(into: &batch)
                for command in batch {
                    switch command {
                    case .work(let value): worked.modify { $0.append(value) }
                    case .stop: loop.stop()
                    }
                }
                batch.removeAll(keepingCapacity: true)
            }
            loop.run()
        }
        await commands.send(.work(1))
        await commands.send(.work(2))
        await commands.send(.stop)
        await thread.join()
        #expect(thread.isFinished)
        #expect(worked.value == [1, 2])
    }

    @Test func test_closedSocket_isDroppedFromLoop() throws {
        let context = try ZMQContext()
        let pair = try ZMQSocket(context: context, type: .pair)
        try pair.bind("inproc://closed")
        let loop = PollLoop()
        loop.watchReadable(pair) {}
        loop.schedule(at: .now) { pair.close() }
        loop.schedule(at: .now + .milliseconds(20)) { loop.stop() }
        loop.run()  // would trap in zmq_poll (ENOTSOCK) if the closed socket were still polled
        #expect(pair.isClosed)
    }
}
