import ArgumentParser
import Foundation
import HerdConfig
import HerdCore
import HerdLauncher
import HerdMetrics
import HerdRuntime
import Logging
import ServiceLifecycle

extension Herd {
    struct Coordinator: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a coordinator: accept jobs and dispatch their subtasks to workers."
        )

        @Option(
            name: .long,
            help:
                "Endpoint to listen on (default: the config file's, $HERD_ENDPOINT, or \(Endpoints.defaultEndpoint)). tcp://127.0.0.1:* picks a free port."
        )
        var bind: String?

        @Option(name: .long, help: "A cluster/coordinator TOML file; its [coordinator] table is used.")
        var config: String?

        @Option(
            name: .long,
            help:
                "Keep a journal here (SQLite, created if absent): accepted jobs survive a crash, and a coordinator restarted on the same journal resumes them. Without it, jobs live in memory only."
        )
        var journal: String?

        @Option(
            name: .customLong("secret-key"),
            help: "The coordinator's CURVE secret key file (herd keygen); overrides the config file's secret-key."
        )
        var secretKey: String?

        @Option(
            name: .customLong("allow-worker"),
            help: "A public key (Z85 or key file) allowed as a worker; repeatable."
        )
        var allowWorker: [String] = []

        @Option(
            name: .customLong("allow-client"),
            help: "A public key (Z85 or key file) allowed as a client; repeatable."
        )
        var allowClient: [String] = []

        @Option(
            name: .customLong("allow-operator"),
            help: "A public key (Z85 or key file) allowed as an operator (drain, breaker, any job); repeatable."
        )
        var allowOperator: [String] = []

        @Flag(
            name: .long,
            help:
                "Run without CURVE (no authentication, no encryption), even on a non-loopback address. Only on a network you trust."
        )
        var insecure = false

        @Option(
            name: .long,
            help:
                "Serve Prometheus metrics (GET /metrics) on HOST:PORT, e.g. 127.0.0.1:9464 (default: the config file's metrics key; none). \"\" serves none."
        )
        var metrics: String?

        @OptionGroup var grace: GraceOptions

        @OptionGroup var logging: LoggingOptions

        /// `--journal`, else the config file's `journal` key (relative to the file), else none.
        func journalPath(_ settings: CoordinatorSettings) -> String? {
            if let journal { return journal.isEmpty ? nil : journal }
            guard let config else { return nil }
            return settings.journalPath(
                inDirectoryOf: URL(fileURLWithPath: config).deletingLastPathComponent().path,
                fallback: nil
            )
        }

        /// `--metrics`, else the config file's `metrics` key, else none.
        func metricsAddress(_ settings: CoordinatorSettings) -> String? {
            let address = self.metrics ?? (self.config != nil ? settings.metrics : nil)
            return address?.isEmpty == false ? address : nil
        }

        func validate() throws {
            if let metrics, !metrics.isEmpty, !CoordinatorSettings.isHostPort(metrics) {
                throw ValidationError("--metrics: expected HOST:PORT (e.g. 127.0.0.1:9464), got '\(metrics)'")
            }
        }

        func run() async throws {
            // The whole cluster file: [coordinator] settings, and the groups' fallbacks and retry policies.
            var spec = try ClusterSpec.parse("")
            if let config {
                let text: String
                do { text = try String(contentsOfFile: config, encoding: .utf8) } catch {
                    throw usageFailure("cannot read config file \(config): \(error.localizedDescription)")
                }
                do { spec = try ClusterSpec.parse(text) } catch {
                    throw usageFailure("\(config): \(error)")
                }
            }
            let settings = spec.coordinator
            let endpoint = self.bind ?? (self.config != nil ? settings.endpoint : Endpoints.resolve(nil))
            let logger = self.logging.bootstrap(label: "herd.coordinator", defaultLevel: .info)
            var rng = SystemRandomNumberGenerator()
            let configuration = spec.coordinatorConfiguration(
                coordinatorID:
                    "coord-\(ProcessInfo.processInfo.processIdentifier)-\(String(UInt32.random(in: 0 ... .max, using: &rng), radix: 16))",
                seed: rng.next()
            )
            let keys = CoordinatorKeys(
                secretKey: self.secretKey,
                workers: self.allowWorker,
                clients: self.allowClient,
                operators: self.allowOperator,
                insecure: self.insecure
            )
            let security: CoordinatorSecurity?
            do {
                security = try keys.security(
                    spec: spec,
                    directory: self.config.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path },
                    endpoint: endpoint
                )
            } catch {
                throw usageFailure(error.description)
            }
            if security == nil {
                logger.warning(
                    "running without CURVE: no authentication, no encryption",
                    metadata: ["why": "\(self.insecure ? "--insecure" : "no secret key, loopback endpoint")"]
                )
            }
            // Metrics first: the registry must be swift-metrics' backend before anything records.
            var endpointForMetrics: MetricsEndpoint?
            if let address = self.metricsAddress(settings) {
                do {
                    endpointForMetrics = try await MetricsEndpoint.start(address, registry: MetricsEndpoint.bootstrap())
                } catch {
                    throw usageFailure("\(error)")
                }
            }
            var options = CoordinatorOptions(
                endpoint: endpoint,
                configuration: configuration,
                maxMessageBytes: settings.maxMessageBytes,
                shutdownGrace: self.grace.duration,
                journalPath: self.journalPath(settings),
                security: security
            )
            options.metrics = endpointForMetrics != nil
            let server = try CoordinatorServer(options: options, logger: logger)
            let metricsEndpoint = endpointForMetrics
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            let grace = self.grace.duration
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    let bound = try await server.boundEndpoint()
                    printLine("herd coordinator listening on \(bound)")
                    if let metricsEndpoint {
                        let url = "http://\(metricsEndpoint.address)/metrics"
                        printLine("herd coordinator metrics on \(url)")
                        logger.notice("serving metrics", metadata: ["url": "\(url)"])
                    }
                }
                tasks.addTask {
                    // Started by `herd up` (or a test) that has died: shut down gracefully.
                    await ProcessSetup.waitForParentExit(environment: ProcessInfo.processInfo.environment)
                    if !Task.isCancelled { server.shutdown(grace: grace) }
                }
                do {
                    try await group.run()
                } catch let error as HerdRuntimeError {
                    throw usageFailure(error.message)
                }
                tasks.cancelAll()
            }
            await metricsEndpoint?.close()
        }
    }
}
