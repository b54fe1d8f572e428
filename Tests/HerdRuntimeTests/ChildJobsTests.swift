import HerdCore
import HerdZMQ
import Testing

@testable import HerdRuntime

/// Nested jobs through their own ``ClientStateMachine``: what a handler's `submit` sends over the
/// worker's connection, and what it sees of the coordinator's answers.
@Suite struct ChildJobsTests {
    let parent = AttemptRef(subtask: SubtaskRef(job: JobID(1), index: 0), attempt: 1)

    func setUp() throws -> (ChildJobs, Mailbox<WorkerEvent>) {
        let mailbox = Mailbox<WorkerEvent>(capacity: 16, wakeup: try Wakeup())
        return (ChildJobs(endpoint: "inproc://test", mailbox: mailbox), mailbox)
    }

    func submission(token: UInt64) -> Submission {
        Submission(token: token, group: "g", kind: "k", payloads: .list([[1], [2]]), parent: self.parent)
    }

    func posted(_ mailbox: Mailbox<WorkerEvent>) -> [WorkerEvent] {
        var events: [WorkerEvent] = []
        mailbox.drain(into: &events)
        return events
    }

    func result(_ job: JobID, _ index: UInt32) -> JobResult {
        JobResult(
            subtask: SubtaskRef(job: job, index: index),
            attempts: 1,
            worker: "w",
            outcome: .success([UInt8(index)])
        )
    }

    @Test func test_nestedJob_repeatedResult_isDeliveredOnce_andTheRunEndsWithItsSummary() async throws {
        let (children, mailbox) = try self.setUp()
        let (stream, continuation) = AsyncThrowingStream<JobUpdate, any Error>.makeStream()
        children.submit(self.submission(token: 7), continuation: continuation)
        #expect(self.posted(mailbox) == [.submitChild(self.submission(token: 7))])
        let job = JobID(42)
        children.deliver(.accepted(Accepted(token: 7, job: job, subtasks: 2)))
        children.deliver(.jobResults([self.result(job, 0)]))
        children.deliver(.jobResults([self.result(job, 0), self.result(job, 1)]))
        children.deliver(.jobResults([self.result(JobID(99), 0)]))  // another job's: not routed here
        children.deliver(.jobFinished(JobSummary(job: job, succeeded: 2, failed: 0, cancelled: 0)))
        var delivered: [UInt32] = []
        var finished = false
        for try await update in stream {
            switch update {
            case .results(let results): delivered += results.map(\.subtask.index)
            case .finished: finished = true
            default: break
            }
        }
        #expect(delivered == [0, 1])
        #expect(finished)
    }

    @Test func test_cancelBeforeAcceptance_isSentOnceTheJobHasAnID() throws {
        let (children, mailbox) = try self.setUp()
        let (_, continuation) = AsyncThrowingStream<JobUpdate, any Error>.makeStream()
        children.submit(self.submission(token: 8), continuation: continuation)
        _ = self.posted(mailbox)
        children.cancel(token: 8, reason: "parent gave up")
        #expect(self.posted(mailbox).isEmpty, "no job id yet: nothing to cancel on the wire")
        children.deliver(.accepted(Accepted(token: 8, job: JobID(5), subtasks: 2)))
        #expect(self.posted(mailbox) == [.cancelChild(CancelJob(token: 8, job: JobID(5), reason: "parent gave up"))])
        children.cancel(token: 8, reason: "again")
        #expect(self.posted(mailbox).isEmpty, "a cancel is sent once")
    }

    @Test func test_rejectedNestedJob_failsItsRun() async throws {
        let (children, _) = try self.setUp()
        let (stream, continuation) = AsyncThrowingStream<JobUpdate, any Error>.makeStream()
        children.submit(self.submission(token: 9), continuation: continuation)
        children.deliver(.rejected(Rejection(token: 9, failure: Failure(.notFound, "no group"))))
        await #expect(throws: Failure.self) {
            for try await _ in stream {}
        }
    }
}
