import Foundation
import HerdRuntime
import HerdTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `herd up`: the real binary starts a coordinator and workers from a cluster file, serves jobs,
/// and leaves no process behind, whether stopped with SIGINT or killed outright.
@Suite(.serialized, .timeLimit(.minutes(3))) struct HerdUpTests {
    static let clusterFile = """
        [coordinator]
        heartbeat = "100ms"
        liveness = "600ms"

        [[group]]
        name = "g"
        workers = 2
        capacity = 4
        exec = ["nap=sleep 60"]
        """

    /// The pids whose parent is `parent` (from /proc).
    static func children(of parent: Int32) -> [Int32] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent
        }
    }

    /// Waits (bounded) until none of `pids` exists; returns those still there.
    static func waitGone(_ pids: [Int32]) async throws -> [Int32] {
        var left = pids
        for _ in 0 ..< 200 where !left.isEmpty {
            left = left.filter { kill($0, 0) == 0 }
            try await Task.sleep(for: .milliseconds(50))
        }
        return left
    }

    /// Starts `herd up` on a free port and waits for its readiness line; returns it and the endpoint.
    static func up(directory: String) async throws -> (ChildProcess, String) {
        let file = directory + "/cluster.toml"
        try Self.clusterFile.write(toFile: file, atomically: true, encoding: .utf8)
        let up = try ChildProcess(
            name: "up",
            executable: TestCluster.herd,
            arguments: ["up", file, "--bind", "tcp://127.0.0.1:*", "--grace", "2s", "--metrics", "127.0.0.1:0"],
            environment: TestCluster.dieWithUs,
            stderr: .file(directory + "/up.log")
        )
        let prefix = "herd cluster up: coordinator at "
        guard let line = await up.firstLine(where: { $0.hasPrefix(prefix) }) else {
            up.signal(SIGKILL)
            throw TestClusterError("herd up did not start; log in \(directory)")
        }
        let endpoint = String(line.dropFirst(prefix.count).prefix { $0 != ";" })
        return (up, endpoint)
    }

    /// The client key `herd up` generated on its first run in DIRECTORY/.herd/keys (CURVE is on by default).
    static func clientKeys(_ directory: String) -> [String] {
        [
            "--server-key", directory + "/.herd/keys/coordinator.pub", "--key", directory + "/.herd/keys/client.key",
        ]
    }

    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herd-up-test-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func test_herdUp_servesJobs_thenSIGINT_stopsEveryProcess() async throws {
        let directory = try Self.directory()
        let (up, endpoint) = try await Self.up(directory: directory)
        let cluster = Self.children(of: up.pid)
        #expect(cluster.count == 3, "a coordinator and two workers: \(cluster)")
        // A job through the cluster it started.
        let submit = try ChildProcess(
            name: "submit",
            executable: TestCluster.herd,
            arguments: [
                "submit", "--connect", endpoint, "--group", "g", "--kind", "echo", "--fanout", "50", "--payload",
                "hi {index}", "--json",
            ] + Self.clientKeys(directory),
            environment: TestCluster.dieWithUs
        )
        var results = 0
        for await line in submit.lines where line.contains("\"index\"") && line.contains("\"ok\"") { results += 1 }
        #expect(await submit.waitForExit() == 0)
        #expect(results == 50)
        // Long exec subtasks are running when the cluster is stopped: their children go too.
        let long = try ChildProcess(
            name: "long",
            executable: TestCluster.herd,
            arguments: ["submit", "--connect", endpoint, "--group", "g", "--kind", "nap", "--fanout", "4", "--json"]
                + Self.clientKeys(directory),
            environment: TestCluster.dieWithUs
        )
        var naps: [Int32] = []
        for _ in 0 ..< 200 where naps.count < 4 {
            // Each exec child has a herd-exec-guard sibling (docs/EXEC.md): not a nap.
            naps = cluster.flatMap { Self.children(of: $0) }.filter {
                (try? String(contentsOfFile: "/proc/\($0)/comm", encoding: .utf8)) != "herd-exec-guard\n"
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(naps.count == 4, "four exec children running")
        up.signal(SIGINT)
        #expect(await up.waitForExit() == 0)
        let left = try await Self.waitGone(cluster + naps)
        #expect(left.isEmpty, "processes left behind: \(left)")
        for await _ in long.lines {}
        #expect(await long.waitForExit() != 0, "the interrupted job's client is told")
    }

    @Test func test_herdUp_killedOutright_itsProcessesStopThemselves() async throws {
        let directory = try Self.directory()
        let (up, _) = try await Self.up(directory: directory)
        let cluster = Self.children(of: up.pid)
        #expect(cluster.count == 3)
        up.signal(SIGKILL)
        _ = await up.waitForExit()
        // Orphaned, each sees its parent gone (a pidfd) and stops gracefully.
        let left = try await Self.waitGone(cluster)
        #expect(left.isEmpty, "processes left behind: \(left)")
        for pid in left { kill(pid, SIGKILL) }
    }
}
