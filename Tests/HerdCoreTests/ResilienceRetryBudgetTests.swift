import Testing

@testable import HerdCore

@Suite struct ResilienceRetryBudgetTests {
    let t0 = Instant(nanoseconds: 1_000_000_000_000)

    func at(_ offset: Duration) -> Instant { self.t0 + offset }

    /// Withdraws until refused (at most `limit` times) and returns how many were granted.
    func drain(_ budget: inout RetryBudget, now: Instant, limit: Int = 10_000) -> Int {
        var granted = 0
        while granted < limit, budget.tryWithdrawRetry(now: now) { granted += 1 }
        return granted
    }

    func deposit(_ budget: inout RetryBudget, _ count: Int, now: Instant) {
        for _ in 0 ..< count { budget.recordFirstAttempt(now: now) }
    }

    @Test func test_defaults_matchFinagle() {
        let configuration = RetryBudget.Configuration()
        #expect(configuration.ratio == 0.2)
        #expect(configuration.minRetriesPerSecond == 10)
        #expect(configuration.window == .seconds(10))
        #expect(configuration.slices == 10)
        #expect(configuration.reserve == 100)
        let budget = RetryBudget()
        #expect(
            budget.level(now: self.t0) == RetryBudget.Level(firstAttempts: 0, retries: 0, reserve: 100, available: 100)
        )
    }

    @Test func test_floorOnly_grantsTheReserve_thenRefuses() {
        var budget = RetryBudget()
        #expect(self.drain(&budget, now: self.t0) == 100)
        #expect(
            budget.level(now: self.t0) == RetryBudget.Level(firstAttempts: 0, retries: 100, reserve: 100, available: 0)
        )
    }

    @Test func test_ratioOnly_grantsRatioTimesFirstAttempts() {
        var budget = RetryBudget(configuration: .init(ratio: 0.2, minRetriesPerSecond: 0))
        #expect(self.drain(&budget, now: self.t0) == 0)
        self.deposit(&budget, 10, now: self.t0)
        #expect(self.drain(&budget, now: self.t0) == 2)
        self.deposit(&budget, 4, now: self.t0)
        #expect(self.drain(&budget, now: self.t0) == 0)  // 14 × 0.2 = 2.8: still only 2
        self.deposit(&budget, 1, now: self.t0)
        #expect(self.drain(&budget, now: self.t0) == 1)  // 15 × 0.2 = 3
        #expect(
            budget.level(now: self.t0) == RetryBudget.Level(firstAttempts: 15, retries: 3, reserve: 0, available: 0)
        )
    }

    @Test func test_ratioAndFloor_add() {
        var budget = RetryBudget(configuration: .init(ratio: 0.2, minRetriesPerSecond: 1, window: .seconds(10)))
        self.deposit(&budget, 50, now: self.t0)
        #expect(budget.level(now: self.t0).available == 20)
        #expect(self.drain(&budget, now: self.t0) == 20)
    }

    @Test func test_ratioArithmetic_isExact() {
        // 0.1 × 30 and 0.3 × 10 are 3 exactly, though not in binary floating point.
        var tenth = RetryBudget(configuration: .init(ratio: 0.1, minRetriesPerSecond: 0))
        self.deposit(&tenth, 30, now: self.t0)
        #expect(self.drain(&tenth, now: self.t0) == 3)
        var threeTenths = RetryBudget(configuration: .init(ratio: 0.3, minRetriesPerSecond: 0))
        self.deposit(&threeTenths, 10, now: self.t0)
        #expect(self.drain(&threeTenths, now: self.t0) == 3)
        var double = RetryBudget(configuration: .init(ratio: 2, minRetriesPerSecond: 0))
        self.deposit(&double, 5, now: self.t0)
        #expect(self.drain(&double, now: self.t0) == 10)
    }

    @Test func test_reserve_isFlooredForFractionalWindows() {
        #expect(RetryBudget.Configuration(minRetriesPerSecond: 3, window: .milliseconds(1500), slices: 3).reserve == 4)
        #expect(RetryBudget.Configuration(minRetriesPerSecond: 0).reserve == 0)
    }

    @Test func test_refusal_changesNothing() {
        var budget = RetryBudget(configuration: .init(ratio: 0.5, minRetriesPerSecond: 0))
        self.deposit(&budget, 2, now: self.t0)
        #expect(self.drain(&budget, now: self.t0) == 1)
        let before = budget.level(now: self.t0)
        for _ in 0 ..< 5 { _ = budget.tryWithdrawRetry(now: self.t0) }
        #expect(budget.level(now: self.t0) == before)
    }

    @Test func test_deposits_expireAtTheWindowEdge() {
        var budget = RetryBudget(configuration: .init(ratio: 0.5, minRetriesPerSecond: 0))
        self.deposit(&budget, 10, now: self.t0)
        #expect(budget.level(now: self.at(.seconds(10) - .nanoseconds(1))).available == 5)
        #expect(budget.level(now: self.at(.seconds(10))).available == 0)
        #expect(budget.level(now: self.at(.seconds(10))).firstAttempts == 0)
        var late = budget
        #expect(self.drain(&late, now: self.at(.seconds(10) + .nanoseconds(1))) == 0)
        #expect(self.drain(&budget, now: self.at(.seconds(10) - .nanoseconds(1))) == 5)
    }

    @Test func test_withdrawals_expireToo_soTheReserveRefills() {
        var budget = RetryBudget(configuration: .init(ratio: 0, minRetriesPerSecond: 1, window: .seconds(2), slices: 2))
        #expect(self.drain(&budget, now: self.t0) == 2)
        #expect(self.drain(&budget, now: self.at(.seconds(2) - .nanoseconds(1))) == 0)
        #expect(self.drain(&budget, now: self.at(.seconds(2))) == 2)
    }

    @Test func test_slices_slideTheWindowGradually() {
        // 10 s window in 1 s slices: deposits at 0 s and 5 s expire at 10 s and 15 s respectively.
        var budget = RetryBudget(configuration: .init(ratio: 1, minRetriesPerSecond: 0))
        self.deposit(&budget, 4, now: self.t0)
        self.deposit(&budget, 6, now: self.at(.seconds(5)))
        #expect(budget.level(now: self.at(.seconds(9))).available == 10)
        #expect(budget.level(now: self.at(.seconds(10))).available == 6)
        #expect(budget.level(now: self.at(.seconds(15))).available == 0)
    }

    @Test func test_overdraftFromExpiredDeposits_isNeverNegativeInStatus() {
        // Retries granted on deposits that expire earlier than the retries themselves.
        var budget = RetryBudget(
            configuration: .init(ratio: 1, minRetriesPerSecond: 0, window: .seconds(10), slices: 10)
        )
        self.deposit(&budget, 4, now: self.t0)
        self.deposit(&budget, 1, now: self.at(.seconds(5)))
        #expect(self.drain(&budget, now: self.at(.seconds(5))) == 5)
        let level = budget.level(now: self.at(.seconds(10)))
        #expect(level.firstAttempts == 1 && level.retries == 5 && level.available == 0)
    }
}
