import Foundation
import HerdCore
import HerdRuntime
import HerdTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Retries, breakers, fallbacks and the retry budget, with the real binary.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ResilienceTests {
    @Test func test_oneFlakyWorkerOfThree_itsBreakerOpens_othersCarryTheJob() async throws {
        try await withCluster(config: TestCluster.defaultConfig + "retry-attempts = 5\nretry-base-delay = \"20ms\"\n") {
            cluster in
            try await cluster.addWorker("bad", group: "g", capacity: 4, extra: ["--exec", "work=exit 75"])
            try await cluster.addWorker("ok1", group: "g", capacity: 4, extra: ["--exec", "work=cat"])
            try await cluster.addWorker("ok2", group: "g", capacity: 4, extra: ["--exec", "work=cat"])
            let run = try await cluster.submit([
                "--group", "g", "--kind", "work", "--payload", "item {index}", "--fanout", "200",
            ])
            #expect(run.status == 0, "every subtask succeeds")
            #expect(run.results.count == 200)
            #expect(run.results.allSatisfy { $0["status"] as? String == "ok" && $0["worker"] as? String != "bad" })
            #expect(run.results.contains { ($0["attempts"] as? Int ?? 0) >= 2 }, "some were retried elsewhere")
            let status = try await HerdClient(endpoint: cluster.endpoint).status()
            #expect(status.workers.first { $0.id == "bad" }?.breaker.hasPrefix("open") == true)
            #expect(status.workers.first { $0.id == "ok1" }?.breaker.hasPrefix("closed") == true)
            #expect(status.errors.contains { $0.category == .transient })
        }
    }

    @Test func test_retryAfter_isHonoured() async throws {
        try await withCluster { cluster in
            let stamps = cluster.logDirectory + "/stamps"
            // First attempt: rate-limited with retry-after 1 s; second: success.
            let command =
                "date +%s%N >> \(stamps); if [ $(wc -l < \(stamps)) -lt 2 ]; then echo 'herd: retry-after=1' >&2; exit 79; fi; echo fine"
            try await cluster.addWorker("r1", group: "g", capacity: 1, extra: ["--exec", "limited=\(command)"])
            let run = try await cluster.submit(["--group", "g", "--kind", "limited", "--fanout", "1"])
            #expect(run.status == 0)
            #expect(run.results.first?["attempts"] as? Int == 2)
            let times = try String(contentsOfFile: stamps, encoding: .utf8).split(separator: "\n").compactMap {
                Int64($0)
            }
            #expect(times.count == 2)
            if times.count == 2 {
                let gap = Double(times[1] - times[0]) / 1e9
                #expect(gap >= 1.0, "retry-after 1 s honoured (gap \(gap) s)")
            }
        }
    }

    @Test func test_operatorOpensAWorkersBreaker_itGetsNoWork_thenClosesIt() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker("o1", group: "g", capacity: 4)
            try await cluster.addWorker("o2", group: "g", capacity: 4)
            let open = try cluster.command(["breaker", "open", "g/o1", "--connect", cluster.endpoint])
            for await _ in open.lines {}
            #expect(await open.waitForExit() == 0)
            let run = try await cluster.submit(["--group", "g", "--kind", "echo", "--fanout", "50"])
            #expect(run.status == 0)
            #expect(run.results.allSatisfy { $0["worker"] as? String == "o2" })
            let close = try cluster.command(["breaker", "close", "g/o1", "--connect", cluster.endpoint])
            for await _ in close.lines {}
            #expect(await close.waitForExit() == 0)
            let after = try await cluster.submit([
                "--group", "g", "--kind", "sleep", "--payload", "20", "--fanout", "40",
            ])
            #expect(after.results.contains { $0["worker"] as? String == "o1" })
            let bad = try cluster.command(["breaker", "open", "a/b/c", "--connect", cluster.endpoint])
            for await _ in bad.lines {}
            #expect(await bad.waitForExit() == 2)
        }
    }

    @Test func test_groupFailingWithServerErrors_opensGroupBreaker_fallbackServes_probesClose_trafficReturns()
        async throws
    {
        let config =
            TestCluster.defaultConfig + """
                retry-attempts = 1
                group-breaker-window = 10
                group-breaker-minimum-calls = 5
                group-breaker-open = "4s"
                group-breaker-half-open-probes = 2
                ramp-step = "100ms"

                [[group]]
                name = "main"
                fallback = "spare"

                [[group]]
                name = "spare"

                """
        try await withCluster(config: config) { cluster in
            let healthy = cluster.logDirectory + "/healthy"
            let work = ["--exec", "work=if [ -f \(healthy) ]; then cat; else echo upstream down >&2; exit 69; fi"]
            try await cluster.addWorker("m1", group: "main", capacity: 2, extra: work)
            try await cluster.addWorker("m2", group: "main", capacity: 2, extra: work)
            try await cluster.addWorker("s1", group: "spare", capacity: 4, extra: ["--exec", "work=cat"])
            // The outage: server errors (a shared dependency) open the group's breaker.
            let outage = try await cluster.submit([
                "--group", "main", "--kind", "work", "--payload", "a{index}", "--fanout", "10",
            ])
            #expect(outage.results.contains { ($0["error"] as? [String: Any])?["category"] as? String == "server" })
            let client = HerdClient(endpoint: cluster.endpoint)
            #expect(try await client.status().groups.first { $0.name == "main" }?.breaker == "open")
            // While open (4 s: the served job must start before it half-opens, on a loaded machine
            // too; 1 s failed under load), the fallback group serves, and results say so.
            let served = try await cluster.submit([
                "--group", "main", "--kind", "work", "--payload", "b{index}", "--fanout", "6",
            ])
            #expect(served.status == 0)
            #expect(
                served.results.allSatisfy { $0["fallback"] as? String == "spare" && $0["worker"] as? String == "s1" }
            )
            // The dependency recovers; after the open duration, probes succeed and the group closes.
            _ = FileManager.default.createFile(atPath: healthy, contents: nil)
            var closed = false
            for _ in 0 ..< 60 {
                _ = try await cluster.submit([
                    "--group", "main", "--kind", "work", "--payload", "c{index}", "--fanout", "2",
                ])
                if try await client.status().groups.first(where: { $0.name == "main" })?.breaker == "closed" {
                    closed = true
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(closed, "probes succeeded and the group breaker closed")
            let back = try await cluster.submit([
                "--group", "main", "--kind", "work", "--payload", "d{index}", "--fanout", "20",
            ])
            #expect(back.status == 0)
            #expect(
                back.results.contains { ["m1", "m2"].contains($0["worker"] as? String ?? "") },
                "traffic returns to the group"
            )
        }
    }

    @Test func test_totalTransientOutage_staysWithinTheRetryBudget() async throws {
        let config =
            TestCluster.defaultConfig + """
                retry-attempts = 10
                retry-base-delay = "1ms"
                retry-max-delay = "5ms"
                retry-budget-ratio = 0.2
                retry-budget-floor = 1
                retry-budget-window = "10s"
                worker-breaker-minimum-calls = 10000

                """
        try await withCluster(config: config) { cluster in
            try await cluster.addWorker("x1", group: "g", capacity: 8, extra: ["--exec", "work=exit 75"])
            try await cluster.addWorker("x2", group: "g", capacity: 8, extra: ["--exec", "work=exit 75"])
            let run = try await cluster.submit(["--group", "g", "--kind", "work", "--fanout", "200"])
            #expect(run.results.count == 200)
            let attempts = run.results.reduce(0) { $0 + ($1["attempts"] as? Int ?? 0) }
            // Without a budget: 200 × 10 = 2,000 attempts. With it: 200 + 20 % + a floor of 10.
            #expect(attempts <= 200 + 40 + 10, "attempts \(attempts) stay within the budget")
            #expect(
                run.results.contains { ($0["error"] as? [String: Any])?["category"] as? String == "budget-exhausted" }
            )
            // Every failure carries its cause chain: one transient failure per attempt made.
            for result in run.results {
                let error = result["error"] as? [String: Any] ?? [:]
                let causes = error["causes"] as? [[String: Any]] ?? []
                #expect(
                    causes.count == result["attempts"] as? Int ?? -1 || error["category"] as? String == "transient",
                    "causes: \(error)"
                )
                #expect(causes.allSatisfy { $0["category"] as? String == "transient" })
            }
        }
    }
}
