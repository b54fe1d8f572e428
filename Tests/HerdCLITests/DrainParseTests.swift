import HerdCore
import Testing

@testable import herd

@Suite struct DrainParseTests {
    @Test func test_drain_oneTarget_each() throws {
        let worker = try CLI.parse(["drain", "--worker", "w1"], as: Herd.Drain.self)
        #expect(worker.target == .worker("w1"))
        #expect(worker.grace.duration == .seconds(10))
        #expect(!worker.json)
        #expect(try CLI.parse(["drain", "--node", "n1"], as: Herd.Drain.self).target == .node("n1"))
        #expect(try CLI.parse(["drain", "--group", "g"], as: Herd.Drain.self).target == .group("g"))
    }

    @Test func test_drain_everyOption_isParsed() throws {
        let drain = try CLI.parse(
            ["drain", "--group", "g", "--grace", "1s", "--connect", "tcp://h:4", "--json"],
            as: Herd.Drain.self
        )
        #expect(drain.groupName == "g")
        #expect(drain.grace.duration == .seconds(1))
        #expect(drain.coordinator.endpoint == "tcp://h:4")
        #expect(drain.json)
    }

    @Test func test_drain_badArguments_areRejected() {
        CLI.expectRejected(["drain"], "give exactly one of --worker, --node or --group")
        CLI.expectRejected(
            ["drain", "--worker", "w", "--node", "n"],
            "give exactly one of --worker, --node or --group"
        )
        CLI.expectRejected(
            ["drain", "--worker", "w", "--grace", "later"],
            "The value 'later' is invalid for '--grace <grace>'"
        )
    }
}
