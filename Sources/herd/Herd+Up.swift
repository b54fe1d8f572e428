import ArgumentParser
import Foundation
import HerdConfig
import HerdCore
import HerdLauncher
import HerdRuntime
import HerdZMQ
import Logging
import ServiceLifecycle
import UnixSignals

extension Herd {
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a local cluster (a coordinator and its workers) from a cluster file.",
            discussion: """
                Without FILE, the embedded default (the same as cluster/local.toml) is used. Prints the endpoint,
                then runs until Ctrl-C or SIGTERM, when it stops the workers, then the coordinator, leaving no
                process behind. With --run it submits the file's [job], prints the results and stops.
                """
        )

        @Argument(help: "A cluster file (see cluster/README.md).")
        var file: String?

        @Option(name: .long, help: "Listen here instead of the file's endpoint (tcp://127.0.0.1:* picks a free port).")
        var bind: String?

        @Flag(name: .long, help: "Submit the cluster file's [job], print its results, then stop the cluster.")
        var run = false

        @Option(
            name: .long,
            help:
                "How long in-flight subtasks may finish when the cluster stops (each worker's drain grace; default 10s). What is still running then is cancelled, exec children included; a process still there after grace + its kill grace + 3 s gets SIGKILL."
        )
        var grace: DurationArgument?

        @Option(
            name: .long,
            help:
                "The coordinator's journal: its jobs survive a crash and a restart on the same journal (default: .herd/journal.sqlite next to FILE, or in the current directory without FILE). \"\" keeps jobs in memory only."
        )
        var journal: String?

        @Flag(
            name: .long,
            help:
                "Run the cluster without CURVE (no authentication, no encryption). By default herd up generates keys in .herd/keys next to FILE (in the current directory without FILE) on its first run and uses them."
        )
        var insecure = false

        @Option(
            name: .long,
            help:
                "Where the coordinator serves Prometheus metrics, HOST:PORT (default: the file's metrics key, else \(CoordinatorSettings.defaultMetricsAddress)). \"\" serves none."
        )
        var metrics: String?

        @Option(
            name: .long,
            help:
                "Where the coordinator's and workers' logs go, one file each (default: .herd/logs next to FILE, or in the current directory without FILE). \"\" shows them on this terminal instead."
        )
        var logs: String?

        @OptionGroup var logging: LoggingOptions

        /// The directory of FILE, or the current directory without one: where `.herd/` is kept.
        var baseDirectory: String {
            self.file.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
                ?? FileManager.default.currentDirectoryPath
        }

        /// The journal `herd up` keeps: `--journal`, else the cluster file's `journal` key (relative to
        /// the file), else `.herd/journal.sqlite` next to the file (in the current directory without one).
        func journalPath(_ settings: CoordinatorSettings) -> String? {
            if let journal { return journal.isEmpty ? nil : journal }
            let directory =
                self.file.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
                ?? FileManager.default.currentDirectoryPath
            return settings.journalPath(inDirectoryOf: directory, fallback: directory + "/.herd/journal.sqlite")
        }

        /// `--metrics`, else the file's `metrics` key, else the default address; `nil` for none.
        func metricsAddress(_ settings: CoordinatorSettings) -> String? {
            let address = self.metrics ?? settings.metrics ?? CoordinatorSettings.defaultMetricsAddress
            return address.isEmpty ? nil : address
        }

        /// `--logs`, else `.herd/logs` next to the file (in the current directory without one); `nil`: the terminal.
        func logDirectory() -> String? {
            if let logs { return logs.isEmpty ? nil : logs }
            let directory =
                self.file.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
                ?? FileManager.default.currentDirectoryPath
            return directory + "/.herd/logs"
        }

        func run() async throws {
            let logger = self.logging.bootstrap(label: "herd.up", defaultLevel: .info)
            let logs = self.logDirectory()
            if let logs {
                do { try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true) } catch {
                    throw usageFailure("cannot create the log directory \(logs): \(error.localizedDescription)")
                }
            }
            let text: String
            if let file {
                do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                    throw usageFailure("cannot read cluster file \(file): \(error.localizedDescription)")
                }
            } else {
                text = ClusterSpec.embeddedLocalCluster
            }
            let spec: ClusterSpec
            do { spec = try ClusterSpec.parse(text) } catch {
                throw usageFailure("\(self.file ?? "embedded cluster/local.toml"): \(error)")
            }
            if self.run, spec.job == nil { throw usageFailure("--run needs a [job] table in the cluster file") }
            let grace = self.grace?.duration ?? .seconds(10)
            // CURVE by default: the local cluster's keys, generated on the first run.
            let keys = self.baseDirectory + "/" + LocalKeys.directoryName
            var environment: [String: String] = [:]
            var coordinatorArguments: [String] = ["--insecure"]
            var clientSecurity: CurveSecurity?
            if !self.insecure {
                do {
                    let generated = try LocalKeys.ensure(in: keys)
                    if !generated.isEmpty {
                        logger.notice(
                            "generated CURVE keys",
                            metadata: ["keys": "\(generated)", "directory": "\(keys)"]
                        )
                    }
                    clientSecurity = try KeyFiles.clientSecurity(
                        serverKey: KeyFiles.publicPath(keys + "/coordinator"),
                        keyFile: KeyFiles.secretPath(keys + "/client")
                    )
                } catch {
                    throw usageFailure(error.description)
                }
                environment = LocalKeys.peerEnvironment(directory: keys, key: "worker")
                coordinatorArguments = LocalKeys.coordinatorArguments(directory: keys)
            }
            let launcher = LocalCluster(
                herdUpLogLevel: self.logging.logLevel,
                environment: environment,
                logDirectory: logs
            )
            let limit = LocalCluster.stopLimit(drainGrace: grace)
            let endpoint: String
            do {
                endpoint = try await launcher.start(
                    spec: spec,
                    configText: text,
                    bind: self.bind,
                    drainGrace: grace,
                    journal: self.journalPath(spec.coordinator),
                    metrics: self.metricsAddress(spec.coordinator) ?? "",
                    coordinatorArguments: coordinatorArguments
                )
            } catch {
                await launcher.stop(within: limit)
                throw usageFailure("cluster did not start: \(error)")
            }
            printLine(
                "herd cluster up: coordinator at \(endpoint); "
                    + spec.groups.map { "\($0.name) (\($0.workers) × capacity \($0.capacity))" }.joined(separator: ", ")
                    + (self.insecure ? "; no CURVE (--insecure)" : "; CURVE keys in \(keys)")
            )
            if let logs { printLine("logs: \(logs)/ (coordinator.log and one per worker)") }
            if let metrics = self.metricsAddress(spec.coordinator) {
                printLine("metrics: http://\(metrics)/metrics (herd status --watch for a live view)")
            }
            var exit = ExitCode.success
            if self.run, let job = spec.job {
                exit = await self.runDemo(job, endpoint: endpoint, security: clientSecurity, logger: logger)
            } else {
                printLine(
                    "press Ctrl-C to stop; try: herd submit --connect \(endpoint) --group \(spec.groups.first?.name ?? "GROUP") --kind echo --fanout 10 --payload 'hello {index}'"
                )
                await launcher.waitForSignalOrExit(logger: logger)
            }
            await launcher.stop(within: limit)
            throw exit
        }

        private func runDemo(
            _ job: DemoJobSpec,
            endpoint: String,
            security: CurveSecurity?,
            logger: Logger
        ) async -> ExitCode {
            let client = HerdClient(endpoint: endpoint, logger: logger, security: security)
            let spec = JobSpec(group: job.group, kind: job.kind, template: job.payload, count: job.fanout)
            let output = SubmitOutput(json: false, quiet: false, total: job.fanout)
            do {
                for try await update in client.submit(spec) { output.handle(update) }
            } catch {
                output.finishProgress()
                FileHandle.standardError.write(Data("herd: \(error)\n".utf8))
                return HerdExit.usage
            }
            return output.summary.allSucceeded ? .success : HerdExit.failures
        }
    }
}

/// `herd up`'s cluster: the library's ``LocalCluster`` with this executable, each child in a
/// process group of its own, standard error shared with ours.
extension LocalCluster {
    convenience init(herdUpLogLevel logLevel: String?, environment: [String: String] = [:], logDirectory: String? = nil)
    {
        // An unresolvable path fails at the first start, as "cluster did not start".
        let executable = (try? HerdExecutable.current()) ?? CommandLine.arguments[0]
        self.init(
            options: Options(
                executable: executable,
                logDirectory: logDirectory,
                logLevel: logLevel,
                ownProcessGroups: true,
                environment: environment
            )
        )
    }

    /// Returns on SIGINT/SIGTERM, or when any process of the cluster exits on its own.
    func waitForSignalOrExit(logger: Logger) async {
        await withTaskGroup(of: String.self) { group in
            group.addTask {
                for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return "\(signal)" }
                return "signal"
            }
            group.addTask { await self.firstExit() }
            let reason = await group.next() ?? ""
            logger.info("stopping the cluster", metadata: ["reason": "\(reason)"])
            group.cancelAll()
        }
    }
}
