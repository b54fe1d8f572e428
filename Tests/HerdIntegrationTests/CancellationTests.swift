import Foundation
import HerdCore
import HerdRuntime
import HerdTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Cancellation across process boundaries, with the real binary.
@Suite(.serialized, .timeLimit(.minutes(3))) struct CancellationTests {
    /// Pids the exec children wrote; each must be gone.
    func childPIDs(in file: String) -> [Int32] {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    func waitForLines(_ file: String, count: Int) async throws {
        // Event: the file grows as children start; poll the file on a coarse timer, bounded.
        for _ in 0 ..< 600 {
            if self.childPIDs(in: file).count >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("only \(self.childPIDs(in: file).count) of \(count) children started")
    }

    @Test func test_herdCancel_200LongSubtasks_everyHandlerStops_noChildSurvives_nothingDeliveredAfter() async throws {
        try await withCluster { cluster in
            let pidFile = cluster.logDirectory + "/pids"
            let exec = ["--exec", "nap=echo $$ >> \(pidFile); exec sleep 60"]
            for id in ["c1", "c2", "c3"] { try await cluster.addWorker(id, group: "g", capacity: 10, extra: exec) }
            // The exec job first (j1), running on every slot, then a built-in sleep job (j2) queued behind it.
            let napper = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "nap", "--fanout", "100", "--json",
            ])
            try await self.waitForLines(pidFile, count: 5)
            let sleeper = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "sleep", "--fanout", "100",
                "--payload", "60000", "--json",
            ])
            let client = HerdClient(endpoint: cluster.endpoint)
            for _ in 0 ..< 200 where try await client.status().jobs.count < 2 {
                try await Task.sleep(for: .milliseconds(50))
            }
            // Everything in flight is running now (30 slots); cancel both jobs.
            for job in ["j1", "j2"] {
                let cancel = try cluster.command(["cancel", job, "--connect", cluster.endpoint])
                var said = ""
                for await line in cancel.lines { said += line }
                #expect(await cancel.waitForExit() == 0, "herd cancel \(job): \(said)")
                #expect(said.contains("every attempt confirmed stopped"))
            }
            // herd cancel returned after confirmation: every exec child is already gone.
            let pids = self.childPIDs(in: pidFile)
            #expect(!pids.isEmpty)
            for pid in pids { #expect(kill(pid, 0) == -1 && errno == ESRCH, "exec child \(pid) survived the cancel") }
            for submit in [napper, sleeper] {
                var results: [[String: Any]] = []
                for await line in submit.lines {
                    if let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                        object["index"] != nil
                    {
                        results.append(object)
                    }
                }
                #expect(await submit.waitForExit() == 1)
                #expect(results.count == 100)
                #expect(
                    results.allSatisfy { $0["status"] as? String == "cancelled" },
                    "no result delivered after the cancel"
                )
            }
            let status = try await HerdClient(endpoint: cluster.endpoint).status()
            #expect(status.workers.allSatisfy { $0.inFlight == 0 && $0.cancelling == 0 })
            #expect(status.jobs.isEmpty)
        }
    }

    @Test func test_sigintOnSubmit_cancelsRemoteWork_exits130() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker("i1", group: "g", capacity: 4)
            let submit = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "stream", "--payload", "100000:20",
                "--fanout", "8",
            ])
            // Wait until tokens stream (work is running), then Ctrl-C.
            _ = await submit.firstLine { $0.contains("token") }
            submit.signal(SIGINT)
            for await _ in submit.lines {}
            #expect(await submit.waitForExit() == 130)
            let status = try await HerdClient(endpoint: cluster.endpoint).status()
            #expect(status.jobs.isEmpty)
            #expect(status.workers.allSatisfy { $0.inFlight == 0 })
        }
    }

    @Test func test_killMinus9OfSubmit_coordinatorCancelsAfterClientLiveness() async throws {
        try await withCluster(
            config: "[coordinator]\nheartbeat = \"100ms\"\nliveness = \"600ms\"\nclient-liveness = \"800ms\"\n"
        ) { cluster in
            try await cluster.addWorker("v1", group: "g", capacity: 4)
            let submit = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "stream", "--payload", "100000:20",
                "--fanout", "4",
            ])
            _ = await submit.firstLine { $0.contains("token") }
            submit.signal(SIGKILL)
            _ = await submit.waitForExit()
            let client = HerdClient(endpoint: cluster.endpoint)
            var drained = false
            for _ in 0 ..< 100 {
                let status = try await client.status()
                if status.jobs.isEmpty, status.workers.allSatisfy({ $0.inFlight == 0 }) {
                    drained = true
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(drained, "the vanished client's job was cancelled on the worker")
        }
    }

    /// A tree three levels deep across two groups: root (upper) → 2 × fanout (lower) → 3 × leaf
    /// (lower, exec `sleep 60`) each, 6 leaves. Returns once every leaf runs: the submitting
    /// client, the file of leaf pids and the file of "JOB PID" lines.
    func startTree(
        in cluster: TestCluster,
        workerPrefix: String
    ) async throws -> (submit: ChildProcess, pidFile: String, jobFile: String) {
        let pidFile = cluster.logDirectory + "/pids"
        let jobFile = cluster.logDirectory + "/jobs"
        let exec = ["--exec", "leaf=echo \"$HERD_JOB $$\" >> \(jobFile); echo $$ >> \(pidFile); exec sleep 60"]
        try await cluster.addWorker("\(workerPrefix)1", group: "upper", capacity: 8)
        try await cluster.addWorker("\(workerPrefix)2", group: "lower", capacity: 16, extra: exec)
        let middle = #"{"group":"lower","kind":"leaf","count":3}"#
        let root =
            #"{"group":"lower","kind":"fanout","count":2,"payload":"#
            + String(decoding: try JSONEncoder().encode(middle), as: UTF8.self) + "}"
        let submit = try cluster.command([
            "submit", "--connect", cluster.endpoint, "--group", "upper", "--kind", "fanout", "--payload", root,
            "--json",
        ])
        try await self.waitForLines(pidFile, count: 6)
        return (submit, pidFile, jobFile)
    }

    @Test func test_nestedTree_threeLevelsAcrossTwoGroups_cancelFromRoot_stopsEverything() async throws {
        try await withCluster { cluster in
            let (submit, pidFile, _) = try await self.startTree(in: cluster, workerPrefix: "t")
            let status = try await HerdClient(endpoint: cluster.endpoint).status()
            #expect(status.jobs.count == 4, "root job, its nested job, and two leaf jobs")
            let cancel = try cluster.command(["cancel", "j1", "--connect", cluster.endpoint])
            for await _ in cancel.lines {}
            #expect(await cancel.waitForExit() == 0)
            for await _ in submit.lines {}
            #expect(await submit.waitForExit() == 1)
            for pid in self.childPIDs(in: pidFile) {
                #expect(kill(pid, 0) == -1 && errno == ESRCH, "leaf \(pid) survived")
            }
            let after = try await HerdClient(endpoint: cluster.endpoint).status()
            #expect(after.jobs.isEmpty, "no orphaned nested job")
            #expect(after.workers.allSatisfy { $0.inFlight == 0 })
        }
    }

    /// Cancelling a middle node (one middle subtask's nested job) stops its subtree only; the
    /// rest of the tree runs on until the root is cancelled.
    @Test func test_nestedTree_cancelFromAMiddleNode_stopsOnlyItsSubtree() async throws {
        try await withCluster { cluster in
            let (submit, _, jobFile) = try await self.startTree(in: cluster, workerPrefix: "m")
            // Leaves by the job that ran them: two leaf jobs of three leaves each.
            var byJob: [String: [Int32]] = [:]
            for line in ((try? String(contentsOfFile: jobFile, encoding: .utf8)) ?? "").split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count == 2, let pid = Int32(fields[1]) { byJob[String(fields[0]), default: []].append(pid) }
            }
            try #require(byJob.count == 2 && byJob.values.allSatisfy { $0.count == 3 }, "leaves by job: \(byJob)")
            let (cancelledJob, keptJob) = (byJob.keys.sorted()[0], byJob.keys.sorted()[1])
            let cancel = try cluster.command(["cancel", cancelledJob, "--connect", cluster.endpoint])
            for await _ in cancel.lines {}
            #expect(await cancel.waitForExit() == 0)
            // Confirmed means stopped: the cancelled subtree's leaves are gone, the others run.
            for pid in byJob[cancelledJob]! {
                #expect(kill(pid, 0) == -1 && errno == ESRCH, "leaf \(pid) of \(cancelledJob) survived")
            }
            for pid in byJob[keptJob]! {
                #expect(kill(pid, 0) == 0, "leaf \(pid) of \(keptJob) was stopped with the other subtree")
            }
            let status = try await HerdClient(endpoint: cluster.endpoint).status()
            #expect(
                !status.jobs.contains { "\($0.job.rawValue)" == cancelledJob },
                "the cancelled middle node's job is gone"
            )
            // Then the root: everything stops, and the client exits 1 (its subtask was cancelled).
            let cancelRoot = try cluster.command(["cancel", "j1", "--connect", cluster.endpoint])
            for await _ in cancelRoot.lines {}
            #expect(await cancelRoot.waitForExit() == 0)
            for pid in byJob[keptJob]! {
                #expect(kill(pid, 0) == -1 && errno == ESRCH, "leaf \(pid) survived the root's cancel")
            }
            for await _ in submit.lines {}
            #expect(await submit.waitForExit() == 1)
        }
    }

    /// A parent subtask that returns without waiting for its nested job: the coordinator cancels
    /// the children still running, and the parent's job completes only once they have stopped.
    @Test func test_nestedTree_parentFinishingEarly_cancelsItsStillRunningChildren() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker("e1", group: "upper", capacity: 2)
            try await cluster.addWorker("e2", group: "lower", capacity: 4)
            // Four children streaming a token every 20 ms for ~30 minutes; the parent leaves after 8 tokens.
            let root = #"{"group":"lower","kind":"stream","count":4,"payload":"100000:20","return_after_partials":8}"#
            let run = try await cluster.submit(["--group", "upper", "--kind", "fanout", "--payload", root])
            #expect(run.status == 0)
            #expect((run.results.first?["output"] as? String)?.hasPrefix("left after 8 partial outputs") == true)
            // By the time the root job finished, its children had stopped: nothing runs anywhere.
            let status = try await HerdClient(endpoint: cluster.endpoint).status()
            #expect(status.jobs.isEmpty, "no orphaned nested job: \(status.jobs)")
            #expect(status.workers.allSatisfy { $0.inFlight == 0 }, "no child still running on a worker")
        }
    }

    @Test func test_policies_first_failFast_quorum() async throws {
        try await withCluster { cluster in
            // Odd subtasks fail with validation (not retried, and counted against no breaker).
            try await cluster.addWorker(
                "p1",
                group: "g",
                capacity: 8,
                extra: [
                    "--exec",
                    "mixed=read n; if [ $((n % 2)) -eq 1 ]; then echo odd >&2; exit 65; fi; sleep 0.$n; echo done $n",
                ]
            )
            let first = try await cluster.submit([
                "--group", "g", "--kind", "sleep", "--payload", "{index}0", "--fanout", "8", "--policy", "first",
            ])
            #expect(first.results.filter { $0["status"] as? String == "ok" }.count == 1)
            #expect(first.results.count == 8)
            #expect(first.status == 1)
            let failFast = try await cluster.submit([
                "--group", "g", "--kind", "mixed", "--payload", "{index}", "--fanout", "8", "--policy", "fail-fast",
            ])
            #expect(failFast.results.count == 8)
            #expect(
                failFast.results.contains { ($0["error"] as? [String: Any])?["category"] as? String == "validation" }
            )
            let reason = (failFast.summary?["reason"] as? [String: Any])?["message"] as? String
            #expect(reason?.hasPrefix("fail-fast") == true)
            let quorum = try await cluster.submit([
                "--group", "g", "--kind", "sleep", "--payload", "{index}00", "--fanout", "6", "--policy", "quorum:2",
            ])
            #expect(quorum.results.filter { $0["status"] as? String == "ok" }.count == 2)
            #expect(quorum.results.filter { $0["status"] as? String == "cancelled" }.count == 4)
        }
    }

    @Test func test_budgetExhausted_cancelsRest_keepsCommitted() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker("b1", group: "g", capacity: 2)
            let run = try await cluster.submit([
                "--group", "g", "--kind", "stream", "--payload", "40:5", "--fanout", "6", "--budget", "100",
            ])
            #expect(run.status == 1)
            #expect((run.summary?["reason"] as? [String: Any])?["category"] as? String == "budget-exhausted")
            let ok = run.results.filter { $0["status"] as? String == "ok" }.count
            let cancelled = run.results.filter { $0["status"] as? String == "cancelled" }.count
            #expect(ok == 2, "the first two (80 units) finished; the next pair crossed 100")
            #expect(ok + cancelled == 6)
            #expect((run.summary?["usage"] as? Int ?? 0) >= 100)
        }
    }

    @Test func test_deadline_workerSide_and_coordinatorSide_withStoppedWorker() async throws {
        try await withCluster { cluster in
            let worker = try await cluster.addWorker("d1", group: "g", capacity: 4)
            let workerSide = try await cluster.submit([
                "--group", "g", "--kind", "sleep", "--payload", "5000", "--fanout", "2", "--timeout", "300ms",
            ])
            #expect(
                workerSide.results.allSatisfy { ($0["error"] as? [String: Any])?["category"] as? String == "timeout" }
            )
            #expect(workerSide.results.allSatisfy { ($0["worker"] as? String) == "d1" })
            // A stopped worker cannot answer: the coordinator enforces the deadline itself.
            let submit = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "sleep", "--payload", "5000",
                "--fanout", "2", "--timeout", "400ms", "--json",
            ])
            _ = try await Task.sleep(for: .milliseconds(100))
            worker.signal(SIGSTOP)
            var categories: [String] = []
            for await line in submit.lines {
                if let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let error = object["error"] as? [String: Any]
                {
                    categories.append(error["category"] as? String ?? "")
                }
            }
            worker.signal(SIGCONT)
            #expect(categories == ["timeout", "timeout"])
        }
    }

    @Test func test_partialOutput_streamsToClient_andStopsOnCancel() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker("s1", group: "g", capacity: 1)
            var partials = 0
            let run = try await cluster.submit([
                "--group", "g", "--kind", "stream", "--payload", "5:10", "--fanout", "1",
            ]) { _ in }
            _ = run
            let submit = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "stream", "--payload", "1000:10",
                "--json",
            ])
            var afterCancel = 0
            var cancelled = false
            for await line in submit.lines {
                guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    continue
                }
                if object["partial"] != nil {
                    partials += 1
                    if cancelled { afterCancel += 1 }
                    if partials == 5 {
                        cancelled = true
                        let cancel = try cluster.command(["cancel", "j2", "--connect", cluster.endpoint])
                        for await _ in cancel.lines {}
                        #expect(await cancel.waitForExit() == 0)
                    }
                }
            }
            #expect(partials >= 5)
            #expect(
                partials < 100,
                "the stream stopped at its source, far before its 1,000 tokens (\(afterCancel) arrived while cancelling)"
            )
        }
    }
}
