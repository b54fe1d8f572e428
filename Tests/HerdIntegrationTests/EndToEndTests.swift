import Foundation
import HerdCore
import HerdTestKit
import HerdZMQ
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `herd` binary, real sockets, several processes. Serialized: the machine has two cores.
@Suite(.serialized, .timeLimit(.minutes(3))) struct EndToEndTests {
    @Test func test_submitJSON_printsTheAcceptedJobFirst() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker("j1", group: "g", capacity: 2)
            let submit = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "echo", "--fanout", "3", "--json",
            ])
            var objects: [[String: Any]] = []
            for await line in submit.lines {
                if let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
                    objects.append(object)
                }
            }
            #expect(await submit.waitForExit() == 0)
            let accepted = try #require(objects.first?["accepted"] as? [String: Any])
            let summary = try #require(objects.last?["summary"] as? [String: Any])
            #expect(accepted["subtasks"] as? Int == 3)
            #expect(accepted["job"] as? Int == summary["job"] as? Int)
            #expect(objects.count == 5, "accepted, 3 results, the summary")
        }
    }

    @Test func test_thousandSubtasks_threeWorkersTwoGroups_everyResultCorrectAndOnce() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker("a1", group: "alpha", capacity: 8)
            try await cluster.addWorker("a2", group: "alpha", capacity: 8)
            try await cluster.addWorker("b1", group: "beta", capacity: 4, extra: ["--exec", "upper=tr a-z A-Z"])
            async let alpha = cluster.submit([
                "--group", "alpha", "--kind", "echo", "--fanout", "1000", "--payload", "item {index}",
            ])
            async let beta = cluster.submit([
                "--group", "beta", "--kind", "upper", "--fanout", "100", "--payload", "shout {index}",
            ])
            let (a, b) = try await (alpha, beta)

            #expect(a.status == 0)
            #expect(a.results.count == 1000)
            #expect(Set(a.results.indexes) == Set(0 ..< 1000))
            for result in a.results {
                let index = result["index"] as! Int
                #expect(result["status"] as? String == "ok")
                #expect(result["output"] as? String == "item \(index)")
                #expect(["a1", "a2"].contains(result["worker"] as? String ?? ""))
                #expect(result["attempts"] as? Int == 1)
            }
            #expect(
                Set(a.results.compactMap { $0["worker"] as? String }) == ["a1", "a2"],
                "both workers of alpha carry the job"
            )
            #expect((a.summary?["succeeded"] as? Int) == 1000)

            #expect(b.status == 0)
            #expect(b.results.count == 100)
            #expect(Set(b.results.indexes) == Set(0 ..< 100))
            for result in b.results {
                #expect(result["output"] as? String == "SHOUT \(result["index"] as! Int)")
            }
        }
    }

    @Test func test_killMinus9_workerMidJob_jobCompletes_everyResultOnce() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker("k1", group: "g", capacity: 4)
            let victim = try await cluster.addWorker("k2", group: "g", capacity: 4)
            try await cluster.addWorker("k3", group: "g", capacity: 4)
            var killed = false
            let run = try await cluster.submit([
                "--group", "g", "--kind", "sleep", "--fanout", "300", "--payload", "20",
            ]) { _ in
                // Kill as soon as work is flowing: the victim certainly holds attempts then.
                if !killed {
                    killed = true
                    victim.signal(SIGKILL)
                }
            }
            #expect(killed)
            #expect(await victim.waitForExit() == 128 + SIGKILL)
            #expect(run.status == 0)
            #expect(run.results.count == 300)
            #expect(Set(run.results.indexes).count == 300, "every result exactly once")
            #expect(run.results.allSatisfy { $0["status"] as? String == "ok" })
            let moved = run.results.filter { ($0["attempts"] as? Int ?? 0) > 1 }
            #expect(!moved.isEmpty, "the victim's attempts were re-dispatched")
            #expect(moved.allSatisfy { $0["worker"] as? String != "k2" })
        }
    }

    @Test func test_failures_areGroupedByCategory_andExitOne() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker(
                "f1",
                group: "g",
                capacity: 2,
                extra: ["--exec", "flaky=exit 75", "--exec", "picky=echo bad input >&2; exit 65"]
            )
            let run = try await cluster.submit([
                "--group", "g", "--kind", "fail", "--fanout", "3", "--payload", "rate-limited",
            ])
            #expect(run.status == 1)
            #expect(
                run.results.allSatisfy { ($0["error"] as? [String: Any])?["category"] as? String == "rate-limited" }
            )
            #expect((run.summary?["failures_by_category"] as? [String: Int]) == ["rate-limited": 3])
            let exec = try await cluster.submit(["--group", "g", "--kind", "picky", "--fanout", "2"])
            #expect(exec.status == 1)
            #expect(exec.results.allSatisfy { ($0["error"] as? [String: Any])?["category"] as? String == "validation" })
            #expect(exec.results.allSatisfy { ($0["error"] as? [String: Any])?["message"] as? String == "bad input" })
        }
    }

    @Test func test_malformedAndForeignMessages_getErrors_coordinatorKeepsServing() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker("m1", group: "g", capacity: 2)
            let context = try ZMQContext()
            let socket = try ZMQSocket(context: context, type: .dealer)
            try socket.set(.linger(milliseconds: 0))
            try socket.set(.routingID(Array("rogue".utf8)))
            try socket.connect(cluster.endpoint)
            let bad: [[[UInt8]]] = [
                [[0x48, 0x44, 7, 0x20]],  // unknown version
                [[1, 2, 3]],  // short header
                [[0x48, 0x44, 1, 0x11], [0, 0, 0, 0]],  // DISPATCH is the coordinator's to send
                [[0x48, 0x44, 1, 0x02], [0xFF, 0xFF, 0xFF, 0xFF]],  // RESULTS with an absurd count
            ]
            for frames in bad { _ = try socket.send(frames) }
            var errors: [ProtocolError] = []
            let loop = PollLoop()
            loop.watchReadable(socket) {
                while let frames = try? socket.receive() {
                    if case .error(let error)? = try? WireCodec.decode(frames) { errors.append(error) }
                }
                if errors.count >= bad.count { loop.stop() }
            }
            loop.schedule(at: .now.advanced(by: .seconds(20))) { loop.stop() }
            loop.run()
            socket.close()
            #expect(errors.map(\.code) == [.unsupportedVersion, .malformed, .unexpected, .malformed])
            // Still serving real work.
            let run = try await cluster.submit([
                "--group", "g", "--kind", "echo", "--fanout", "20", "--payload", "ok {index}",
            ])
            #expect(run.status == 0)
            #expect(run.results.count == 20)
        }
    }

    @Test func test_statusJSON_listsWorkersGroupsJobs() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker("s1", group: "g", capacity: 3)
            let status = try cluster.command(["status", "--connect", cluster.endpoint, "--json"])
            var text = ""
            for await line in status.lines { text += line }
            #expect(await status.waitForExit() == 0)
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            let workers = object?["workers"] as? [[String: Any]]
            #expect(workers?.first?["id"] as? String == "s1")
            #expect(workers?.first?["capacity"] as? Int == 3)
            #expect(workers?.first?["state"] as? String == "live")
            #expect((object?["groups"] as? [[String: Any]])?.first?["name"] as? String == "g")
            #expect(object?["jobs"] is [Any])
        }
    }

    @Test func test_submit_withoutCoordinator_exitsTwoWithClearMessage() async throws {
        try await withCluster { cluster in
            // A port nobody listens on: take a free one from a socket we close again.
            let context = try ZMQContext()
            let probe = try ZMQSocket(context: context, type: .router)
            try probe.bind("tcp://127.0.0.1:*")
            let unused = try probe.lastEndpoint
            probe.close()
            let submit = try cluster.command([
                "submit", "--connect", unused, "--group", "g", "--kind", "echo", "--connect-timeout", "1s",
            ])
            for await _ in submit.lines {}
            #expect(await submit.waitForExit() == 2)
            let usage = try cluster.command(["submit", "--group", "g"])
            for await _ in usage.lines {}
            #expect(await usage.waitForExit() == 2)
        }
    }
}
