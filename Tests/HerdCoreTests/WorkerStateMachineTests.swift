import Testing

@testable import HerdCore

@Suite struct WorkerStateMachineTests {
    let t0 = Instant(nanoseconds: 5_000_000_000)
    let welcome = Message.welcome(
        Welcome(coordinatorID: "c1", heartbeatInterval: .milliseconds(100), livenessWindow: .milliseconds(400))
    )

    func machine(capacity: UInt32 = 2) -> WorkerStateMachine {
        WorkerStateMachine(
            configuration: WorkerConfiguration(
                workerID: "w1",
                group: "g",
                node: "n",
                capacity: capacity,
                kinds: ["echo", "sleep"]
            )
        )
    }

    func assignment(
        _ index: UInt32,
        attempt: UInt32 = 1,
        kind: String = "echo",
        deadline: Duration? = nil
    ) -> Assignment {
        Assignment(
            attempt: AttemptRef(subtask: SubtaskRef(job: JobID(1), index: index), attempt: attempt),
            kind: kind,
            payload: [1],
            deadline: deadline
        )
    }

    @Test func test_started_sendsRegister_andArmsTick() {
        var machine = self.machine()
        let actions = machine.handle([.started], now: self.t0)
        #expect(
            actions.contains(
                .send(
                    .register(
                        Registration(workerID: "w1", group: "g", node: "n", capacity: 2, kinds: ["echo", "sleep"])
                    )
                )
            )
        )
        #expect(actions.contains(.schedule(.tick, at: self.t0 + .milliseconds(250))))
    }

    @Test func test_dispatch_startsHandlers_andResultsAreBatched() {
        var machine = self.machine()
        _ = machine.handle([.started, .message(self.welcome)], now: self.t0)
        let started = machine.handle([.message(.dispatch([self.assignment(0), self.assignment(1)]))], now: self.t0)
        #expect(started.filter { if case .startHandler = $0 { true } else { false } }.count == 2)
        let done = machine.handle(
            [
                .handlerFinished(self.assignment(0).attempt, .success([9]), usage: 3),
                .handlerFinished(self.assignment(1).attempt, .success([8]), usage: 0),
            ],
            now: self.t0
        )
        #expect(
            done == [
                .send(
                    .results([
                        SubtaskResult(attempt: self.assignment(0).attempt, outcome: .success([9]), usage: 3),
                        SubtaskResult(attempt: self.assignment(1).attempt, outcome: .success([8])),
                    ])
                )
            ]
        )
    }

    @Test func test_duplicateDispatch_isIgnored() {
        var machine = self.machine()
        _ = machine.handle([.started, .message(self.welcome), .message(.dispatch([self.assignment(0)]))], now: self.t0)
        let again = machine.handle([.message(.dispatch([self.assignment(0)]))], now: self.t0)
        #expect(again.isEmpty)
        #expect(machine.runningCount == 1)
    }

    @Test func test_deadline_cancelsHandler_andReportsTimeout() {
        var machine = self.machine()
        _ = machine.handle([.started, .message(self.welcome)], now: self.t0)
        let start = machine.handle(
            [.message(.dispatch([self.assignment(0, deadline: .milliseconds(50))]))],
            now: self.t0
        )
        #expect(start.contains(.schedule(.deadline(self.assignment(0).attempt), at: self.t0 + .milliseconds(50))))
        let fired = machine.handle([.timer(.deadline(self.assignment(0).attempt))], now: self.t0 + .milliseconds(50))
        #expect(fired.first == .cancelHandler(self.assignment(0).attempt))
        #expect(
            fired.contains(
                .schedule(.cancelOverdue(self.assignment(0).attempt), at: self.t0 + .milliseconds(50) + .seconds(5))
            )
        )
        // The handler returns (as cancelled): the result says timeout, and only then is the credit returned.
        let done = machine.handle(
            [.handlerFinished(self.assignment(0).attempt, .failure(Failure(.cancelled, "x")), usage: 0)],
            now: self.t0 + .milliseconds(51)
        )
        guard case .send(.results(let results)) = done.first, case .failure(let failure) = results[0].outcome else {
            Issue.record("expected a timeout result")
            return
        }
        #expect(failure.category == .timeout)
    }

    @Test func test_coordinatorSilent_reconnects_andRegistersHoldingRunningWork() {
        var machine = self.machine()
        _ = machine.handle([.started, .message(self.welcome), .message(.dispatch([self.assignment(0)]))], now: self.t0)
        // Within the window: a heartbeat.
        let quiet = machine.handle([.timer(.tick)], now: self.t0 + .milliseconds(400))
        #expect(quiet.contains(.send(.heartbeat)))
        let lost = machine.handle([.timer(.tick)], now: self.t0 + .milliseconds(401))
        #expect(lost.contains(.reconnect))
        #expect(
            lost.contains(
                .send(
                    .register(
                        Registration(
                            workerID: "w1",
                            group: "g",
                            node: "n",
                            capacity: 2,
                            kinds: ["echo", "sleep"],
                            holding: [self.assignment(0).attempt]
                        )
                    )
                )
            )
        )
        #expect(!machine.isRegistered)
        // A result finished while disconnected is held, then sent after WELCOME.
        let held = machine.handle(
            [.handlerFinished(self.assignment(0).attempt, .success([]), usage: 0)],
            now: self.t0 + .milliseconds(402)
        )
        #expect(held.isEmpty)
        let back = machine.handle([.message(self.welcome)], now: self.t0 + .milliseconds(403))
        #expect(
            back.contains(.send(.results([SubtaskResult(attempt: self.assignment(0).attempt, outcome: .success([]))])))
        )
    }

    @Test func test_unknownPeerError_reRegisters() {
        var machine = self.machine()
        _ = machine.handle([.started, .message(self.welcome)], now: self.t0)
        let actions = machine.handle([.message(.error(ProtocolError(.unknownPeer, "who?")))], now: self.t0)
        #expect(actions.contains { if case .send(.register) = $0 { true } else { false } })
    }

    @Test func test_stop_drains_inFlightFinishes_thenDeregistersAndExits() {
        var machine = self.machine()
        _ = machine.handle([.started, .message(self.welcome), .message(.dispatch([self.assignment(0)]))], now: self.t0)
        let stop = machine.handle([.stopRequested], now: self.t0)
        #expect(
            stop.contains(.send(.drainWorker(DrainOrder(grace: .seconds(10))))),
            "tells the coordinator: no new work"
        )
        #expect(stop.contains(.schedule(.drainGraceEnded, at: self.t0 + .seconds(10))))
        #expect(
            !stop.contains(.cancelHandler(self.assignment(0).attempt)),
            "in-flight work may finish within the grace"
        )
        // Work that crosses the drain is given back unstarted.
        let crossed = machine.handle([.message(.dispatch([self.assignment(1)]))], now: self.t0)
        #expect(crossed.contains(.send(.cancelled([self.assignment(1).attempt]))))
        let done = machine.handle([.handlerFinished(self.assignment(0).attempt, .success([7]), usage: 0)], now: self.t0)
        #expect(
            done == [
                .send(.results([SubtaskResult(attempt: self.assignment(0).attempt, outcome: .success([7]))])),
                .send(.deregister), .log(LogLine(.info, "drained; leaving")), .exit,
            ]
        )
    }

    @Test func test_drainGraceEnds_givesBackRunningWork_asCancelled() {
        var machine = self.machine()
        _ = machine.handle([.started, .message(self.welcome), .message(.dispatch([self.assignment(0)]))], now: self.t0)
        _ = machine.handle([.message(.drainWorker(DrainOrder(grace: .milliseconds(30))))], now: self.t0)
        let ended = machine.handle([.timer(.drainGraceEnded)], now: self.t0 + .milliseconds(30))
        #expect(ended.contains(.cancelHandler(self.assignment(0).attempt)))
        #expect(
            ended.contains(.send(.cancelled([self.assignment(0).attempt]))),
            "given back at once, re-queued elsewhere"
        )
        let done = machine.handle(
            [.handlerFinished(self.assignment(0).attempt, .failure(Failure(.cancelled, "")), usage: 0)],
            now: self.t0 + .milliseconds(31)
        )
        #expect(done.contains(.send(.deregister)))
        #expect(done.contains(.exit))
        #expect(!done.contains { if case .send(.results) = $0 { true } else { false } }, "its late outcome is dropped")
    }

    @Test func test_unknownKind_failsValidation_withoutStarting() {
        var machine = self.machine()
        _ = machine.handle([.started, .message(self.welcome)], now: self.t0)
        let actions = machine.handle([.message(.dispatch([self.assignment(0, kind: "paint")]))], now: self.t0)
        guard case .send(.results(let results)) = actions.first, case .failure(let failure) = results[0].outcome else {
            Issue.record("expected a failure result")
            return
        }
        #expect(failure.category == .validation)
    }
}

