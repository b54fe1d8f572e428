import Testing

@testable import HerdCore

/// Many jobs on one connection: which job's machine each message from the coordinator goes to.
@Suite struct ClientJobRouterTests {
    let j1 = JobID(1)
    let j2 = JobID(2)

    func result(_ job: JobID, _ index: UInt32) -> JobResult {
        JobResult(subtask: SubtaskRef(job: job, index: index), attempts: 1, worker: "w", outcome: .success([]))
    }

    @Test func test_acceptedAndRejected_goByToken_beforeTheJobIsKnown() {
        let router = ClientJobRouter()
        #expect(router.tokens(of: .accepted(Accepted(token: 7, job: self.j1, subtasks: 1))) == [7])
        #expect(router.tokens(of: .rejected(Rejection(token: 8, failure: Failure(.validation, "no")))) == [8])
    }

    @Test func test_resultsOfTwoJobs_goToEachOnce_unknownJobsToNone() {
        var router = ClientJobRouter()
        router.accepted(self.j1, token: 7)
        router.accepted(self.j2, token: 9)
        let batch: Message = .jobResults([
            self.result(self.j1, 0), self.result(self.j2, 0), self.result(self.j1, 1), self.result(JobID(3), 0),
        ])
        #expect(router.tokens(of: batch) == [7, 9])
        #expect(router.tokens(of: .jobResults([self.result(JobID(3), 0)])) == [])
        router.forget(self.j1)
        #expect(router.tokens(of: batch) == [9], "an ended job gets nothing more")
    }

    @Test func test_connectionWideMessages_goToEveryJob() {
        let router = ClientJobRouter()
        #expect(router.tokens(of: .heartbeat) == nil)
        #expect(router.tokens(of: .error(ProtocolError(.unknownPeer, "who?"))) == nil)
    }

    @Test func test_heartbeat_onlyWhenTheConnectionWasQuietForHalfAnInterval() {
        let t0 = Instant(nanoseconds: 1_000_000_000)
        let interval = Duration.milliseconds(250)
        #expect(!ClientJobRouter.heartbeatNeeded(lastSent: t0, now: t0 + .milliseconds(100), interval: interval))
        #expect(ClientJobRouter.heartbeatNeeded(lastSent: t0, now: t0 + .milliseconds(125), interval: interval))
    }
}
