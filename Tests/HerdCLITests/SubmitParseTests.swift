import Testing

@testable import herd

@Suite struct SubmitParseTests {
    @Test func test_submit_groupAndKind_defaults() throws {
        let submit = try CLI.parse(["submit", "--group", "g", "--kind", "echo"], as: Herd.Submit.self)
        #expect(submit.group == "g")
        #expect(submit.kind == "echo")
        #expect(submit.coordinator.connect == nil)
        #expect(submit.fanout == nil)
        #expect(submit.payload == nil)
        #expect(submit.payloads == nil)
        #expect(submit.timeout == nil)
        #expect(submit.policy == "all")
        #expect(submit.budget == nil)
        #expect(submit.connectTimeout == nil)
        #expect(!submit.json && !submit.quiet)
    }

    @Test func test_submit_everyOption_isParsed() throws {
        let submit = try CLI.parse(
            [
                "submit", "--connect", "tcp://h:2", "--group", "g", "--kind", "sleep", "--fanout", "100", "--payload",
                "item {index}",
                "--timeout", "30s", "--policy", "quorum:3", "--budget", "120", "--connect-timeout", "2s", "--json",
                "--quiet",
            ],
            as: Herd.Submit.self
        )
        #expect(submit.coordinator.endpoint == "tcp://h:2")
        #expect(submit.fanout == 100)
        #expect(submit.payload == "item {index}")
        #expect(submit.timeout?.duration == .seconds(30))
        #expect(submit.policy == "quorum:3")
        #expect(submit.budget == 120)
        #expect(submit.connectTimeout?.duration == .seconds(2))
        #expect(submit.json && submit.quiet)
        #expect(
            try CLI.parse(["submit", "--group", "g", "--kind", "k", "--payloads", "p.txt"], as: Herd.Submit.self)
                .payloads == "p.txt"
        )
    }

    @Test func test_submit_badArguments_areRejected() {
        CLI.expectRejected(["submit", "--kind", "echo"], "Missing expected argument '--group <group>'")
        CLI.expectRejected(["submit", "--group", "g"], "Missing expected argument '--kind <kind>'")
        let base = ["submit", "--group", "g", "--kind", "echo"]
        CLI.expectRejected(
            base + ["--payload", "x", "--payloads", "f"],
            "use either --payload or --payloads, not both"
        )
        CLI.expectRejected(
            base + ["--payloads", "f", "--fanout", "2"],
            "--fanout goes with --payload; --payloads has one subtask per line"
        )
        CLI.expectRejected(
            base + ["--policy", "most"],
            "--policy must be all, fail-fast, first or quorum:K (K ≥ 1), got 'most'"
        )
        CLI.expectRejected(base + ["--policy", "quorum:0"], "got 'quorum:0'")
        CLI.expectRejected(base + ["--fanout", "0"], "--fanout must be 1...")
        CLI.expectRejected(base + ["--timeout", "30"], "The value '30' is invalid for '--timeout <timeout>'")
        CLI.expectRejected(base + ["--budget", "lots"], "The value 'lots' is invalid for '--budget <budget>'")
    }
}
