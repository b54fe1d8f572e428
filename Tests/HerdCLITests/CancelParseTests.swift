import HerdCore
import Testing

@testable import herd

@Suite struct CancelParseTests {
    @Test func test_cancel_jobID_withOrWithoutJ() throws {
        let cancel = try CLI.parse(["cancel", "j12"], as: Herd.Cancel.self)
        #expect(cancel.jobID == JobID(12))
        #expect(cancel.reason == "cancelled with herd cancel")
        #expect(cancel.wait == nil)
        #expect(cancel.coordinator.connect == nil)
        #expect(try CLI.parse(["cancel", "7"], as: Herd.Cancel.self).jobID == JobID(7))
    }

    @Test func test_cancel_everyOption_isParsed() throws {
        let cancel = try CLI.parse(
            ["cancel", "j3", "--connect", "tcp://h:3", "--reason", "enough", "--wait", "5s", "--log-level", "error"],
            as: Herd.Cancel.self
        )
        #expect(cancel.coordinator.endpoint == "tcp://h:3")
        #expect(cancel.reason == "enough")
        #expect(cancel.wait?.duration == .seconds(5))
        #expect(cancel.logging.logLevel == "error")
    }

    @Test func test_cancel_badArguments_areRejected() {
        CLI.expectRejected(["cancel"], "Missing expected argument '<job>'")
        CLI.expectRejected(["cancel", "job12"], "JOB must be a job id like j12 or 12, got 'job12'")
        CLI.expectRejected(["cancel", "j1", "--wait", "forever"], "The value 'forever' is invalid for '--wait <wait>'")
    }
}
