import Testing

@testable import HerdCore

/// Checks, after every step, that a breaker only ever made legal, chained transitions and that a
/// half-open trial never admitted more probes than allowed (the shadow model of STYLE 13).
struct BreakerAudit {
    private(set) var seen = 0

    mutating func check(_ breaker: CircuitBreaker, sourceLocation: SourceLocation = #_sourceLocation) {
        let fresh = breaker.transitionCount - self.seen
        #expect(fresh >= 0, sourceLocation: sourceLocation)
        for transition in breaker.history.suffix(min(fresh, breaker.history.count)) {
            #expect(transition.isLegal, "illegal \(transition)", sourceLocation: sourceLocation)
        }
        for (earlier, later) in zip(breaker.history, breaker.history.dropFirst()) {
            #expect(earlier.to == later.from, "unchained \(earlier) then \(later)", sourceLocation: sourceLocation)
            #expect(earlier.at <= later.at, sourceLocation: sourceLocation)
        }
        if let last = breaker.lastTransition {
            #expect(last.to == breaker.stateName, sourceLocation: sourceLocation)
        }
        if case .halfOpen(let trial) = breaker.state {
            #expect(
                trial.probesAdmitted <= breaker.configuration.permittedCallsInHalfOpen,
                sourceLocation: sourceLocation
            )
            #expect(trial.calls < breaker.configuration.permittedCallsInHalfOpen, sourceLocation: sourceLocation)
        }
        self.seen = breaker.transitionCount
    }
}

@Suite struct ResilienceCircuitBreakerTests {
    let t0 = Instant(nanoseconds: 1_000_000_000_000)
    let fast = Duration.milliseconds(5)

    func at(_ offset: Duration) -> Instant { self.t0 + offset }

    func expectAcquire(
        _ breaker: inout CircuitBreaker,
        _ now: Instant,
        _ expected: Bool,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let permitted = breaker.tryAcquire(now: now)
        #expect(permitted == expected, sourceLocation: sourceLocation)
    }

    func breaker(
        window: SlidingWindow.Kind = .count(10),
        failureRate: Double = 50,
        slowRate: Double = 100,
        slowCall: Duration = .seconds(1),
        minimumCalls: Int = 4,
        open: Duration = .seconds(30),
        probes: Int = 3,
        maxHalfOpen: Duration? = nil
    ) -> CircuitBreaker {
        CircuitBreaker(
            configuration: CircuitBreaker.Configuration(
                window: window,
                failureRateThreshold: failureRate,
                slowCallRateThreshold: slowRate,
                slowCallDuration: slowCall,
                minimumCalls: minimumCalls,
                openDuration: open,
                permittedCallsInHalfOpen: probes,
                maxHalfOpenDuration: maxHalfOpen
            )
        )
    }

    /// Opens `breaker` at `t0` with `minimumCalls` failures.
    func opened(_ breaker: CircuitBreaker) -> CircuitBreaker {
        var breaker = breaker
        for _ in 0 ..< breaker.configuration.effectiveMinimumCalls {
            breaker.record(.failure, duration: self.fast, now: self.t0)
        }
        #expect(breaker.state == .open(since: self.t0))
        return breaker
    }

    /// Opens `breaker` at `t0` and starts a half-open trial at `t0 + openDuration` (one probe admitted).
    func halfOpened(_ breaker: CircuitBreaker) -> CircuitBreaker {
        var breaker = self.opened(breaker)
        self.expectAcquire(&breaker, self.t0 + breaker.configuration.openDuration, true)
        #expect(breaker.stateName == .halfOpen)
        return breaker
    }

    // MARK: - Defaults

    @Test func test_defaults_matchTheDocumentedTable() {
        let configuration = CircuitBreaker.Configuration()
        #expect(configuration.window == .count(20))
        #expect(configuration.failureRateThreshold == 50)
        #expect(configuration.slowCallRateThreshold == 100)
        #expect(configuration.slowCallDuration == .seconds(60))
        #expect(configuration.minimumCalls == 10)
        #expect(configuration.openDuration == .seconds(30))
        #expect(configuration.permittedCallsInHalfOpen == 3)
        #expect(configuration.maxHalfOpenDuration == nil)
        let breaker = CircuitBreaker()
        #expect(breaker.state == .closed)
        #expect(breaker.history.isEmpty && breaker.lastTransition == nil && breaker.transitionCount == 0)
    }

    // MARK: - Closed

