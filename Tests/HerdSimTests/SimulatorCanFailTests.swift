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
        let options = SimOptions(corruptSupersededResults: true)
        let caught: SimReport? = await offThePool {
            for seed in 1...SimulationSeedsTests.seedCount {
                let report = Simulation.run(seed: seed, options: options)
                if report.violation?.invariant == .supersededResult { return report }
            }
            return nil
        }
        let report = try #require(caught, "no seed of \(SimulationSeedsTests.seedCount) caught a coordinator accepting superseded results")
        #expect(report.replayCommand.contains("--seed \(report.seed)"))
        #expect(report.replayCommand.contains("--corrupt-superseded-results"))
        // Replaying gives the same violation at the same step.
        let replay = Simulation.run(seed: report.seed, options: options)
        #expect(replay.violation == report.violation)
    }

    /// The same seed without the corruption does not report a superseded result.
    @Test func test_corruptionOff_sameSeeds_noSupersededResult() {
        for seed: UInt64 in 1...50 {
            #expect(Simulation.run(seed: seed).violation?.invariant != .supersededResult, "seed \(seed)")
        }
    }
}
