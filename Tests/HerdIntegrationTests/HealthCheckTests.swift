import Foundation
import HerdRuntime
import HerdTestKit
import Testing

/// `herd worker --health CMD`: a failing probe takes the worker out of dispatch; a passing one
/// brings it back through the recovery ramp.
@Suite struct HealthCheckTests {
    @Test func test_unhealthyWorker_getsNoNewWork_andRecoversThroughTheRamp() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herd-health-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let sick = directory + "/sick"
        try await withCluster(coordinatorArguments: ["--metrics", "127.0.0.1:0"]) { cluster in
            let port = try await MetricsTests.metricsPort(cluster)
            _ = FileManager.default.createFile(atPath: sick, contents: Data())
            try await cluster.addWorker(
                "h1",
                group: "g",
                capacity: 4,
                extra: ["--health", "test ! -e \(sick)", "--health-interval", "100ms"]
            )
            try await cluster.addWorker("h2", group: "g", capacity: 4)
            let client = HerdClient(endpoint: cluster.endpoint)
            var unhealthy = false
            for _ in 0 ..< 200 {
                let status = try await client.status()
                if status.workers.first(where: { $0.id == "h1" })?.state.hasPrefix("unhealthy") == true {
                    unhealthy = true
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(unhealthy, "status shows h1 unhealthy")
            let gauge = try await MetricsTests.scrape(port: port) {
                $0["herd_workers{group=\"g\",state=\"unhealthy\"}"] == 1
            }
            #expect(gauge["herd_workers{group=\"g\",state=\"unhealthy\"}"] == 1)
            #expect(gauge["herd_workers{group=\"g\",state=\"live\"}"] == 1)
            // No new work for h1: every subtask runs on h2.
            let during = try await cluster.submit([
                "--group", "g", "--kind", "echo", "--fanout", "40", "--payload", "x",
            ])
            #expect(during.status == 0)
            #expect(during.results.count == 40)
            #expect(during.results.allSatisfy { $0["worker"] as? String == "h2" })

            // The probe passes again: h1 is live (on its recovery ramp) and gets work again.
            try FileManager.default.removeItem(atPath: sick)
            try await cluster.waitForLog("coordinator", containing: "worker healthy again")
            var state = ""
            for _ in 0 ..< 200 {
                state = try await client.status().workers.first(where: { $0.id == "h1" })?.state ?? ""
                if state == "live" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(state == "live")
            var servedByH1 = 0
            for _ in 0 ..< 20 where servedByH1 == 0 {
                let after = try await cluster.submit([
                    "--group", "g", "--kind", "sleep", "--fanout", "16", "--payload", "50",
                ])
                servedByH1 += after.results.filter { $0["worker"] as? String == "h1" }.count
            }
            #expect(servedByH1 > 0, "h1 got work again after recovering")
        }
    }
}
