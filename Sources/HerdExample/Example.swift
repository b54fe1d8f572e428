import HerdCore
import HerdRuntime
import Logging
import ServiceLifecycle

/// A runnable tour of the Swift API: a coordinator, a worker whose handlers are async functions,
/// and a client that submits a fan-out job and reads its results as an `AsyncSequence`.
///
///     swift run HerdExample
@main
struct Example {
    static func main() async throws {
        var logger = Logger(label: "herd.example")
        logger.logLevel = .warning

        // A handler is an async Swift function:
        //    - the context gives payload, ids, deadline and attempt;
        //    - `emit` streams partial output; `reportUsage` counts tokens;
        //    - a cancel arrives as Swift task cancellation (`Task.sleep` throws).
        let summarize: SubtaskHandler = { context in
            let words = context.payloadText.split(separator: " ")
            for word in words {
                try await Task.sleep(for: .milliseconds(5))  // "thinking"
                await context.emit(String(word) + " ")
            }
            context.reportUsage(UInt64(words.count))
            return Array("\(words.count) words (attempt \(context.attempt))".utf8)
        }
        try await Self.run(logger: logger, summarize: summarize)
    }

    /// Runs a coordinator (on a free local port) and a worker in this process, submits a job and
    /// prints its results. In production each runs in its own process (`herd coordinator`,
    /// `herd worker`, or your own executable hosting a ``WorkerService``).
    static func run(logger: Logger, summarize: @escaping SubtaskHandler) async throws {
        let coordinator = try CoordinatorServer(
            options: CoordinatorOptions(
                endpoint: "tcp://127.0.0.1:*",
                configuration: CoordinatorConfiguration(coordinatorID: "example")
            ),
            logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await coordinator.run() }
            let endpoint = try await coordinator.boundEndpoint()
            // A worker whose kinds include our Swift handler (plus the built-ins echo, sleep, fail).
            let worker = try WorkerService(
                options: WorkerOptions(
                    endpoint: endpoint,
                    group: "writers",
                    capacity: 4,
                    handlers: ["summarize": summarize]
                ),
                logger: logger
            )
            group.addTask { try await worker.run() }
            try await worker.waitUntilRegistered()

            // A client: submit, then read results as they are committed (each exactly once).
            let client = HerdClient(endpoint: endpoint, logger: logger)
            let job = JobSpec(
                group: "writers",
                kind: "summarize",
                template: "subtask {index} says hello to the herd",
                count: 8
            )
            for try await update in client.submit(job) {
                switch update {
                case .accepted(let accepted):
                    print("job \(accepted.job) accepted with \(accepted.subtasks) subtasks")
                case .results(let results):
                    for result in results {
                        switch result.outcome {
                        case .success(let output):
                            print(
                                "  [\(result.subtask.index)] \(String(decoding: output, as: UTF8.self)) on \(result.worker)"
                            )
                        case .failure(let failure): print("  [\(result.subtask.index)] failed: \(failure)")
                        }
                    }
                case .notice(let message):
                    print("  notice: \(message)")
                case .partial(let partial):
                    print("  [\(partial.attempt.subtask.index)] … \(String(decoding: partial.data, as: UTF8.self))")
                case .finished(let summary):
                    print("done: \(summary.succeeded) ok, \(summary.failed) failed, \(summary.cancelled) cancelled")
                }
            }
            worker.stop()
            coordinator.stop()
            try await group.waitForAll()
        }
    }
}
