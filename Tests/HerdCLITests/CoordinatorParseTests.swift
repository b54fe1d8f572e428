import Testing

@testable import herd

@Suite struct CoordinatorParseTests {
    @Test func test_coordinator_noArguments_defaults() throws {
        let coordinator = try CLI.parse(["coordinator"], as: Herd.Coordinator.self)
        #expect(coordinator.bind == nil)
        #expect(coordinator.config == nil)
        #expect(coordinator.grace.duration == .seconds(10))
    }

    @Test func test_coordinator_everyOption_isParsed() throws {
        let coordinator = try CLI.parse(
            [
                "coordinator", "--bind", "tcp://0.0.0.0:5555", "--config", "c.toml", "--grace", "300ms", "--log-level",
                "debug",
            ],
            as: Herd.Coordinator.self
        )
        #expect(coordinator.bind == "tcp://0.0.0.0:5555")
        #expect(coordinator.config == "c.toml")
        #expect(coordinator.grace.duration == .milliseconds(300))
        #expect(coordinator.logging.logLevel == "debug")
    }

    @Test func test_coordinator_badArguments_areRejected() {
        CLI.expectRejected(["coordinator", "--grace", "1m30s"], "The value '1m30s' is invalid for '--grace <grace>'")
        CLI.expectRejected(["coordinator", "--bind"], "Missing value for '--bind <bind>'")
        CLI.expectRejected(["coordinator", "extra"], "Unexpected argument 'extra'")
    }
}
