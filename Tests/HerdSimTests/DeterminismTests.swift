import HerdCore
import HerdSim
import Testing

/// A seed is the whole run: replaying it gives the same events, in any process.
@Suite struct DeterminismTests {
    @Test func test_sameSeed_twice_sameDigestStepsAndTime() {
        for seed: UInt64 in [1, 2, 3, 1234, 99_999] {
            let first = Simulation.run(seed: seed)
            let second = Simulation.run(seed: seed)
            #expect(first.digest == second.digest, "seed \(seed)")
            #expect(first.steps == second.steps, "seed \(seed)")
            #expect(first.virtualTime == second.virtualTime, "seed \(seed)")
            #expect(first.violation == second.violation, "seed \(seed)")
        }
    }

    @Test func test_tracing_doesNotChangeTheRun() {
        let plain = Simulation.run(seed: 7)
        let traced = Simulation.run(seed: 7, options: SimOptions(trace: true))
        #expect(plain.digest == traced.digest)
        #expect(plain.steps == traced.steps)
        #expect(plain.trace.isEmpty)
        #expect(traced.trace.count > plain.steps)
    }

    @Test func test_differentSeeds_differentRuns() {
        let digests = Set((1 ... 20).map { Simulation.run(seed: UInt64($0)).digest })
        #expect(digests.count == 20)
    }

    @Test func test_replayCommand_namesTheSeed() {
        let report = Simulation.run(seed: 42, options: SimOptions(steps: 50))
        #expect(report.replayCommand == "herd sim --seed 42 --steps 50 --trace")
        #expect(Simulation.run(seed: 42).replayCommand == "herd sim --seed 42 --trace")
    }
}
