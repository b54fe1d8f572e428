import Testing

@testable import herd

@Suite struct BreakerParseTests {
    @Test(arguments: ["open", "close", "reset", "disable"]) func test_breaker_everyAction_isParsed(
        _ action: String
    ) throws {
        let breaker = try CLI.parse(["breaker", action, "gpu/w1", "--connect", "tcp://h:5"], as: Herd.Breaker.self)
        #expect(breaker.action == action)
        #expect(Herd.Breaker.actions[action] != nil)
        #expect(breaker.path == "gpu/w1")
        #expect(breaker.coordinator.endpoint == "tcp://h:5")
    }

    @Test func test_breaker_clusterAndGroupPaths_areParsed() throws {
        #expect(try CLI.parse(["breaker", "reset", "/"], as: Herd.Breaker.self).path == "/")
        #expect(try CLI.parse(["breaker", "close", "gpu"], as: Herd.Breaker.self).path == "gpu")
    }

    @Test func test_breaker_badArguments_areRejected() {
        CLI.expectRejected(["breaker", "toggle", "g"], "ACTION must be open, close, reset or disable, got 'toggle'")
        CLI.expectRejected(["breaker", "open", "a/b/c"], "PATH must be /, GROUP or GROUP/WORKER, got 'a/b/c'")
        CLI.expectRejected(["breaker", "open"], "Missing expected argument '<path>'")
    }
}
