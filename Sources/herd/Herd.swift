import ArgumentParser
import Foundation
import HerdCore
import HerdRuntime

/// `herd`: run a coordinator, workers and jobs from the command line.
@main
struct Herd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herd",
        abstract: "Run AI-agent work across processes and machines, and keep it under control.",
        discussion: """
            Endpoints default to \(Endpoints.defaultEndpoint), or $HERD_ENDPOINT when set.
            Exit status: 0 success, 1 a job had failures or cancellations, 2 usage or connection error.
            """,
        version: "0.1.0",
        subcommands: [
            Up.self, Coordinator.self, Worker.self, Submit.self, Cancel.self, Drain.self, Breaker.self, Status.self,
            Results.self, Jobs.self, Inspect.self, Keygen.self, Sim.self,
        ]
    )

    /// Parses and runs, mapping errors to Herd's exit statuses (2 for usage errors, not 64).
    static func main() async {
        ProcessSetup.prepare(environment: ProcessInfo.processInfo.environment)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            // --help and --version exit 0; every other parse or runtime error is a usage error (2).
            if exitCode(for: error) == .success { self.exit(withError: error) }
            FileHandle.standardError.write(Data(("herd: " + fullMessage(for: error) + "\n").utf8))
            Foundation.exit(HerdExit.usage.rawValue)
        }
    }
}

/// Exit statuses of `herd`.
enum HerdExit {
    static let failures = ExitCode(1)
    static let usage = ExitCode(2)
    static let interrupted = ExitCode(130)
}

/// Prints `message` on standard error and exits with status 2.
func usageFailure(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("herd: \(message)\n".utf8))
    return HerdExit.usage
}
