import Testing

@testable import herd

@Suite struct StatusParseTests {
    @Test func test_status_defaults_andEveryOption() throws {
        let status = try CLI.parse(["status"], as: Herd.Status.self)
        #expect(status.coordinator.connect == nil)
        #expect(!status.json)
        let full = try CLI.parse(
            ["status", "--connect", "tcp://h:6", "--json", "--log-level", "notice"],
            as: Herd.Status.self
        )
        #expect(full.coordinator.endpoint == "tcp://h:6")
        #expect(full.json)
        #expect(full.logging.logLevel == "notice")
    }

    @Test func test_status_badArguments_areRejected() {
        CLI.expectRejected(["status", "--jsn"], "Unknown option '--jsn'")
        CLI.expectRejected(["status", "now"], "Unexpected argument 'now'")
    }
}
