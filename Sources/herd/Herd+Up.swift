import ArgumentParser
import Foundation
import HerdConfig
import HerdCore
import HerdRuntime
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

        @Option(name: .long, help: "How long in-flight subtasks may finish when the cluster stops (each worker's drain grace; default 10s). What is still running then is cancelled, exec children included; a process still there after grace + its kill grace + 3 s gets SIGKILL.")
        var grace: DurationArgument?

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let logger = self.logging.bootstrap(label: "herd.up", defaultLevel: .info)
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
            let launcher = LocalCluster(spec: spec, configText: text, bind: self.bind, drainGrace: grace, logLevel: self.logging.logLevel, logger: logger)
            do {
                try await launcher.start()
            } catch {
                await launcher.stop(grace: grace)
                throw usageFailure("cluster did not start: \(error)")
            }
            let endpoint = launcher.endpoint
            printLine("herd cluster up: coordinator at \(endpoint); " + spec.groups.map { "\($0.name) (\($0.workers) × capacity \($0.capacity))" }.joined(separator: ", "))
            var exit = ExitCode.success
            if self.run, let job = spec.job {
                exit = await self.runDemo(job, endpoint: endpoint, logger: logger)
            } else {
                printLine("press Ctrl-C to stop; try: herd submit --connect \(endpoint) --group \(spec.groups.first?.name ?? "GROUP") --kind echo --fanout 10 --payload 'hello {index}'")
                await launcher.waitForSignalOrExit()
            }
            await launcher.stop(grace: grace)
            throw exit
        }

        private func runDemo(_ job: DemoJobSpec, endpoint: String, logger: Logger) async -> ExitCode {
            let client = HerdClient(endpoint: endpoint, logger: logger)
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

/// The processes of a local cluster, started and stopped in order.
final class LocalCluster: @unchecked Sendable {
    // @unchecked: `coordinator`, `workers` and `endpoint` are written only by `start()` and read
    // after it returns, all from the one task that runs `herd up`.
    private let spec: ClusterSpec
    private let configText: String
    private let bind: String?
    private let drainGrace: Duration
    private let logLevel: String?
    private let logger: Logger
    private var coordinator: ChildProcess?
    private var workers: [ChildProcess] = []
    private(set) var endpoint = ""
    private var configPath: String?

    init(spec: ClusterSpec, configText: String, bind: String?, drainGrace: Duration, logLevel: String?, logger: Logger) {
        self.spec = spec
        self.configText = configText
        self.bind = bind
        self.drainGrace = drainGrace
        self.logLevel = logLevel
        self.logger = logger
    }

    /// Starts the coordinator, waits until it listens, then starts every worker and waits until
    /// each has registered (readiness lines, not sleeps). Fails after 30 s.
    ///
    /// Each child runs in a process group of its own: a Ctrl-C on the terminal reaches only
    /// `herd up`, which then stops the workers (they drain) before the coordinator. Were they in
    /// the terminal's group, all would get SIGINT at once and the coordinator would shut down
    /// while its workers drain. If `herd up` dies, each child sees its parent go
    /// (``ProcessSetup/waitForParentExit(environment:)``) and stops by itself.
    func start() async throws {
        let executable = try HerdExecutable.path()
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("herd-up-\(getpid()).toml").path
        try self.configText.write(toFile: config, atomically: true, encoding: .utf8)
        self.configPath = config
        let environment = [ProcessSetup.parentPIDVariable: "\(getpid())"]
        let logArgs = self.logLevel.map { ["--log-level", $0] } ?? []
        var arguments = ["coordinator", "--config", config, "--grace", formatDuration(self.drainGrace)] + logArgs
        if let bind { arguments += ["--bind", bind] }
        let coordinator = try ChildProcess(name: "coordinator", executable: executable, arguments: arguments, environment: environment, stderr: .inherit, ownProcessGroup: true)
        self.coordinator = coordinator
        let prefix = "herd coordinator listening on "
        guard let line = try await withTimeout(.seconds(30), { await coordinator.firstLine { $0.hasPrefix(prefix) } }) ?? nil else {
            throw HerdRuntimeError("the coordinator exited before listening (see its log above)")
        }
        self.endpoint = String(line.dropFirst(prefix.count))
        for group in self.spec.groups {
            for n in 1...max(group.workers, 1) where group.workers > 0 {
                var args = ["worker", "--connect", self.endpoint, "--group", group.name, "--capacity", "\(group.capacity)", "--id", "\(group.name)-\(n)-\(getpid())", "--drain-grace", formatDuration(self.drainGrace)] + logArgs
                if let node = group.node { args += ["--node", node] }
                for exec in group.exec { args += ["--exec", exec] }
                self.workers.append(try ChildProcess(name: "\(group.name)-\(n)", executable: executable, arguments: args, environment: environment, stderr: .inherit, ownProcessGroup: true))
            }
        }
        for worker in self.workers {
            guard try await withTimeout(.seconds(30), { await worker.firstLine { $0.contains("registered") } }) ?? nil != nil else {
                throw HerdRuntimeError("worker \(worker.name) exited before registering (see its log above)")
            }
        }
    }

    /// Returns on SIGINT/SIGTERM, or when any process of the cluster exits on its own.
    func waitForSignalOrExit() async {
        let processes = [self.coordinator].compactMap { $0 } + self.workers
        await withTaskGroup(of: String.self) { group in
            group.addTask {
                for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return "\(signal)" }
                return "signal"
            }
            for process in processes {
                group.addTask { "\(process.name) exited with status \(await process.waitForExit())" }
            }
            let reason = await group.next() ?? ""
            self.logger.info("stopping the cluster", metadata: ["reason": "\(reason)"])
            group.cancelAll()
        }
    }

    /// Stops the workers (in parallel: each drains for `grace`, then cancels what still runs and
    /// kills its exec children), then the coordinator. SIGKILL only for a process still there
    /// after `grace` + the workers' kill grace + 3 s: a worker killed outright could not stop its
    /// exec children, which would outlive it.
    func stop(grace: Duration) async {
        let limit = grace + WorkerOptions.defaultKillGrace + .seconds(3)
        await withTaskGroup(of: Void.self) { group in
            for worker in self.workers where worker.isRunning {
                group.addTask { _ = await worker.stop(grace: limit) }
            }
        }
        if let coordinator, coordinator.isRunning { _ = await coordinator.stop(grace: limit) }
        if let configPath { try? FileManager.default.removeItem(atPath: configPath) }
    }
}

/// The path of the running `herd` executable (to start coordinators and workers from `herd up`).
enum HerdExecutable {
    static func path() throws -> String {
        let resolved = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        return resolved
    }
}

/// Runs `body`, returning `nil` if it takes longer than `timeout`.
func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async -> T) async throws -> T? {
    await withTaskGroup(of: T?.self) { group in
        group.addTask { await body() }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
