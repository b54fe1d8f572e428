import Foundation
import HerdTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `herd coordinator --metrics`: the real endpoint, scraped over HTTP, counts what the jobs did.
@Suite(.serialized) struct MetricsTests {
    /// Retries fast and deterministic (no jitter), breakers that never judge (a window of 1,000
    /// calls and as many before a verdict), so every count below is exact.
    static let config = """
        [coordinator]
        heartbeat = "100ms"
        liveness = "600ms"
        retry-attempts = 3
        retry-base-delay = "10ms"
        retry-max-delay = "20ms"
        retry-jitter = "none"
        breaker-window = 1000
        breaker-minimum-calls = 1000

        """

    /// The metrics port the coordinator (or the process whose log is `name`) logged.
    static func metricsPort(_ cluster: TestCluster, log name: String = "coordinator") async throws -> Int {
        try await cluster.waitForLog(name, containing: "serving metrics")
        let log = try String(contentsOfFile: "\(cluster.logDirectory)/\(name).log", encoding: .utf8)
        guard let range = log.range(of: #"http://127\.0\.0\.1:[0-9]+/metrics"#, options: .regularExpression) else {
            throw TestClusterError("no metrics url in the coordinator's log")
        }
        let url = log[range]
        return Int(url.dropFirst("http://127.0.0.1:".count).prefix { $0.isNumber })!
    }

    /// Scrapes until `done` holds for the samples (the coordinator records once per flush and
    /// samples gauges every 250 ms), for at most 10 s; returns the last samples.
    static func scrape(port: Int, until done: ([String: Double]) -> Bool) async throws -> [String: Double] {
        var samples: [String: Double] = [:]
        for _ in 0 ..< 200 {
            let (status, body) = try HTTPGet.get(port: port, path: "/metrics")
            #expect(status == 200)
            samples = HTTPGet.samples(body)
            if done(samples) { return samples }
            try await Task.sleep(for: .milliseconds(50))
        }
        return samples
    }

    @Test func test_scrape_afterSuccessesFailuresRetriesAndACancel_countsEqualWhatTheJobsDid() async throws {
        try await withCluster(config: Self.config, coordinatorArguments: ["--metrics", "127.0.0.1:0"]) { cluster in
            let port = try await Self.metricsPort(cluster)
            try await cluster.addWorker("m1", group: "g", capacity: 4)
            // j1: 6 successes. j2: 2 transient failures, each tried 3 times (2 retries each).
            // j3: 1 validation failure (never retried).
            let ok = try await cluster.submit(["--group", "g", "--kind", "echo", "--fanout", "6", "--payload", "x"])
            #expect(ok.status == 0)
            let transient = try await cluster.submit([
                "--group", "g", "--kind", "fail", "--fanout", "2", "--payload", "transient",
            ])
            #expect(transient.results.allSatisfy { $0["attempts"] as? Int == 3 }, "\(transient.results)")
            let invalid = try await cluster.submit([
                "--group", "g", "--kind", "fail", "--fanout", "1", "--payload", "validation",
            ])
            #expect(invalid.status != 0)
            // j4: 3 long sleeps, cancelled once all three run.
            let sleeper = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "sleep", "--fanout", "3",
                "--payload", "60000", "--json",
            ])
            let running = try await Self.scrape(port: port) { $0["herd_in_flight{group=\"g\"}"] == 3 }
            #expect(running["herd_in_flight{group=\"g\"}"] == 3)
            #expect(running["herd_jobs{state=\"running\"}"] == 1)
            let cancel = try cluster.command(["cancel", "j4", "--connect", cluster.endpoint])
            for await _ in cancel.lines {}
            #expect(await cancel.waitForExit() == 0)
            for await _ in sleeper.lines {}
            _ = await sleeper.waitForExit()

