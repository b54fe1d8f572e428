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

    @Test(arguments: 0..<Self.chunks)
    func test_defaultSweep_chunk_keepsEveryInvariant(chunk: UInt64) async {
        let perChunk = Self.seedCount / Self.chunks
        let seeds = (chunk * perChunk + 1)...((chunk + 1) * perChunk)
        let failure: String? = await offThePool {
            for seed in seeds {
                let report = Simulation.run(seed: seed)
                guard let violation = report.violation else { continue }
                return Self.explain(report, violation)  // one failing seed per chunk is enough to act on
            }
            return nil
        }
        if let failure { Issue.record(Comment(rawValue: failure)) }
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
