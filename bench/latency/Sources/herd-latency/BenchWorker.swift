import BenchC
import Foundation
import HerdCore
import HerdRuntime
import Logging
import Synchronization

/// `herd-latency worker`: a worker process built on the public Swift API (`WorkerService`), whose
/// one kind, `hold`, reports to the harness on stdout when each attempt starts and when it observes
/// its cancellation, with CLOCK_MONOTONIC timestamps.
enum BenchWorker {
    /// When the handler's cancellation handler ran (the loop thread's cancel reached the task).
    final class Stamp: Sendable {
        let value = Atomic<UInt64>(0)
    }

    static func main(_ arguments: [String]) async {
        guard arguments.count == 5 || arguments.count == 6, let capacity = UInt32(arguments[2]), capacity > 0,
            ["hold", "quick"].contains(arguments[4])
        else {
            fail("usage: herd-latency worker ENDPOINT GROUP CAPACITY ID hold|quick [PARENT_PID]")
        }
        let (endpoint, group, id, behaviour) = (arguments[0], arguments[1], arguments[3], arguments[4])
        if arguments.count == 6, let parent = Int32(arguments[5]), bench_die_with_parent(parent) != 0 { exit(0) }
        signal(SIGPIPE, SIG_IGN)
        // swift-log's default handler writes to stdout, which is the report channel here.
        LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
        var logger = Logger(label: "bench.worker")
        logger.logLevel = .info  // as `herd worker`'s default
        guard bench_reporter_start(1) == 0 else { fail("cannot start the reporter thread") }

        let handler: SubtaskHandler
        if behaviour == "hold" {
            handler = { context in
                let job = context.job.rawValue
                report("S \(job) \(context.index) \(context.attempt) \(bench_now_ns())\n")
                let delivered = Stamp()
                do {
                    try await withTaskCancellationHandler {
                        try await Task.sleep(for: .seconds(86_400))
                    } onCancel: {
                        delivered.value.store(bench_now_ns(), ordering: .relaxed)
                    }
                } catch {
                    // The handler runs again: this is when its own code sees the cancellation.
                    let observed = bench_now_ns()
                    report(
                        "C \(job) \(context.index) \(context.attempt) \(delivered.value.load(ordering: .relaxed)) \(observed)\n"
                    )
                    throw error
                }
                return []
            }
        } else {
            handler = { context in
                report("S \(context.job.rawValue) \(context.index) \(context.attempt) \(bench_now_ns())\n")
                return context.payload
            }
        }
        let options = WorkerOptions(
            endpoint: endpoint,
            workerID: id,
            group: group,
            capacity: capacity,
            handlers: ["hold": handler]
        )
        do {
            let worker = try WorkerService(options: options, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    try await worker.waitUntilRegistered()
                    report("ready \(id)\n")
                }
                // Returns when the worker has drained and left (DRAIN from the coordinator).
                try await worker.run()
                tasks.cancelAll()
            }
        } catch {
            fail("worker \(id): \(error)")
        }
        exit(0)
    }

    static func report(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { bench_report($0.baseAddress, $0.count) }
        }
    }
}
