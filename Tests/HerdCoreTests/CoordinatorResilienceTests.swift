import Testing

@testable import HerdCore

/// Retries, breakers and fallbacks as the coordinator machine applies them.
@Suite struct CoordinatorResilienceTests {
    let client = PeerID("client")
    let t0 = Instant(nanoseconds: 1_000_000_000)

    func machine(_ configure: (inout CoordinatorConfiguration) -> Void = { _ in }) -> CoordinatorStateMachine {
        var configuration = CoordinatorConfiguration(coordinatorID: "c")
        configure(&configuration)
        var machine = CoordinatorStateMachine(configuration: configuration)
        _ = machine.start(now: self.t0)
        return machine
    }

    func register(_ machine: inout CoordinatorStateMachine, _ id: String, group: String = "g", capacity: UInt32 = 4) {
        _ = machine.handle(
            [
                .message(
                    .register(Registration(workerID: id, group: group, node: "n", capacity: capacity, kinds: ["k"])),
                    from: PeerID(id)
                )
            ],
            now: self.t0
        )
    }

    func submit(_ machine: inout CoordinatorStateMachine, count: UInt32, group: String = "g") -> [CoordinatorAction] {
        machine.handle(
            [
                .message(
                    .submit(Submission(token: 1, group: group, kind: "k", payloads: .template([], count: count))),
                    from: self.client
                )
            ],
            now: self.t0
        )
    }

    func fail(_ assignments: [Assignment], _ category: ErrorCategory, retryAfter: Duration? = nil) -> Message {
        .results(
            assignments.map {
                SubtaskResult(attempt: $0.attempt, outcome: .failure(Failure(category, "x", retryAfter: retryAfter)))
            }
        )
    }

    func committed(_ actions: [CoordinatorAction]) -> [JobResult] {
        actions.sends(to: self.client).flatMap { message -> [JobResult] in
            if case .jobResults(let results) = message { return results }
            return []
        }
    }

    func retryDueAt(_ actions: [CoordinatorAction]) -> Instant? {
        actions.compactMap { if case .schedule(.retryDue, let at) = $0 { at } else { nil } }.first
    }

    @Test func test_transientFailure_isRetriedAfterBackoff_onAnotherWorker_notCommitted() {
        var machine = self.machine()
        self.register(&machine, "w1", capacity: 1)
        self.register(&machine, "w2", capacity: 1)
        let first = self.submit(&machine, count: 1)
        let sent = first.assignments(to: PeerID("w1")) + first.assignments(to: PeerID("w2"))
        let failedOn = first.assignments(to: PeerID("w1")).isEmpty ? PeerID("w2") : PeerID("w1")
        let other = failedOn == PeerID("w1") ? PeerID("w2") : PeerID("w1")
        let failed = machine.handle([.message(self.fail(sent, .transient), from: failedOn)], now: self.t0)
        #expect(self.committed(failed).isEmpty, "a retried failure is not committed")
        let due = try! #require(self.retryDueAt(failed))
        // Full jitter after attempt 1: 0...200 ms.
        #expect(due >= self.t0 && due <= self.t0 + .milliseconds(200))
        let retried = machine.handle([.timer(.retryDue)], now: due)
        #expect(retried.assignments(to: other).map(\.attempt.attempt) == [2], "the retry prefers the other worker")
    }

    @Test func test_nonRetryableFailure_isCommittedAtOnce() {
        var machine = self.machine()
        self.register(&machine, "w1")
        let first = self.submit(&machine, count: 1)
        let failed = machine.handle(
            [.message(self.fail(first.assignments(to: PeerID("w1")), .validation), from: PeerID("w1"))],
            now: self.t0
        )
        #expect(self.committed(failed).count == 1)
        #expect(self.retryDueAt(failed) == nil)
    }

    @Test func test_retryAfter_isAFloorOnTheDelay() {
        var machine = self.machine()
        self.register(&machine, "w1")
        let first = self.submit(&machine, count: 1)
        let failed = machine.handle(
            [
                .message(
                    self.fail(first.assignments(to: PeerID("w1")), .rateLimited, retryAfter: .seconds(3)),
                    from: PeerID("w1")
                )
            ],
            now: self.t0
        )
        #expect(self.retryDueAt(failed) == self.t0 + .seconds(3))
    }

