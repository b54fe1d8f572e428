import HerdCore
import Testing

/// The machine bugs the simulator found (docs/SIMULATION.md, "Bugs found"), each pinned as a
/// minimal scripted scenario on the bare machines, so a fix cannot regress unnoticed even once
/// the seeds that found them play out differently.
@Suite struct FoundBugsRegressionTests {
    let w1 = PeerID("w1")
    let w2 = PeerID("w2")
    let client = PeerID("c1")
    let requester = PeerID("x1")
    let t0 = Instant(nanoseconds: 1_000_000_000)

    func ms(_ milliseconds: Int64) -> Instant { self.t0 + .milliseconds(milliseconds) }

    func coordinator(maxDeliveries: UInt32 = 5) -> CoordinatorStateMachine {
        var machine = CoordinatorStateMachine(
            configuration: CoordinatorConfiguration(coordinatorID: "c", maxDeliveries: maxDeliveries)
        )
        _ = machine.start(now: self.t0)
        return machine
    }

    func register(_ id: String, capacity: UInt32 = 1, holding: [AttemptRef] = []) -> Message {
        .register(
            Registration(workerID: id, group: "g", node: "n-\(id)", capacity: capacity, kinds: ["k"], holding: holding)
        )
    }

    func submit(_ count: UInt32, policy: FanoutPolicy = .all, timeout: Duration? = nil) -> Message {
        .submit(
            Submission(
                token: 1,
                group: "g",
                kind: "k",
                payloads: .template(Array("p".utf8), count: count),
                timeout: timeout,
                policy: policy
            )
        )
    }

    func attempt(_ index: UInt32, _ number: UInt32 = 1) -> AttemptRef {
        AttemptRef(subtask: SubtaskRef(job: JobID(1), index: index), attempt: number)
    }

    func dispatched(_ actions: [CoordinatorAction], to peer: PeerID) -> [AttemptRef] {
        actions.flatMap { action -> [AttemptRef] in
            if case .send(peer, .dispatch(let assignments)) = action { return assignments.map(\.attempt) }
            return []
        }
    }

    func cancelled(_ actions: [CoordinatorAction], to peer: PeerID) -> [AttemptRef] {
        actions.flatMap { action -> [AttemptRef] in
            if case .send(peer, .cancel(let attempts)) = action { return attempts }
            return []
        }
    }

    // MARK: - Bug 1: a re-registration's stale `holding` lost attempts still on their way (seeds 29, 37, 259)

    @Test func test_register_liveWorkerWithoutADispatchedAttempt_reclaimsItWithCancel_notLost() {
        var machine = self.coordinator()
        _ = machine.handle([.message(self.register("w1"), from: self.w1)], now: self.t0)
        let first = machine.handle([.message(self.submit(1), from: self.client)], now: self.ms(1))
        #expect(self.dispatched(first, to: self.w1) == [self.attempt(0)])
        // A REGISTER sent before that DISPATCH reached the worker: the worker may still run it.
        let again = machine.handle([.message(self.register("w1"), from: self.w1)], now: self.ms(2))
        #expect(self.cancelled(again, to: self.w1) == [self.attempt(0)])
        #expect(self.dispatched(again, to: self.w1).isEmpty)
        // The worker confirms it stopped: given back and dispatched again, not failed.
        let back = machine.handle([.message(.cancelled([self.attempt(0)]), from: self.w1)], now: self.ms(3))
        #expect(self.dispatched(back, to: self.w1) == [self.attempt(0, 2)])
        #expect(!back.contains { if case .send(_, .jobResults) = $0 { true } else { false } })
    }

    @Test func test_worker_unknownPeerWhileItsRegisterIsOnItsWay_sendsNoSecondRegister() {
        var worker = WorkerStateMachine(
            configuration: WorkerConfiguration(workerID: "w1", group: "g", node: "n", capacity: 1, kinds: ["k"])
        )
        let started = worker.handle([.started], now: self.t0)
        #expect(started.contains { if case .send(.register) = $0 { true } else { false } })
        let errors = worker.handle(
            Array(repeating: .message(.error(ProtocolError(.unknownPeer, "register again"))), count: 3),
            now: self.ms(1)
        )
        #expect(!errors.contains { if case .send(.register) = $0 { true } else { false } })
    }

    // MARK: - Bug 2: a DISPATCH that crossed the worker's REGISTER ran as a zombie (seeds 142, 113944)

