import Foundation
import HerdCore
import HerdRuntime
import HerdSystem
import HerdTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a journaling coordinator's crash must not leave behind: exec children running, results a
/// killed client can no longer collect, or a coordinator that starts on a journal it cannot read.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct JournalRecoveryTests {
    /// Exec work in flight when the coordinator is killed with SIGKILL: after the restart the
    /// workers' attempts are reconciled, every result arrives once, and no exec child (by pid and
    /// process group) is left running.
    @Test func test_coordinatorKilledMidJobWithExecWork_restarted_everyResultOnce_noChildLeft() async throws {
        let journal = TemporaryJournal()
        defer { journal.remove() }
        let arguments = ["--journal", journal.path]
        try await withCluster(coordinatorArguments: arguments) { cluster in
            let pidFile = cluster.logDirectory + "/exec-pids"
            let step = "step=echo $$ >> \(pidFile); sleep 0.3; echo done"
            for id in ["x1", "x2"] {
                try await cluster.addWorker(id, group: "g", capacity: 3, extra: ["--exec", step])
            }
            let total = 24
            let submit = BackgroundSubmit(
                cluster,
                ["--group", "g", "--kind", "step", "--fanout", "\(total)", "--reconnect", "60s"]
            )
            await submit.waitForResults(5)
            cluster.coordinator.signal(SIGKILL)
            _ = await cluster.coordinator.waitForExit()
            try await cluster.restartCoordinator(arguments: arguments)

            let run = try await submit.outcome
            #expect(run.status == 0, "the job survived the coordinator's crash")
            #expect(run.everyResultOnce(of: total), "every result exactly once")
            #expect(run.ok == total)

            // Every exec child that ever started (its shell wrote its pid, the leader of its process
            // group) is gone, and so is everything in its group.
            let text = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
            let leaders = text.split(separator: "\n").compactMap { pid_t($0) }
            #expect(leaders.count >= total, "each subtask ran its command: \(leaders.count) starts")
            let left = leaders.filter { !ProcessGroup.members($0).isEmpty }
            #expect(left.isEmpty, "exec process groups still alive: \(left)")
            for group in left { _ = kill(-group, SIGKILL) }
        }
    }

    /// A client killed with SIGKILL mid-job: its job ends (a vanished client's job is cancelled),
    /// and `herd results` collects every committed result once, the ones the client printed
    /// among them, then the summary.
    @Test func test_clientKilledMidJob_herdResultsCollectsEveryCommittedResultOnce() async throws {
        let journal = TemporaryJournal()
        defer { journal.remove() }
        // A client silent for 1 s is gone (5 s by default): the job is still running then.
        let config = TestCluster.defaultConfig + "client-liveness = \"1s\"\n"
        try await withCluster(config: config, coordinatorArguments: ["--journal", journal.path]) { cluster in
            try await cluster.addWorker("r1", group: "g", capacity: 8)
            let total = 40
            let client = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--json", "--group", "g", "--kind", "sleep", "--payload",
                "1000",
                "--fanout", "\(total)",
            ])
            var printed: [Int] = []
            for await line in client.lines {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let index = object["index"] as? Int
                else { continue }
                printed.append(index)
                if printed.count == 6 { break }
            }
            client.signal(SIGKILL)
            #expect(await client.waitForExit() == 128 + SIGKILL)
            // The coordinator notices the client is gone and ends the job; then it is all committed.
            try await cluster.waitForLog("coordinator", containing: "job finished")

            let results = try cluster.command(["results", "j1", "--connect", cluster.endpoint, "--json"])
            var indexes: [Int] = []
            var summary: [String: Any]?
            for await line in results.lines {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    continue
                }
                if let body = object["summary"] as? [String: Any] { summary = body }
                if let index = object["index"] as? Int { indexes.append(index) }
            }
            #expect(await results.waitForExit() == 1, "a cancelled job is not all succeeded")
            #expect(Set(indexes).count == indexes.count, "no result twice: \(indexes)")
            #expect(Set(printed).isSubset(of: Set(indexes)), "what the client printed is kept")
            let counts = (summary ?? [:]).compactMapValues { $0 as? Int }
            #expect(
                counts["succeeded", default: 0] + counts["failed", default: 0] + counts["cancelled", default: 0]
                    == total
            )
            #expect(indexes.count == total, "each subtask's committed result, cancelled ones included")
            #expect(counts["cancelled", default: 0] > 0, "the vanished client's job was cancelled")
        }
    }

    /// A journal that is not a Herd journal: the coordinator refuses to start, names the file and
    /// what is wrong, exits 2, and leaves the file as it was.
    @Test func test_coordinatorOnACorruptedJournal_refusesToStart_namingTheFile() async throws {
        let journal = TemporaryJournal()
        defer { journal.remove() }
        let directory = URL(fileURLWithPath: journal.path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var garbage = Array("SQLite format 3\u{0}".utf8)
        var generator = SystemRandomNumberGenerator()
        garbage += (0 ..< 8_192).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        try Data(garbage).write(to: URL(fileURLWithPath: journal.path))

        try await withCluster { cluster in
            let coordinator = try cluster.command([
                "coordinator", "--journal", journal.path, "--bind", "tcp://127.0.0.1:*",
            ])
            for await _ in coordinator.lines {}
            #expect(await coordinator.waitForExit() == 2)
            let logs = try FileManager.default.contentsOfDirectory(atPath: cluster.logDirectory)
                .filter { $0.hasPrefix("coordinator-") }
            let output = try logs.map { try String(contentsOfFile: cluster.logDirectory + "/" + $0, encoding: .utf8) }
                .joined()
            #expect(output.contains("journal \(journal.path): not a Herd journal"), "said: \(output)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: journal.path)) == Data(garbage), "left untouched")
        }
    }
}
