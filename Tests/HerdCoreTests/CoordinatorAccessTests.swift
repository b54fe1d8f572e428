import Testing

@testable import HerdCore

/// Roles and limits, decided by the coordinator machine: each role can do what it may and nothing
/// more, and every limit is enforced with the documented error (docs/SECURITY.md).
@Suite struct CoordinatorAccessTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)
    let workerKey = String(repeating: "w", count: 40)
    let clientKey = String(repeating: "c", count: 40)
    let otherClientKey = String(repeating: "d", count: 40)
    let operatorKey = String(repeating: "o", count: 40)

    var worker: Principal { Principal(key: self.workerKey, roles: [.worker]) }
    var client: Principal { Principal(key: self.clientKey, roles: [.client]) }
    var otherClient: Principal { Principal(key: self.otherClientKey, roles: [.client]) }
    var admin: Principal { Principal(key: self.operatorKey, roles: [.operator]) }

    func machine(limits: CoordinatorLimits = .init()) -> CoordinatorStateMachine {
        var machine = CoordinatorStateMachine(
            configuration: CoordinatorConfiguration(coordinatorID: "c1", limits: limits)
        )
        _ = machine.start(now: self.t0)
        return machine
    }

    func register(_ id: String = "w1", group: String = "g") -> Message {
        .register(Registration(workerID: id, group: group, node: "n", capacity: 4, kinds: ["echo"]))
    }

    func submit(count: UInt32 = 2, token: UInt64 = 7, template: String = "p{index}") -> Message {
        .submit(
            Submission(token: token, group: "g", kind: "echo", payloads: .template(Array(template.utf8), count: count))
        )
    }

    /// A machine with worker w1 registered (by the worker key) in group g.
    func withWorker(limits: CoordinatorLimits = .init()) -> CoordinatorStateMachine {
        var machine = self.machine(limits: limits)
        _ = machine.handle([.authenticated(self.register(), from: PeerID("w1"), as: self.worker)], now: self.t0)
        return machine
    }

    func refusal(_ actions: [CoordinatorAction], to peer: PeerID) -> ProtocolError? {
        for case .send(peer, .error(let error)) in actions { return error }
        return nil
    }

    func rejection(_ actions: [CoordinatorAction], to peer: PeerID) -> Failure? {
        for case .send(peer, .rejected(let rejection)) in actions { return rejection.failure }
        return nil
    }

    func accepted(_ actions: [CoordinatorAction], to peer: PeerID) -> JobID? {
        for case .send(peer, .accepted(let accepted)) in actions { return accepted.job }
        return nil
    }

    // MARK: - Principal and keyring

    @Test func test_principal_userID_roundTrips() {
        let principal = Principal(key: self.workerKey, roles: [.worker, .client], groups: ["a", "b"])
        #expect(Principal(userID: principal.userID) == principal)
        #expect(Principal(userID: self.admin.userID) == self.admin)
        #expect(Principal(userID: "short worker") == nil)
        #expect(Principal(userID: "\(self.workerKey) king") == nil)
    }

    @Test func test_keyring_grants_mergeRolesAndGroups() {
        var ring = Keyring()
        ring.grant(.client, to: self.workerKey)
        ring.grant(.worker, to: self.workerKey, groups: ["a"])
        ring.grant(.worker, to: self.workerKey, groups: ["b"])
        #expect(ring[self.workerKey] == Principal(key: self.workerKey, roles: [.client, .worker], groups: ["a", "b"]))
        ring.grant(.worker, to: self.workerKey)
        #expect(ring[self.workerKey]?.groups == nil, "a grant without groups allows every group")
        #expect(ring[self.clientKey] == nil)
    }

    // MARK: - Roles

    @Test func test_clientKey_drain_isRefused_operatorRequired() {
        var machine = self.withWorker()
        let peer = PeerID("client-1")
        let drain = Message.drain(DrainRequest(token: 1, target: .group("g"), grace: .seconds(1)))
        let actions = machine.handle([.authenticated(drain, from: peer, as: self.client)], now: self.t0)
        #expect(self.refusal(actions, to: peer) == ProtocolError(.notAllowed, "not allowed: operator role required"))
        #expect(!actions.contains { if case .send(PeerID("w1"), .drainWorker) = $0 { true } else { false } })
        let breaker = Message.breaker(BreakerCommand(token: 2, action: .open, path: "/"))
        let refused = machine.handle([.authenticated(breaker, from: peer, as: self.client)], now: self.t0)
        #expect(self.refusal(refused, to: peer)?.message == CoordinatorStateMachine.operatorRequired)
    }

    @Test func test_operatorKey_drainAndBreaker_areHandled() {
        var machine = self.withWorker()
        let peer = PeerID("op-1")
        let drain = Message.drain(DrainRequest(token: 1, target: .group("g"), grace: .seconds(1)))
        let actions = machine.handle([.authenticated(drain, from: peer, as: self.admin)], now: self.t0)
        #expect(self.refusal(actions, to: peer) == nil)
        #expect(actions.contains { if case .send(PeerID("w1"), .drainWorker) = $0 { true } else { false } })
        let breaker = Message.breaker(BreakerCommand(token: 2, action: .open, path: "/"))
        let replied = machine.handle([.authenticated(breaker, from: peer, as: self.admin)], now: self.t0)
        #expect(replied.contains { if case .send(peer, .breakerReply(let reply)) = $0 { reply.ok } else { false } })
    }

    @Test func test_clientKey_workerCommands_areRefused() {
        var machine = self.machine()
        let peer = PeerID("w9")
        let actions = machine.handle([.authenticated(self.register("w9"), from: peer, as: self.client)], now: self.t0)
        #expect(self.refusal(actions, to: peer)?.message == "not allowed: worker role required")
        #expect(machine.statusReport(token: 0, now: self.t0).workers.isEmpty)
        let result = Message.results([
            SubtaskResult(
                attempt: AttemptRef(subtask: SubtaskRef(job: JobID(1), index: 0), attempt: 1),
                outcome: .success([])
            )
        ])
        let more = machine.handle([.authenticated(result, from: peer, as: self.client)], now: self.t0)
        #expect(self.refusal(more, to: peer)?.code == .notAllowed)
    }

    @Test func test_workerKey_topLevelSubmitAndStatus_areRefused() {
        var machine = self.withWorker()
        let peer = PeerID("w1")
        let actions = machine.handle([.authenticated(self.submit(), from: peer, as: self.worker)], now: self.t0)
        #expect(self.rejection(actions, to: peer)?.category == .auth)
        #expect(self.rejection(actions, to: peer)?.message.hasPrefix("not allowed:") == true)
        let status = machine.handle(
            [.authenticated(.statusRequest(token: 1), from: peer, as: self.worker)],
            now: self.t0
        )
        #expect(self.refusal(status, to: peer)?.message == "not allowed: client role required")
    }

    @Test func test_workerKey_limitedToGroup_registersThereOnly() {
        var machine = self.machine()
        let limited = Principal(key: self.workerKey, roles: [.worker], groups: ["g"])
        let elsewhere = machine.handle(
            [.authenticated(self.register("w1", group: "other"), from: PeerID("w1"), as: limited)],
            now: self.t0
        )
        #expect(self.refusal(elsewhere, to: PeerID("w1"))?.message.contains("group 'other'") == true)
        let home = machine.handle([.authenticated(self.register("w2"), from: PeerID("w2"), as: limited)], now: self.t0)
        #expect(home.contains { if case .send(PeerID("w2"), .welcome) = $0 { true } else { false } })
    }

    @Test func test_clientKey_cancelsItsOwnJobs_fromAnyConnection_notOthers() {
        var machine = self.withWorker()
        let submitted = machine.handle(
            [.authenticated(self.submit(), from: PeerID("client-a"), as: self.client)],
            now: self.t0
        )
        let job = try! #require(self.accepted(submitted, to: PeerID("client-a")))
        // Another client key may not cancel it.
        let cancel = Message.cancelJob(CancelJob(token: 3, job: job, reason: "no"))
        let foreign = machine.handle(
            [.authenticated(cancel, from: PeerID("client-x"), as: self.otherClient)],
            now: self.t0
        )
        #expect(
            self.refusal(foreign, to: PeerID("client-x"))?.message.hasPrefix(CoordinatorStateMachine.operatorRequired)
                == true
        )
        #expect(machine.jobs[job]?.isEnding == false)
        // Its results neither.
        let read = Message.resultsRequest(ResultsRequest(token: 4, job: job))
        let peek = machine.handle([.authenticated(read, from: PeerID("client-x"), as: self.otherClient)], now: self.t0)
        #expect(self.refusal(peek, to: PeerID("client-x"))?.code == .notAllowed)
        // The same key from another process (`herd cancel`) may.
        let own = machine.handle([.authenticated(cancel, from: PeerID("client-b"), as: self.client)], now: self.t0)
        #expect(self.refusal(own, to: PeerID("client-b")) == nil)
        #expect(machine.jobs[job]?.isEnding == true)
    }

    @Test func test_operatorKey_cancelsAnyJob() {
        var machine = self.withWorker()
        let submitted = machine.handle(
            [.authenticated(self.submit(), from: PeerID("client-a"), as: self.client)],
            now: self.t0
        )
        let job = try! #require(self.accepted(submitted, to: PeerID("client-a")))
        let cancel = Message.cancelJob(CancelJob(token: 3, job: job, reason: "ops"))
        let actions = machine.handle([.authenticated(cancel, from: PeerID("op"), as: self.admin)], now: self.t0)
        #expect(self.refusal(actions, to: PeerID("op")) == nil)
        #expect(machine.jobs[job]?.isEnding == true)
    }

    @Test func test_routingID_boundToOneKey_anotherKeyIsRefused() {
        var machine = self.withWorker()
        let impostor = Principal(key: self.otherClientKey, roles: [.worker])
        let actions = machine.handle([.authenticated(.heartbeat, from: PeerID("w1"), as: impostor)], now: self.t0)
        #expect(self.refusal(actions, to: PeerID("w1"))?.message.contains("another key") == true)
    }

    @Test func test_unauthenticatedMessages_keepWorkingAsBefore() {
        var machine = self.machine()
        let actions = machine.handle([.message(self.register(), from: PeerID("w1"))], now: self.t0)
        #expect(actions.contains { if case .send(PeerID("w1"), .welcome) = $0 { true } else { false } })
    }

    // MARK: - Limits

    @Test func test_limit_fanout_rejectsWithTheKey() {
        var machine = self.withWorker(limits: CoordinatorLimits(maxSubtasksPerJob: 10))
        let actions = machine.handle(
            [.authenticated(self.submit(count: 11), from: PeerID("client-a"), as: self.client)],
            now: self.t0
        )
        let failure = try! #require(self.rejection(actions, to: PeerID("client-a")))
        #expect(failure.category == .validation)
        #expect(failure.message == "limit exceeded: a job may have at most 10 subtasks, got 11 (max-fanout)")
    }

    @Test func test_limit_payloadBytes_countsTheExpandedTemplate() {
        var machine = self.withWorker(limits: CoordinatorLimits(maxPayloadBytes: 10))
        // "0123456789{index}" with 100,000 subtasks: 10 bytes + 5 digits.
        let big = machine.handle(
            [
                .authenticated(
                    self.submit(count: 100_000, template: "0123456789{index}"),
                    from: PeerID("c"),
                    as: self.client
                )
            ],
            now: self.t0
        )
        #expect(self.rejection(big, to: PeerID("c"))?.message.contains("(max-payload-bytes)") == true)
        let small = machine.handle(
            [.authenticated(self.submit(count: 3, template: "p{index}"), from: PeerID("c"), as: self.client)],
            now: self.t0
        )
        #expect(self.accepted(small, to: PeerID("c")) != nil)
    }

    @Test func test_limit_openJobsPerClient_countsByKey_andFreesWhenJobsEnd() throws {
        var machine = self.withWorker(limits: CoordinatorLimits(maxOpenJobsPerClient: 2))
        var jobs: [JobID] = []
        for (n, peer) in ["c1", "c2"].enumerated() {
            let actions = machine.handle(
                [.authenticated(self.submit(count: 1, token: UInt64(n)), from: PeerID(peer), as: self.client)],
                now: self.t0
            )
            jobs.append(try #require(self.accepted(actions, to: PeerID(peer))))
        }
        let third = machine.handle(
            [.authenticated(self.submit(count: 1, token: 9), from: PeerID("c3"), as: self.client)],
            now: self.t0
        )
        let failure = try #require(self.rejection(third, to: PeerID("c3")))
        #expect(
            failure.message
                == "limit exceeded: this client has 2 jobs open, at most 2 are allowed (max-open-jobs-per-client)"
        )
        // Another key has its own count.
        let other = machine.handle(
            [.authenticated(self.submit(count: 1, token: 10), from: PeerID("d1"), as: self.otherClient)],
            now: self.t0
        )
        #expect(self.accepted(other, to: PeerID("d1")) != nil)
        // Once a job finishes (its one result), a new one is accepted.
        let attempt = AttemptRef(subtask: SubtaskRef(job: jobs[0], index: 0), attempt: 1)
        _ = machine.handle(
            [
                .authenticated(
                    .results([SubtaskResult(attempt: attempt, outcome: .success([]))]),
                    from: PeerID("w1"),
                    as: self.worker
                )
            ],
            now: self.t0
        )
        #expect(machine.jobs[jobs[0]] == nil, "the first job finished")
        let later = machine.handle(
            [.authenticated(self.submit(count: 1, token: 11), from: PeerID("c4"), as: self.client)],
            now: self.t0
        )
        #expect(self.accepted(later, to: PeerID("c4")) != nil)
    }

    @Test func test_limit_submissionsPerSecond_isATokenBucket() {
        var machine = self.withWorker(limits: CoordinatorLimits(maxSubmissionsPerSecond: 5))
        var accepted = 0
        var limited: Failure?
        for n in 0 ..< 8 {
            let actions = machine.handle(
                [.authenticated(self.submit(token: UInt64(n)), from: PeerID("c\(n)"), as: self.client)],
                now: self.t0
            )
            if self.accepted(actions, to: PeerID("c\(n)")) != nil { accepted += 1 }
            if let failure = self.rejection(actions, to: PeerID("c\(n)")) { limited = failure }
        }
        #expect(accepted == 5)
        #expect(limited?.category == .rateLimited)
        #expect(limited?.message.contains("(max-submissions-per-second)") == true)
        // A second later the bucket has refilled.
        let later = machine.handle(
            [.authenticated(self.submit(token: 99), from: PeerID("c99"), as: self.client)],
            now: self.t0 + .seconds(1)
        )
        #expect(self.accepted(later, to: PeerID("c99")) != nil)
    }

    @Test func test_limit_outputBytes_failsTheSubtask() {
        var machine = self.withWorker(limits: CoordinatorLimits(maxOutputBytes: 4))
        let submitted = machine.handle(
            [.authenticated(self.submit(count: 1), from: PeerID("c"), as: self.client)],
            now: self.t0
        )
        let job = try! #require(self.accepted(submitted, to: PeerID("c")))
        let attempt = AttemptRef(subtask: SubtaskRef(job: job, index: 0), attempt: 1)
        let actions = machine.handle(
            [
                .authenticated(
                    .results([SubtaskResult(attempt: attempt, outcome: .success(Array("too long".utf8)))]),
                    from: PeerID("w1"),
                    as: self.worker
                )
            ],
            now: self.t0
        )
        var failures: [Failure] = []
        for case .send(PeerID("c"), .jobResults(let results)) in actions {
            for result in results { if case .failure(let failure) = result.outcome { failures.append(failure) } }
        }
        #expect(failures.first?.message.contains("(max-output-bytes)") == true)
        #expect(failures.first?.category == .validation)
    }

    @Test func test_access_tables_stayBounded_asJobsAreForgotten() {
        var machine = self.withWorker()
        for n in 0 ..< 50 {
            let submitted = machine.handle(
                [.authenticated(self.submit(count: 1, token: UInt64(n)), from: PeerID("c\(n)"), as: self.client)],
                now: self.t0
            )
            let job = self.accepted(submitted, to: PeerID("c\(n)"))!
            _ = machine.handle(
                [
                    .authenticated(
                        .cancelJob(CancelJob(token: 1, job: job, reason: "")),
                        from: PeerID("op"),
                        as: self.admin
                    )
                ],
                now: self.t0
            )
        }
        // The worker is declared dead at the first tick and its cancelled jobs complete in that
        // tick's flush; the next tick forgets them.
        _ = machine.handle([.timer(.tick)], now: self.t0 + .seconds(60))
        _ = machine.handle([.timer(.tick)], now: self.t0 + .seconds(61))
        #expect(machine.jobs.count == 0)
        #expect(machine.access.size <= machine.jobs.count * 2 + 2, "access tables: \(machine.access.size)")
    }
}
