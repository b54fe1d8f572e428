import ArgumentParser
import Foundation
import HerdCore
import Logging

/// Where the coordinator is, for every command.
enum Endpoints {
    static let defaultEndpoint = "tcp://127.0.0.1:5555"

    /// `explicit`, else `$HERD_ENDPOINT`, else the default.
    static func resolve(_ explicit: String?) -> String {
        if let explicit { return explicit }
        if let env = ProcessInfo.processInfo.environment["HERD_ENDPOINT"], !env.isEmpty { return env }
        return self.defaultEndpoint
    }
}

/// `--log-level`, shared by every command.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got '\(logLevel)'")
        }
    }

    /// Sets up swift-log on standard error and returns a logger.
    func bootstrap(label: String, defaultLevel: Logger.Level) -> Logger {
        let level = self.logLevel.flatMap(Logger.Level.init(rawValue:)) ?? defaultLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

/// Parses a `--timeout`/`--grace` style duration for ArgumentParser.
struct DurationArgument: ExpressibleByArgument {
    var duration: Duration

    init?(argument: String) {
        guard let duration = try? parseDuration(argument) else { return nil }
        self.duration = duration
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// Writes a line to standard output and flushes it (readiness lines are read by other programs).
func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
