import HerdSim
import Testing

@testable import herd

@Suite struct SimParseTests {
    @Test func test_sim_replay_and_soak() throws {
        let replay = try CLI.parse(["sim", "--seed", "42", "--trace"], as: Herd.Sim.self)
        #expect(replay.seed == 42)
        #expect(replay.trace)
        #expect(replay.steps == SimOptions.defaultSteps)
        let soak = try CLI.parse(
            ["sim", "--seeds", "1000", "--start", "5", "--steps", "50", "--threads", "2", "--hwm", "1, 4"],
            as: Herd.Sim.self
        )
        #expect(soak.seeds == 1000)
        #expect(soak.start == 5)
        #expect(soak.steps == 50)
        #expect(soak.threads == 2)
        #expect(soak.options.highWaterMarks == [1, 4])
        let hidden = try CLI.parse(
            ["sim", "--seed", "1", "--keep-going", "--corrupt-superseded-results", "--ignore-retry-budget"],
            as: Herd.Sim.self
        )
        #expect(hidden.keepGoing && hidden.corruptSupersededResults && hidden.ignoreRetryBudget)
    }

    @Test func test_sim_badArguments_areRejected() {
        CLI.expectRejected(["sim"], "give exactly one of --seed N (replay) and --seeds N (soak)")
        CLI.expectRejected(
            ["sim", "--seed", "1", "--seeds", "2"],
            "give exactly one of --seed N (replay) and --seeds N (soak)"
        )
        CLI.expectRejected(["sim", "--seed", "1", "--steps", "0"], "--steps must be at least 1")
        CLI.expectRejected(["sim", "--seeds", "0"], "--seeds must be at least 1")
        CLI.expectRejected(["sim", "--seeds", "3", "--trace"], "--trace goes with --seed")
        CLI.expectRejected(["sim", "--seeds", "3", "--threads", "0"], "--threads must be at least 1")
        CLI.expectRejected(["sim", "--seed", "1", "--hwm", "0,x"], "--hwm takes positive integers, comma-separated")
        CLI.expectRejected(["sim", "--seed", "x"], "The value 'x' is invalid for '--seed <seed>'")
    }
}
