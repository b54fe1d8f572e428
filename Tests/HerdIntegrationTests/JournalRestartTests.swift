import Foundation
import HerdCore
import HerdRuntime
import HerdTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A journaling coordinator killed with SIGKILL and restarted on its journal: the job resumes and
/// its client, still running, prints every result exactly once and exits 0.
@Suite(.serialized) struct JournalRestartTests {
    /// Trials of the kill -9 soak: 3 in CI, more by hand (`HERD_SOAK_TRIALS=10 swift test --filter JournalRestartTests`).
    static let trials = Array(0 ..< (ProcessInfo.processInfo.environment["HERD_SOAK_TRIALS"].flatMap(Int.init) ?? 3))

    /// A 2,000-subtask job; the coordinator is killed with SIGKILL after a random number of
    /// results and restarted on its journal: every result is printed exactly once, status 0.
    @Test(arguments: Self.trials)
    func test_soak_coordinatorKilledAtARandomMoment_of2000Subtasks_nothingLostNothingTwice(trial: Int) async throws {
        let journal = TemporaryJournal()
        defer { journal.remove() }
        let arguments = ["--journal", journal.path]
        let total = 2_000
        let killAfter = Int.random(in: 20 ... (total - 100))
        try await withCluster(coordinatorArguments: arguments) { cluster in
            for id in ["s1", "s2"] { try await cluster.addWorker(id, group: "g", capacity: 8) }
            let submit = BackgroundSubmit(
                cluster,
                ["--group", "g", "--kind", "sleep", "--payload", "4", "--fanout", "\(total)", "--reconnect", "60s"]
            )
            await submit.waitForResults(killAfter)
            cluster.coordinator.signal(SIGKILL)
            _ = await cluster.coordinator.waitForExit()
            try await cluster.restartCoordinator(arguments: arguments)
            let run = try await submit.outcome
            #expect(run.status == 0, "trial \(trial), killed after \(killAfter) results")
            #expect(
                run.indexes.count == total,
                "trial \(trial): every result delivered once (killed after \(killAfter))"
            )
            #expect(Set(run.indexes).count == total, "trial \(trial): no result twice")
        }
    }

    @Test func test_coordinatorKilledMidJob_restartedOnItsJournal_clientReattaches_everyResultOnce() async throws {
        let journal = TemporaryJournal()
        defer { journal.remove() }
        let arguments = ["--journal", journal.path]
        try await withCluster(coordinatorArguments: arguments) { cluster in
            for id in ["j1", "j2"] { try await cluster.addWorker(id, group: "g", capacity: 4) }
            let total = 40
            let submit = BackgroundSubmit(
                cluster,
                ["--group", "g", "--kind", "sleep", "--payload", "250", "--fanout", "\(total)", "--reconnect", "60s"]
            )
            // Some results are committed (and journaled), others are queued or in flight.
            await submit.waitForResults(8)
            cluster.coordinator.signal(SIGKILL)
            _ = await cluster.coordinator.waitForExit()
            try await cluster.restartCoordinator(arguments: arguments)

            let run = try await submit.outcome
            #expect(run.status == 0, "the client kept its job across the restart")
            #expect(run.indexes.count == total, "every result delivered")
            #expect(Set(run.indexes).count == total, "each exactly once")
            #expect(run.ok == total)
            #expect(run.summary["succeeded"] == total)

            // `herd status` says where the jobs are kept, and how big the journal is.
            let status = try await HerdClient(endpoint: cluster.endpoint).status()
            #expect(status.journal.hasPrefix(journal.path + ": "), "status names the journal: \(status.journal)")
            #expect(status.journal.contains(" records, ") && status.journal.hasSuffix(" bytes"))

            // A client that was killed can still collect the job's results.
            let results = try cluster.command(["results", "1", "--connect", cluster.endpoint, "--json"])
            var lines: [String] = []
            for await line in results.lines { lines.append(line) }
            #expect(await results.waitForExit() == 0)
            #expect(
                lines.filter { $0.contains("\"index\"") }.count == total,
                "herd results prints every result once: \(lines.count) lines"
            )
            #expect(lines.last?.contains("\"summary\"") == true)
        }
    }
}

extension JournalRestartTests {
    /// SIGSTOP of the coordinator for longer than the workers' liveness window, then SIGCONT: the
    /// workers reconnect and re-register, what they hold is kept, and the job ends with every
    /// result exactly once.
    @Test func test_coordinatorStoppedLongerThanTheLivenessWindow_thenContinued_everyResultOnce() async throws {
        let journal = TemporaryJournal()
        defer { journal.remove() }
        try await withCluster(coordinatorArguments: ["--journal", journal.path]) { cluster in
            for id in ["p1", "p2"] { try await cluster.addWorker(id, group: "g", capacity: 4) }
            let total = 60
            let submit = BackgroundSubmit(
                cluster,
                ["--group", "g", "--kind", "sleep", "--payload", "100", "--fanout", "\(total)"]
            )
            await submit.waitForResults(10)
            cluster.coordinator.signal(SIGSTOP)
            // The fault itself lasts this long (2.5 liveness windows); nothing waits on it.
            try await Task.sleep(for: .milliseconds(2_500))
            cluster.coordinator.signal(SIGCONT)
            let run = try await submit.outcome
            #expect(run.status == 0)
            #expect(run.indexes.count == total && Set(run.indexes).count == total, "every result exactly once")
        }
    }

    /// The coordinator is killed right after it acknowledged a cancel (the job's end is journaled):
    /// after the restart the job stays cancelled, its client still gets JOB-FINISHED, and no
    /// cancelled subtask runs again.
    @Test func test_coordinatorRestartedMidCancel_jobStaysCancelled_clientFinishes() async throws {
        let journal = TemporaryJournal()
        defer { journal.remove() }
        let arguments = ["--journal", journal.path]
        try await withCluster(coordinatorArguments: arguments) { cluster in
            try await cluster.addWorker("m1", group: "g", capacity: 4)
            let submit = BackgroundSubmit(
                cluster,
                ["--group", "g", "--kind", "sleep", "--payload", "60000", "--fanout", "12", "--reconnect", "60s"]
            )
            // The job is accepted and its first subtasks run once the status lists it.
            let client = HerdClient(endpoint: cluster.endpoint)
            var job: JobID?
            while job == nil {
                job = try await client.status().jobs.first { $0.running > 0 }?.job
                if job == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            let cancel = try cluster.command([
                "cancel", "\(job!.rawValue)", "--connect", cluster.endpoint, "--wait", "2s",
            ])
            // Once the coordinator logged the job ending, its end is in the journal: kill it then.
            try await cluster.waitForLog("coordinator", containing: "job ending")
            cluster.coordinator.signal(SIGKILL)
            _ = await cluster.coordinator.waitForExit()
            try await cluster.restartCoordinator(arguments: arguments)
            _ = await cancel.waitForExit()
            let run = try await submit.outcome
            #expect(run.statuses.count == 12, "every subtask has its one result")
            #expect(run.statuses.allSatisfy { $0 == "cancelled" }, "nothing ran again: \(run.statuses)")
            #expect(run.summary["cancelled"] == 12)
            #expect(run.status != 0, "a cancelled job's client exits non-zero")
        }
    }
}

/// A journal path in a fresh temporary directory, removed with ``remove()``.
struct TemporaryJournal {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
        "herd-journal-\(UUID().uuidString)/journal.sqlite"
    ).path

    func remove() {
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: self.path).deletingLastPathComponent().path)
    }
}
