import HerdCore
import HerdSim
import Testing

/// The default sweep: thousands of seeds, each a few hundred active steps of faults and jobs then
/// a settle to rest, with every invariant checked after every step. A failure names the one
/// command that replays the seed, with the tail of its trace.
@Suite struct SimulationSeedsTests {
    /// Seeds in the default sweep.
    static let seedCount: UInt64 = 2000
    /// The sweep runs in this many chunks, so the test runner spreads it over the cores.
    static let chunks: UInt64 = 8

    /// How many seeds of a chunk exercised the resilience machinery.
    struct Coverage: Sendable {
        var seeds = 0
        /// Seeds in which some breaker opened.
        var breakerOpened = 0
        /// Seeds in which the coordinator scheduled a retry.
        var retried = 0
        /// Seeds in which a retry was refused by the retry budget.
        var budgetExhausted = 0
    }

    @Test(arguments: 0 ..< Self.chunks)
    func test_defaultSweep_chunk_keepsEveryInvariant(chunk: UInt64) async {
        let perChunk = Self.seedCount / Self.chunks
        let seeds = (chunk * perChunk + 1) ... ((chunk + 1) * perChunk)
        let (failure, coverage): (String?, Coverage) = await offThePool {
            var coverage = Coverage()
            for seed in seeds {
                let report = Simulation.run(seed: seed)
                coverage.seeds += 1
                if report.stats.breakersOpened > 0 { coverage.breakerOpened += 1 }
                if report.stats.retriesScheduled > 0 { coverage.retried += 1 }
                if report.stats.budgetExhausted > 0 { coverage.budgetExhausted += 1 }
                guard let violation = report.violation else { continue }
                return (Self.explain(report, violation), coverage)  // one failing seed per chunk is enough to act on
            }
            return (nil, coverage)
        }
        if let failure {
            Issue.record(Comment(rawValue: failure))
            return
        }
        // The sweep must keep exercising breakers and the retry budget (about 44 %, 80 % and 25 %
        // of seeds do): a change to the world that stops doing so would leave those checks idle.
        #expect(
            coverage.breakerOpened * 4 >= coverage.seeds,
            "only \(coverage.breakerOpened) of \(coverage.seeds) seeds opened a breaker"
        )
        #expect(coverage.retried * 2 >= coverage.seeds, "only \(coverage.retried) of \(coverage.seeds) seeds retried")
        #expect(
            coverage.budgetExhausted * 10 >= coverage.seeds,
            "only \(coverage.budgetExhausted) of \(coverage.seeds) seeds ran out of retry budget"
        )
    }

    /// The failure message: the violation, the replay command, and the last events before it.
    static func explain(_ report: SimReport, _ violation: SimViolation) -> String {
        var traced = report.options
        traced.trace = true
        let tail = Simulation.run(seed: report.seed, options: traced).trace.suffix(40)
        return """
            seed \(report.seed) broke an invariant: \(violation)
            replay: \(report.replayCommand)
            last events:
            \(tail.joined(separator: "\n"))
            """
    }
}
