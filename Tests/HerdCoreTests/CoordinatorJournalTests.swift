import Testing

@testable import HerdCore

/// The journal from the machine's side: what a journaling coordinator writes, and a machine
/// rebuilt from it after a crash.
@Suite struct CoordinatorJournalTests {
    let w1 = PeerID("w1")
    let client = PeerID("client-a")
    let t0 = Instant(nanoseconds: 1_000_000_000)

    func configuration() -> CoordinatorConfiguration { CoordinatorConfiguration(coordinatorID: "c1", journaled: true) }

    func register(
        _ machine: inout CoordinatorStateMachine,
        holding: [AttemptRef] = [],
        now: Instant
    ) -> [CoordinatorAction] {
        machine.handle(
            [
                .message(
                    .register(
                        Registration(
                            workerID: "w1",
                            group: "g",
                            node: "n",
                            capacity: 2,
                            kinds: ["echo"],
                            holding: holding
                        )
                    ),
                    from: self.w1
                )
            ],
            now: now
        )
    }

    func submission(count: UInt32, token: UInt64 = 7) -> Message {
        .submit(
            Submission(
                token: token,
                group: "g",
                kind: "echo",
                payloads: .template(Array("p{index}".utf8), count: count)
            )
        )
    }

    func records(_ actions: [CoordinatorAction]) -> [JournalRecord] {
        actions.flatMap { action -> [JournalRecord] in
            if case .journal(let batch) = action { return batch.records }
            return []
        }
    }

    func results(_ actions: [CoordinatorAction]) -> [JobResult] {
        actions.sends(to: self.client).flatMap { message -> [JobResult] in
            if case .jobResults(let results) = message { return results }
            return []
        }
    }

    /// A job of 4 on a worker of capacity 2: two results committed, two in flight... then a crash.
    func runUntilCrash() -> (journal: [JournalRecord], inFlight: [Assignment]) {
        var machine = CoordinatorStateMachine(configuration: self.configuration())
        var journal: [JournalRecord] = []
        journal += self.records(machine.start(now: self.t0))
        journal += self.records(self.register(&machine, now: self.t0))
        let accepted = machine.handle([.message(self.submission(count: 4), from: self.client)], now: self.t0)
        journal += self.records(accepted)
        let first = accepted.assignments(to: self.w1)
        let done = machine.handle(
            [
                .message(
                    .results(first.map { SubtaskResult(attempt: $0.attempt, outcome: .success($0.payload)) }),
                    from: self.w1
                )
            ],
            now: self.t0
        )
        journal += self.records(done)
        return (journal, done.assignments(to: self.w1))
    }

    @Test func test_journaledRecords_comeBeforeTheirSends_inEachBatch_andRoundTripThroughTheCodec() throws {
        var machine = CoordinatorStateMachine(configuration: self.configuration())
        _ = self.register(&machine, now: self.t0)
        let actions = machine.handle([.message(self.submission(count: 2), from: self.client)], now: self.t0)
        let records = self.records(actions)
        guard case .jobAccepted(let job, let client, _, let submission) = records.first else {
            Issue.record("an accepted job is journaled: \(records)")
            return
        }
        #expect(job == JobID(1) && client == self.client && submission.payloads.count == 2)
        for record in records { #expect(try JournalCodec.decode(JournalCodec.encode(record)) == record) }
        let more: [JournalRecord] = [
            .resultsCommitted(
                JobID(3),
                [
                    JobResult(
                        subtask: SubtaskRef(job: JobID(3), index: 1),
                        attempts: 2,
                        worker: "w",
                        outcome: .failure(Failure(.timeout, "slow")),
                        fallback: .lastGood
                    )
                ],
                usage: 9
            ),
            .jobEnded(JobID(3), reason: Failure(.cancelled, "by the operator")),
            .jobFinished(
                JobSummary(job: JobID(3), succeeded: 1, failed: 2, cancelled: 3, usage: 4, reason: nil),
                at: self.t0
            ),
            .breakerCommand(.open, path: "g/w-1"),
        ]
        for record in more { #expect(try JournalCodec.decode(JournalCodec.encode(record)) == record) }
    }

    @Test func test_journalRecord_thatDoesNotDecode_isAnError_neverATrap() {
        let good = JournalCodec.encode(.breakerCommand(.close, path: "/"))
        #expect(throws: ProtocolError.self) { try JournalCodec.decode([]) }
        #expect(throws: ProtocolError.self) {
            try JournalCodec.decode([JournalCodec.formatVersion + 1] + good.dropFirst())
        }
        #expect(throws: ProtocolError.self) { try JournalCodec.decode([JournalCodec.formatVersion, 99]) }
        #expect(throws: ProtocolError.self) { try JournalCodec.decode(Array(good.dropLast())) }
        #expect(throws: ProtocolError.self) { try JournalCodec.decode(good + [0]) }
    }

    @Test func test_restore_committedResultsAreNeverRunAgain_inFlightAttemptsAreAdopted_clientGetsEveryResultOnce() {
        let (journal, inFlight) = self.runUntilCrash()
        #expect(inFlight.map(\.attempt.subtask.index) == [2, 3])
        let t1 = self.t0 + .seconds(3)
        var machine = CoordinatorStateMachine(configuration: self.configuration(), restoring: journal, now: t1)
        _ = machine.start(now: t1)
        #expect(machine.activeJobs == 1)
        // The worker comes back holding subtask 2's attempt; 3's was lost with the old coordinator.
        let back = self.register(&machine, holding: [inFlight[0].attempt], now: t1)
        #expect(back.assignments(to: self.w1).isEmpty, "no dispatch while the workers re-register")
        // After the re-registration window, only subtask 3 runs again.
        let t2 = t1 + .milliseconds(1_100)
        let later = machine.handle([.message(.heartbeat, from: self.w1), .timer(.tick)], now: t2)
        #expect(later.assignments(to: self.w1).map(\.attempt.subtask.index) == [3])
        // The client re-attaches and is sent what was committed before the crash.
        let reattached = machine.handle([.message(.heartbeat, from: self.client)], now: t2)
        #expect(self.results(reattached).map(\.subtask.index) == [0, 1])
        let held = inFlight[0].attempt
        let rerun = later.assignments(to: self.w1)[0].attempt
        let finished = machine.handle(
            [
                .message(
                    .results([
                        SubtaskResult(attempt: held, outcome: .success([2])),
                        SubtaskResult(attempt: rerun, outcome: .success([3])),
                    ]),
                    from: self.w1
                )
            ],
            now: t2
        )
        #expect(self.results(finished).map(\.subtask.index) == [2, 3])
        #expect(
            finished.sends(to: self.client).contains {
                if case .jobFinished(let summary) = $0 { summary.succeeded == 4 } else { false }
            }
        )
    }