@Suite struct ClientStateMachineTests {
    let t0 = Instant(nanoseconds: 1)

    func submission() -> Submission {
        Submission(token: 42, group: "g", kind: "echo", payloads: .template([], count: 2))
    }

    @Test func test_noAnswer_failsAfterConnectTimeout_withEndpointInMessage() {
        var machine = ClientStateMachine(
            configuration: .init(endpoint: "tcp://127.0.0.1:9", connectTimeout: .seconds(5))
        )
        _ = machine.handle(.submit(self.submission()), now: self.t0)
        let early = machine.handle(.timer(.tick), now: self.t0 + .seconds(5) - .nanoseconds(1))
        #expect(!early.contains { if case .failed = $0 { true } else { false } })
        let late = machine.handle(.timer(.tick), now: self.t0 + .seconds(5))
        #expect(late == [.failed(Failure(.network, "no coordinator at tcp://127.0.0.1:9 after 5 s"))])
    }

    @Test func test_results_deliveredOnce_thenFinished() {
        var machine = ClientStateMachine(configuration: .init(endpoint: "e"))
        _ = machine.handle(.submit(self.submission()), now: self.t0)
        _ = machine.handle(.message(.accepted(Accepted(token: 42, job: JobID(3), subtasks: 2))), now: self.t0)
        let result = JobResult(
            subtask: SubtaskRef(job: JobID(3), index: 0),
            attempts: 1,
            worker: "w",
            outcome: .success([])
        )
        #expect(machine.handle(.message(.jobResults([result])), now: self.t0) == [.deliver([result])])
        #expect(machine.handle(.message(.jobResults([result])), now: self.t0).isEmpty)
        let summary = JobSummary(job: JobID(3), succeeded: 2, failed: 0, cancelled: 0)
        #expect(machine.handle(.message(.jobFinished(summary)), now: self.t0) == [.finished(summary)])
        #expect(machine.isDone)
    }

