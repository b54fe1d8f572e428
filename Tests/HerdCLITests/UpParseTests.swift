import HerdConfig
import Testing

@testable import herd

@Suite struct UpParseTests {
    @Test func test_up_noArguments_usesTheEmbeddedClusterAndDefaults() throws {
        let up = try CLI.parse(["up"], as: Herd.Up.self)
        #expect(up.file == nil)
        #expect(up.bind == nil)
        #expect(up.run == false)
        #expect(up.grace == nil)
        #expect(up.logging.logLevel == nil)
    }

    @Test func test_up_everyOption_isParsed() throws {
        let up = try CLI.parse(
            ["up", "c.toml", "--bind", "tcp://127.0.0.1:*", "--run", "--grace", "2s", "--log-level", "info"],
            as: Herd.Up.self
        )
        #expect(up.file == "c.toml")
        #expect(up.bind == "tcp://127.0.0.1:*")
        #expect(up.run)
        #expect(up.grace?.duration == .seconds(2))
        #expect(up.logging.logLevel == "info")
    }

    @Test func test_up_badArguments_areRejected() {
        CLI.expectRejected(["up", "--grace", "soon"], "The value 'soon' is invalid for '--grace <grace>'")
        CLI.expectRejected(["up", "a.toml", "b.toml"], "Unexpected argument 'b.toml'")
        CLI.expectRejected(["up", "--connect", "x"], "Unknown option '--connect'")
    }
}
