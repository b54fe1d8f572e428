import ArgumentParser
import HerdCore
import HerdRuntime

extension Herd {
    struct Jobs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the coordinator's running and recently finished jobs.",
            discussion: """
                The coordinator remembers its last \(CoordinatorStateMachine.recentJobsKept) finished jobs (in memory: a \
                restart forgets them). TIME is how long a finished job took, or how long a running one has run. See \
                herd inspect JOB for one job's subtasks.
                """
        )

        @OptionGroup var coordinator: ConnectOptions

        @Flag(name: .long, help: "One JSON object per job.")
        var json = false

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let logger = self.logging.bootstrap(label: "herd.jobs", defaultLevel: .warning)
            let client = HerdClient(
                endpoint: self.coordinator.endpoint,
                logger: logger,
                security: try self.coordinator.security()
            )
            let reply: InspectReply
            do { reply = try await client.inspect(job: nil) } catch let failure as Failure {
                throw usageFailure(failure.message)
            }
            if self.json {
                for job in reply.jobs { printLine(JobsOutput.jsonLine(JobsOutput.json(job, subtasks: false))) }
            } else if reply.jobs.isEmpty {
                printLine("no jobs")
            } else {
                for line in JobsOutput.table(reply.jobs) { printLine(line) }
            }
        }
    }
}
