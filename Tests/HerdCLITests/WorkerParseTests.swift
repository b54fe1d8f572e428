import Testing

@testable import herd

@Suite struct WorkerParseTests {
    @Test func test_worker_groupOnly_defaults() throws {
        let worker = try CLI.parse(["worker", "--group", "agents"], as: Herd.Worker.self)
        #expect(worker.group == "agents")
        #expect(worker.coordinator.connect == nil)
        #expect(worker.capacity == 4)
        #expect(worker.node == nil)
        #expect(worker.id == nil)
        #expect(worker.execs.isEmpty)
        #expect(worker.killGrace == nil)
        #expect(worker.drainGrace == nil)
    }

    @Test func test_worker_everyOption_isParsed_execRepeats() throws {
        let worker = try CLI.parse(
            [
                "worker", "--connect", "tcp://h:1", "--group", "g", "--node", "gpu-1", "--capacity", "8", "--id", "w1",
                "--exec", "shout=tr a-z A-Z", "--exec", "count=wc -c", "--kill-grace", "1s", "--drain-grace", "3s",
                "--log-level", "trace",
            ],
            as: Herd.Worker.self
        )
        #expect(worker.coordinator.endpoint == "tcp://h:1")
        #expect(worker.node == "gpu-1")
        #expect(worker.capacity == 8)
        #expect(worker.id == "w1")
        #expect(worker.execs == ["shout=tr a-z A-Z", "count=wc -c"])
        #expect(worker.killGrace?.duration == .seconds(1))
        #expect(worker.drainGrace?.duration == .seconds(3))
        #expect(worker.logging.logLevel == "trace")
    }

    @Test func test_worker_badArguments_areRejected() {
        CLI.expectRejected(["worker"], "Missing expected argument '--group <group>'")
        CLI.expectRejected(["worker", "--group", "g", "--capacity", "0"], "--capacity must be 1...10000, got 0")
        CLI.expectRejected(
            ["worker", "--group", "g", "--capacity", "many"],
            "The value 'many' is invalid for '--capacity <capacity>'"
        )
        CLI.expectRejected(
            ["worker", "--group", "a b"],
            "--group must be 1-64 characters of letters, digits, '.', '_' or '-', got 'a b'"
        )
        CLI.expectRejected(["worker", "--group", "g", "--exec", "nocommand"], "--exec nocommand:")
        CLI.expectRejected(
            ["worker", "--group", "g", "--kill-grace", "1"],
            "The value '1' is invalid for '--kill-grace <kill-grace>'"
        )
    }
}
