import ArgumentParser
import Foundation
import HerdCore
import HerdRuntime

extension Herd {
    struct Results: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Print a job's committed results, finished or still running (a journaling coordinator keeps them).",
            discussion: """
                Prints each committed result once, as herd submit does, then the summary of a finished job.
                Exit status: 0 when the job finished with every subtask succeeded (or is still running: its results so far
                are printed), 1 when it finished with failures or is unknown, 2 for usage or connection errors.
                """
        )

        @Argument(help: "The job id, as printed by submit (j12 or 12).")
        var job: String

        @OptionGroup var coordinator: ConnectOptions

        @Flag(name: .long, help: "One JSON object per line, as herd submit --json.")
        var json = false

        @OptionGroup var logging: LoggingOptions

        var jobID: JobID? { JobIDText.parse(self.job) }

        func validate() throws { try JobIDText.validate(self.job) }

        func run() async throws {
            let logger = self.logging.bootstrap(label: "herd.results", defaultLevel: .warning)
            let client = HerdClient(
                endpoint: self.coordinator.endpoint,
                logger: logger,
                security: try self.coordinator.security()
            )
            let reply: ResultsReply
            do { reply = try await client.results(job: self.jobID!) } catch let failure as Failure {
                throw usageFailure(failure.message)
            }
            guard reply.state != .unknown else {
                printLine(
                    "job \(reply.job) is unknown: no such job, forgotten after its retention, or a coordinator without --journal (it keeps no results)"
                )
                throw HerdExit.failures
            }
            let output = SubmitOutput(
                json: self.json,
                quiet: false,
                total: reply.summary.map { Int($0.succeeded + $0.failed + $0.cancelled) } ?? reply.results.count
            )
            output.handle(.results(reply.results))
            guard let summary = reply.summary else {
                output.finishProgress()
                FileHandle.standardError.write(
                    Data("job \(reply.job) is still running: \(reply.results.count) results committed so far\n".utf8)
                )
                return
            }
            output.handle(.finished(summary))
            throw output.summary.allSucceeded ? ExitCode.success : HerdExit.failures
        }
    }
}
