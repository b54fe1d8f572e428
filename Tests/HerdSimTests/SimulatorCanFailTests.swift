import HerdCore
import HerdSim
import Testing

/// A checker that never fails proves nothing: with a deliberately broken rule switched on, the
/// default sweep must catch it.
@Suite struct SimulatorCanFailTests {
    /// A coordinator that does not check attempt numbers (``SimOptions/corruptSupersededResults``)
    /// commits a superseded attempt's result; the provenance check must name it within the default
    /// seed count, and the replay command must reproduce it.
    @Test func test_corruptSupersededResults_isCaughtWithinTheDefaultSeeds() async throws {
        try await Self.expectCaught(
            .supersededResult,
            with: SimOptions(corruptSupersededResults: true),
            flag: "--corrupt-superseded-results"
        )
    }

    /// A coordinator that ignores its retry budget (``SimOptions/ignoreRetryBudget``: it runs with
    /// a budget that never runs dry) schedules more retries than the configured budget allows;
    /// the retry-budget check must name it within the default seed count.
    @Test func test_ignoreRetryBudget_isCaughtWithinTheDefaultSeeds() async throws {
        try await Self.expectCaught(
            .retryBudgetExceeded,
            with: SimOptions(ignoreRetryBudget: true),
            flag: "--ignore-retry-budget"
        )
    }

    /// A journal that loses committed results (``SimOptions/forgetJournaledResults``): the
    /// coordinator restarted after a crash runs those subtasks again and reports another result;
    /// the "result sent twice" check must name it within the default seed count.
    @Test func test_forgetJournaledResults_isCaughtWithinTheDefaultSeeds() async throws {
        try await Self.expectCaught(
            .resultTwice,
            with: SimOptions(forgetJournaledResults: true),
            flag: "--forget-journaled-results"
        )
    }

    /// The same seeds without the fault injections report neither violation.
    @Test func test_injectionsOff_sameSeeds_noInjectedViolation() {
        for seed: UInt64 in 1 ... 50 {
            let invariant = Simulation.run(seed: seed).violation?.invariant
            #expect(
                invariant != .supersededResult && invariant != .retryBudgetExceeded && invariant != .resultTwice,
                "seed \(seed)"
            )
        }
    }

    /// Runs the default seeds with `options` until one breaks `invariant`; its replay command
    /// carries `flag` and replaying gives the same violation at the same step.
    static func expectCaught(_ invariant: SimInvariant, with options: SimOptions, flag: String) async throws {
        let caught: SimReport? = await offThePool {
            for seed in 1 ... SimulationSeedsTests.seedCount {
                let report = Simulation.run(seed: seed, options: options)
                if report.violation?.invariant == invariant { return report }
            }
            return nil
        }
        let report = try #require(caught, "no seed of \(SimulationSeedsTests.seedCount) caught it (\(flag))")
        #expect(report.replayCommand.contains("--seed \(report.seed)"))
        #expect(report.replayCommand.contains(flag))
        let replay = Simulation.run(seed: report.seed, options: options)
        #expect(replay.violation == report.violation)
    }
}
