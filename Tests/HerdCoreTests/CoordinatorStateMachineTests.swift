import Testing

@testable import HerdCore

/// Events in, actions out: the coordinator machine without sockets.
@Suite struct CoordinatorStateMachineTests {
    let w1 = PeerID("w1")
    let w2 = PeerID("w2")
    let client = PeerID("client-a")
    let t0 = Instant(nanoseconds: 1_000_000_000)

    func machine(maxDeliveries: UInt32 = 5) -> CoordinatorStateMachine {
        var machine = CoordinatorStateMachine(
            configuration: CoordinatorConfiguration(coordinatorID: "c1", maxDeliveries: maxDeliveries)
        )
        _ = machine.start(now: self.t0)
        return machine
    }

    func registration(
        _ id: String,
        capacity: UInt32 = 2,
        group: String = "g",
        holding: [AttemptRef] = [],
        incarnation: UInt64 = 1
    ) -> Message {
        .register(
            Registration(
                workerID: id,
                group: group,
                node: "n",
                capacity: capacity,
                kinds: ["echo"],
                holding: holding,
                incarnation: incarnation
            )
        )
    }

    func submission(
        count: UInt32,
        group: String = "g",
        kind: String = "echo",
        token: UInt64 = 7,
        timeout: Duration? = nil
    ) -> Message {
        .submit(
            Submission(
                token: token,
                group: group,
                kind: kind,
                payloads: .template(Array("p{index}".utf8), count: count),
                timeout: timeout
            )
        )
    }

    // MARK: - Registration