    /// The client's SUBMIT was journaled but its ACCEPTED died with the coordinator: the client
    /// sends SUBMIT again to the restarted one and gets ACCEPTED for that job (not a second job),
    /// before the results it is owed.
    @Test func test_restore_submitSentAgain_isAnsweredWithTheRestoredJob_beforeItsResults() {
        let (journal, _) = self.runUntilCrash()
        let t1 = self.t0 + .seconds(3)
        var machine = CoordinatorStateMachine(configuration: self.configuration(), restoring: journal, now: t1)
        _ = machine.start(now: t1)
        let again = machine.handle([.message(self.submission(count: 4), from: self.client)], now: t1)
        let sends = again.sends(to: self.client)
        #expect(sends.first == .accepted(Accepted(token: 7, job: JobID(1), subtasks: 4)), "\(sends)")
        #expect(self.results(again).map(\.subtask.index) == [0, 1])
        #expect(machine.activeJobs == 1, "no second job")
        // Another token from the same client is a new job.
        let other = machine.handle([.message(self.submission(count: 1, token: 8), from: self.client)], now: t1)
        #expect(other.sends(to: self.client).contains(.accepted(Accepted(token: 8, job: JobID(2), subtasks: 1))))
    }

    @Test func test_submitSentAgainWhileTheJobRuns_isAcceptedAgain_oneJob() {
        var machine = CoordinatorStateMachine(configuration: self.configuration())
        _ = self.register(&machine, now: self.t0)
        let first = machine.handle([.message(self.submission(count: 3), from: self.client)], now: self.t0)
        let again = machine.handle([.message(self.submission(count: 3), from: self.client)], now: self.t0)
        let accepted = Message.accepted(Accepted(token: 7, job: JobID(1), subtasks: 3))
        #expect(first.sends(to: self.client).contains(accepted))
        #expect(again.sends(to: self.client) == [accepted])
        #expect(self.records(again).isEmpty, "nothing new to journal")
        #expect(machine.activeJobs == 1)
    }

    @Test func test_restore_endedJob_staysEnded_andABreakerCommandIsReplayed() {
        var machine = CoordinatorStateMachine(configuration: self.configuration())
        var journal: [JournalRecord] = []
        journal += self.records(self.register(&machine, now: self.t0))
        journal += self.records(machine.handle([.message(self.submission(count: 6), from: self.client)], now: self.t0))
        journal += self.records(
            machine.handle(
                [.message(.cancelJob(CancelJob(token: 1, job: JobID(1), reason: "stop")), from: self.client)],
                now: self.t0
            )
        )
        journal += self.records(
            machine.handle(
                [.message(.breaker(BreakerCommand(token: 2, action: .open, path: "g")), from: self.client)],
                now: self.t0
            )
        )
        var restored = CoordinatorStateMachine(configuration: self.configuration(), restoring: journal, now: self.t0)
        _ = restored.start(now: self.t0)
        #expect(restored.queuedSubtasks == 0, "a cancelled job's subtasks do not come back")
        #expect(restored.resilience.breakerState(.group("g"), now: self.t0) == "forced-open")
        let ids = restored.introspectedJobIDs
        #expect(ids.allSatisfy { restored.introspectJob($0)?.counts.endReason?.message == "stop" })
    }

    /// Only restored work waits for its workers to re-register: a fresh (empty) journal
    /// dispatches at once (bench: a 1 s stall at every journaling coordinator's start).
    @Test func test_restoreFromAnEmptyJournal_dispatchesAtOnce() {
        var machine = CoordinatorStateMachine(configuration: self.configuration(), restoring: [], now: self.t0)
        _ = machine.start(now: self.t0)
        _ = self.register(&machine, now: self.t0)
        let actions = machine.handle([.message(self.submission(count: 2), from: self.client)], now: self.t0)
        #expect(actions.assignments(to: self.w1).count == 2)
    }

    @Test func test_noJournal_noJournalActions() {
        var machine = CoordinatorStateMachine(configuration: CoordinatorConfiguration(coordinatorID: "c1"))
        _ = self.register(&machine, now: self.t0)
        let actions = machine.handle([.message(self.submission(count: 2), from: self.client)], now: self.t0)
        #expect(self.records(actions).isEmpty)
    }
}
