import Testing

@testable import HerdCore

@Suite struct ResilienceRetryPolicyTests {
    let t0 = Instant(nanoseconds: 1_000_000_000_000)
    let retryable = Failure(.server, "boom")

    func delay(_ decision: RetryDecision, sourceLocation: SourceLocation = #_sourceLocation) -> Duration? {
        guard case .retry(let delay) = decision else {
            Issue.record("expected a retry, got \(decision)", sourceLocation: sourceLocation)
            return nil
        }
        return delay
    }

    @Test func test_defaults_matchTheDocumentedTable() {
        let policy = RetryPolicy()
        #expect(policy.maxAttempts == 4)
        #expect(policy.baseDelay == .milliseconds(250))
        #expect(policy.maxDelay == .seconds(30))
        #expect(policy.multiplier == 2)
        #expect(policy.jitter == .full)
        #expect(policy.nonRetryable == [.validation, .auth, .notFound, .cancelled, .budgetExhausted])
        #expect(policy.maxRetryAfter == nil)
        let ceilings = (1 ... 10).map { policy.ceiling(afterAttempt: UInt32($0)) }
        let expected: [Duration] = [
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16),
            .seconds(30), .seconds(30), .seconds(30),
        ]
        #expect(ceilings == expected)
    }

    @Test func test_fullJitter_everyAttemptOneToTen_staysWithinBounds_acrossAThousandSeeds() {
        let policy = RetryPolicy(maxAttempts: 11)
        for attempt in UInt32(1) ... 10 {
            let ceiling = policy.ceiling(afterAttempt: attempt)
            #expect(policy.delayBounds(afterAttempt: attempt) == .zero ... ceiling)
            var smallest = Duration.seconds(3600)
            var largest = Duration.zero
            for seed in UInt64(0) ..< 1000 {
                var rng = SplitMix64(seed: seed &* 7919 &+ UInt64(attempt))
                guard let delay = self.delay(policy.decision(for: self.retryable, attempt: attempt, rng: &rng)) else {
                    return
                }
                #expect(delay >= .zero && delay <= ceiling, "attempt \(attempt) seed \(seed): \(delay)")
                smallest = min(smallest, delay)
                largest = max(largest, delay)
            }
            // The draws spread over the whole range (1,000 uniform draws: both tails reached).
            #expect(
                smallest < ceiling / 20 && largest > ceiling * 19 / 20,
                "attempt \(attempt): \(smallest)...\(largest)"
            )
        }
    }

    @Test func test_equalJitter_staysInTheUpperHalf_acrossAThousandSeeds() {
        let policy = RetryPolicy(maxAttempts: 11, jitter: .equal)
        for attempt in UInt32(1) ... 10 {
            let ceiling = policy.ceiling(afterAttempt: attempt)
            let bounds = policy.delayBounds(afterAttempt: attempt)
            #expect(bounds == .nanoseconds(ceiling.nanosecondsClamped / 2) ... ceiling)
            for seed in UInt64(0) ..< 1000 {
                var rng = SplitMix64(seed: seed)
                guard let delay = self.delay(policy.decision(for: self.retryable, attempt: attempt, rng: &rng)) else {
                    return
                }
                #expect(bounds.contains(delay))
            }
        }
    }

    @Test func test_noJitter_isExactlyTheCeiling_andDrawsNothing() {
        let policy = RetryPolicy(maxAttempts: 11, jitter: .none)
        var rng = SplitMix64(seed: 1)
        for attempt in UInt32(1) ... 10 {
            #expect(
                policy.decision(for: self.retryable, attempt: attempt, rng: &rng)
                    == .retry(after: policy.ceiling(afterAttempt: attempt))
            )
        }
        var untouched = SplitMix64(seed: 1)
        #expect(rng.next() == untouched.next())
    }

    @Test func test_ceiling_isCapped_evenForHugeAttemptNumbers() {
        let policy = RetryPolicy(maxAttempts: .max, maxDelay: .seconds(30))
        #expect(policy.ceiling(afterAttempt: 8) == .seconds(30))
        #expect(policy.ceiling(afterAttempt: 64) == .seconds(30))
        #expect(policy.ceiling(afterAttempt: 1000) == .seconds(30))
        #expect(policy.ceiling(afterAttempt: .max) == .seconds(30))
        let flat = RetryPolicy(baseDelay: .seconds(1), multiplier: 1)
        #expect(flat.ceiling(afterAttempt: 50) == .seconds(1))
        let baseAboveCap = RetryPolicy(baseDelay: .seconds(60), maxDelay: .seconds(30))
        #expect(baseAboveCap.ceiling(afterAttempt: 1) == .seconds(30))
        let fractional = RetryPolicy(baseDelay: .milliseconds(100), multiplier: 1.5)
        #expect(fractional.ceiling(afterAttempt: 3) == .milliseconds(225))
    }

    @Test func test_sameSeed_sameDelays() {
        let policy = RetryPolicy(maxAttempts: 11)
        func run(_ seed: UInt64) -> [RetryDecision] {
            var rng = SplitMix64(seed: seed)
            return (UInt32(1) ... 10).map { policy.decision(for: self.retryable, attempt: $0, rng: &rng) }
        }
        #expect(run(42) == run(42))
        #expect(run(42) != run(43))
    }

    @Test func test_retryAfter_isAFloor_evenAboveTheCap() {
        let policy = RetryPolicy(maxAttempts: 11)
        for seed in UInt64(0) ..< 200 {
            var rng = SplitMix64(seed: seed)
            let limited = Failure(.rateLimited, "slow down", retryAfter: .seconds(5))
            #expect(policy.decision(for: limited, attempt: 1, rng: &rng) == .retry(after: .seconds(5)))
            let beyondCap = Failure(.rateLimited, "slow down", retryAfter: .seconds(90))
            #expect(policy.decision(for: beyondCap, attempt: 9, rng: &rng) == .retry(after: .seconds(90)))
            // A small retry-after under a large draw leaves the draw alone.
            let small = Failure(.rateLimited, "slow down", retryAfter: .nanoseconds(1))
            guard let delay = self.delay(policy.decision(for: small, attempt: 8, rng: &rng)) else { return }
            #expect(delay >= .nanoseconds(1) && delay <= .seconds(30))
        }
    }

    @Test func test_retryAfter_aboveTheLimit_givesUp_atTheLimit_retries() {
        let policy = RetryPolicy(maxRetryAfter: .seconds(60))
        var rng = SplitMix64(seed: 7)
        let tooLong = Failure(.rateLimited, "later", retryAfter: .seconds(60) + .nanoseconds(1))
        #expect(
            policy.decision(for: tooLong, attempt: 1, rng: &rng)
                == .giveUp(.retryAfterTooLong(.seconds(60) + .nanoseconds(1)))
        )
        let atLimit = Failure(.rateLimited, "later", retryAfter: .seconds(60))
        #expect(policy.decision(for: atLimit, attempt: 1, rng: &rng) == .retry(after: .seconds(60)))
    }

    @Test func test_nonRetryableCategories_giveUpAtOnce_othersRetry() {
        let policy = RetryPolicy()
        var rng = SplitMix64(seed: 3)
        for category in ErrorCategory.allCases {
            let decision = policy.decision(for: Failure(category, "x"), attempt: 1, rng: &rng)
            switch category {
            case .validation, .auth, .notFound, .cancelled, .budgetExhausted:
                #expect(decision == .giveUp(.nonRetryable(category)))
            case .transient, .rateLimited, .server, .timeout, .network, .unknown, .circuitOpen:
                #expect(decision.isRetry, "\(category) should be retried")
            }
        }
        let custom = RetryPolicy(nonRetryable: [.server])
        #expect(custom.decision(for: self.retryable, attempt: 1, rng: &rng) == .giveUp(.nonRetryable(.server)))
        #expect(custom.decision(for: Failure(.validation, "x"), attempt: 1, rng: &rng).isRetry)
    }

    @Test func test_attempts_areExhaustedAtMaxAttempts() {
        let policy = RetryPolicy(maxAttempts: 3)
        var rng = SplitMix64(seed: 5)
        #expect(policy.decision(for: self.retryable, attempt: 2, rng: &rng).isRetry)
        #expect(policy.decision(for: self.retryable, attempt: 3, rng: &rng) == .giveUp(.attemptsExhausted(3)))
        #expect(policy.decision(for: self.retryable, attempt: 9, rng: &rng) == .giveUp(.attemptsExhausted(9)))
        let once = RetryPolicy(maxAttempts: 1)
        #expect(once.decision(for: self.retryable, attempt: 1, rng: &rng) == .giveUp(.attemptsExhausted(1)))
        // A non-retryable category is reported as such even on the last attempt.
        #expect(policy.decision(for: Failure(.auth, "x"), attempt: 3, rng: &rng) == .giveUp(.nonRetryable(.auth)))
    }

    @Test func test_budget_refusal_givesUpWithBudgetExhausted() {
        let policy = RetryPolicy()
        var budget = RetryBudget(configuration: .init(ratio: 0, minRetriesPerSecond: 1, window: .seconds(1), slices: 1))
        var rng = SplitMix64(seed: 9)
        #expect(policy.decision(for: self.retryable, attempt: 1, budget: &budget, now: self.t0, rng: &rng).isRetry)
        let refused = policy.decision(for: self.retryable, attempt: 1, budget: &budget, now: self.t0, rng: &rng)
        #expect(refused == .giveUp(.budgetExhausted))
        guard case .giveUp(let reason) = refused else { return }
        let final = reason.finalFailure(for: self.retryable)
        #expect(final.category == .budgetExhausted)
        #expect(final.message.contains("server: boom"))
        #expect(RetryDecision.GiveUpReason.attemptsExhausted(4).finalFailure(for: self.retryable) == self.retryable)
    }

    @Test func test_budget_isNotTouched_byFailuresThatWouldNotBeRetried() {
        let policy = RetryPolicy(maxAttempts: 2)
        var budget = RetryBudget(configuration: .init(ratio: 0, minRetriesPerSecond: 1, window: .seconds(1), slices: 1))
        var rng = SplitMix64(seed: 9)
        _ = policy.decision(for: Failure(.validation, "x"), attempt: 1, budget: &budget, now: self.t0, rng: &rng)
        _ = policy.decision(for: self.retryable, attempt: 2, budget: &budget, now: self.t0, rng: &rng)
        #expect(budget.level(now: self.t0).retries == 0)
        #expect(budget.level(now: self.t0).available == 1)
    }

    @Test func test_descriptions() {
        #expect(RetryDecision.giveUp(.nonRetryable(.notFound)).description == "give up: non-retryable(not-found)")
        #expect(RetryDecision.giveUp(.budgetExhausted).description == "give up: budget-exhausted")
        #expect(!RetryDecision.giveUp(.attemptsExhausted(4)).isRetry)
    }

    // MARK: - Placement

    @Test func test_placement_prefersUntriedWorkers_thenLeastRecentlyTried() {
        let candidates = ["w1", "w2", "w3", "w4"]
        #expect(RetryPlacement.order(candidates, tried: []) == candidates)
        #expect(RetryPlacement.order(candidates, tried: ["w2"]) == ["w1", "w3", "w4", "w2"])
        #expect(RetryPlacement.order(candidates, tried: ["w1", "w3", "w1"]) == ["w2", "w4", "w3", "w1"])
        #expect(RetryPlacement.order(["w1"], tried: ["w1"]) == ["w1"])
        #expect(RetryPlacement.order(["w1", "w2"], tried: ["w9"]) == ["w1", "w2"])
        #expect(RetryPlacement.order([String](), tried: ["w1"]).isEmpty)
    }
}