    @Test func test_worker_dispatchBeforeTheWelcome_isNotRun_afterTheWelcomeItIs() {
        var worker = WorkerStateMachine(
            configuration: WorkerConfiguration(workerID: "w1", group: "g", node: "n", capacity: 1, kinds: ["k"])
        )
        _ = worker.handle([.started], now: self.t0)
        let assignment = Assignment(attempt: self.attempt(0), kind: "k", payload: [])
        let early = worker.handle([.message(.dispatch([assignment]))], now: self.ms(1))
        #expect(!early.contains { if case .startHandler = $0 { true } else { false } })
        let welcomed = worker.handle(
            [
                .message(
                    .welcome(
                        Welcome(coordinatorID: "c", heartbeatInterval: .milliseconds(250), livenessWindow: .seconds(1))
                    )
                ), .message(.dispatch([Assignment(attempt: self.attempt(0, 2), kind: "k", payload: [])])),
            ],
            now: self.ms(2)
        )
        #expect(welcomed.contains(.startHandler(Assignment(attempt: self.attempt(0, 2), kind: "k", payload: []))))
    }

    @Test func test_register_afterBeingDeclaredDead_stopsWhatItRanThen_unlessListed() {
        var machine = self.coordinator()
        _ = machine.handle([.message(self.register("w1"), from: self.w1)], now: self.t0)
        let first = machine.handle([.message(self.submit(1), from: self.client)], now: self.ms(1))
        #expect(self.dispatched(first, to: self.w1) == [self.attempt(0)])
        // Declared dead with the attempt outstanding (re-queued); its REGISTER, sent before that
        // DISPATCH reached it, lists nothing, yet the worker may be running it.
        _ = machine.handle([.unreachable(self.w1)], now: self.ms(2))
        let back = machine.handle([.message(self.register("w1"), from: self.w1)], now: self.ms(3))
        #expect(self.cancelled(back, to: self.w1) == [self.attempt(0)])
        #expect(self.dispatched(back, to: self.w1) == [self.attempt(0, 2)])
        // Its confirmation changes nothing: attempt 2 stays outstanding.
        let confirmed = machine.handle([.message(.cancelled([self.attempt(0)]), from: self.w1)], now: self.ms(4))
        #expect(self.dispatched(confirmed, to: self.w1).isEmpty)
        #expect(machine.outstandingAttempts == 1)
    }

    // MARK: - Bug 3: commits the coordinator made itself skipped the fan-out policy (seeds 4, 6, 19, 20, 23, 26)