            let s = try await Self.scrape(port: port) {
                $0["herd_cancel_seconds_count"] == 1 && $0["herd_jobs{state=\"running\"}"] == 0
            }
            #expect(s["herd_subtasks_total{group=\"g\",kind=\"echo\",status=\"ok\"}"] == 6)
            #expect(s["herd_subtasks_total{group=\"g\",kind=\"fail\",status=\"error\"}"] == 3)
            #expect(s["herd_subtasks_total{group=\"g\",kind=\"sleep\",status=\"cancelled\"}"] == 3)
            #expect(s["herd_subtask_failures_total{group=\"g\",category=\"transient\"}"] == 2)
            #expect(s["herd_subtask_failures_total{group=\"g\",category=\"validation\"}"] == 1)
            #expect(s["herd_retries_total{group=\"g\",outcome=\"scheduled\"}"] == 4)
            #expect(s["herd_retries_total{group=\"g\",outcome=\"final\"}"] == 3)
            #expect(s["herd_retries_total{group=\"g\",outcome=\"refused\"}"] == nil)
            #expect(s["herd_cancel_seconds_count"] == 1)
            // Durations: every committed attempt a worker ran (the cancelled ones committed at the cancel).
            #expect(s["herd_subtask_duration_seconds_count{group=\"g\",kind=\"echo\"}"] == 6)
            #expect(s["herd_subtask_duration_seconds_count{group=\"g\",kind=\"fail\"}"] == 3)
            // A dispatch wait per first attempt: 6 + 2 + 1 + 3.
            #expect(s["herd_dispatch_wait_seconds_count{group=\"g\"}"] == 12)
            #expect(s["herd_workers{group=\"g\",state=\"live\"}"] == 1)
            #expect(s["herd_queue_depth{group=\"g\"}"] == 0)
            #expect(s["herd_in_flight{group=\"g\"}"] == 0)
            #expect(s["herd_jobs{state=\"ending\"}"] == 0)
            #expect(s["herd_breaker_state{level=\"cluster\",name=\"/\"}"] == 0)
            #expect(s["herd_breaker_state{level=\"worker\",name=\"g/m1\"}"] == 0)
            #expect(s["herd_retry_budget_available"] != nil)
            // Anything but /metrics is 404.
            #expect(try HTTPGet.get(port: port, path: "/nope").status == 404)
        }
    }

    @Test func test_breakerForcedOpen_reads3_andJournalBytesAppear() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herd-metrics-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await withCluster(coordinatorArguments: ["--metrics", "127.0.0.1:0", "--journal", directory + "/j.sqlite"])
        { cluster in
            let port = try await Self.metricsPort(cluster)
            try await cluster.addWorker("b1", group: "g", capacity: 2)
            let breaker = try cluster.command(["breaker", "open", "g", "--connect", cluster.endpoint])
            for await _ in breaker.lines {}
            #expect(await breaker.waitForExit() == 0)
            let s = try await Self.scrape(port: port) { $0["herd_breaker_state{level=\"group\",name=\"g\"}"] == 3 }
            #expect(s["herd_breaker_state{level=\"group\",name=\"g\"}"] == 3)
            #expect((s["herd_journal_bytes"] ?? 0) > 0)
        }
    }

    @Test func test_workerMetrics_countHandlersByKindAndStatus() async throws {
        try await withCluster(config: Self.config) { cluster in
            try await cluster.addWorker("wm", group: "g", capacity: 4, extra: ["--metrics", "127.0.0.1:0"])
            let port = try await Self.metricsPort(cluster, log: "wm")
            _ = try await cluster.submit(["--group", "g", "--kind", "echo", "--fanout", "5", "--payload", "x"])
            _ = try await cluster.submit(["--group", "g", "--kind", "fail", "--fanout", "1", "--payload", "validation"])
            let s = try await Self.scrape(port: port) {
                $0["herd_handler_duration_seconds_count{kind=\"fail\",status=\"error\"}"] == 1
            }
            #expect(s["herd_handler_duration_seconds_count{kind=\"echo\",status=\"ok\"}"] == 5)
            #expect(s["herd_handler_duration_seconds_count{kind=\"fail\",status=\"error\"}"] == 1)
            #expect(s["herd_worker_running"] == 0)
            #expect(s["herd_worker_exec_children"] == 0)
        }
    }
}
