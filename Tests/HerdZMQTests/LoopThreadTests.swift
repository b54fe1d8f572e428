import HerdZMQ
import Testing

@Suite struct LoopThreadTests {
    @Test func test_join_returnsAfterBodyReturned_forEveryJoiner() async throws {
        let gate = try Wakeup()
        let ran = Shared(false)
        let thread = LoopThread.start(name: "a-rather-long-thread-name") {
            // Block this (non-cooperative) thread until the test opens the gate.
            let loop = PollLoop()
            loop.watchReadable(gate) { loop.stop() }
            loop.run()
            ran.value = true
        }
        #expect(thread.name == "a-rather-long-thread-name")
        async let first: Void = thread.join()
        async let second: Void = thread.join()
        #expect(!thread.isFinished)
        gate.signal()
        _ = await (first, second)
        #expect(ran.value)
        #expect(thread.isFinished)
        await thread.join()  // joining a finished thread returns at once
    }
}
