import ArgumentParser
import Foundation
import HerdCore
import HerdRuntime

extension Herd {
    struct Breaker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Operate a circuit breaker: open (force), close, reset or disable it.",
            discussion: """
                PATH is / (the cluster), GROUP, or GROUP/WORKER. An open breaker sends its level no work: an open
                group fails fast with circuit-open or sends its work to its fallback group.
                """
        )

        @Argument(help: "open, close, reset or disable.")
        var action: String

        @Argument(help: "/, GROUP or GROUP/WORKER.")
        var path: String

        @OptionGroup var coordinator: ConnectOptions

        @OptionGroup var logging: LoggingOptions

        static let actions: [String: BreakerCommand.Action] = [
            "open": .open, "close": .close, "reset": .reset, "disable": .disable,
        ]

        func validate() throws {
            guard Self.actions[self.action] != nil else {
                throw ValidationError("ACTION must be open, close, reset or disable, got '\(self.action)'")
            }
            guard BreakerPath(parsing: self.path) != nil else {
                throw ValidationError("PATH must be /, GROUP or GROUP/WORKER, got '\(self.path)'")
            }
        }

        func run() async throws {
            let logger = self.logging.bootstrap(label: "herd.breaker", defaultLevel: .warning)
            let client = HerdClient(
                endpoint: self.coordinator.endpoint,
                logger: logger,
                security: try self.coordinator.security()
            )
            let reply: BreakerReply
            do {
                reply = try await client.breaker(Self.actions[self.action]!, path: self.path)
            } catch let failure as Failure {
                throw usageFailure(failure.message)
            }
            guard reply.ok else { throw usageFailure(reply.message) }
            printLine(reply.message)
        }
    }
}
