import Testing

@testable import HerdCore

@Suite struct ResilienceSlidingWindowTests {
    let t0 = Instant(nanoseconds: 1_000_000_000_000)

    func at(_ offset: Duration) -> Instant { self.t0 + offset }

    @Test func test_callOutcome_combinesFailureAndSlowness() {
        #expect(CallOutcome(failed: false, slow: false) == .success)
        #expect(CallOutcome(failed: true, slow: false) == .failure)
        #expect(CallOutcome(failed: false, slow: true) == .slowSuccess)
        #expect(CallOutcome(failed: true, slow: true) == .slowFailure)
        #expect(CallOutcome.allCases.filter(\.isFailure) == [.failure, .slowFailure])
        #expect(CallOutcome.allCases.filter(\.isSlow) == [.slowSuccess, .slowFailure])
        #expect(CallOutcome.allCases.map(\.description) == ["success", "failure", "slow-success", "slow-failure"])
    }

    @Test func test_countWindow_keepsTheLastNCalls_withRunningTotals() {
        var window = SlidingWindow(.count(3))
        #expect(window.snapshot(now: self.t0) == SlidingWindow.Snapshot())
        #expect(window.snapshot(now: self.t0).failureRate == 0 && window.snapshot(now: self.t0).slowCallRate == 0)
        for outcome in [CallOutcome.slowFailure, .failure, .success] { window.record(outcome, now: self.t0) }
        #expect(
            window.snapshot(now: self.t0)
                == SlidingWindow.Snapshot(calls: 3, failures: 2, slowCalls: 1, slowFailures: 1)
        )
        window.record(.slowSuccess, now: self.t0)
        let snapshot = window.snapshot(now: self.t0 + .seconds(3600))
        #expect(snapshot == SlidingWindow.Snapshot(calls: 3, failures: 1, slowCalls: 1, slowFailures: 0))
        #expect(snapshot.successes == 2)
        #expect(abs(snapshot.failureRate - 100.0 / 3) < 1e-9)
        window.reset()
        #expect(window.snapshot(now: self.t0).calls == 0)
    }

    @Test func test_countWindow_wrapsManyTimes() {
        var window = SlidingWindow(.count(4))
        for index in 0 ..< 1001 { window.record(index.isMultiple(of: 2) ? .failure : .success, now: self.t0) }
        // The last four: indices 997 (S), 998 (F), 999 (S), 1000 (F).
        #expect(window.snapshot(now: self.t0) == SlidingWindow.Snapshot(calls: 4, failures: 2))
    }

    @Test func test_rateThresholds_areComparedExactly() {
        let third = SlidingWindow.Snapshot(calls: 3, failures: 1, slowCalls: 2)
        #expect(third.failureRate(reaches: 33.33))
        #expect(!third.failureRate(reaches: 33.34))
        #expect(third.slowCallRate(reaches: 66.66))
        #expect(!third.slowCallRate(reaches: 66.67))
        let half = SlidingWindow.Snapshot(calls: 10, failures: 5)
        #expect(half.failureRate(reaches: 50))
        #expect(!half.failureRate(reaches: 50.000001))
        #expect(!SlidingWindow.Snapshot().failureRate(reaches: 0.001))
    }

    @Test func test_timeWindow_aCallCountsUntilTheWindowAfterItsBucket() {
        var window = SlidingWindow(.seconds(10))
        window.record(.failure, now: self.t0)
        #expect(window.snapshot(now: self.at(.seconds(10) - .nanoseconds(1))).calls == 1)
        #expect(window.snapshot(now: self.at(.seconds(10))).calls == 0)
        #expect(window.snapshot(now: self.at(.seconds(10) + .nanoseconds(1))).calls == 0)
    }

    @Test func test_timeWindow_aCallLateInItsBucket_expiresWithTheBucket() {
        var window = SlidingWindow(.time(.seconds(10), buckets: 10))
        window.record(.success, now: self.at(.milliseconds(999)))
        #expect(window.snapshot(now: self.at(.seconds(10) - .nanoseconds(1))).calls == 1)
        #expect(window.snapshot(now: self.at(.seconds(10))).calls == 0)
    }

    @Test func test_timeWindow_sumsLiveBuckets_andReusesSlots() {
        var window = SlidingWindow(.time(.seconds(4), buckets: 2))
        window.record(.failure, now: self.t0)
        window.record(.success, now: self.at(.seconds(2)))
        window.record(.slowSuccess, now: self.at(.seconds(3)))
        #expect(
            window.snapshot(now: self.at(.seconds(3))) == SlidingWindow.Snapshot(calls: 3, failures: 1, slowCalls: 1)
        )
        // At 4 s the first bucket (0–2 s) expires; recording reuses its slot.
        window.record(.success, now: self.at(.seconds(4)))
        #expect(
            window.snapshot(now: self.at(.seconds(4))) == SlidingWindow.Snapshot(calls: 3, failures: 0, slowCalls: 1)
        )
        #expect(window.snapshot(now: self.at(.seconds(100))).calls == 0)
    }

    @Test func test_timeWindow_anEarlierNowCannotResurrectExpiredCalls() {
        var window = SlidingWindow(.seconds(2))
        window.record(.failure, now: self.t0)
        window.record(.failure, now: self.at(.seconds(5)))
        #expect(window.snapshot(now: self.t0).calls == 1)
        window.record(.success, now: self.t0)
        #expect(window.snapshot(now: self.at(.seconds(5))) == SlidingWindow.Snapshot(calls: 2, failures: 1))
    }

    @Test func test_timeWindow_bucketsAreFloorAlignedBeforeTheOrigin() {
        var window = SlidingWindow(.seconds(10))
        window.record(.failure, now: Instant(nanoseconds: -500_000_000))
        #expect(window.snapshot(now: Instant(nanoseconds: 9_000_000_000 - 1)).calls == 1)
        #expect(window.snapshot(now: Instant(nanoseconds: 9_000_000_000)).calls == 0)
    }

    @Test func test_kind_secondsIsOneBucketPerSecond() {
        #expect(SlidingWindow.Kind.seconds(5) == .time(.seconds(5), buckets: 5))
        #expect(SlidingWindow.Kind.count(20).description == "count(20)")
    }
}
