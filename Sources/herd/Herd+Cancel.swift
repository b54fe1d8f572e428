import ArgumentParser
import Foundation
import HerdCore
import HerdRuntime

extension Herd {
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a job everywhere and wait until every one of its subtasks has stopped.",
            discussion:
                "Exit status: 0 when cancelled and confirmed, 1 if no such job is running, 2 for usage or connection errors."
        )

        @Argument(help: "The job id, as printed by submit (j12 or 12).")
        var job: String

        @OptionGroup var coordinator: ConnectOptions

        @Option(name: .long, help: "Why (shown to the job's client).")
        var reason: String = "cancelled with herd cancel"

        @Option(name: .long, help: "How long to wait for every subtask to confirm it stopped.")
        var wait: DurationArgument?

        @OptionGroup var logging: LoggingOptions

        var jobID: JobID? { JobIDText.parse(self.job) }

        func validate() throws { try JobIDText.validate(self.job) }

        func run() async throws {
            let logger = self.logging.bootstrap(label: "herd.cancel", defaultLevel: .warning)
            let client = HerdClient(
                endpoint: self.coordinator.endpoint,
                logger: logger,
                security: try self.coordinator.security()
            )
            let started = ContinuousClock.now
            let reply: CancelReply?
            do {
                reply = try await client.cancel(
                    job: self.jobID!,
                    reason: self.reason,
                    timeout: self.wait?.duration ?? .seconds(60)
                )
            } catch let failure as Failure {
                throw usageFailure(failure.message)
            }
            guard let reply else {
                printLine("job \(self.jobID!) is not running (finished already, or unknown)")
                throw HerdExit.failures
            }
            let ms = Double(started.duration(to: .now).nanosecondsClamped) / 1e6
            printLine(
                String(
                    format: "job %@ cancelled: %u subtasks cancelled, every attempt confirmed stopped (%.1f ms)",
                    reply.job.description,
                    reply.cancelled,
                    ms
                )
            )
        }
    }
}
