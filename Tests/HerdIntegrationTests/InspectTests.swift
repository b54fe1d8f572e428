import Foundation
import HerdTestKit
import Testing

/// `herd jobs` and `herd inspect JOB` against a real coordinator.
@Suite struct InspectTests {
    /// Runs a `herd` command to its end; returns its exit status and standard output lines.
    static func run(_ cluster: TestCluster, _ arguments: [String]) async throws -> (Int32, [String]) {
        let process = try cluster.command(arguments + ["--connect", cluster.endpoint])
        var lines: [String] = []
        for await line in process.lines { lines.append(line) }
        return (await process.waitForExit(), lines)
    }

    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func test_jobsAndInspect_showStatesAttemptsWorkersCauseChainsAndTimings() async throws {
        try await withCluster(config: MetricsTests.config) { cluster in
            try await cluster.addWorker("i1", group: "g", capacity: 4)
            _ = try await cluster.submit(["--group", "g", "--kind", "echo", "--fanout", "2", "--payload", "x"])  // j1
            _ = try await cluster.submit([
                "--group", "g", "--kind", "fail", "--fanout", "2", "--payload", "transient",
            ])  // j2
            let sleeper = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "sleep", "--fanout", "2",
                "--payload", "60000", "--json",
            ])  // j3
            // j3 runs: both its subtasks at i1.
            var running: [String: Any] = [:]
            for _ in 0 ..< 200 {
                let (status, lines) = try await Self.run(cluster, ["inspect", "j3", "--json"])
                if status == 0, let line = lines.first {
                    running = try Self.object(line)
                    let subtasks = running["subtasks"] as? [[String: Any]] ?? []
                    if subtasks.count == 2, subtasks.allSatisfy({ $0["state"] as? String == "running" }) { break }
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(running["state"] as? String == "running")
            let runningSubtasks = running["subtasks"] as? [[String: Any]] ?? []
            #expect(runningSubtasks.map { $0["worker"] as? String } == ["i1", "i1"])
            #expect(runningSubtasks.allSatisfy { $0["elapsed_ms"] is Int && $0["attempts"] as? Int == 1 })

            let (listed, jobLines) = try await Self.run(cluster, ["jobs", "--json"])
            #expect(listed == 0)
            let jobs = try jobLines.map(Self.object)
            #expect(jobs.map { $0["job"] as? String } == ["j1", "j2", "j3"])
            #expect(jobs.map { $0["state"] as? String } == ["finished", "finished", "running"])
            #expect(jobs[0]["succeeded"] as? Int == 2)
            #expect(jobs[1]["failed"] as? Int == 2)

            let (inspected, detailLines) = try await Self.run(cluster, ["inspect", "j2", "--json"])
            #expect(inspected == 0)
            let detail = try Self.object(try #require(detailLines.first))
            #expect(detail["elapsed_ms"] is Int)
            let subtasks = try #require(detail["subtasks"] as? [[String: Any]])
            #expect(subtasks.count == 2)
            for subtask in subtasks {
                #expect(subtask["state"] as? String == "failed")
                #expect(subtask["attempts"] as? Int == 3)
                #expect(subtask["worker"] as? String == "i1")
                #expect(subtask["elapsed_ms"] is Int)
                let failure = try #require(subtask["failure"] as? [String: Any])
                #expect(failure["category"] as? String == "transient")
                // The final attempt's failure, caused by the two earlier attempts'.
                #expect((failure["causes"] as? [[String: Any]])?.count == 2)
            }

            // Text output: a header and the cause chain.
            let (_, text) = try await Self.run(cluster, ["inspect", "j2"])
            #expect(text.first?.hasPrefix("job j2: finished") == true)
            #expect(text.contains { $0.contains("← after transient") })
            let (unknown, _) = try await Self.run(cluster, ["inspect", "j99"])
            #expect(unknown == 1)

            let cancel = try cluster.command(["cancel", "j3", "--connect", cluster.endpoint])
            for await _ in cancel.lines {}
            _ = await cancel.waitForExit()
            for await _ in sleeper.lines {}
            _ = await sleeper.waitForExit()
            let (_, cancelled) = try await Self.run(cluster, ["inspect", "j3", "--json"])
            let after = try Self.object(try #require(cancelled.first))
            #expect(after["state"] as? String == "finished")
            #expect(
                (after["subtasks"] as? [[String: Any]])?.allSatisfy { $0["state"] as? String == "cancelled" } == true
            )
            #expect((after["reason"] as? [String: Any])?["category"] as? String == "cancelled")
        }
    }
}
