import ArgumentParser
import HerdConfig
import HerdCore

/// Parses a `--timeout`/`--grace` style duration for ArgumentParser.
struct DurationArgument: ExpressibleByArgument {
    var duration: Duration

    init?(argument: String) {
        guard let duration = try? parseDuration(argument) else { return nil }
        self.duration = duration
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
