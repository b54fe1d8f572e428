import HerdZMQ
import Testing

@Suite struct MailboxTests {
    @Test func test_post_whenFull_returnsFalse_andDrainMakesRoom() throws {
        let wakeup = try Wakeup()
        let mailbox = Mailbox<Int>(capacity: 2, wakeup: wakeup)
        #expect(mailbox.post(1))
        #expect(mailbox.post(2))
        #expect(mailbox.post(3) == false)
        var drained: [Int] = []
        mailbox.drain(into: &drained)
        #expect(drained == [1, 2])
        #expect(mailbox.post(3))
        mailbox.drain(into: &drained)
        #expect(drained == [1, 2, 3])
    }

    @Test func test_post_signalsOnlyWhenQueueBecomesNonEmpty() throws {
        let wakeup = try Wakeup()
        let mailbox = Mailbox<Int>(capacity: 10, wakeup: wakeup)
        #expect(wakeup.drain() == false)
        mailbox.post(1)
        #expect(wakeup.drain())
        mailbox.post(2)
        mailbox.post(3)
        #expect(wakeup.drain() == false)  // the burst cost one wake-up
        var drained: [Int] = []
        mailbox.drain(into: &drained)
        mailbox.post(4)
        #expect(wakeup.drain())
    }

    @Test func test_send_whenFull_suspendsUntilDrained() async throws {
        let wakeup = try Wakeup()
        let mailbox = Mailbox<Int>(capacity: 1, wakeup: wakeup)
        #expect(mailbox.post(1))
        let sender = Task { await mailbox.send(2) }
        #expect(await eventually { mailbox.waitingSenderCount == 1 })
        #expect(mailbox.count == 1)

        var drained: [Int] = []
        mailbox.drain(into: &drained)
        #expect(drained == [1])
        await sender.value
        #expect(mailbox.waitingSenderCount == 0)
        mailbox.drain(into: &drained)
        #expect(drained == [1, 2])
    }

    /// Another thread posts 10,000 items; the loop thread drains them all, in order.
    @Test func test_loopThread_drainsItemsPostedByAnotherThread_inOrder() async throws {
        let total = 10_000
        let wakeup = try Wakeup()
        let mailbox = Mailbox<Int>(capacity: 1_024, wakeup: wakeup)
        let received = Shared<[Int]>([])
        let wakeUps = Shared(0)

        let consumer = LoopThread.start(name: "test-consumer") {
            let loop = PollLoop()
            var all: [Int] = []
            var handlerCalls = 0
            loop.watchReadable(wakeup) {
                handlerCalls += 1
                mailbox.drain(into: &all)
                if all.count >= total { loop.stop() }
            }
            loop.schedule(at: .now + .seconds(10)) { loop.stop() }  // safety net
            loop.run()
            received.value = all
            wakeUps.value = handlerCalls
        }
        let producer = LoopThread.start(name: "test-producer") {
            var next = 0
            while next < total {
                if mailbox.post(next) { next += 1 }  // full: the consumer is behind; try again
            }
        }
        await producer.join()
        await consumer.join()
        #expect(received.value == Array(0 ..< total))
        #expect(wakeUps.value >= 1)
        #expect(wakeUps.value <= total)
    }

    /// Async senders never lose data: 10,000 items through a mailbox of 16.
    @Test func test_asyncSend_throughSmallMailbox_deliversEverythingInOrder() async throws {
        let total = 10_000
        let wakeup = try Wakeup()
        let mailbox = Mailbox<Int>(capacity: 16, wakeup: wakeup)
        let received = Shared<[Int]>([])
        let consumer = LoopThread.start(name: "test-consumer") {
            let loop = PollLoop()
            var all: [Int] = []
            loop.watchReadable(wakeup) {
                mailbox.drain(into: &all)
                if all.count >= total { loop.stop() }
            }
            // No deadline that stops the consumer: a stopped consumer would leave the producer
            // suspended in `send` for ever (it does not observe cancellation, by design). A lost
            // wake-up hangs this test, and the suite's time limit and CI's timeout report it.
            loop.run()
            received.value = all
        }
        for item in 0 ..< total { await mailbox.send(item) }
        await consumer.join()
        #expect(received.value == Array(0 ..< total))
    }
}
