import BenchC
import Foundation
import Synchronization

/// `herd-latency swift-floor N TRIALS WARMUP [SAMPLES]`: the Swift runtime's floor under Herd's
/// cancel latency with Swift handlers, in one process and with nothing of Herd's in the way.
///
/// Each trial starts N unstructured tasks that, like a `hold` handler, wait in `Task.sleep` inside
/// `withTaskCancellationHandler`; once all have started, one plain thread (as the worker's loop
/// thread does) cancels them one after another, and each task notes CLOCK_MONOTONIC when its code
/// resumes with the CancellationError. Sample: the last such time minus the first `cancel()`.
/// Prints one JSON line like the other modes (`p50_us`, `p99_us` of the last observation, and the
/// median time the cancelling thread took to call `cancel()` N times).
enum SwiftFloor {
    final class Trial: Sendable {
        let started = Atomic<Int>(0)
        let lastObserved = Atomic<UInt64>(0)
        let count: Int
        let allStarted: AsyncStream<Void>.Continuation
        init(count: Int, allStarted: AsyncStream<Void>.Continuation) {
            self.count = count
            self.allStarted = allStarted
        }
    }

    static func main(_ arguments: [String]) async {
        guard arguments.count == 3 || arguments.count == 4, let count = Int(arguments[0]),
            let trials = Int(arguments[1]),
            let warmup = Int(arguments[2]), count > 0, trials > 0, warmup >= 0
        else { fail("usage: herd-latency swift-floor N TRIALS WARMUP [SAMPLES]") }
        var samples: [Double] = []
        var loops: [Double] = []
        for round in 0 ..< (warmup + trials) {
            let (stream, continuation) = AsyncStream<Void>.makeStream()
            let trial = Trial(count: count, allStarted: continuation)
            var tasks: [Task<Void, Never>] = []
            tasks.reserveCapacity(count)
            for _ in 0 ..< count {
                tasks.append(
                    Task {
                        if trial.started.wrappingAdd(1, ordering: .relaxed).newValue == trial.count {
                            trial.allStarted.yield()
                        }
                        do {
                            try await withTaskCancellationHandler {
                                try await Task.sleep(for: .seconds(86_400))
                            } onCancel: {
                            }
                        } catch {
                            let now = bench_now_ns()
                            var seen = trial.lastObserved.load(ordering: .relaxed)
                            while seen < now {
                                let (exchanged, original) = trial.lastObserved.compareExchange(
                                    expected: seen,
                                    desired: now,
                                    ordering: .relaxed
                                )
                                if exchanged { break }
                                seen = original
                            }
                        }
                    }
                )
            }
            for await _ in stream { break }
            let cancelled = OneShotTimes()
            let all = tasks
            let (done, doneContinuation) = AsyncStream<Void>.makeStream()
            let thread = Thread {
                let t0 = bench_now_ns()
                for task in all { task.cancel() }
                cancelled.set(t0, bench_now_ns())
                doneContinuation.yield()
            }
            thread.start()
            for task in tasks { await task.value }
            for await _ in done { break }  // the thread's times are set
            let (t0, t1) = cancelled.get()
            if round >= warmup {
                samples.append(microseconds(from: t0, to: trial.lastObserved.load(ordering: .relaxed)))
                loops.append(microseconds(from: t0, to: t1))
            }
        }
        if arguments.count == 4 {
            Stats.append(samples.map { String(format: "%d %.1f\n", count, $0) }.joined(), to: arguments[3])
        }
        let fields: [(String, String)] =
            [("n", "\(count)"), ("trials", "\(trials)"), ("warmup", "\(warmup)")]
            + Stats.summary(samples, prefix: "").map { (String($0.0.dropFirst()), $0.1) }
            + [("cancel_loop_p50_us", Stats.number(Stats.percentile(loops.sorted(), 0.5)))]
        FileHandle.standardOutput.write(Data((Stats.object(fields) + "\n").utf8))
    }

    /// The cancelling thread's start and end times, read after every task has ended.
    final class OneShotTimes: Sendable {
        private let times = Mutex<(UInt64, UInt64)>((0, 0))
        func set(_ start: UInt64, _ end: UInt64) { self.times.withLock { $0 = (start, end) } }
        func get() -> (UInt64, UInt64) { self.times.withLock { $0 } }
    }
}
