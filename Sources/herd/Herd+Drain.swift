import ArgumentParser
import Foundation
import HerdCore
import HerdRuntime

extension Herd {
    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drain workers: no new work, in-flight work finishes within the grace, the rest moves elsewhere.",
            discussion: """
                Waits until every drained worker has left, then reports what finished, what moved and where.
                Exit status: 0 when drained, 1 if nothing matched, 2 for usage or connection errors.
                """
        )

        @Option(name: .long, help: "Drain one worker by id.")
        var worker: String?

        @Option(name: .long, help: "Drain every worker of a node label.")
        var node: String?

        @Option(name: .customLong("group"), help: "Drain every worker of a group.")
        var groupName: String?

        @OptionGroup var grace: GraceOptions

        @OptionGroup var coordinator: ConnectOptions

        @Flag(name: .long, help: "Print the report as JSON.")
        var json = false

        @OptionGroup var logging: LoggingOptions

        var target: DrainTarget? {
            if let worker { return .worker(worker) }
            if let node { return .node(node) }
            if let groupName { return .group(groupName) }
            return nil
        }

        func validate() throws {
            let given = [self.worker, self.node, self.groupName].compactMap { $0 }.count
            guard given == 1 else { throw ValidationError("give exactly one of --worker, --node or --group") }
        }

        func run() async throws {
            let logger = self.logging.bootstrap(label: "herd.drain", defaultLevel: .warning)
            let client = HerdClient(
                endpoint: self.coordinator.endpoint,
                logger: logger,
                security: try self.coordinator.security()
            )
            let started = ContinuousClock.now
            let report: DrainReport
            do {
                report = try await client.drain(self.target!, grace: self.grace.duration)
            } catch let failure as Failure {
                throw usageFailure(failure.message)
            }
            let ms = started.duration(to: .now).nanosecondsClamped / 1_000_000
            if self.json {
                let workers = report.workers.map { worker -> [String: Any] in
                    [
                        "worker": worker.worker, "finished": worker.finished,
                        "moved": worker.moved.map {
                            ["job": $0.subtask.job.rawValue, "index": $0.subtask.index, "to": $0.to] as [String: Any]
                        },
                    ]
                }
                let data = try JSONSerialization.data(
                    withJSONObject: ["workers": workers, "elapsed_ms": ms] as [String: Any],
                    options: [.sortedKeys]
                )
                printLine(String(decoding: data, as: UTF8.self))
            } else if report.workers.isEmpty {
                printLine("no live worker matches \(self.target!)")
            } else {
                for worker in report.workers {
                    printLine("\(worker.worker): drained; \(worker.finished) finished, \(worker.moved.count) moved")
                    for moved in worker.moved {
                        printLine("  \(moved.subtask) → \(moved.to.isEmpty ? "queued (no free worker yet)" : moved.to)")
                    }
                }
                printLine("drained \(report.workers.count) worker(s) in \(ms) ms")
            }
            if report.workers.isEmpty { throw HerdExit.failures }
        }
    }
}
