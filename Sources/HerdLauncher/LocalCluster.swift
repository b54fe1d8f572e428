import Foundation
import HerdRuntime
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The processes of a local Herd cluster: a `herd coordinator` and `herd worker`s, each a real
/// process of the `herd` binary, started in order, known by pid, waited on through their readiness
/// lines (never sleeps), and stopped by pid, leaving no process behind.
///
/// `herd up` starts one from a cluster file (``start(spec:configText:bind:drainGrace:)``); the
/// multi-process tests (`HerdTestKit`) start coordinators and workers one by one. Every process it
/// starts carries ``ProcessSetup/parentPIDVariable`` (this process's pid), so it stops by itself
/// if we die.
public final class LocalCluster: Sendable {
    /// How the cluster's processes are started.
    public struct Options: Sendable {
        /// The `herd` executable.
        public var executable: String
        /// A directory for each process's standard error (`NAME.log`) and the coordinator's config
        /// file; `nil` sends standard error to ours and writes the config to a temporary file.
        public var logDirectory: String?
        /// `--log-level` for every process; `nil` keeps each one's default.
        public var logLevel: String?
        /// Starts each process in a process group of its own (see ``start(spec:configText:bind:drainGrace:)``).
        public var ownProcessGroups: Bool
        /// How long to wait for a readiness line; `nil` waits until the process's output ends.
        public var readyTimeout: Duration?
        /// Added to each process's environment.
        public var environment: [String: String]

        public init(
            executable: String,
            logDirectory: String? = nil,
            logLevel: String? = nil,
            ownProcessGroups: Bool = false,
            readyTimeout: Duration? = .seconds(30),
            environment: [String: String] = [:]
        ) {
            self.executable = executable
            self.logDirectory = logDirectory
            self.logLevel = logLevel
            self.ownProcessGroups = ownProcessGroups
            self.readyTimeout = readyTimeout
            self.environment = environment
        }
    }

    /// The coordinator's readiness line, up to its endpoint.
    public static let listeningPrefix = "herd coordinator listening on "

    private struct State {
        var coordinators: [ChildProcess] = []
        var workers: [ChildProcess] = []
        var others: [ChildProcess] = []
        var endpoint = ""
        var configPath: String?
        var temporaryConfig = false
    }

    /// How this cluster starts its processes.
    public let options: Options
    private let state = Mutex(State())

    public init(options: Options) {
        self.options = options
    }

    /// The coordinator's endpoint (empty until ``startCoordinator(config:bind:arguments:)`` returns).
    public var endpoint: String { self.state.withLock { $0.endpoint } }
    /// The current coordinator (the last one started).
    public var coordinator: ChildProcess? { self.state.withLock { $0.coordinators.last } }
    /// The workers started so far, in order.
    public var workers: [ChildProcess] { self.state.withLock { $0.workers } }
    /// Every pid this cluster started: coordinators, workers and commands.
    public var pids: [Int32] { self.all.map(\.pid) }
    /// Where the coordinator's config file is (once started).
    public var configPath: String? { self.state.withLock { $0.configPath } }

    private var all: [ChildProcess] { self.state.withLock { $0.coordinators + $0.workers + $0.others } }

    // MARK: - Starting

    /// Writes `config` (a cluster file), starts `herd coordinator --config FILE` and waits until it
    /// listens; returns the endpoint it listens on.
    /// - Parameters:
    ///   - bind: `--bind` (`tcp://127.0.0.1:*` picks a free port); `nil` keeps the file's endpoint.
    ///   - arguments: More arguments for `herd coordinator`.
    @discardableResult
    public func startCoordinator(config: String, bind: String?, arguments: [String] = []) async throws -> String {
        let path: String
        let temporary = self.options.logDirectory == nil
        if let directory = self.options.logDirectory {
            path = directory + "/coordinator.toml"
        } else {
            path =
                FileManager.default.temporaryDirectory.appendingPathComponent(
                    "herd-cluster-\(getpid())-\(UUID().uuidString).toml"
                ).path
        }
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        self.state.withLock {
            $0.configPath = path
            $0.temporaryConfig = temporary
        }
        let coordinator = try self.spawnCoordinator(name: "coordinator", bind: bind, arguments: arguments)
        guard let line = await self.ready(coordinator, { $0.hasPrefix(Self.listeningPrefix) }) else {
            throw LocalClusterError("the coordinator exited before listening" + self.logHint(for: coordinator.name))
        }
        let endpoint = String(line.dropFirst(Self.listeningPrefix.count))
        self.state.withLock { $0.endpoint = endpoint }
        return endpoint
    }

    /// Starts a new coordinator on this cluster's endpoint and config (the previous one must be
    /// gone) and waits until it listens.
    public func restartCoordinator(arguments: [String] = []) async throws {
        let (number, endpoint) = self.state.withLock { ($0.coordinators.count + 1, $0.endpoint) }
        let coordinator = try self.spawnCoordinator(name: "coordinator-\(number)", bind: endpoint, arguments: arguments)
        guard await self.ready(coordinator, { $0.hasPrefix(Self.listeningPrefix) }) != nil else {
            throw LocalClusterError(
                "coordinator \(number) did not start on \(endpoint)" + self.logHint(for: coordinator.name)
            )
        }
    }