    @Test func test_noAnswer_submitSentAgainEverySubmitRetry_sameToken_untilAccepted() {
        var machine = ClientStateMachine(configuration: .init(endpoint: "e", submitRetry: .seconds(1)))
        _ = machine.handle(.submit(self.submission()), now: self.t0)
        let submits = { (actions: [ClientStateMachine.Action]) in
            actions.filter { $0 == .send(.submit(self.submission())) }.count
        }
        #expect(submits(machine.handle(.timer(.tick), now: self.t0 + .milliseconds(999))) == 0)
        #expect(submits(machine.handle(.timer(.tick), now: self.t0 + .seconds(1))) == 1)
        #expect(submits(machine.handle(.timer(.tick), now: self.t0 + .milliseconds(1_500))) == 0)
        #expect(submits(machine.handle(.timer(.tick), now: self.t0 + .seconds(2))) == 1)
        _ = machine.handle(
            .message(.accepted(Accepted(token: 42, job: JobID(3), subtasks: 2))),
            now: self.t0 + .seconds(2)
        )
        #expect(submits(machine.handle(.timer(.tick), now: self.t0 + .seconds(4))) == 0)
    }

    @Test func test_cancel_sentAgainEverySubmitRetry_untilTheJobFinishes() {
        var machine = ClientStateMachine(configuration: .init(endpoint: "e", submitRetry: .seconds(1)))
        _ = machine.handle(.submit(self.submission()), now: self.t0)
        _ = machine.handle(.message(.accepted(Accepted(token: 42, job: JobID(3), subtasks: 2))), now: self.t0)
        let cancel = Message.cancelJob(CancelJob(token: 42, job: JobID(3), reason: "Ctrl-C"))
        #expect(machine.handle(.cancel(reason: "Ctrl-C"), now: self.t0).contains(.send(cancel)))
        #expect(!machine.handle(.timer(.tick), now: self.t0 + .milliseconds(500)).contains(.send(cancel)))
        #expect(machine.handle(.timer(.tick), now: self.t0 + .seconds(1)).contains(.send(cancel)), "sent again")
        let summary = JobSummary(job: JobID(3), succeeded: 0, failed: 0, cancelled: 2)
        _ = machine.handle(.message(.jobFinished(summary)), now: self.t0 + .seconds(1))
        #expect(!machine.handle(.timer(.tick), now: self.t0 + .seconds(3)).contains(.send(cancel)))
    }

    @Test func test_rejected_fails() {
        var machine = ClientStateMachine(configuration: .init(endpoint: "e"))
        _ = machine.handle(.submit(self.submission()), now: self.t0)
        let failure = Failure(.notFound, "no group")
        #expect(
            machine.handle(.message(.rejected(Rejection(token: 42, failure: failure))), now: self.t0) == [
                .failed(failure)
            ]
        )
    }
}
