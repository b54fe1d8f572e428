import HerdCore
import Logging

extension Logger {
    /// Writes a log line the core decided on.
    func write(_ event: LogLine) {
        let level: Logger.Level =
            switch event.level {
            case .trace: .trace
            case .debug: .debug
            case .info: .info
            case .notice: .notice
            case .warning: .warning
            case .error: .error
            }
        guard level >= self.logLevel else { return }
        self.log(level: level, "\(event.message)", metadata: event.metadata.mapValues { .string($0) })
    }
}
