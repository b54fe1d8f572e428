import Foundation
import HerdCore
import HerdTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A `herd submit` killed with `kill -9` (issue 13): its broken connection, not the client
/// liveness window, ends its job, and every exec child of the job is gone.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ClientVanishTests {
    @Test func test_killMinus9OfSubmit_brokenConnectionCancelsTheJob_withoutWaitingForClientLiveness() async throws {
        // An hour of client liveness: only the failed send to the dead connection can end the job.
        try await withCluster(config: TestCluster.defaultConfig + "client-liveness = \"1h\"\n") { cluster in
            let pidFile = cluster.logDirectory + "/pids"
            let exec = ["--exec", "nap=echo $$ >> \(pidFile); exec sleep 60"]
            try await cluster.addWorker("v1", group: "g", capacity: 8, extra: exec)
            let submit = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "nap", "--fanout", "8", "--json",
            ])
            var pids: [Int32] = []
            for _ in 0 ..< 600 where pids.count < 8 {  // the file grows as the children start
                pids = ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").split(separator: "\n")
                    .compactMap { Int32($0) }
                try await Task.sleep(for: .milliseconds(50))
            }
            defer { for pid in pids { _ = kill(-pid, SIGKILL) } }  // nothing left behind, even on failure
            try #require(pids.count == 8, "only \(pids.count) of 8 exec children started")
            submit.signal(SIGKILL)
            _ = await submit.waitForExit()
            try await cluster.waitForLog("coordinator", containing: "client gone: cancelling its job")
            let log = try String(contentsOfFile: "\(cluster.logDirectory)/coordinator.log", encoding: .utf8)
            #expect(log.contains("unreachable for"), "the broken connection ended it, not the liveness window")
            var alive = pids
            for _ in 0 ..< 300 where !alive.isEmpty {  // each exits on its own SIGTERM; bounded at 30 s
                alive = alive.filter { kill($0, 0) == 0 }
                if !alive.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(alive.isEmpty, "exec children \(alive) outlived their vanished client")
        }
    }
}