    @Test func test_failFast_timeoutCommittedAtDispatch_endsTheJob() {
        var machine = self.coordinator()
        _ = machine.handle(
            [.message(self.register("w1"), from: self.w1), .message(self.register("w2"), from: self.w2)],
            now: self.t0
        )
        let first = machine.handle(
            [.message(self.submit(3, policy: .failFast, timeout: .milliseconds(100)), from: self.client)],
            now: self.ms(1)
        )
        #expect(
            self.dispatched(first, to: self.w1) + self.dispatched(first, to: self.w2) == [
                self.attempt(0), self.attempt(1),
            ]
        )
        // Past the deadline, w1's result frees credit: subtask 2 times out in the queue, which
        // decides fail-fast; subtask 1, still running at w2, must be told to stop.
        let holder = self.dispatched(first, to: self.w1).contains(self.attempt(0)) ? self.w1 : self.w2
        let other = holder == self.w1 ? self.w2 : self.w1
        let late = machine.handle(
            [.message(.results([SubtaskResult(attempt: self.attempt(0), outcome: .success([]))]), from: holder)],
            now: self.ms(150)
        )
        #expect(self.cancelled(late, to: other) == [self.attempt(1)])
    }

    @Test func test_failFast_subtaskGivenUpAfterWorkerLoss_endsTheJob() {
        var machine = self.coordinator(maxDeliveries: 1)
        _ = machine.handle(
            [.message(self.register("w1"), from: self.w1), .message(self.register("w2"), from: self.w2)],
            now: self.t0
        )
        let first = machine.handle([.message(self.submit(2, policy: .failFast), from: self.client)], now: self.ms(1))
        let lostAt = self.dispatched(first, to: self.w1).isEmpty ? self.w2 : self.w1
        let other = lostAt == self.w1 ? self.w2 : self.w1
        let lost = machine.handle([.unreachable(lostAt)], now: self.ms(2))
        #expect(self.cancelled(lost, to: other).count == 1)
    }

    // MARK: - Bug 4: drains that were never answered (seeds 2, 30, 277)

    @Test func test_drain_orderLostWithAReconnect_isOrderedAgain_andTheWorkerGetsNoWork() {
        var machine = self.coordinator()
        _ = machine.handle([.message(self.register("w1"), from: self.w1)], now: self.t0)
        let drain = DrainRequest(token: 5, target: .worker("w1"), grace: .seconds(1))
        let ordered = machine.handle([.message(.drain(drain), from: self.requester)], now: self.ms(1))
        #expect(ordered.contains { if case .send(self.w1, .drainWorker) = $0 { true } else { false } })
        // The worker reconnects before the order reaches it: it registers again, not draining.
        let again = machine.handle([.message(self.register("w1"), from: self.w1)], now: self.ms(2))
        #expect(again.contains { if case .send(self.w1, .drainWorker) = $0 { true } else { false } })
        let work = machine.handle([.message(self.submit(1), from: self.client)], now: self.ms(3))
        #expect(self.dispatched(work, to: self.w1).isEmpty)
        let left = machine.handle([.message(.deregister, from: self.w1)], now: self.ms(4))
        #expect(left.contains { if case .send(self.requester, .drainReply) = $0 { true } else { false } })
    }

    @Test func test_drain_workerLeftAndANewProcessTookItsID_drainIsStillAnswered() {
        var machine = self.coordinator()
        _ = machine.handle(
            [.message(self.register("w1"), from: self.w1), .message(self.register("w2"), from: self.w2)],
            now: self.t0
        )
        _ = machine.handle(
            [.message(.drain(DrainRequest(token: 5, target: .group("g"), grace: .seconds(1))), from: self.requester)],
            now: self.ms(1)
        )
        _ = machine.handle([.message(.deregister, from: self.w1)], now: self.ms(2))
        // A new process registers under w1's id (a stable `--id`) before w2 has left.
        _ = machine.handle([.message(self.register("w1"), from: self.w1)], now: self.ms(3))
        let done = machine.handle([.message(.deregister, from: self.w2)], now: self.ms(4))
        #expect(done.contains { if case .send(self.requester, .drainReply) = $0 { true } else { false } })
    }

    // MARK: - Bug 6: a cancelled probe lost with its worker kept its breaker permit (seeds 66, 115, 350, 528, …)

    @Test func test_cancelledProbeLostWithItsWorker_returnsItsPermit_andTheTrialGoesOn() throws {
        // A group breaker that opens on one failure, half-opens 100 ms later, and tries one probe.
        let group = CircuitBreaker.Configuration(
            window: .count(1),
            minimumCalls: 1,
            openDuration: .milliseconds(100),
            permittedCallsInHalfOpen: 1
        )
        var machine = CoordinatorStateMachine(
            configuration: CoordinatorConfiguration(
                coordinatorID: "c",
                breakers: BreakerHierarchy.Configuration(group: group)
            )
        )
        _ = machine.start(now: self.t0)
        _ = machine.handle(
            [.message(self.register("w1"), from: self.w1), .message(self.register("w2"), from: self.w2)],
            now: self.t0
        )
        func ref(_ job: UInt64) -> AttemptRef { AttemptRef(subtask: SubtaskRef(job: JobID(job), index: 0), attempt: 1) }
        func holder(_ actions: [CoordinatorAction], _ job: UInt64) -> PeerID? {
            [self.w1, self.w2].first { self.dispatched(actions, to: $0) == [ref(job)] }
        }
        // A group-scope failure (not retried) opens the group's breaker.
        let first = machine.handle([.message(self.submit(1), from: self.client)], now: self.ms(1))
        let failedOn = try #require(holder(first, 1))
        _ = machine.handle(
            [
                .message(
                    .results([SubtaskResult(attempt: ref(1), outcome: .failure(Failure(.auth, "denied")))]),
                    from: failedOn
                )
            ],
            now: self.ms(2)
        )
        // Past the open duration, job 2's subtask is the trial's one probe; the job is cancelled,
        // and the worker holding the probe dies before confirming.
        let second = machine.handle([.message(self.submit(1), from: self.client)], now: self.ms(200))
        let probeOn = try #require(holder(second, 2))
        let cancel = machine.handle(
            [.message(.cancelJob(CancelJob(token: 9, job: JobID(2), reason: "stop")), from: self.requester)],
            now: self.ms(201)
        )
        #expect(self.cancelled(cancel, to: probeOn) == [ref(2)])
        let lost = machine.handle([.unreachable(probeOn)], now: self.ms(202))
        #expect(lost.contains { if case .send(self.requester, .cancelReply) = $0 { true } else { false } })
        // The probe's permit came back: job 3 is the next probe, on the worker left.
        let third = machine.handle([.message(self.submit(1), from: self.client)], now: self.ms(203))
        let other = probeOn == self.w1 ? self.w2 : self.w1
        #expect(self.dispatched(third, to: other) == [ref(3)])
    }
}
