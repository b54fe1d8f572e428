import HerdConfig
import HerdCore
import Testing

@testable import herd

@Suite struct ResultsParseTests {
    @Test func test_results_jobAndOptions_areParsed() throws {
        let results = try CLI.parse(["results", "j12"], as: Herd.Results.self)
        #expect(results.jobID == JobID(12))
        #expect(!results.json)
        let json = try CLI.parse(["results", "4", "--json", "--connect", "tcp://h:9"], as: Herd.Results.self)
        #expect(json.jobID == JobID(4) && json.json)
        #expect(json.coordinator.endpoint == "tcp://h:9")
    }

    @Test func test_results_badArguments_areRejected() {
        CLI.expectRejected(["results"], "Missing expected argument '<job>'")
        CLI.expectRejected(["results", "x"], "JOB must be a job id like j12 or 12, got 'x'")
    }

    @Test func test_journalOptions_ofCoordinatorUpAndSubmit_areParsed() throws {
        #expect(
            try CLI.parse(["coordinator", "--journal", "/tmp/j.sqlite"], as: Herd.Coordinator.self).journal
                == "/tmp/j.sqlite"
        )
        let none = CoordinatorSettings()
        let configured = CoordinatorSettings(journal: "state/j.sqlite")
        let inMemory = try CLI.parse(["up", "c.toml", "--journal", ""], as: Herd.Up.self)
        #expect(inMemory.journalPath(configured) == nil, "\"\" keeps jobs in memory")
        let up = try CLI.parse(["up", "/x/c.toml"], as: Herd.Up.self)
        #expect(up.journalPath(none) == "/x/.herd/journal.sqlite")
        #expect(up.journalPath(configured) == "/x/state/j.sqlite", "the file's key, relative to the file")
        #expect(up.journalPath(CoordinatorSettings(journal: "")) == nil)
        let coordinator = try CLI.parse(["coordinator", "--config", "/y/c.toml"], as: Herd.Coordinator.self)
        #expect(coordinator.journalPath(configured) == "/y/state/j.sqlite")
        #expect(try CLI.parse(["coordinator"], as: Herd.Coordinator.self).journalPath(none) == nil, "none unless asked")
        let submit = try CLI.parse(
            ["submit", "--group", "g", "--kind", "echo", "--fanout", "1", "--payload", "p", "--reconnect", "1m"],
            as: Herd.Submit.self
        )
        #expect(submit.reconnect?.duration == .seconds(60))
    }
}
