import ArgumentParser
import Dispatch
import Foundation
import HerdSim
import Synchronization

extension Herd {
    /// `herd sim`: the deterministic simulator (docs/SIMULATION.md).
    struct Sim: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the deterministic simulator: replay one seed with its trace, or soak many seeds.",
            discussion: """
                The simulator runs the real coordinator, worker and client state machines on a virtual \
                clock and a simulated network, with faults drawn from the seed, and checks the \
                invariants after every step (docs/SIMULATION.md).

                  herd sim --seed 42 --trace    replay seed 42, printing every event
                  herd sim --seeds 1000000      soak seeds 1...1000000 on every core

                A violation prints the one command that replays it exactly.
                Exit status: 0 no violation, 1 a violation, 2 usage error.
                """
        )

        @Option(help: "Replay this one seed.")
        var seed: UInt64?

        @Option(help: "Soak: run this many seeds, stopping at the first violation.")
        var seeds: UInt64?

        @Option(help: "Soak: the first seed.")
        var start: UInt64 = 1

        @Option(help: "Active steps per run (faults and jobs are drawn during these; then everything heals).")
        var steps: Int = SimOptions.defaultSteps

        @Flag(help: "With --seed: print the readable trace of every event.")
        var trace = false

        @Option(help: "Soak: threads to run seeds on (default: every core).")
        var threads: Int?

        @Option(
            help: ArgumentHelp(
                "High-water marks connections draw from, comma-separated (small values lose messages on full queues).",
                visibility: .hidden
            )
        )
        var hwm: String?

        @Flag(
            help: ArgumentHelp(
                "Soak: do not stop at a violation; print one line per violating seed.",
                visibility: .hidden
            )
        )
        var keepGoing = false

        @Flag(
            help: ArgumentHelp(
                "Test only: simulate a coordinator that accepts superseded results (the checker must catch it).",
                visibility: .hidden
            )
        )
        var corruptSupersededResults = false

        @Flag(
            help: ArgumentHelp(
                "Test only: simulate a coordinator that ignores its retry budget (the checker must catch it).",
                visibility: .hidden
            )
        )
        var ignoreRetryBudget = false

        @Flag(
            help: ArgumentHelp(
                "Test only: simulate a journal that loses committed results across a coordinator crash (the checker must catch it).",
                visibility: .hidden
            )
        )
        var forgetJournaledResults = false

        func validate() throws {
            if (self.seed == nil) == (self.seeds == nil) {
                throw ValidationError("give exactly one of --seed N (replay) and --seeds N (soak)")
            }
            if self.steps < 1 { throw ValidationError("--steps must be at least 1") }
            if let seeds = self.seeds, seeds == 0 { throw ValidationError("--seeds must be at least 1") }
            if self.trace, self.seed == nil { throw ValidationError("--trace goes with --seed") }
            if let threads = self.threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
            if let hwm = self.hwm, self.highWaterMarks(hwm) == nil {
                throw ValidationError("--hwm takes positive integers, comma-separated")
            }
        }

        func highWaterMarks(_ text: String) -> [Int]? {
            let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
            return values.compactMap { $0 }
        }

        var options: SimOptions {
            var options = SimOptions(
                steps: self.steps,
                trace: self.trace,
                corruptSupersededResults: self.corruptSupersededResults,
                ignoreRetryBudget: self.ignoreRetryBudget,
                forgetJournaledResults: self.forgetJournaledResults
            )
            if let hwm = self.hwm, let marks = self.highWaterMarks(hwm) { options.highWaterMarks = marks }
            return options
        }

        func run() throws {
            if let seed = self.seed {
                try self.replay(seed)
            } else {
                try self.soak(count: self.seeds!)
            }
        }

        /// Runs one seed; prints its trace (with --trace), or the tail of it on a violation.
        func replay(_ seed: UInt64) throws {
            let report = Simulation.run(seed: seed, options: self.options)
            for line in report.trace { printLine(line) }
            printLine(report.summary)
            guard let violation = report.violation else { return }
            if !self.trace {
                var traced = self.options
                traced.trace = true
                let tail = Simulation.run(seed: seed, options: traced).trace.suffix(60)
                printLine("last \(tail.count) events:")
                for line in tail { printLine("  \(line)") }
            }
            printLine("VIOLATION: \(violation)")
            printLine("replay: \(report.replayCommand)")
            throw HerdExit.failures
        }

        /// Runs `count` seeds from `start` on every core with a progress line; stops at the first violation.
        func soak(count: UInt64) throws {
            let threads = self.threads ?? ProcessInfo.processInfo.activeProcessorCount
            let options = self.options
            let start = self.start
            let next = Atomic<UInt64>(0)
            let done = Atomic<UInt64>(0)
            let steps = Atomic<Int>(0)
            let failure = Mutex<SimReport?>(nil)
            let violations = Atomic<Int>(0)
            let keepGoing = self.keepGoing
            let began = ContinuousClock.now
            let interactive = isatty(STDOUT_FILENO) != 0
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                var lastProgress = ContinuousClock.now
                while failure.withLock({ $0 == nil }) {
                    let offset = next.add(1, ordering: .relaxed).oldValue
                    guard offset < count else { break }
                    let report = Simulation.run(seed: start &+ offset, options: options)
                    steps.add(report.steps, ordering: .relaxed)
                    done.add(1, ordering: .relaxed)
                    if keepGoing, let violation = report.violation {
                        violations.add(1, ordering: .relaxed)
                        FileHandle.standardOutput.write(Data("seed \(report.seed): \(violation)\n".utf8))
                    } else if report.violation != nil {
                        failure.withLock { first in
                            if first == nil || first!.seed > report.seed { first = report }
                        }
                    }
                    if thread == 0, ContinuousClock.now - lastProgress >= .seconds(1) {
                        lastProgress = ContinuousClock.now
                        let line = Self.progress(
                            done: done.load(ordering: .relaxed),
                            of: count,
                            steps: steps.load(ordering: .relaxed),
                            since: began
                        )
                        FileHandle.standardOutput.write(Data((interactive ? "\r\(line)" : line + "\n").utf8))
                    }
                }
            }
            if interactive { FileHandle.standardOutput.write(Data("\n".utf8)) }
            printLine(
                Self.progress(
                    done: done.load(ordering: .relaxed),
                    of: count,
                    steps: steps.load(ordering: .relaxed),
                    since: began
                )
            )
            if keepGoing {
                printLine("\(violations.load(ordering: .relaxed)) violating seeds")
                if violations.load(ordering: .relaxed) > 0 { throw HerdExit.failures }
                return
            }
            guard let report = failure.withLock({ $0 }) else {
                printLine("no violation in \(count) seeds (\(start)...\(start &+ count &- 1))")
                return
            }
            printLine(report.summary)
            printLine("replay: \(report.replayCommand)")
            throw HerdExit.failures
        }

        static func progress(done: UInt64, of count: UInt64, steps: Int, since began: ContinuousClock.Instant) -> String
        {
            let seconds = max(Double((ContinuousClock.now - began).nanosecondsClamped) / 1e9, 1e-9)
            return String(
                format: "%llu/%llu seeds, %.0f seeds/s, %.2f M steps/s, %.0f s",
                done,
                count,
                Double(done) / seconds,
                Double(steps) / seconds / 1e6,
                seconds
            )
        }
    }
}