    private func spawnCoordinator(name: String, bind: String?, arguments: [String]) throws -> ChildProcess {
        guard let path = self.configPath else {
            throw LocalClusterError("no coordinator config: start the coordinator first")
        }
        var args = ["coordinator", "--config", path]
        if let bind { args += ["--bind", bind] }
        let coordinator = try self.spawn(name: name, arguments: args + self.logArguments + arguments)
        self.state.withLock { $0.coordinators.append(coordinator) }
        return coordinator
    }

    /// Starts a worker connected to this cluster's coordinator and waits until it has registered.
    @discardableResult
    public func startWorker(_ worker: WorkerLaunch) async throws -> ChildProcess {
        try await self.startWorkers([worker])[0]
    }

    /// Starts every worker at once, then waits until each has registered.
    @discardableResult
    public func startWorkers(_ launches: [WorkerLaunch]) async throws -> [ChildProcess] {
        let endpoint = self.endpoint
        var started: [ChildProcess] = []
        for launch in launches {
            let process: ChildProcess
            if let shell = launch.shellArguments {
                process = try self.spawn(
                    name: launch.name,
                    arguments: shell,
                    executable: "/bin/sh",
                    environment: launch.environment(endpoint: endpoint)
                )
            } else {
                process = try self.spawn(
                    name: launch.name,
                    arguments: launch.arguments(endpoint: endpoint) + self.logArguments + launch.extra
                )
            }
            self.state.withLock { $0.workers.append(process) }
            started.append(process)
        }
        for (launch, process) in zip(launches, started) {
            guard await self.ready(process, { $0.contains("registered") }) != nil else {
                throw LocalClusterError(
                    self.options.logDirectory == nil
                        ? "worker \(launch.name) exited before registering (see its log above)"
                        : "worker \(launch.name) did not register; log in \(self.options.logDirectory!)"
                )
            }
        }
        return started
    }

    /// Starts another `herd` command (e.g. `submit`), tracked with the cluster; the caller reads its output.
    public func command(_ arguments: [String]) throws -> ChildProcess {
        let name = arguments.first ?? "herd"
        let process = try self.spawn(name: name, arguments: arguments, logName: "\(name)-\(UUID().uuidString)")
        self.state.withLock { $0.others.append(process) }
        return process
    }

    private var logArguments: [String] { self.options.logLevel.map { ["--log-level", $0] } ?? [] }

    private func spawn(
        name: String,
        arguments: [String],
        logName: String? = nil,
        executable: String? = nil,
        environment extra: [String: String] = [:]
    ) throws -> ChildProcess {
        let stderr: ChildProcess.ErrorOutput =
            self.options.logDirectory.map { .file("\($0)/\(logName ?? name).log") } ?? .inherit
        let environment = self.options.environment.merging([ProcessSetup.parentPIDVariable: "\(getpid())"]) { mine, _ in
            mine
        }.merging(extra) { _, theirs in theirs }
        return try ChildProcess(
            name: name,
            executable: executable ?? self.options.executable,
            arguments: arguments,
            environment: environment,
            stderr: stderr,
            ownProcessGroup: self.options.ownProcessGroups
        )
    }

    /// The first output line of `process` that matches, `nil` if its output ends first or the
    /// readiness timeout passes.
    private func ready(_ process: ChildProcess, _ matching: @escaping @Sendable (String) -> Bool) async -> String? {
        guard let timeout = self.options.readyTimeout else { return await process.firstLine(where: matching) }
        return await withTimeout(timeout, { await process.firstLine(where: matching) }) ?? nil
    }

    private func logHint(for name: String) -> String {
        self.options.logDirectory.map { "; log in \($0)" } ?? " (see its log above)"
    }

    // MARK: - Waiting and stopping

    /// Returns when the coordinator or a worker exits, with which and its status.
    public func firstExit() async -> String {
        let processes = self.state.withLock { $0.coordinators.suffix(1) + $0.workers }
        return await withTaskGroup(of: String.self) { group in
            for process in processes {
                group.addTask { "\(process.name) exited with status \(await process.waitForExit())" }
            }
            let first = await group.next() ?? "no process"
            group.cancelAll()
            return first
        }
    }

    /// Stops the cluster in order: commands, then the workers (in parallel), then the coordinator;
    /// each gets SIGTERM, and SIGKILL if it is still there after `limit`. Reaps every process and
    /// removes a temporary config file.
    public func stop(within limit: Duration) async {
        let (others, workers, coordinators) = self.state.withLock { ($0.others, $0.workers, $0.coordinators) }
        for batch in [others, workers, coordinators] {
            await withTaskGroup(of: Void.self) { group in
                for process in batch where process.isRunning {
                    group.addTask { _ = await process.stop(grace: limit) }
                }
            }
        }
        self.removeTemporaryConfig()
    }

    /// Kills every process of the cluster (SIGKILL) and waits until each has exited.
    public func kill() async {
        let processes = self.all
        for process in processes where process.isRunning { process.signal(SIGKILL) }
        for process in processes { _ = await process.waitForExit() }
        self.removeTemporaryConfig()
    }

    private func removeTemporaryConfig() {
        let path = self.state.withLock { $0.temporaryConfig ? $0.configPath : nil }
        if let path { try? FileManager.default.removeItem(atPath: path) }
    }
}

/// A cluster did not start.
public struct LocalClusterError: Error, CustomStringConvertible, Sendable {
    /// What did not start, and where its log is.
    public var description: String
    public init(_ description: String) { self.description = description }
}