    @Test func test_attemptsExhausted_commitsTheLastFailure() {
        var machine = self.machine {
            $0.retry = RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(1), maxDelay: .milliseconds(1))
        }
        self.register(&machine, "w1")
        var actions = self.submit(&machine, count: 1)
        var now = self.t0
        var results: [JobResult] = []
        for _ in 0 ..< 3 {
            let sent = actions.assignments(to: PeerID("w1"))
            guard !sent.isEmpty else { break }
            actions = machine.handle([.message(self.fail(sent, .server), from: PeerID("w1"))], now: now)
            results += self.committed(actions)
            if let due = self.retryDueAt(actions) {
                now = due
                actions = machine.handle([.timer(.retryDue)], now: now)
            }
        }
        #expect(results.count == 1)
        #expect(results.first?.attempts == 2)
        // The last attempt's failure is the result; the first attempt's is its cause.
        guard case .failure(let failure) = results.first?.outcome else { Issue.record("expected a failure"); return }
        #expect(failure.category == .server)
        #expect(failure.causes == [Failure(.server, "x")])
    }

    /// A retry that could not finish before the job's deadline is not made, and spends nothing of
    /// the cluster's retry budget (found by the simulator's budget account).
    @Test func test_retryPastTheDeadline_isNotMade_andSpendsNoBudget() {
        var machine = self.machine { configuration in
            configuration.retry = RetryPolicy(
                maxAttempts: 3,
                baseDelay: .seconds(5),
                maxDelay: .seconds(5),
                jitter: .none
            )
        }
        self.register(&machine, "w1", capacity: 4)
        let before = machine.statusReport(token: 0, now: self.t0).retryBudget
        let sent = machine.handle(
            [
                .message(
                    .submit(
                        Submission(
                            token: 1,
                            group: "g",
                            kind: "k",
                            payloads: .template([], count: 2),
                            timeout: .seconds(1)
                        )
                    ),
                    from: self.client
                )
            ],
            now: self.t0
        )
        let failed = machine.handle(
            [.message(self.fail(sent.assignments(to: PeerID("w1")), .transient), from: PeerID("w1"))],
            now: self.t0
        )
        // Both fail with their own failure at once: a retry 5 s later cannot beat a 1 s deadline.
        #expect(
            self.committed(failed).allSatisfy {
                if case .failure(let f) = $0.outcome { f.category == .transient } else { false }
            }
        )
        #expect(self.committed(failed).count == 2)
        let after = machine.statusReport(token: 0, now: self.t0).retryBudget
        #expect(after.retries == before.retries, "no retry was withdrawn from the budget")
    }

    /// A recovering worker's credit grows with time alone: the periodic tick gives queued work a
    /// dispatch pass, so it does not wait for an unrelated message to come by.
    @Test func test_rampingWorker_getsMoreWorkOnTheTick_asItsShareGrows() {
        var machine = self.machine { $0.livenessWindow = .seconds(1) }
        let w1 = PeerID("w1")
        self.register(&machine, "w1", capacity: 10)
        var now = self.t0 + .seconds(2)
        _ = machine.handle([.timer(.tick)], now: now)  // silent past the window: dead
        self.register(&machine, "w1", capacity: 10)  // back: its share ramps up from 10 %
        let first = machine.handle(
            [
                .message(
                    .submit(Submission(token: 1, group: "g", kind: "k", payloads: .template([], count: 5))),
                    from: self.client
                )
            ],
            now: now
        )
        #expect(first.assignments(to: w1).count == 1, "10 % of 10 credits while the ramp starts")
        // Long after the ramp's last step, with nothing but heartbeats and the tick:
        now = now + .seconds(60)
        let later = machine.handle(
            [.message(.heartbeat, from: w1), .message(.heartbeat, from: self.client), .timer(.tick)],
            now: now
        )
        #expect(later.assignments(to: w1).count == 4, "the rest goes out on the tick")
    }

    /// A worker that dies (or stalls past its liveness window) holding many attempts is one piece
    /// of evidence against its breaker, not one per attempt: it comes back with its breaker closed.
    @Test func test_workerDeath_withManyAttempts_countsOnceAgainstItsBreaker() {
        var machine = self.machine { $0.livenessWindow = .seconds(1) }
        self.register(&machine, "w1", capacity: 50)
        _ = self.submit(&machine, count: 50)
        _ = machine.handle([.message(.heartbeat, from: self.client), .timer(.tick)], now: self.t0 + .seconds(2))
        let breaker = machine.resilience.breakers.breaker(at: .worker(group: "g", worker: "w1"))
        #expect(breaker?.stateName(now: self.t0 + .seconds(2)) == .closed, "50 lost attempts, one death")
        #expect(breaker?.metrics(now: self.t0 + .seconds(2)).calls == 1)
    }

    @Test func test_retryBudget_refusesRetriesBeyondRatioAndFloor() {
        var machine = self.machine { configuration in
            configuration.retryBudget = RetryBudget.Configuration(
                ratio: 0.1,
                minRetriesPerSecond: 0,
                window: .seconds(10)
            )
            configuration.breakers.worker.minimumCalls = 1_000  // keep breakers out of this test
            configuration.breakers.group.minimumCalls = 1_000
            configuration.breakers.cluster.minimumCalls = 1_000
        }
        self.register(&machine, "w1", capacity: 100)
        let first = self.submit(&machine, count: 100)
        let failed = machine.handle(
            [.message(self.fail(first.assignments(to: PeerID("w1")), .transient), from: PeerID("w1"))],
            now: self.t0
        )
        let refused = self.committed(failed)
        // 100 first attempts at ratio 0.1: 10 retries allowed, 90 refused.
        #expect(refused.count == 90)
        #expect(
            refused.allSatisfy {
                if case .failure(let f) = $0.outcome { f.category == .budgetExhausted } else { false }
            }
        )
        // A refusal names the attempt it refused to retry in its cause chain.
        #expect(
            refused.allSatisfy {
                if case .failure(let f) = $0.outcome { f.causes == [Failure(.transient, "x")] } else { false }
            }
        )
    }

    /// The end of the fallback chain: an open group with no fallback group answers a subtask whose
    /// kind and payload succeeded before with that last good result, others with its static value.
    @Test func test_groupBreakerOpen_servesLastGoodResult_thenStaticValue() {
        var machine = self.machine { configuration in
            configuration.retry = RetryPolicy(maxAttempts: 1)
            configuration.breakers.group = CircuitBreaker.Configuration(
                window: .count(4),
                failureRateThreshold: 50,
                minimumCalls: 4,
                openDuration: .seconds(30)
            )
            configuration.groupPolicies["g"] = .init(fallbackCache: 10, fallbackValue: Array("static".utf8))
        }
        self.register(&machine, "w1", capacity: 4)
        // Two good results (payloads "a" and "b"), then four server failures open the group.
        let good = machine.handle(
            [
                .message(
                    .submit(
                        Submission(
                            token: 1,
                            group: "g",
                            kind: "k",
                            payloads: .list([Array("a".utf8), Array("b".utf8)])
                        )
                    ),
                    from: self.client
                )
            ],
            now: self.t0
        )
        _ = machine.handle(
            [
                .message(
                    .results(
                        good.assignments(to: PeerID("w1")).map {
                            SubtaskResult(attempt: $0.attempt, outcome: .success($0.payload + Array("!".utf8)))
                        }
                    ),
                    from: PeerID("w1")
                )
            ],
            now: self.t0
        )
        let bad = self.submit(&machine, count: 4)
        _ = machine.handle(
            [.message(self.fail(bad.assignments(to: PeerID("w1")), .server), from: PeerID("w1"))],
            now: self.t0
        )
        let open = machine.handle(
            [
                .message(
                    .submit(
                        Submission(
                            token: 2,
                            group: "g",
                            kind: "k",
                            payloads: .list([Array("b".utf8), Array("c".utf8)])
                        )
                    ),
                    from: self.client
                )
            ],
            now: self.t0
        )
        #expect(open.assignments(to: PeerID("w1")).isEmpty, "the open group gets no work")
        let served = self.committed(open).sorted { $0.subtask.index < $1.subtask.index }
        #expect(served.map(\.outcome) == [.success(Array("b!".utf8)), .success(Array("static".utf8))])
        #expect(served.map(\.fallback) == [.lastGood, .staticValue])
    }

    /// Commits the coordinator makes in one dispatch pass all count for the fan-out policy, not only
    /// the last: a cached success followed by a circuit-open failure decides a `first` job, whose
    /// running attempt is then cancelled (found by the simulator, seed 252).
    @Test func test_cachedSuccessInADispatchPass_decidesAFirstJob_evenIfAFailureFollows() {
        var machine = self.machine { configuration in
            configuration.retry = RetryPolicy(maxAttempts: 1)
            configuration.breakers.group = CircuitBreaker.Configuration(
                window: .count(4),
                failureRateThreshold: 50,
                minimumCalls: 4,
                openDuration: .seconds(30)
            )
            configuration.groupPolicies["g"] = .init(fallbackCache: 10)
        }
        let w1 = PeerID("w1")
        self.register(&machine, "w1", capacity: 2)
        func list(_ token: UInt64, _ payloads: [String], policy: FanoutPolicy = .all) -> CoordinatorEvent {
            .message(
                .submit(
                    Submission(
                        token: token,
                        group: "g",
                        kind: "k",
                        payloads: .list(payloads.map { Array($0.utf8) }),
                        policy: policy
                    )
                ),
                from: self.client
            )
        }
        let good = machine.handle([list(1, ["a"])], now: self.t0)
        _ = machine.handle(
            [
                .message(
                    .results(
                        good.assignments(to: w1).map {
                            SubtaskResult(attempt: $0.attempt, outcome: .success(Array("A".utf8)))
                        }
                    ),
                    from: w1
                )
            ],
            now: self.t0
        )
        let bad = machine.handle([list(2, ["b0", "b1", "b2"])], now: self.t0)  // b0, b1 dispatched
        _ = machine.handle([list(3, ["z", "a", "x"], policy: .first)], now: self.t0)  // queued
        let next = machine.handle([.message(self.fail(bad.assignments(to: w1), .server), from: w1)], now: self.t0)  // b2 and z go
        let running = next.assignments(to: w1)
        let z = running.first { $0.payload == Array("z".utf8) }!.attempt
        let last = machine.handle(
            [.message(self.fail(running.filter { $0.attempt != z }, .server), from: w1)],
            now: self.t0
        )
        // The group opened: "a" is served from the cache, "x" fails fast, and the success ends
        // the `first` job, so its running attempt "z" is told to stop.
        #expect(last.sends(to: w1).contains(.cancel([z])))
        let served = self.committed(last).filter { $0.subtask.job == z.subtask.job }
        #expect(served.contains { $0.fallback == .lastGood && $0.outcome == .success(Array("A".utf8)) })
    }

    @Test func test_groupBreakerOpen_failsFastWithCircuitOpen_orUsesFallback() {
        func configure(_ configuration: inout CoordinatorConfiguration) {
            configuration.retry = RetryPolicy(maxAttempts: 1)
            configuration.breakers.group = CircuitBreaker.Configuration(
                window: .count(4),
                failureRateThreshold: 50,
                minimumCalls: 4,
                openDuration: .seconds(30)
            )
        }
        for useFallback in [false, true] {
            var machine = self.machine { configuration in
                configure(&configuration)
                if useFallback { configuration.groupPolicies["g"] = .init(fallback: "spare") }
            }
            self.register(&machine, "w1", capacity: 4)
            self.register(&machine, "s1", group: "spare", capacity: 4)
            let first = self.submit(&machine, count: 4)
            _ = machine.handle(
                [.message(self.fail(first.assignments(to: PeerID("w1")), .server), from: PeerID("w1"))],
                now: self.t0
            )
            // The group breaker is open now (4 server failures of 4 calls).
            let second = self.submit(&machine, count: 2)
            if useFallback {
                #expect(second.assignments(to: PeerID("s1")).count == 2, "the fallback group serves")
                let done = machine.handle(
                    [
                        .message(
                            .results(
                                second.assignments(to: PeerID("s1")).map {
                                    SubtaskResult(attempt: $0.attempt, outcome: .success([]))
                                }
                            ),
                            from: PeerID("s1")
                        )
                    ],
                    now: self.t0
                )
                #expect(self.committed(done).allSatisfy { $0.fallback == .group("spare") })
            } else {
                let categories = self.committed(second).compactMap {
                    if case .failure(let f) = $0.outcome { f.category } else { nil }
                }
                #expect(categories == [.circuitOpen, .circuitOpen])
            }
        }
    }
}
