import ArgumentParser
import Foundation
import HerdCore
import HerdRuntime
import UnixSignals

extension Herd {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show workers, groups and jobs in progress.",
            discussion: """
                With --watch, redraws the status every --interval (default 1s) until Ctrl-C: on a terminal in place \
                (the alternate screen, in colour, with each job's progress), otherwise as plain blocks of lines, each \
                headed by the time.
                """
        )

        @OptionGroup var coordinator: ConnectOptions

        @Flag(name: .long, help: "Print JSON with the keys workers, groups and jobs.")
        var json = false

        @Flag(name: .long, help: "Redraw the status live until Ctrl-C.")
        var watch = false

        @Option(name: .long, help: "How often --watch redraws (default 1s).")
        var interval: DurationArgument?

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            if self.watch && self.json { throw ValidationError("--watch and --json do not go together") }
            if let interval, interval.duration < .milliseconds(50) {
                throw ValidationError("--interval must be at least 50ms")
            }
        }

        func run() async throws {
            let logger = self.logging.bootstrap(label: "herd.status", defaultLevel: .warning)
            let client = HerdClient(
                endpoint: self.coordinator.endpoint,
                logger: logger,
                security: try self.coordinator.security()
            )
            if self.watch {
                await StatusWatch(client: client, interval: self.interval?.duration ?? .seconds(1)).run()
                return
            }
            let report: StatusReport
            do { report = try await client.status() } catch let failure as Failure {
                throw usageFailure(failure.message)
            }
            printLine(self.json ? StatusFormatter.json(report) : StatusFormatter.text(report))
        }
    }
}

/// Renders a ``StatusReport`` for people or programs.
enum StatusFormatter {
    static func ms(_ duration: Duration) -> Int64 { duration.nanosecondsClamped / 1_000_000 }

    static func text(_ report: StatusReport) -> String {
        let errors = report.errors.map { "\($0.category) \($0.count)" }.joined(separator: ", ")
        var lines = [
            "coordinator \(report.coordinatorID)  cluster breaker: \(report.clusterBreaker)",
            "retry budget: \(report.retryBudget.available) retries available (\(report.retryBudget.retries) retries / \(report.retryBudget.firstAttempts) first attempts in window)",
            "recent: \(report.recentCalls) attempts" + (errors.isEmpty ? ", no failures" : "; failures: \(errors)"),
            "jobs kept: "
                + (report.journal.isEmpty
                    ? "in memory only (a crash loses them; start with --journal)" : "journal \(report.journal)"),
            "", "WORKERS",
        ]
        let rows =
            [["ID", "GROUP", "NODE", "STATE", "IN-FLIGHT", "CANCELLING", "BREAKER", "HEARD"]]
            + report.workers.map { worker in
                let cancelling =
                    worker.overdue > 0 ? "\(worker.cancelling) (\(worker.overdue) OVERDUE)" : "\(worker.cancelling)"
                return [
                    worker.id, worker.group, worker.node, worker.state, "\(worker.inFlight)/\(worker.capacity)",
                    cancelling, worker.breaker, "\(ms(worker.lastHeard)) ms ago",
                ]
            }
        lines += table(rows)
        lines += ["", "GROUPS"]
        lines += table(
            [["GROUP", "WORKERS", "QUEUED", "IN-FLIGHT", "BREAKER", "FALLBACK"]]
                + report.groups.map {
                    [
                        "\($0.name)", "\($0.workers)", "\($0.queued)", "\($0.inFlight)", $0.breaker,
                        $0.fallback.isEmpty ? "-" : $0.fallback,
                    ]
                }
        )
        lines += ["", "JOBS"]
        lines += table(
            [["JOB", "GROUP", "KIND", "DONE", "RUNNING", "CANCELLING", "PARENT"]]
                + report.jobs.map {
                    [
                        "\($0.job)", $0.group, $0.kind, "\($0.finished)/\($0.total)", "\($0.running)",
                        "\($0.cancelling)", $0.parent.map { "\($0)" } ?? "-",
                    ]
                }
        )
        return lines.joined(separator: "\n")
    }

    static func table(_ rows: [[String]]) -> [String] {
        guard let header = rows.first else { return [] }
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(
                separator: "  "
            )
            .trimmingCharacters(in: .whitespaces)
        }
    }

    static func json(_ report: StatusReport) -> String {
        let object: [String: Any] = [
            "coordinator": report.coordinatorID,
            "journal": report.journal,
            "workers": report.workers.map { worker in
                [
                    "id": worker.id, "group": worker.group, "node": worker.node, "state": worker.state,
                    "in_flight": worker.inFlight, "capacity": worker.capacity,
                    "last_heartbeat_ms": ms(worker.lastHeard),
                    "cancelling": worker.cancelling, "overdue": worker.overdue, "breaker": worker.breaker,
                ] as [String: Any]
            },
            "groups": report.groups.map {
                [
                    "name": $0.name, "workers": $0.workers, "queued": $0.queued, "in_flight": $0.inFlight,
                    "breaker": $0.breaker, "fallback": $0.fallback,
                ] as [String: Any]
            },
            "cluster_breaker": report.clusterBreaker,
            "retry_budget": [
                "first_attempts": report.retryBudget.firstAttempts, "retries": report.retryBudget.retries,
                "available": report.retryBudget.available,
            ],
            "errors": Dictionary(uniqueKeysWithValues: report.errors.map { ($0.category.name, $0.count) }),
            "recent_attempts": report.recentCalls,
            "jobs": report.jobs.map {
                var job: [String: Any] = [
                    "job": $0.job.rawValue, "group": $0.group, "kind": $0.kind, "total": $0.total,
                    "finished": $0.finished,
                    "running": $0.running, "cancelling": $0.cancelling,
                ]
                if let parent = $0.parent { job["parent"] = "\(parent)" }
                return job
            },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
