import Testing

@testable import HerdCore

@Suite struct ResilienceErrorStatsTests {
    let t0 = Instant(nanoseconds: 1_000_000_000_000)

    func at(_ offset: Duration) -> Instant { self.t0 + offset }

    @Test func test_defaults() {
        let configuration = ErrorStats.Configuration()
        #expect(configuration.window == .seconds(60))
        #expect(configuration.buckets == 12)
        #expect(ErrorStats().snapshot(now: self.t0) == ErrorStats.Snapshot(window: .seconds(60)))
    }

    @Test func test_countsSharesAndRates_perCategory() {
        var stats = ErrorStats()
        for _ in 0 ..< 6 { stats.recordSuccess(now: self.t0) }
        for _ in 0 ..< 3 { stats.recordFailure(.timeout, now: self.at(.seconds(1))) }
        stats.recordFailure(.server, now: self.at(.seconds(2)))
        let snapshot = stats.snapshot(now: self.at(.seconds(2)))
        #expect(snapshot.successes == 6)
        #expect(snapshot.totalFailures == 4)
        #expect(snapshot.attempts == 10)
        #expect(snapshot.count(of: .timeout) == 3 && snapshot.count(of: .server) == 1 && snapshot.count(of: .auth) == 0)
        #expect(snapshot.share(of: .timeout) == 0.3)
        #expect(snapshot.failureRate == 0.4)
        #expect(snapshot.perSecond(of: .timeout) == 0.05)
        #expect(snapshot.ranked.map(\.category) == [.timeout, .server])
        #expect(snapshot.ranked.map(\.count) == [3, 1])
    }

    @Test func test_ranked_breaksTiesInProtocolOrder() {
        var stats = ErrorStats()
        stats.recordFailure(.network, now: self.t0)
        stats.recordFailure(.rateLimited, now: self.t0)
        stats.recordFailure(.transient, now: self.t0)
        #expect(stats.snapshot(now: self.t0).ranked.map(\.category) == [.transient, .rateLimited, .network])
    }

    @Test func test_emptyStats_haveZeroRates() {
        let snapshot = ErrorStats().snapshot(now: self.t0)
        #expect(snapshot.share(of: .timeout) == 0 && snapshot.failureRate == 0 && snapshot.perSecond(of: .timeout) == 0)
    }

    @Test func test_window_expiresBucketByBucket() {
        // 60 s in 5 s buckets: a failure at 0 s counts until exactly 60 s; one at 7 s until 65 s.
        var stats = ErrorStats()
        stats.recordFailure(.timeout, now: self.t0)
        stats.recordFailure(.auth, now: self.at(.seconds(7)))
        #expect(stats.snapshot(now: self.at(.seconds(60) - .nanoseconds(1))).totalFailures == 2)
        let atSixty = stats.snapshot(now: self.at(.seconds(60)))
        #expect(atSixty.count(of: .timeout) == 0 && atSixty.count(of: .auth) == 1)
        #expect(stats.snapshot(now: self.at(.seconds(65) - .nanoseconds(1))).count(of: .auth) == 1)
        #expect(stats.snapshot(now: self.at(.seconds(65))).attempts == 0)
    }
}
