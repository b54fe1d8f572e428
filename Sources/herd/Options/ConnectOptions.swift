import ArgumentParser
import Foundation
import HerdConfig
import HerdLauncher
import HerdZMQ

/// `--connect ENDPOINT`, `--server-key KEY` and `--key FILE`: where the coordinator is and how to
/// authenticate to it, for every command that talks to one.
struct ConnectOptions: ParsableArguments {
    @Option(name: .long, help: "The coordinator's endpoint (default: $HERD_ENDPOINT or \(Endpoints.defaultEndpoint)).")
    var connect: String?

    @Option(
        name: .customLong("server-key"),
        help:
            "The coordinator's CURVE public key: 40 characters of Z85 or a key file (default: $HERD_SERVER_KEY, else .herd/keys/coordinator.pub here if it exists)."
    )
    var serverKey: String?

    @Option(
        name: .long,
        help:
            "This peer's CURVE secret key file, from `herd keygen` (default: $HERD_KEY, else .herd/keys/operator.key here, or worker.key for a worker, if it exists)."
    )
    var key: String?

    @Flag(name: .long, help: "Connect without CURVE even if keys are found (to a coordinator run with --insecure).")
    var insecure = false

    /// `--connect`, else `$HERD_ENDPOINT`, else the default.
    var endpoint: String { Endpoints.resolve(self.connect) }

    /// The CURVE settings: `--server-key`/`--key`, else `$HERD_SERVER_KEY`/`$HERD_KEY`, else the
    /// keys `herd up` generated in `.herd/keys/` of the current directory (`defaultKey` of them);
    /// `nil` (no CURVE) when none is found or `--insecure` is given.
    ///
    /// - Throws: a usage failure (exit 2) for a key that cannot be read, or only one of the two.
    func security(defaultKey: String = "operator") throws -> CurveSecurity? {
        if self.insecure { return nil }
        let environment = ProcessInfo.processInfo.environment
        var serverKey = self.serverKey ?? environment["HERD_SERVER_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        var key = self.key ?? environment["HERD_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        if serverKey == nil, key == nil {
            let directory = FileManager.default.currentDirectoryPath + "/" + LocalKeys.directoryName
            let server = KeyFiles.publicPath(directory + "/coordinator")
            let own = KeyFiles.secretPath(directory + "/" + defaultKey)
            guard FileManager.default.fileExists(atPath: server), FileManager.default.fileExists(atPath: own) else {
                return nil
            }
            serverKey = server
            key = own
        }
        guard let serverKey, let key else {
            throw usageFailure(
                "CURVE needs both the coordinator's public key (--server-key or $HERD_SERVER_KEY) and this peer's"
                    + " key file (--key or $HERD_KEY)"
            )
        }
        do { return try KeyFiles.clientSecurity(serverKey: serverKey, keyFile: key) } catch {
            throw usageFailure(error.description)
        }
    }
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
