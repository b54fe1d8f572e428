import ArgumentParser
import Testing

@testable import herd

/// The shared option groups: `--connect`, `--log-level` and `--grace`, the same in every command.
@Suite struct OptionGroupParseTests {
    static let connecting = [
        ["status"], ["cancel", "j1"], ["drain", "--worker", "w"], ["breaker", "open", "g"],
        ["submit", "--group", "g", "--kind", "echo"], ["worker", "--group", "g"],
    ]

    @Test(arguments: Self.connecting) func test_connect_everyCommandThatTalksToTheCoordinator_takesTheSameOption(
        _ arguments: [String]
    ) throws {
        let command = try Herd.parseAsRoot(arguments + ["--connect", "tcp://10.0.0.1:7000"])
        let options = try #require(
            Mirror(reflecting: command).descendant("_coordinator") as? OptionGroup<ConnectOptions>
        )
        #expect(options.wrappedValue.connect == "tcp://10.0.0.1:7000")
        #expect(options.wrappedValue.endpoint == "tcp://10.0.0.1:7000")
    }

    @Test func test_connect_absent_isNil_andResolvesToTheEnvironmentOrTheDefault() throws {
        let options = try ConnectOptions.parse([])
        #expect(options.connect == nil)
        #expect(Endpoints.resolve("tcp://h:1") == "tcp://h:1")
        #expect(!options.endpoint.isEmpty)
        CLI.expectRejected(["status", "--connect"], "Missing value for '--connect <connect>'")
    }

    @Test func test_logLevel_known_isParsed_unknown_isRejected() throws {
        #expect(try LoggingOptions.parse(["--log-level", "debug"]).logLevel == "debug")
        #expect(try LoggingOptions.parse([]).logLevel == nil)
        CLI.expectRejected(
            ["status", "--log-level", "loud"],
            "--log-level must be one of trace, debug, info, notice, warning, error, critical; got 'loud'"
        )
    }

    @Test func test_grace_isADuration_defaulting_to10s() throws {
        #expect(try GraceOptions.parse([]).duration == .seconds(10))
        #expect(try GraceOptions.parse(["--grace", "250ms"]).duration == .milliseconds(250))
        CLI.expectRejected(["coordinator", "--grace", "5"], "The value '5' is invalid for '--grace <grace>'")
    }

    @Test func test_root_unknownSubcommand_andVersion() throws {
        CLI.expectRejected(["launch"], "Unexpected argument 'launch'")
        #expect(Herd.exitCode(for: CleanExit.message("x")) == .success)
        #expect(throws: (any Error).self) { try Herd.parseAsRoot(["--version"]) }
    }
}