    @Test func test_record_belowMinimumCalls_staysClosed_thenOpensAtTheMinimum() {
        var breaker = self.breaker(minimumCalls: 4)
        var audit = BreakerAudit()
        for index in 0 ..< 3 {
            breaker.record(.failure, duration: self.fast, now: self.at(.seconds(index)))
            #expect(breaker.state == .closed)
            audit.check(breaker)
        }
        breaker.record(.failure, duration: self.fast, now: self.at(.seconds(3)))
        #expect(breaker.state == .open(since: self.at(.seconds(3))))
        #expect(
            breaker.lastTransition
                == .init(from: .closed, to: .open, trigger: .failureRateExceeded, at: self.at(.seconds(3)))
        )
        audit.check(breaker)
    }

    @Test func test_record_failureRateExactlyAtThreshold_opens_andJustBelow_doesNot() {
        var atThreshold = self.breaker(failureRate: 50, minimumCalls: 4)
        for result in [CircuitBreaker.CallResult.success, .failure, .success, .failure] {
            atThreshold.record(result, duration: self.fast, now: self.t0)
        }
        #expect(atThreshold.stateName == .open)

        var below = self.breaker(failureRate: 50, minimumCalls: 5)
        for result in [CircuitBreaker.CallResult.success, .failure, .success, .failure, .success] {
            below.record(result, duration: self.fast, now: self.t0)
        }
        #expect(below.state == .closed)
        #expect(below.metrics(now: self.t0) == SlidingWindow.Snapshot(calls: 5, failures: 2))
    }

    @Test func test_record_countWindowEvictsTheOldestCall() {
        // Window of 4, threshold 75 %: S F F S is 50 %; the next F evicts the first S → F F S F = 75 %.
        var breaker = self.breaker(window: .count(4), failureRate: 75, minimumCalls: 4)
        for result in [CircuitBreaker.CallResult.success, .failure, .failure, .success] {
            breaker.record(result, duration: self.fast, now: self.t0)
        }
        #expect(breaker.state == .closed)
        breaker.record(.failure, duration: self.fast, now: self.t0)
        #expect(breaker.stateName == .open)
    }

    @Test func test_minimumCalls_isCappedAtACountWindowsSize_butNotAtATimeWindow() {
        var count = self.breaker(window: .count(3), minimumCalls: 10)
        #expect(count.configuration.effectiveMinimumCalls == 3)
        for _ in 0 ..< 3 { count.record(.failure, duration: self.fast, now: self.t0) }
        #expect(count.stateName == .open)

        var time = self.breaker(window: .seconds(10), minimumCalls: 10)
        #expect(time.configuration.effectiveMinimumCalls == 10)
        for _ in 0 ..< 9 { time.record(.failure, duration: self.fast, now: self.t0) }
        #expect(time.state == .closed)
        time.record(.failure, duration: self.fast, now: self.t0)
        #expect(time.stateName == .open)
    }

    @Test func test_timeWindow_failuresExpireAtTheWindowEdge() {
        // 10 s window in 1 s buckets, minimum 3: failures at 0 s and 1 s; the third one decides.
        func run(thirdAt offset: Duration) -> CircuitBreaker {
            var breaker = self.breaker(window: .seconds(10), failureRate: 100, minimumCalls: 3)
            breaker.record(.failure, duration: self.fast, now: self.t0)
            breaker.record(.failure, duration: self.fast, now: self.at(.seconds(1)))
            breaker.record(.failure, duration: self.fast, now: self.at(offset))
            return breaker
        }
        #expect(run(thirdAt: .seconds(10) - .nanoseconds(1)).stateName == .open)
        let exactly = run(thirdAt: .seconds(10))
        #expect(exactly.state == .closed)
        #expect(exactly.metrics(now: self.at(.seconds(10))).calls == 2)
        #expect(run(thirdAt: .seconds(10) + .nanoseconds(1)).state == .closed)
    }

    @Test func test_slowCalls_areStrictlyLongerThanTheSlowCallDuration_andOpenAtTheirRate() {
        var breaker = self.breaker(slowRate: 50, slowCall: .seconds(1), minimumCalls: 2)
        breaker.record(.success, duration: .seconds(1), now: self.t0)
        #expect(breaker.metrics(now: self.t0).slowCalls == 0)
        breaker.record(.success, duration: .seconds(1) + .nanoseconds(1), now: self.t0)
        #expect(breaker.state == .open(since: self.t0))
        #expect(breaker.lastTransition?.trigger == .slowCallRateExceeded)
    }

    @Test func test_failureRate_isCheckedBeforeSlowCallRate() {
        var breaker = self.breaker(failureRate: 50, slowRate: 50, slowCall: .seconds(1), minimumCalls: 2)
        breaker.record(.failure, duration: .seconds(2), now: self.t0)
        breaker.record(.failure, duration: .seconds(2), now: self.t0)
        #expect(breaker.lastTransition?.trigger == .failureRateExceeded)
    }

    // MARK: - Open

    @Test func test_open_refusesUntilTheDeadline_andGoesHalfOpenExactlyAtIt() {
        var breaker = self.opened(self.breaker(open: .seconds(30)))
        var audit = BreakerAudit()
        #expect(breaker.halfOpenAt == self.at(.seconds(30)))
        self.expectAcquire(&breaker, self.at(.seconds(1)), false)
        self.expectAcquire(&breaker, self.at(.seconds(30) - .nanoseconds(1)), false)
        #expect(breaker.state == .open(since: self.t0))
        #expect(breaker.rejectedCalls == 2)
        audit.check(breaker)

        self.expectAcquire(&breaker, self.at(.seconds(30)), true)
        #expect(breaker.state == .halfOpen(.init(since: self.at(.seconds(30)), probesAdmitted: 1)))
        #expect(
            breaker.lastTransition
                == .init(from: .open, to: .halfOpen, trigger: .openDurationElapsed, at: self.at(.seconds(30)))
        )
        #expect(breaker.halfOpenAt == nil)
        audit.check(breaker)
    }

    @Test func test_open_oneNanosecondPastTheDeadline_isHalfOpenToo() {
        var breaker = self.opened(self.breaker(open: .seconds(30)))
        self.expectAcquire(&breaker, self.at(.seconds(30) + .nanoseconds(1)), true)
        #expect(breaker.stateName == .halfOpen)
    }

    @Test func test_open_peekingDoesNotTransitionOrCount() {
        let breaker = self.opened(self.breaker(open: .seconds(30)))
        #expect(!breaker.isCallPermitted(now: self.at(.seconds(30) - .nanoseconds(1))))
        #expect(breaker.isCallPermitted(now: self.at(.seconds(30))))
        #expect(breaker.stateName(now: self.at(.seconds(30) - .nanoseconds(1))) == .open)
        #expect(breaker.stateName(now: self.at(.seconds(30))) == .halfOpen)
        #expect(breaker.state == .open(since: self.t0))
        #expect(breaker.rejectedCalls == 0)
    }

    @Test func test_open_lateResultsAreIgnored() {
        var breaker = self.opened(self.breaker())
        for _ in 0 ..< 10 { breaker.record(.success, duration: self.fast, now: self.at(.seconds(1))) }
        #expect(breaker.state == .open(since: self.t0))
        #expect(breaker.metrics(now: self.at(.seconds(1))).calls == 0)
    }

    @Test func test_zeroOpenDuration_goesHalfOpenOnTheNextAcquire() {
        var breaker = self.opened(self.breaker(open: .zero))
        self.expectAcquire(&breaker, self.t0, true)
        #expect(breaker.stateName == .halfOpen)
    }

    // MARK: - Half-open

    @Test func test_halfOpen_admitsOnlyThePermittedProbes_andAReleaseFreesOne() {
        var breaker = self.halfOpened(self.breaker(open: .seconds(30), probes: 3))
        let now = self.at(.seconds(31))
        self.expectAcquire(&breaker, now, true)
        self.expectAcquire(&breaker, now, true)
        self.expectAcquire(&breaker, now, false)
        #expect(!breaker.isCallPermitted(now: now))
        #expect(breaker.rejectedCalls == 1)
        breaker.releasePermission()
        self.expectAcquire(&breaker, now, true)
        self.expectAcquire(&breaker, now, false)
        guard case .halfOpen(let trial) = breaker.state else {
            Issue.record("expected half-open")
            return
        }
        #expect(trial.probesAdmitted == 3 && trial.probesInFlight == 3)
    }

    @Test func test_halfOpen_allProbesSucceed_closesWithAFreshWindow() {
        var breaker = self.halfOpened(self.breaker(open: .seconds(30), probes: 3))
        var audit = BreakerAudit()
        let now = self.at(.seconds(31))
        self.expectAcquire(&breaker, now, true)
        self.expectAcquire(&breaker, now, true)
        breaker.record(.success, duration: self.fast, now: now)
        breaker.record(.success, duration: self.fast, now: now)
        #expect(breaker.stateName == .halfOpen)
        audit.check(breaker)
        breaker.record(.success, duration: self.fast, now: now)
        #expect(breaker.state == .closed)
        #expect(breaker.lastTransition == .init(from: .halfOpen, to: .closed, trigger: .probesSucceeded, at: now))
        #expect(breaker.metrics(now: now).calls == 0)
        audit.check(breaker)
    }

    @Test func test_halfOpen_failureRateAtThreshold_reopensFromNow() {
        // 3 probes, 50 %: one failure of three is 33 % (closes); two of three is 67 % (reopens).
        var passes = self.halfOpened(self.breaker(failureRate: 50, probes: 3))
        for result in [CircuitBreaker.CallResult.failure, .success, .success] {
            passes.record(result, duration: self.fast, now: self.at(.seconds(31)))
        }
        #expect(passes.state == .closed)

        var fails = self.halfOpened(self.breaker(failureRate: 50, open: .seconds(30), probes: 3))
        let decided = self.at(.seconds(32))
        for result in [CircuitBreaker.CallResult.failure, .success, .failure] {
            fails.record(result, duration: self.fast, now: decided)
        }
        #expect(fails.state == .open(since: decided))
        #expect(fails.lastTransition == .init(from: .halfOpen, to: .open, trigger: .failureRateExceeded, at: decided))
        self.expectAcquire(&fails, decided + .seconds(30) - .nanoseconds(1), false)
        self.expectAcquire(&fails, decided + .seconds(30), true)
    }

    @Test func test_halfOpen_slowProbes_reopen() {
        var breaker = self.halfOpened(self.breaker(slowRate: 50, slowCall: .seconds(1), probes: 2))
        breaker.record(.success, duration: .seconds(2), now: self.at(.seconds(40)))
        breaker.record(.success, duration: self.fast, now: self.at(.seconds(40)))
        #expect(breaker.state == .open(since: self.at(.seconds(40))))
        #expect(breaker.lastTransition?.trigger == .slowCallRateExceeded)
    }

    @Test func test_halfOpen_expiresAtMaxHalfOpenDuration_exactly() {
        var breaker = self.halfOpened(self.breaker(open: .seconds(30), probes: 1, maxHalfOpen: .seconds(10)))
        var audit = BreakerAudit()
        let trialStart = self.at(.seconds(30))
        self.expectAcquire(&breaker, trialStart + .seconds(10) - .nanoseconds(1), false)
        #expect(breaker.stateName == .halfOpen)
        self.expectAcquire(&breaker, trialStart + .seconds(10), false)
        #expect(breaker.state == .open(since: trialStart + .seconds(10)))
        #expect(breaker.lastTransition?.trigger == .halfOpenExpired)
        audit.check(breaker)
    }

    @Test func test_halfOpen_expiryWithZeroOpenDuration_startsANewTrialAtOnce() {
        var breaker = self.halfOpened(self.breaker(open: .zero, probes: 1, maxHalfOpen: .seconds(10)))
        let later = self.at(.seconds(10))
        self.expectAcquire(&breaker, later, true)
        #expect(breaker.state == .halfOpen(.init(since: later, probesAdmitted: 1)))
        #expect(breaker.history.suffix(2).map(\.trigger) == [.halfOpenExpired, .openDurationElapsed])
        var audit = BreakerAudit()
        audit.check(breaker)
    }

    // MARK: - Operator commands

    @Test func test_forcedOpen_refusesEverything_ignoresResults_andOnlyAnOperatorLeavesIt() {
        var breaker = self.breaker()
        var audit = BreakerAudit()
        breaker.forceOpen(now: self.t0)
        #expect(breaker.state == .forcedOpen)
        self.expectAcquire(&breaker, self.at(.seconds(3600)), false)
        breaker.record(.success, duration: self.fast, now: self.t0)
        breaker.forceOpen(now: self.at(.seconds(1)))
        #expect(breaker.transitionCount == 1)
        audit.check(breaker)
        breaker.close(now: self.at(.seconds(2)))
        #expect(breaker.state == .closed)
        #expect(
            breaker.lastTransition
                == .init(from: .forcedOpen, to: .closed, trigger: .operatorClose, at: self.at(.seconds(2)))
        )
        audit.check(breaker)
    }

    @Test func test_disabled_permitsEverything_andNeverOpens() {
        var breaker = self.breaker(minimumCalls: 1)
        var audit = BreakerAudit()
        breaker.disable(now: self.t0)
        for _ in 0 ..< 100 {
            self.expectAcquire(&breaker, self.t0, true)
            breaker.record(.failure, duration: .seconds(100), now: self.t0)
        }
        #expect(breaker.state == .disabled)
        breaker.forceOpen(now: self.at(.seconds(1)))
        #expect(breaker.state == .forcedOpen)
        breaker.disable(now: self.at(.seconds(2)))
        breaker.disable(now: self.at(.seconds(3)))
        breaker.reset(now: self.at(.seconds(4)))
        #expect(breaker.state == .closed)
        #expect(breaker.history.map(\.to) == [.disabled, .forcedOpen, .disabled, .closed])
        audit.check(breaker)
    }

    @Test func test_close_whenClosed_keepsTheWindow_whileResetClearsIt() {
        var breaker = self.breaker(minimumCalls: 4)
        breaker.record(.failure, duration: self.fast, now: self.t0)
        breaker.close(now: self.t0)
        #expect(breaker.transitionCount == 0)
        #expect(breaker.metrics(now: self.t0).failures == 1)
        breaker.reset(now: self.t0)
        #expect(breaker.lastTransition == .init(from: .closed, to: .closed, trigger: .operatorReset, at: self.t0))
        #expect(breaker.metrics(now: self.t0).calls == 0)
    }

    @Test func test_operatorCommands_fromOpenAndHalfOpen() {
        var open = self.opened(self.breaker())
        open.close(now: self.at(.seconds(1)))
        #expect(open.state == .closed)

        var halfOpen = self.halfOpened(self.breaker())
        halfOpen.forceOpen(now: self.at(.seconds(31)))
        #expect(halfOpen.state == .forcedOpen)

        var audit = BreakerAudit()
        audit.check(open)
        audit = BreakerAudit()
        audit.check(halfOpen)
    }

    // MARK: - Transition table and history

    @Test func test_isLegal_matchesTheDocumentedTable() {
        typealias Name = CircuitBreaker.StateName
        var legal: Set<String> = [
            "closed>open>failure-rate", "closed>open>slow-call-rate",
            "half-open>open>failure-rate", "half-open>open>slow-call-rate", "half-open>open>half-open-expired",
            "open>half-open>open-duration-elapsed", "half-open>closed>probes-succeeded",
        ]
        for from in Name.allCases {
            if from != .forcedOpen { legal.insert("\(from)>forced-open>operator-force-open") }
            if from != .disabled { legal.insert("\(from)>disabled>operator-disable") }
            if from != .closed { legal.insert("\(from)>closed>operator-close") }
            legal.insert("\(from)>closed>operator-reset")
        }
        var found: Set<String> = []
        for from in Name.allCases {
            for to in Name.allCases {
                for trigger in CircuitBreaker.Trigger.allCases
                where CircuitBreaker.isLegal(from: from, to: to, trigger: trigger) {
                    found.insert("\(from)>\(to)>\(trigger)")
                }
            }
        }
        #expect(found == legal)
    }

    @Test func test_history_isBounded_butTheCountKeepsGoing() {
        var breaker = self.breaker()
        for index in 0 ..< 40 {
            if index.isMultiple(of: 2) { breaker.forceOpen(now: self.t0) } else { breaker.close(now: self.t0) }
        }
        #expect(breaker.transitionCount == 40)
        #expect(breaker.history.count == CircuitBreaker.historyLimit)
        var audit = BreakerAudit()
        audit.check(breaker)
    }

    @Test func test_randomScript_onlyLegalTransitions_acrossSeeds() {
        for seed in UInt64(0) ..< 200 {
            var rng = SplitMix64(seed: seed)
            var breaker = self.breaker(
                window: seed.isMultiple(of: 2) ? .count(6) : .time(.seconds(6), buckets: 3),
                failureRate: 50,
                slowRate: 80,
                slowCall: .milliseconds(100),
                minimumCalls: 3,
                open: .seconds(2),
                probes: 2,
                maxHalfOpen: seed.isMultiple(of: 3) ? .seconds(5) : nil
            )
            var audit = BreakerAudit()
            var now = self.t0
            var inFlight = 0
            for _ in 0 ..< 300 {
                now = now + .milliseconds(Int64.random(in: 0 ... 400, using: &rng))
                switch UInt8.random(in: 0 ..< 20, using: &rng) {
                case 0 ..< 8:
                    if breaker.tryAcquire(now: now) { inFlight += 1 }
                case 8 ..< 16 where inFlight > 0:
                    inFlight -= 1
                    let result: CircuitBreaker.CallResult = Bool.random(using: &rng) ? .success : .failure
                    breaker.record(result, duration: .milliseconds(Int64.random(in: 0 ... 200, using: &rng)), now: now)
                case 16 where inFlight > 0:
                    inFlight -= 1
                    breaker.releasePermission()
                case 17: breaker.forceOpen(now: now)
                case 18: breaker.close(now: now)
                case 19 where UInt8.random(in: 0 ..< 4, using: &rng) == 0: breaker.disable(now: now)
                default: break
                }
                audit.check(breaker)
            }
            #expect(breaker.transitionCount > 0, "seed \(seed) never transitioned")
        }
    }
}