    @Test func test_register_valid_sendsWelcome() {
        var machine = self.machine()
        let actions = machine.handle([.message(self.registration("w1"), from: self.w1)], now: self.t0)
        #expect(
            actions.sends(to: self.w1) == [
                .welcome(
                    Welcome(coordinatorID: "c1", heartbeatInterval: .milliseconds(250), livenessWindow: .seconds(1))
                )
            ]
        )
    }

    @Test func test_register_zeroCapacity_isRefusedWithError() {
        var machine = self.machine()
        let actions = machine.handle([.message(self.registration("w1", capacity: 0), from: self.w1)], now: self.t0)
        guard case .error(let error) = actions.sends(to: self.w1).first else {
            Issue.record("expected an error"); return
        }
        #expect(error.message.contains("capacity"))
        #expect(machine.statusReport(token: 0, now: self.t0).workers.isEmpty)
    }

    // MARK: - Submission and dispatch

    @Test func test_submit_unknownGroup_isRejectedNotFound() {
        var machine = self.machine()
        let actions = machine.handle(
            [.message(self.submission(count: 3, group: "nope"), from: self.client)],
            now: self.t0
        )
        guard case .rejected(let rejection) = actions.sends(to: self.client).first else {
            Issue.record("expected rejection"); return
        }
        #expect(rejection.token == 7)
        #expect(rejection.failure.category == .notFound)
    }

    @Test func test_submit_kindNoWorkerRuns_isRejectedValidation() {
        var machine = self.machine()
        _ = machine.handle([.message(self.registration("w1"), from: self.w1)], now: self.t0)
        let actions = machine.handle(
            [.message(self.submission(count: 3, kind: "paint"), from: self.client)],
            now: self.t0
        )
        guard case .rejected(let rejection) = actions.sends(to: self.client).first else {
            Issue.record("expected rejection"); return
        }
        #expect(rejection.failure.category == .validation)
    }

    @Test func test_submit_dispatchesUpToCreditOnly_toWorkerWithMostFreeCredit() {
        var machine = self.machine()
        _ = machine.handle(
            [
                .message(self.registration("w1", capacity: 2), from: self.w1),
                .message(self.registration("w2", capacity: 3), from: self.w2),
            ],
            now: self.t0
        )
        let actions = machine.handle([.message(self.submission(count: 10), from: self.client)], now: self.t0)
        #expect(actions.sends(to: self.client) == [.accepted(Accepted(token: 7, job: JobID(1), subtasks: 10))])
        let toW1 = actions.assignments(to: self.w1)
        let toW2 = actions.assignments(to: self.w2)
        #expect(toW1.count == 2)
        #expect(toW2.count == 3)
        // One DISPATCH message per worker, not one per subtask.
        #expect(actions.sends(to: self.w1).count == 1)
        // w2 had the most free credit, so it got subtask 0.
        #expect(toW2.first?.attempt == AttemptRef(subtask: SubtaskRef(job: JobID(1), index: 0), attempt: 1))
        #expect(toW2.first?.payload == Array("p0".utf8))
        #expect(machine.queuedSubtasks == 5)
        #expect(machine.outstandingAttempts == 5)
    }

    @Test func test_results_commitOnce_freeCredit_andFinishJob() {
        var machine = self.machine()
        _ = machine.handle([.message(self.registration("w1", capacity: 2), from: self.w1)], now: self.t0)
        var actions = machine.handle([.message(self.submission(count: 3), from: self.client)], now: self.t0)
        var delivered: [UInt32] = []
        var finished: JobSummary?
        for _ in 0 ..< 5 {
            let assignments = actions.assignments(to: self.w1)
            if assignments.isEmpty { break }
            let results = assignments.map { SubtaskResult(attempt: $0.attempt, outcome: .success($0.payload)) }
            // Duplicate delivery of the same batch must not commit twice.
            actions = machine.handle(
                [.message(.results(results), from: self.w1), .message(.results(results), from: self.w1)],
                now: self.t0
            )
            for message in actions.sends(to: self.client) {
                if case .jobResults(let batch) = message { delivered += batch.map(\.subtask.index) }
                if case .jobFinished(let summary) = message { finished = summary }
            }
            #expect(machine.outstandingAttempts <= 2)
        }
        #expect(delivered.sorted() == [0, 1, 2])
        #expect(finished == JobSummary(job: JobID(1), succeeded: 3, failed: 0, cancelled: 0))
        #expect(machine.activeJobs == 0)
    }

    @Test func test_result_wrongAttemptOrWorker_isDiscarded() {
        var machine = self.machine()
        _ = machine.handle(
            [
                .message(self.registration("w1", capacity: 1), from: self.w1),
                .message(self.registration("w2", capacity: 1), from: self.w2),
            ],
            now: self.t0
        )
        let actions = machine.handle([.message(self.submission(count: 1), from: self.client)], now: self.t0)
        let sent = (actions.assignments(to: self.w1) + actions.assignments(to: self.w2))[0]
        let superseded = AttemptRef(subtask: sent.attempt.subtask, attempt: sent.attempt.attempt + 1)
        let other = actions.assignments(to: self.w1).isEmpty ? self.w1 : self.w2
        let late = machine.handle(
            [
                .message(.results([SubtaskResult(attempt: superseded, outcome: .success([]))]), from: other),
                .message(.results([SubtaskResult(attempt: sent.attempt, outcome: .success([]))]), from: other),
            ],
            now: self.t0
        )
        #expect(late.sends(to: self.client).isEmpty)
        #expect(machine.outstandingAttempts == 1)
    }

    // MARK: - Liveness

    @Test func test_tick_workerSilentPastWindow_isDeclaredDead_andWorkRequeuedWithNextAttempt() {
        var machine = self.machine()
        _ = machine.handle([.message(self.registration("w1", capacity: 2), from: self.w1)], now: self.t0)
        let first = machine.handle([.message(self.submission(count: 2), from: self.client)], now: self.t0)
        #expect(first.assignments(to: self.w1).count == 2)
        _ = machine.handle([.message(self.registration("w2", capacity: 2), from: self.w2)], now: self.t0)
        // Edge: exactly at the window, still alive (w2 and the client keep talking).
        let atEdge = self.t0 + .seconds(1)
        let edge = machine.handle(
            [.message(.heartbeat, from: self.w2), .message(.heartbeat, from: self.client), .timer(.tick)],
            now: atEdge
        )
        #expect(edge.assignments(to: self.w2).isEmpty)
        // 1 ns past the window: dead, and its two subtasks go to w2 as attempt 2.
        let past = atEdge + .nanoseconds(1)
        let actions = machine.handle([.timer(.tick)], now: past)
        let moved = actions.assignments(to: self.w2)
        #expect(moved.map(\.attempt.attempt) == [2, 2])
        #expect(Set(moved.map(\.attempt.subtask.index)) == [0, 1])
        #expect(
            machine.statusReport(token: 0, now: past).workers.first { $0.id == "w1" }?.state.hasPrefix("dead") == true
        )
        // The dead worker's late result is discarded and it is told to register again.
        let late = machine.handle(
            [
                .message(
                    .results([SubtaskResult(attempt: first.assignments(to: self.w1)[0].attempt, outcome: .success([]))]
                    ),
                    from: self.w1
                )
            ],
            now: past
        )
        #expect(late.sends(to: self.client).isEmpty)
        guard case .error(let error) = late.sends(to: self.w1).first else {
            Issue.record("expected unknownPeer"); return
        }
        #expect(error.code == .unknownPeer)
    }

    @Test func test_workerLost_maxDeliveriesTimes_subtaskFailsInsteadOfLooping() {
        var machine = self.machine(maxDeliveries: 2)
        var now = self.t0
        _ = machine.handle([.message(self.registration("w1", capacity: 1), from: self.w1)], now: now)
        _ = machine.handle([.message(self.submission(count: 1), from: self.client)], now: now)
        var failure: Failure?
        for round in 0 ..< 3 {
            now = now + .seconds(2)
            // Ticks come every heartbeat interval; a lone late one would be the coordinator's own stall.
            _ = machine.handle([.message(.heartbeat, from: self.client), .timer(.tick)], now: now - .milliseconds(100))
            let actions = machine.handle([.message(.heartbeat, from: self.client), .timer(.tick)], now: now)
            for case .jobResults(let results) in actions.sends(to: self.client) {
                if case .failure(let f) = results[0].outcome { failure = f }
            }
            if failure != nil { break }
            #expect(round < 2)
            _ = machine.handle([.message(self.registration("w1", capacity: 1), from: self.w1)], now: now)
        }
        #expect(failure?.message.contains("gave up after 2 attempts") == true)
    }

    @Test func test_reRegisterWhileLive_keepsHeldAttempts_cancelsAndThenRequeuesOthers() {
        var machine = self.machine()
        _ = machine.handle([.message(self.registration("w1", capacity: 2), from: self.w1)], now: self.t0)
        let actions = machine.handle([.message(self.submission(count: 2), from: self.client)], now: self.t0)
        let held = actions.assignments(to: self.w1)[0].attempt
        let unlisted = actions.assignments(to: self.w1)[1].attempt
        let again = machine.handle(
            [.message(self.registration("w1", capacity: 2, holding: [held]), from: self.w1)],
            now: self.t0
        )
        // The unlisted attempt may still be on its way to the worker: it is told to stop, not
        // re-dispatched yet (no zombie running twice).
        #expect(again.sends(to: self.w1).contains(.cancel([unlisted])))
        #expect(again.assignments(to: self.w1).isEmpty)
        // The worker confirms; the subtask goes back to the queue and out again as attempt 2.
        let back = machine.handle([.message(.cancelled([unlisted]), from: self.w1)], now: self.t0)
        #expect(back.assignments(to: self.w1).map(\.attempt.attempt) == [2])
        #expect(machine.outstandingAttempts == 2)
    }

    @Test func test_reRegisterWithNewIncarnation_isARestart_requeuesAndRedispatchesAtOnce() {
        var machine = self.machine()
        _ = machine.handle([.message(self.registration("w1", capacity: 2), from: self.w1)], now: self.t0)
        let actions = machine.handle([.message(self.submission(count: 2), from: self.client)], now: self.t0)
        let first = actions.assignments(to: self.w1).map(\.attempt)
        #expect(first.map(\.attempt) == [1, 1])
        // Another process under the same id, within the liveness window: the old one's work is gone.
        let again = machine.handle(
            [.message(self.registration("w1", capacity: 2, incarnation: 2), from: self.w1)],
            now: self.t0 + .milliseconds(10)
        )
        #expect(again.logLines.contains { $0.message.contains("worker dead: restarted") })
        // A DISPATCH that crossed the REGISTER may have reached the new process: told to stop.
        #expect(again.sends(to: self.w1).contains(.cancel(first)))
        // Re-queued at once and dispatched again to the new process as attempt 2 (as much as its
        // recovery ramp allows): no waiting for confirmations it cannot give for work it never had.
        let redispatched = again.assignments(to: self.w1).map(\.attempt.attempt)
        #expect(!redispatched.isEmpty && redispatched.allSatisfy { $0 == 2 })
        #expect(machine.queuedSubtasks + machine.outstandingAttempts == 2)
    }

    @Test func test_reRegisterWithSameIncarnation_isAReconnect_keepsWhatItHolds() {
        var machine = self.machine()
        _ = machine.handle([.message(self.registration("w1", capacity: 2), from: self.w1)], now: self.t0)
        let actions = machine.handle([.message(self.submission(count: 2), from: self.client)], now: self.t0)
        let held = actions.assignments(to: self.w1).map(\.attempt)
        let again = machine.handle(
            [.message(self.registration("w1", capacity: 2, holding: held, incarnation: 1), from: self.w1)],
            now: self.t0 + .milliseconds(10)
        )
        #expect(!again.logLines.contains { $0.message.contains("worker dead") })
        #expect(again.assignments(to: self.w1).isEmpty)
        #expect(machine.outstandingAttempts == 2)
    }

    @Test func test_clientSilentPastLiveness_jobAbandoned_queuedDropped() {
        var machine = self.machine()
        _ = machine.handle([.message(self.registration("w1", capacity: 1), from: self.w1)], now: self.t0)
        let actions = machine.handle([.message(self.submission(count: 5), from: self.client)], now: self.t0)
        let running = actions.assignments(to: self.w1)[0]
        let later = self.t0 + .seconds(6)
        _ = machine.handle([.message(.heartbeat, from: self.w1), .timer(.tick)], now: later)
        #expect(machine.queuedSubtasks == 0)
        #expect(machine.activeJobs == 1)  // waiting out the outstanding attempt
        let end = machine.handle(
            [.message(.results([SubtaskResult(attempt: running.attempt, outcome: .success([]))]), from: self.w1)],
            now: later
        )
        #expect(end.sends(to: self.client).isEmpty)
        #expect(machine.activeJobs == 0)
        #expect(machine.outstandingAttempts == 0)
    }

    // MARK: - Bad input

    @Test func test_undecodable_repliesError_andNeverAnswersAnError() {
        var machine = self.machine()
        let actions = machine.handle(
            [
                .undecodable(ProtocolError(.unsupportedVersion, "v9"), from: self.w1),
                .message(.error(ProtocolError(.malformed, "x")), from: self.w2),
            ],
            now: self.t0
        )
        #expect(actions.sends(to: self.w1) == [.error(ProtocolError(.unsupportedVersion, "v9"))])
        #expect(actions.sends(to: self.w2).isEmpty)
    }

    @Test func test_undecodableError_ofAnotherVersion_isNotAnswered() throws {
        // Two peers of mismatched versions must not ping-pong ERRORs (docs/PROTOCOL.md §8.2).
        var decoded: ProtocolError?
        do {
            _ = try WireCodec.decode([[0x48, 0x44, 0x02, 0x7F], [0x02, 0x00, 0x00, 0x00, 0x00]])
        } catch {
            decoded = error
        }
        let error = try #require(decoded)
        #expect(error.code == .unsupportedVersion)
        #expect(error.isAboutAnError)
        var machine = self.machine()
        let actions = machine.handle(
            [
                .undecodable(error, from: self.w1),
                .undecodable(ProtocolError(.malformed, "bad body", isAboutAnError: true), from: self.w2),
            ],
            now: self.t0
        )
        #expect(actions.sends(to: self.w1).isEmpty)
        #expect(actions.sends(to: self.w2).isEmpty)
    }

    @Test func test_undecodableFlood_isLoggedWithinABudget_thenSummarised() {
        var machine = self.machine()
        let garbage = (0 ..< 100).map { _ in CoordinatorEvent.undecodable(ProtocolError(.malformed, "x"), from: self.w1)
        }
        let flood = machine.handle(garbage, now: self.t0)
        #expect(flood.logLines.filter { $0.message == "undecodable message" }.count == 20)
        #expect(flood.sends(to: self.w1).count == 100, "each is still answered")
        let later = machine.handle(garbage.prefix(1).map { $0 }, now: self.t0 + .seconds(11))
        #expect(
            later.logLines.contains { $0.message == "undecodable messages not logged" && $0.metadata["count"] == "80" }
        )
    }

    /// A tick far later than its interval is the coordinator's own stall: its peers' messages may
    /// be unread, so nobody is declared dead or gone on it; the next tick judges as usual.
    @Test func test_lateTick_afterTheCoordinatorStalled_declaresNobodyDead_theNextOneDoes() {
        var machine = self.machine()
        _ = machine.handle([.message(self.registration("w1"), from: self.w1)], now: self.t0)
        _ = machine.handle([.timer(.tick)], now: self.t0 + .milliseconds(250))
        let late = machine.handle([.timer(.tick)], now: self.t0 + .seconds(3))
        #expect(!late.logLines.contains { $0.message.hasPrefix("worker dead") })
        let next = machine.handle([.timer(.tick)], now: self.t0 + .milliseconds(3_250))
        #expect(next.logLines.contains { $0.message.hasPrefix("worker dead") }, "still silent: now it is dead")
    }

    @Test func test_coordinatorOnlyCommand_fromPeer_isUnexpected() {
        var machine = self.machine()
        let actions = machine.handle([.message(.dispatch([]), from: self.w1)], now: self.t0)
        guard case .error(let error) = actions.sends(to: self.w1).first else { Issue.record("expected error"); return }
        #expect(error.code == .unexpected)
    }

    @Test func test_deadlinePassedWhileQueued_failsWithTimeout_withoutDispatch() {
        var machine = self.machine()
        _ = machine.handle([.message(self.registration("w1", capacity: 1), from: self.w1)], now: self.t0)
        let first = machine.handle(
            [.message(self.submission(count: 2, timeout: .milliseconds(100)), from: self.client)],
            now: self.t0
        )
        let running = first.assignments(to: self.w1)[0]
        #expect(running.deadline == .milliseconds(100))
        let later = self.t0 + .milliseconds(200)
        let actions = machine.handle(
            [
                .message(
                    .results([SubtaskResult(attempt: running.attempt, outcome: .failure(Failure(.timeout, "late")))]),
                    from: self.w1
                )
            ],
            now: later
        )
        #expect(actions.assignments(to: self.w1).isEmpty)
        let categories = actions.sends(to: self.client).flatMap { message -> [ErrorCategory] in
            guard case .jobResults(let results) = message else { return [] }
            return results.compactMap { if case .failure(let f) = $0.outcome { f.category } else { nil } }
        }
        #expect(categories == [.timeout, .timeout])
    }

    // MARK: - Nested jobs

    /// A cancel is confirmed (CANCEL-REPLY, JOB-FINISHED) only once the whole subtree stopped:
    /// the root's own attempt confirming is not enough while its nested job's attempt runs on.
    @Test func test_cancelRoot_confirmedOnlyAfterNestedJobsAttemptsConfirm() {
        var machine = self.machine()
        let upper = PeerID("upper-w")
        let lower = PeerID("lower-w")
        let operatorPeer = PeerID("operator")
        _ = machine.handle(
            [
                .message(self.registration("upper-w", group: "upper"), from: upper),
                .message(self.registration("lower-w", group: "lower"), from: lower),
            ],
            now: self.t0
        )
        let rootActions = machine.handle(
            [.message(self.submission(count: 1, group: "upper"), from: self.client)],
            now: self.t0
        )
        let rootAttempt = rootActions.assignments(to: upper)[0].attempt
        // The root's handler submits a nested job to the lower group.
        let nested = Submission(
            token: 9,
            group: "lower",
            kind: "echo",
            payloads: .template(Array("n".utf8), count: 1),
            parent: rootAttempt
        )
        let nestedActions = machine.handle([.message(.submit(nested), from: upper)], now: self.t0)
        let leafAttempt = nestedActions.assignments(to: lower)[0].attempt

        var actions = machine.handle(
            [
                .message(
                    .cancelJob(CancelJob(token: 3, job: rootAttempt.subtask.job, reason: "stop")),
                    from: operatorPeer
                )
            ],
            now: self.t0
        )
        #expect(actions.sends(to: upper).contains(.cancel([rootAttempt])))
        #expect(actions.sends(to: lower).contains(.cancel([leafAttempt])))
        // The root's attempt confirms first: nothing is confirmed yet, the leaf still runs.
        actions = machine.handle([.message(.cancelled([rootAttempt]), from: upper)], now: self.t0)
        #expect(!actions.sends(to: operatorPeer).contains { if case .cancelReply = $0 { true } else { false } })
        #expect(!actions.sends(to: self.client).contains { if case .jobFinished = $0 { true } else { false } })
        // The leaf confirms: the whole tree has stopped, so the root is confirmed and finished.
        actions = machine.handle([.message(.cancelled([leafAttempt]), from: lower)], now: self.t0)
        #expect(
            actions.sends(to: operatorPeer).contains {
                if case .cancelReply(let reply) = $0 { reply.job == rootAttempt.subtask.job } else { false }
            }
        )
        #expect(
            actions.sends(to: self.client).contains {
                if case .jobFinished(let summary) = $0 { summary.job == rootAttempt.subtask.job } else { false }
            }
        )
        #expect(machine.activeJobs == 0)
    }
}

extension [CoordinatorAction] {
    func sends(to peer: PeerID) -> [Message] {
        self.compactMap { if case .send(peer, let message) = $0 { message } else { nil } }
    }

    func assignments(to peer: PeerID) -> [Assignment] {
        self.sends(to: peer).flatMap { message -> [Assignment] in
            if case .dispatch(let batch) = message { return batch }
            return []
        }
    }

    var logLines: [LogLine] {
        self.compactMap { if case .log(let line) = $0 { line } else { nil } }
    }
}
