import ArgumentParser
import Foundation
import HerdCore
import HerdRuntime
import Logging
import UnixSignals

extension Herd {
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit one fan-out job and print its results as they arrive.",
            discussion: """
                Exit status: 0 if every subtask succeeded, 1 if any failed or was cancelled, 2 for usage or
                connection errors, 130 after Ctrl-C (the job is cancelled on every worker first).
                Policies: all (default), fail-fast, first (hedging: the first success cancels the rest), quorum:K.
                """
        )

        @OptionGroup var coordinator: ConnectOptions

        @Option(name: .long, help: "The worker group to run the job on.")
        var group: String

        @Option(name: .long, help: "The subtask kind (echo, sleep, fail, or an exec kind the workers declare).")
        var kind: String

        @Option(name: .long, help: "Number of subtasks (with --payload).")
        var fanout: Int?

        @Option(name: .long, help: "The payload; {index} is replaced by each subtask's index.")
        var payload: String?

        @Option(name: .long, help: "A file with one payload per line (one subtask each).")
        var payloads: String?

        @Option(name: .long, help: "Each subtask's time limit, e.g. 30s.")
        var timeout: DurationArgument?

        @Option(name: .long, help: "When the job is done: all, fail-fast, first or quorum:K.")
        var policy: String = "all"

        @Option(name: .long, help: "Units (e.g. tokens) the whole job may consume; then the rest is cancelled.")
        var budget: UInt64?

        @Option(name: .long, help: "How long to wait for the coordinator to accept the job.")
        var connectTimeout: DurationArgument?

        @Option(
            name: .long,
            help:
                "How long the coordinator may be silent (restarting on its journal) before the job fails; within it the client re-attaches to its job (default 30s)."
        )
        var reconnect: DurationArgument?

        @Flag(
            name: .long,
            help: "One JSON object a line: {\"accepted\": {job, subtasks}} first, one per result, then the summary."
        )
        var json = false

        @Flag(name: .long, help: "Print only the summary, not each result.")
        var quiet = false

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            if self.payload != nil, self.payloads != nil {
                throw ValidationError("use either --payload or --payloads, not both")
            }
            if self.payloads != nil, self.fanout != nil {
                throw ValidationError("--fanout goes with --payload; --payloads has one subtask per line")
            }
            if FanoutPolicy(parsing: self.policy) == nil {
                throw ValidationError(
                    "--policy must be all, fail-fast, first or quorum:K (K ≥ 1), got '\(self.policy)'"
                )
            }
            if let fanout = self.fanout, !(1 ... CoordinatorStateMachine.maxSubtasksPerJob).contains(fanout) {
                throw ValidationError(
                    "--fanout must be 1...\(CoordinatorStateMachine.maxSubtasksPerJob), got \(fanout)"
                )
            }
        }

        func run() async throws {
            let logger = self.logging.bootstrap(label: "herd.submit", defaultLevel: .warning)
            let source: PayloadSource
            if let path = self.payloads {
                let text: String
                do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                    throw usageFailure("cannot read \(path): \(error.localizedDescription)")
                }
                var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
                if lines.last?.isEmpty == true { lines.removeLast() }
                guard !lines.isEmpty else { throw usageFailure("\(path) has no payload lines") }
                source = .list(lines)
            } else {
                source = .template(Array((self.payload ?? "").utf8), count: UInt32(self.fanout ?? 1))
            }
            let endpoint = self.coordinator.endpoint
            let client = HerdClient(
                endpoint: endpoint,
                logger: logger,
                connectTimeout: self.connectTimeout?.duration ?? .seconds(5),
                reconnectWindow: self.reconnect?.duration ?? .seconds(30),
                security: try self.coordinator.security()
            )
            let spec = JobSpec(
                group: self.group,
                kind: self.kind,
                payloads: source,
                timeout: self.timeout?.duration,
                policy: FanoutPolicy(parsing: self.policy)!,
                budget: self.budget
            )
            let output = SubmitOutput(json: self.json, quiet: self.quiet, total: source.count)
            let run = client.submit(spec)
            // Ctrl-C (or SIGTERM) cancels the job on every worker; we wait for the confirmation
            // (JOB-FINISHED), then exit 130.
            let interrupted = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                        run.cancel(reason: "interrupted by the client (Ctrl-C)")
                        return true
                    }
                    return false
                }
                do {
                    for try await update in run { output.handle(update) }
                } catch let failure as Failure {
                    output.finishProgress()
                    throw usageFailure(failure.message)
                }
                group.cancelAll()
                return try await group.next() ?? false
            }
            if interrupted { throw HerdExit.interrupted }
            throw output.summary.allSucceeded ? ExitCode.success : HerdExit.failures
        }
    }
}
