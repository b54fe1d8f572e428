import ArgumentParser
import Foundation
import HerdConfig

/// `--connect ENDPOINT`: where the coordinator is, for every command that talks to one.
struct ConnectOptions: ParsableArguments {
    @Option(name: .long, help: "The coordinator's endpoint (default: $HERD_ENDPOINT or \(Endpoints.defaultEndpoint)).")
    var connect: String?

    /// `--connect`, else `$HERD_ENDPOINT`, else the default.
    var endpoint: String { Endpoints.resolve(self.connect) }
}

/// Where the coordinator is by default.
enum Endpoints {
    static let defaultEndpoint = CoordinatorSettings.defaultEndpoint

    /// `explicit`, else `$HERD_ENDPOINT`, else the default.
    static func resolve(_ explicit: String?) -> String {
        if let explicit { return explicit }
        if let env = ProcessInfo.processInfo.environment["HERD_ENDPOINT"], !env.isEmpty { return env }
        return self.defaultEndpoint
    }
}
