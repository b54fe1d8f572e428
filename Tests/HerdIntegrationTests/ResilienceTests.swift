import Foundation
import HerdCore
import HerdRuntime
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Retries, breakers, fallbacks and the retry budget, with the real binary.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ResilienceTests {
    @Test func test_oneFlakyWorkerOfThree_itsBreakerOpens_othersCarryTheJob() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker("bad", group: "g", capacity: 4, extra: ["--exec", "work=exit 75"])
            try await cluster.addWorker("ok1", group: "g", capacity: 4, extra: ["--exec", "work=cat"])
            try await cluster.addWorker("ok2", group: "g", capacity: 4, extra: ["--exec", "work=cat"])
            let run = try await cluster.submit(["--group", "g", "--kind", "work", "--payload", "item {index}", "--fanout", "200"])
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
            let command = "date +%s%N >> \(stamps); if [ $(wc -l < \(stamps)) -lt 2 ]; then echo 'herd: retry-after=1' >&2; exit 79; fi; echo fine"
            try await cluster.addWorker("r1", group: "g", capacity: 1, extra: ["--exec", "limited=\(command)"])
            let run = try await cluster.submit(["--group", "g", "--kind", "limited", "--fanout", "1"])
            #expect(run.status == 0)
            #expect(run.results.first?["attempts"] as? Int == 2)
            let times = try String(contentsOfFile: stamps, encoding: .utf8).split(separator: "\n").compactMap { Int64($0) }
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
            let after = try await cluster.submit(["--group", "g", "--kind", "sleep", "--payload", "20", "--fanout", "40"])
            #expect(after.results.contains { $0["worker"] as? String == "o1" })
            let bad = try cluster.command(["breaker", "open", "a/b/c", "--connect", cluster.endpoint])
            for await _ in bad.lines {}
            #expect(await bad.waitForExit() == 2)
        }
    }
}
