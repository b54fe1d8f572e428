import Foundation
import HerdRuntime
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Real `herd` processes on loopback for the multi-process tests: a coordinator on a free port and
/// workers, each started from the binary built beside the test runner, waited on through their
/// readiness lines (never sleeps), and killed by pid when the test ends.
final class TestCluster: @unchecked Sendable {
    // @unchecked: mutated only by the test that owns the cluster, from one task at a time.
    private(set) var coordinator: ChildProcess
    /// Every coordinator process this cluster started (restarts add one).
    private var coordinators: [ChildProcess] = []
    let endpoint: String
    private let configPath: String
    private(set) var workers: [String: ChildProcess] = [:]
    private var others: [ChildProcess] = []
    let logDirectory: String

    /// The `herd` executable built for this test run.
    static let herd: String = {
        let runner = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: runner).deletingLastPathComponent().appendingPathComponent("herd").path
    }()

    /// Every process we start stops itself if the test runner dies (a hung or killed run leaves none).
    static let dieWithUs = [ProcessSetup.parentPIDVariable: "\(getpid())"]

    private init(coordinator: ChildProcess, endpoint: String, logDirectory: String, configPath: String) {
        self.coordinator = coordinator
        self.coordinators = [coordinator]
        self.endpoint = endpoint
        self.logDirectory = logDirectory
        self.configPath = configPath
    }

    /// Starts a coordinator listening on a free port, with a short liveness window.
    static let defaultConfig = "[coordinator]\nheartbeat = \"100ms\"\nliveness = \"600ms\"\n"

    static func start(config: String = defaultConfig, coordinatorArguments: [String] = []) async throws -> TestCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herd-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configPath = directory + "/coordinator.toml"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let coordinator = try ChildProcess(
            name: "coordinator", executable: Self.herd,
            arguments: ["coordinator", "--bind", "tcp://127.0.0.1:*", "--config", configPath, "--log-level", "debug"] + coordinatorArguments,
            environment: Self.dieWithUs,
            stderr: .file(directory + "/coordinator.log")
        )
        let prefix = "herd coordinator listening on "
        guard let line = await coordinator.firstLine(where: { $0.hasPrefix(prefix) }) else {
            coordinator.signal(SIGKILL)
            throw TestClusterError("coordinator did not start; log in \(directory)")
        }
        return TestCluster(coordinator: coordinator, endpoint: String(line.dropFirst(prefix.count)), logDirectory: directory, configPath: configPath)
    }

    /// Starts a new coordinator on this cluster's endpoint (the previous one must be gone) and
    /// waits until it listens.
    func restartCoordinator(arguments: [String] = []) async throws {
        let number = self.coordinators.count + 1
        let coordinator = try ChildProcess(
            name: "coordinator-\(number)", executable: Self.herd,
            arguments: ["coordinator", "--bind", self.endpoint, "--config", self.configPath, "--log-level", "debug"] + arguments,
            environment: Self.dieWithUs,
            stderr: .file("\(self.logDirectory)/coordinator-\(number).log")
        )
        self.coordinators.append(coordinator)
        self.coordinator = coordinator
        guard await coordinator.firstLine(where: { $0.hasPrefix("herd coordinator listening on ") }) != nil else {
            throw TestClusterError("coordinator \(number) did not start on \(self.endpoint); log in \(self.logDirectory)")
        }
    }

    /// Starts a worker and waits until it has registered.
    @discardableResult
    func addWorker(_ id: String, group: String, capacity: Int = 4, extra: [String] = []) async throws -> ChildProcess {
        let worker = try ChildProcess(
            name: id, executable: Self.herd,
            arguments: ["worker", "--connect", self.endpoint, "--group", group, "--id", id, "--capacity", "\(capacity)", "--log-level", "debug"] + extra,
            environment: Self.dieWithUs,
            stderr: .file("\(self.logDirectory)/\(id).log")
        )
        self.workers[id] = worker
        guard await worker.firstLine(where: { $0.contains("registered") }) != nil else {
            throw TestClusterError("worker \(id) did not register; log in \(self.logDirectory)")
        }
        return worker
    }

    /// Starts a `herd` command (e.g. submit) against this cluster; the caller reads its output.
    func command(_ arguments: [String]) throws -> ChildProcess {
        let process = try ChildProcess(name: arguments.first ?? "herd", executable: Self.herd, arguments: arguments, environment: Self.dieWithUs, stderr: .file("\(self.logDirectory)/\(arguments.first ?? "cmd")-\(UUID().uuidString).log"))
        self.others.append(process)
        return process
    }

    /// Runs `herd submit --json` and returns its exit status and the decoded JSON lines.
    func submit(_ arguments: [String], onLine: (([String: Any]) -> Void)? = nil) async throws -> (status: Int32, results: [[String: Any]], summary: [String: Any]?) {
        let process = try self.command(["submit", "--connect", self.endpoint, "--json"] + arguments)
        var results: [[String: Any]] = []
        var summary: [String: Any]?
        for await line in process.lines {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if let body = object["summary"] as? [String: Any] {
                summary = body
            } else {
                results.append(object)
                onLine?(object)
            }
        }
        return (await process.waitForExit(), results, summary)
    }

    /// Kills every process of the cluster (SIGKILL) and waits until each has exited.
    func shutdown() async {
        for process in self.coordinators + Array(self.workers.values) + self.others where process.isRunning {
            process.signal(SIGKILL)
        }
        for process in self.coordinators + Array(self.workers.values) + self.others {
            _ = await process.waitForExit()
        }
    }

    /// Every pid this cluster started.
    var pids: [Int32] { self.coordinators.map(\.pid) + self.workers.values.map(\.pid) + self.others.map(\.pid) }
}

struct TestClusterError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` with a fresh cluster and always tears it down, then checks no process is left.
func withCluster(config: String = TestCluster.defaultConfig, coordinatorArguments: [String] = [], _ body: (TestCluster) async throws -> Void) async throws {
    let cluster = try await TestCluster.start(config: config, coordinatorArguments: coordinatorArguments)
    do {
        try await body(cluster)
    } catch {
        await cluster.shutdown()
        throw error
    }
    await cluster.shutdown()
    for pid in cluster.pids {
        #expect(kill(pid, 0) == -1 && errno == ESRCH, "process \(pid) survived the test")
    }
}

extension [[String: Any]] {
    /// The subtask indexes of these results, in arrival order.
    var indexes: [Int] { self.compactMap { $0["index"] as? Int } }
}
