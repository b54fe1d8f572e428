import Foundation
import HerdLauncher
import HerdRuntime

#if canImport(Glibc)
import Glibc
#endif

/// Real `herd` processes on loopback for the multi-process tests: a ``LocalCluster`` of the `herd`
/// built beside the test runner, with a coordinator on a free port, debug logs in a directory of
/// its own, readiness lines waited on without a time limit (the test's own limit applies), and
/// every process killed by pid when the test ends.
public final class TestCluster: Sendable {
    /// The cluster's processes.
    public let launcher: LocalCluster
    public let endpoint: String
    public var logDirectory: String { self.launcher.options.logDirectory ?? "" }

    /// The `herd` executable built for this test run.
    public static let herd: String = HerdExecutable.besideCurrent()

    /// Every process we start stops itself if the test runner dies (a hung or killed run leaves none).
    public static let dieWithUs = [ProcessSetup.parentPIDVariable: "\(getpid())"]

    /// A short liveness window, so that the tests see dead workers quickly.
    public static let defaultConfig = "[coordinator]\nheartbeat = \"100ms\"\nliveness = \"600ms\"\n"

    private init(launcher: LocalCluster, endpoint: String) {
        self.launcher = launcher
        self.endpoint = endpoint
    }

    /// Starts a coordinator listening on a free port.
    public static func start(
        config: String = defaultConfig,
        coordinatorArguments: [String] = []
    ) async throws -> TestCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herd-test-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let launcher = LocalCluster(
            options: .init(executable: Self.herd, logDirectory: directory, logLevel: "debug", readyTimeout: nil)
        )
        do {
            let endpoint = try await launcher.startCoordinator(
                config: config,
                bind: "tcp://127.0.0.1:*",
                arguments: coordinatorArguments
            )
            return TestCluster(launcher: launcher, endpoint: endpoint)
        } catch {
            await launcher.kill()
            throw error
        }
    }

    /// The current coordinator.
    public var coordinator: ChildProcess { self.launcher.coordinator! }

    /// Starts a new coordinator on this cluster's endpoint (the previous one must be gone) and
    /// waits until it listens.
    public func restartCoordinator(arguments: [String] = []) async throws {
        try await self.launcher.restartCoordinator(arguments: arguments)
    }

    /// Starts a worker and waits until it has registered.
    @discardableResult
    public func addWorker(
        _ id: String,
        group: String,
        capacity: Int = 4,
        extra: [String] = []
    ) async throws -> ChildProcess {
        try await self.launcher.startWorker(WorkerLaunch(id: id, group: group, capacity: capacity, extra: extra))
    }

    /// Starts a `herd` command (e.g. submit) against this cluster; the caller reads its output.
    public func command(_ arguments: [String]) throws -> ChildProcess {
        try self.launcher.command(arguments)
    }

    /// Runs `herd submit --json` and returns its exit status and the decoded JSON lines.
    public func submit(
        _ arguments: [String],
        onLine: (([String: Any]) -> Void)? = nil
    ) async throws -> (status: Int32, results: [[String: Any]], summary: [String: Any]?) {
        let process = try self.command(["submit", "--connect", self.endpoint, "--json"] + arguments)
        var results: [[String: Any]] = []
        var summary: [String: Any]?
        for await line in process.lines {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                continue
            }
            if let body = object["summary"] as? [String: Any] {
                summary = body
            } else if object["accepted"] != nil {
                continue  // the job's number, printed first
            } else {
                results.append(object)
                onLine?(object)
            }
        }
        return (await process.waitForExit(), results, summary)
    }

    /// Waits until the log `name` (`coordinator`, a worker's id) holds `text` at least `count`
    /// times, re-reading the file every 10 ms (a log file gives no notice of a new line), for at
    /// most `limit`. Throws naming the file when the text did not show up.
    public func waitForLog(
        _ name: String,
        containing text: String,
        count: Int = 1,
        within limit: Duration = .seconds(30)
    )
        async throws
    {
        let path = "\(self.logDirectory)/\(name).log"
        let deadline = ContinuousClock.now.advanced(by: limit)
        while ContinuousClock.now < deadline {
            let log = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if log.components(separatedBy: text).count - 1 >= count { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestClusterError("\(path) did not log \"\(text)\" \(count) time(s) within \(limit)")
    }

    /// Kills every process of the cluster (SIGKILL) and waits until each has exited.
    public func shutdown() async { await self.launcher.kill() }

    /// Every pid this cluster started.
    public var pids: [Int32] { self.launcher.pids }
}

/// A test-side failure to start something.
public struct TestClusterError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension [[String: Any]] {
    /// The subtask indexes of these results, in arrival order.
    public var indexes: [Int] { self.compactMap { $0["index"] as? Int } }
}
