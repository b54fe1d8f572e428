import ArgumentParser
import HerdCore
import HerdRuntime

extension Herd {
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one job: each subtask's state, attempts, worker, failure with its cause chain, timings.",
            discussion: """
                Running and recently finished jobs are known (see herd jobs). Every subtask that is not a plain success \
                is listed; successes are listed too for jobs of at most \(JobDetail.maxListedSuccesses) subtasks. A \
                failure shows the final attempt's, then each earlier attempt's (← after …). TIME is how long a running \
                attempt has run, or the committed attempt's duration. Exit status: 0, 1 when the job is unknown, 2 for \
                usage or connection errors.
                """
        )

        @Argument(help: "The job id, as printed by submit (j12 or 12).")
        var job: String

        @OptionGroup var coordinator: ConnectOptions

        @Flag(name: .long, help: "One JSON object with the job and its subtasks.")
        var json = false

        @OptionGroup var logging: LoggingOptions

        func validate() throws { try JobIDText.validate(self.job) }

        func run() async throws {
            let logger = self.logging.bootstrap(label: "herd.inspect", defaultLevel: .warning)
            let client = HerdClient(
                endpoint: self.coordinator.endpoint,
                logger: logger,
                security: try self.coordinator.security()
            )
            let reply: InspectReply
            do { reply = try await client.inspect(job: JobIDText.parse(self.job)!) } catch let failure as Failure {
                throw usageFailure(failure.message)
            }
            guard let job = reply.jobs.first else {
                printLine("job \(self.job) is unknown: no such job, or finished and no longer among the recent ones")
                throw HerdExit.failures
            }
            if self.json {
                printLine(JobsOutput.jsonLine(JobsOutput.json(job, subtasks: true)))
            } else {
                for line in JobsOutput.inspect(job) { printLine(line) }
            }
        }
    }
}
