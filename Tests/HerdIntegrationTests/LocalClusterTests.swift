import Foundation
import HerdConfig
import HerdCore
import HerdLauncher
import HerdRuntime
import HerdTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// ``LocalCluster`` itself: a cluster file's processes started by pid, waited on through their
/// readiness lines, and stopped in order, leaving none behind.
@Suite(.serialized, .timeLimit(.minutes(2))) struct LocalClusterTests {
    static let spec = """
        [coordinator]
        heartbeat = "100ms"
        liveness = "600ms"

        [[group]]
        name = "a"
        workers = 2
        capacity = 3

        [[group]]
        name = "b"
        workers = 1
        node = "n1"

        [[group]]
        name = "elsewhere"
        workers = 0
        """

    static func launcher() throws -> LocalCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "herd-launcher-test-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return LocalCluster(options: .init(executable: TestCluster.herd, logDirectory: directory))
    }

    @Test func test_workersOfSpec_oneLaunchPerWorker_inFileOrder() throws {
        let workers = LocalCluster.workers(of: try ClusterSpec.parse(Self.spec), drainGrace: .seconds(2))
        #expect(workers.map(\.name) == ["a-1", "a-2", "b-1"])
        #expect(workers.map(\.capacity) == [3, 3, 4])
        #expect(workers[2].node == "n1")
        #expect(workers.allSatisfy { $0.extra == ["--drain-grace", "2s"] && $0.id.hasPrefix($0.name + "-") })
    }

    @Test func test_startSpec_everyWorkerRegisters_thenStop_leavesNoProcess() async throws {
        let cluster = try Self.launcher()
        let endpoint = try await cluster.start(
            spec: try ClusterSpec.parse(Self.spec),
            configText: Self.spec,
            bind: "tcp://127.0.0.1:*",
            drainGrace: .milliseconds(200)
        )
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        #expect(cluster.workers.count == 3)
        #expect(cluster.pids.count == 4)
        #expect(cluster.pids.allSatisfy { kill($0, 0) == 0 })

        let status = try cluster.command(["status", "--connect", endpoint, "--json"])
        var report = ""
        for await line in status.lines { report += line }
        #expect(await status.waitForExit() == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])
        #expect((object["workers"] as? [Any])?.count == 3)

        await cluster.stop(within: LocalCluster.stopLimit(drainGrace: .milliseconds(200)))
        for pid in cluster.pids {
            #expect(kill(pid, 0) == -1 && errno == ESRCH, "process \(pid) survived")
        }
    }

    @Test func test_firstExit_reportsTheProcessThatDied() async throws {
        let cluster = try Self.launcher()
        try await cluster.startCoordinator(config: "", bind: "tcp://127.0.0.1:*")
        let worker = try await cluster.startWorker(WorkerLaunch(id: "w-\(getpid())", name: "w", group: "g"))
        worker.signal(SIGKILL)
        #expect(await cluster.firstExit() == "w exited with status \(128 + SIGKILL)")
        await cluster.kill()
        #expect(cluster.pids.allSatisfy { kill($0, 0) == -1 })
    }

    @Test func test_commandWorker_runsThroughTheShell_withItsSettingsInTheEnvironment() async throws {
        let spec = try ClusterSpec.parse("[[group]]\nname = \"py\"\ncapacity = 3\ncommand = \"python3 w.py\"")
        let launch = try #require(LocalCluster.workers(of: spec, drainGrace: .seconds(2)).first)
        #expect(launch.command == "python3 w.py")
        let cluster = try Self.launcher()
        let endpoint = try await cluster.startCoordinator(config: "", bind: "tcp://127.0.0.1:*")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herd-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("told").path
        // Stands in for a Python worker: says what it was told, then that it registered.
        let script = """
            printf '%s %s %s %s %s' "$HERD_WORKER_ID" "$HERD_GROUP" "$HERD_CAPACITY" "$HERD_ENDPOINT" \\
                "$HERD_DRAIN_GRACE" > "\(file)"
            echo registered
            exec sleep 30
            """
        let scriptPath = directory.appendingPathComponent("worker.sh").path
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        var worker = launch
        worker.command = "sh \(scriptPath)"
        let process = try await cluster.startWorker(worker)
        #expect(process.isRunning)
        let told = try String(contentsOfFile: file, encoding: .utf8)
        #expect(told == "\(launch.id) py 3 \(endpoint) 2.0")
        await cluster.kill()
        try? FileManager.default.removeItem(at: directory)
    }

    @Test func test_workerThatCannotStart_failsWithItsLog() async throws {
        let cluster = try Self.launcher()
        try await cluster.startCoordinator(config: "", bind: "tcp://127.0.0.1:*")
        await #expect(throws: LocalClusterError.self) {
            try await cluster.startWorker(WorkerLaunch(id: "bad", group: "g", capacity: 0))
        }
        await cluster.kill()
    }
}
