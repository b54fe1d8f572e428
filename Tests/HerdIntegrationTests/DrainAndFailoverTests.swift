import Foundation
import HerdCore
import HerdRuntime
import HerdTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Drain, crash failover and exactly-once results, with the real binary.
@Suite(.serialized, .timeLimit(.minutes(3))) struct DrainAndFailoverTests {
    func exactlyOnce(_ results: [[String: Any]], count: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(results.count == count, "every result delivered", sourceLocation: sourceLocation)
        #expect(Set(results.indexes).count == count, "each exactly once", sourceLocation: sourceLocation)
        #expect(results.allSatisfy { $0["status"] as? String == "ok" }, sourceLocation: sourceLocation)
    }

    @Test func test_drainOneOfThree_during1000SubtaskJob_exactlyOnce_exitsWithinGrace() async throws {
        try await withCluster { cluster in
            let drained = try await cluster.addWorker("d1", group: "g", capacity: 4)
            try await cluster.addWorker("d2", group: "g", capacity: 4)
            try await cluster.addWorker("d3", group: "g", capacity: 4)
            // Subtasks of 10–50 ms; a 30 ms grace is shorter than some of them.
            let drain = DrainOnce(
                client: HerdClient(endpoint: cluster.endpoint),
                target: .worker("d1"),
                grace: .milliseconds(30)
            )
            var seen = 0
            let run = try await cluster.submit([
                "--group", "g", "--kind", "sleep", "--payloads", try self.payloadFile(cluster),
            ]) { _ in
                seen += 1
                if seen == 100 { drain.start() }
            }
            self.exactlyOnce(run.results, count: 1000)
            let status = await drained.waitForExit()
            #expect(status == 0, "a drained worker exits 0")
            // No subtask started on it after the drain: it finished at most what it held (4).
            let report = try #require(await drain.report())
            #expect(report.workers.count == 1)
            #expect(report.workers[0].finished + UInt32(report.workers[0].moved.count) <= 4)
            let movedIndexes = Set(report.workers[0].moved.map { Int($0.subtask.index) })
            for result in run.results where movedIndexes.contains(result["index"] as! Int) {
                #expect(result["worker"] as? String != "d1", "moved subtasks ran elsewhere")
                #expect((result["attempts"] as? Int ?? 0) >= 2)
            }
        }
    }

    /// Starts a drain from a synchronous callback and hands its report over later.
    final class DrainOnce: @unchecked Sendable {
        // @unchecked: `task` is set once from the test's task and read after the submit ended.
        let client: HerdClient
        let target: DrainTarget
        let grace: Duration
        var task: Task<DrainReport?, Never>?

        init(client: HerdClient, target: DrainTarget, grace: Duration) {
            self.client = client
            self.target = target
            self.grace = grace
        }

        func start() {
            let (client, target, grace) = (self.client, self.target, self.grace)
            self.task = Task { try? await client.drain(target, grace: grace) }
        }

        func report() async -> DrainReport? { await self.task?.value }
    }

    func payloadFile(_ cluster: TestCluster) throws -> String {
        let path = cluster.logDirectory + "/payloads"
        let lines = (0 ..< 1000).map { "\(10 + ($0 * 7) % 41)" }.joined(separator: "\n") + "\n"
        try lines.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func test_drainNode_sharedByTwo_andSigtermWorker_andOnlyWorkerOfGroup() async throws {
        try await withCluster { cluster in
            let a = try await cluster.addWorker("n1", group: "g", capacity: 2, extra: ["--node", "rack-1"])
            let b = try await cluster.addWorker("n2", group: "g", capacity: 2, extra: ["--node", "rack-1"])
            let c = try await cluster.addWorker(
                "n3",
                group: "g",
                capacity: 2,
                extra: ["--node", "rack-2", "--drain-grace", "5s"]
            )
            let submit = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "sleep", "--payload", "30",
                "--fanout", "60", "--json",
            ])
            let firstResult = await submit.firstLine { $0.contains("\"index\"") }
            #expect(firstResult != nil)
            let report = try await HerdClient(endpoint: cluster.endpoint).drain(.node("rack-1"), grace: .seconds(2))
            #expect(Set(report.workers.map(\.worker)) == ["n1", "n2"])
            #expect(await a.waitForExit() == 0)
            #expect(await b.waitForExit() == 0)
            // The only worker left; a job waits with a notice while it drains itself on SIGTERM,
            // and a new worker picks the work up.
            c.signal(SIGTERM)
            #expect(await c.waitForExit() == 0)
            var results: [[String: Any]] = []
            let waiting = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "echo", "--payload", "late {index}",
                "--fanout", "5", "--json",
            ])
            try await cluster.addWorker("n4", group: "g", capacity: 2)
            for await line in submit.lines + waiting.lines {
                if let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    object["index"] != nil
                {
                    results.append(object)
                }
            }
            #expect(await submit.waitForExit() == 0)
            #expect(await waiting.waitForExit() == 0)
            #expect(results.count + 1 == 65, "60 + 5 results, one read above")
        }
    }

    @Test func test_killMinus9TwoOfFour_andSigstopPastLiveness_lateResultsDiscarded() async throws {
        try await withCluster { cluster in
            var workers: [ChildProcess] = []
            for id in ["f1", "f2", "f3", "f4"] {
                workers.append(try await cluster.addWorker(id, group: "g", capacity: 4))
            }
            var phase = 0
            let run = try await cluster.submit([
                "--group", "g", "--kind", "sleep", "--payload", "40", "--fanout", "400",
            ]) { _ in
                phase += 1
                if phase == 20 {
                    workers[0].signal(SIGKILL)
                    workers[1].signal(SIGKILL)
                    workers[2].signal(SIGSTOP)  // stalled past the 600 ms liveness window
                }
                if phase == 200 { workers[2].signal(SIGCONT) }  // wakes with stale attempts
            }
            workers[2].signal(SIGCONT)
            self.exactlyOnce(run.results, count: 400)
            #expect(run.results.contains { ($0["attempts"] as? Int ?? 0) >= 2 })
            #expect(run.status == 0)
        }
    }

    @Test func test_poisonSubtask_stopsAfterBoundedAttempts() async throws {
        try await withCluster(
            config: "[coordinator]\nheartbeat = \"100ms\"\nliveness = \"500ms\"\nmax-deliveries = 3\n"
        ) { cluster in
            // The poison kills the worker running it (its parent process).
            let poison = ["--exec", "poison=kill -9 $PPID; sleep 5"]
            for id in ["p1", "p2", "p3", "p4"] {
                try await cluster.addWorker(id, group: "g", capacity: 1, extra: poison)
            }
            let run = try await cluster.submit(["--group", "g", "--kind", "poison", "--fanout", "1"])
            #expect(run.status == 1)
            let error = run.results.first?["error"] as? [String: Any]
            let message = error?["message"] as? String ?? ""
            #expect(message.contains("gave up after 3 attempts"))
            #expect(run.results.first?["attempts"] as? Int == 3)
        }
    }

    @Test func test_coordinatorSigterm_refusesNew_cancelsRestAfterGrace_clientsTold() async throws {
        try await withCluster(coordinatorArguments: ["--grace", "300ms"]) { cluster in
            try await cluster.addWorker("s1", group: "g", capacity: 2)
            let long = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "sleep", "--payload", "60000",
                "--fanout", "4", "--json",
            ])
            let client = HerdClient(endpoint: cluster.endpoint)
            for _ in 0 ..< 100 where try await client.status().jobs.isEmpty {
                try await Task.sleep(for: .milliseconds(50))
            }
            cluster.coordinator.signal(SIGTERM)
            let refused = try await cluster.submit(["--group", "g", "--kind", "echo", "--fanout", "1"])
            #expect(refused.status == 2, "new jobs are refused while shutting down")
            var statuses: [String] = []
            for await line in long.lines {
                if let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let status = object["status"] as? String
                {
                    statuses.append(status)
                }
            }
            #expect(await long.waitForExit() == 1)
            #expect(statuses == ["cancelled", "cancelled", "cancelled", "cancelled"])
            #expect(await cluster.coordinator.waitForExit() == 0)
        }
    }

    /// The coordinator dies (kill -9) with work running and a new one starts on the same
    /// endpoint: the workers reconnect and re-register, the new coordinator cancels the attempts
    /// it never dispatched (their children die), the client of the lost job is told, and new
    /// jobs run on the reconnected workers.
    @Test func test_coordinatorRestart_workersReconnect_unknownWorkCancelled_newJobsRun() async throws {
        try await withCluster { cluster in
            let pidFile = cluster.logDirectory + "/pids"
            let exec = ["--exec", "long=echo $$ >> \(pidFile); exec sleep 60"]
            for id in ["r1", "r2"] { try await cluster.addWorker(id, group: "g", capacity: 2, extra: exec) }
            let lost = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "long", "--fanout", "4", "--json",
            ])
            var children: [Int32] = []
            for _ in 0 ..< 600 where children.count < 4 {
                children = ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").split(separator: "\n")
                    .compactMap { Int32($0) }
                try await Task.sleep(for: .milliseconds(50))
            }
            try #require(children.count == 4, "every long subtask started")

            cluster.coordinator.signal(SIGKILL)
            _ = await cluster.coordinator.waitForExit()
            try await cluster.restartCoordinator()

            // Both workers find the new coordinator by themselves.
            let client = HerdClient(endpoint: cluster.endpoint)
            var workers: [String] = []
            for _ in 0 ..< 200 {
                workers = try await client.status().workers.map(\.id).sorted()
                if workers == ["r1", "r2"] { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(workers == ["r1", "r2"], "both workers re-registered with the new coordinator")
            // The new coordinator never dispatched what they still held: it is stopped everywhere.
            var survivors = children
            for _ in 0 ..< 200 where !survivors.isEmpty {
                survivors = survivors.filter { kill($0, 0) == 0 }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(survivors.isEmpty, "children of the lost job's attempts were killed: \(survivors)")
            // The lost job's client is told it lost its coordinator, and exits non-zero.
            for await _ in lost.lines {}
            #expect(await lost.waitForExit() != 0)
            // The reconnected workers serve new jobs, with their full capacity.
            let run = try await cluster.submit([
                "--group", "g", "--kind", "echo", "--payload", "after-{index}", "--fanout", "20",
            ])
            self.exactlyOnce(run.results, count: 20)
            #expect(run.status == 0)
            #expect(Set(run.results.compactMap { $0["worker"] as? String }) == ["r1", "r2"])
        }
    }
}

extension AsyncStream<String> {
    /// Both streams' elements, the first's then the second's.
    static func + (lhs: AsyncStream<String>, rhs: AsyncStream<String>) -> AsyncStream<String> {
        AsyncStream { continuation in
            let task = Task {
                for await line in lhs { continuation.yield(line) }
                for await line in rhs { continuation.yield(line) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
