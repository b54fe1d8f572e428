import Testing

@testable import HerdCore

// MARK: - Fixtures of protocol revision 9 (HEALTH, INSPECT, INSPECT-REPLY)

extension WireCodecFixtures {
    /// A worker's health probe failing, then passing (revision 9).
    static let healthBad = Message.health(HealthReport(healthy: false, reason: "exit 1: disk full"))
    static let healthGood = Message.health(HealthReport(healthy: true, reason: ""))

    /// `herd jobs`, `herd inspect 9`, and answers (revision 9).
    static let inspectAll = Message.inspect(InspectRequest(token: 7, job: nil))
    static let inspectOne = Message.inspect(InspectRequest(token: 7, job: JobID(9)))
    static let inspectReplyEmpty = Message.inspectReply(InspectReply(token: 7, jobs: []))
    static let inspectReply = Message.inspectReply(
        InspectReply(
            token: .max,
            jobs: [
                JobDetail(
                    job: JobID(9),
                    group: "gpu-ü",
                    kind: "embed",
                    state: .ending,
                    total: 3,
                    succeeded: 1,
                    failed: 1,
                    cancelled: 1,
                    age: .milliseconds(1500),
                    elapsed: nil,
                    reason: Failure(.cancelled, "by operator"),
                    subtasks: [
                        SubtaskDetail(index: 0, phase: .succeeded, attempts: 1),
                        SubtaskDetail(
                            index: 1,
                            phase: .failed,
                            attempts: 2,
                            worker: "w-1",
                            elapsed: .milliseconds(20),
                            failure: Failure(.server, "boom").causedBy([Failure(.transient, "flaky")])
                        ),
                        SubtaskDetail(index: 2, phase: .running, attempts: 1, worker: "w-2", elapsed: .seconds(1)),
                    ]
                ),
                JobDetail(
                    job: JobID(10),
                    group: "g",
                    kind: "k",
                    state: .finished,
                    total: 0,
                    succeeded: 0,
                    failed: 0,
                    cancelled: 0,
                    age: .zero,
                    elapsed: .milliseconds(3)
                ),
            ]
        )
    )
}
