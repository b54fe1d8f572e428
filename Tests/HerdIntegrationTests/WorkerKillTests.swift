import Foundation
import HerdRuntime
import HerdSystem
import HerdTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A worker killed with `kill -9` takes its exec children, and theirs, with it: each child's
/// `herd-exec-guard` sees the worker die and kills the child's process group (docs/EXEC.md).
@Suite(.timeLimit(.minutes(2)))
struct WorkerKillTests {
    @Test func test_workerKilledWithSIGKILL_execChildrenAndGrandchildrenGoWithinASecond() async throws {
        try await withCluster { cluster in
            let groupFile = cluster.logDirectory + "/groups"
            // Leader sh → inner sh → two sleeps, plus a sleep of the leader's own: 5 processes.
            let tree = "echo $$ >> \(groupFile); sh -c 'sleep 1000 & sleep 1000; wait' & sleep 1000; wait"
            let worker = try await cluster.addWorker("k1", group: "g", capacity: 2, extra: ["--exec", "tree=\(tree)"])
            _ = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "tree", "--fanout", "2", "--json",
            ])

            let groups = try await ProcessTree.waitForGroups(in: groupFile, count: 2, membersEach: 5)
            defer { for group in groups { _ = kill(-group, SIGKILL) } }  // nothing left, even on failure
            let members = groups.flatMap { ProcessGroup.members($0) }
            let guards = ProcessTree.guards(of: worker.pid)
            #expect(guards.count == 2, "one herd-exec-guard per child: \(guards)")
            let watched = (members + guards).compactMap { try? Pidfd(pid: $0) }
            #expect(watched.count == 2 * 5 + 2)

            let (allExited, elapsed) = await ProcessTree.killAndWait(worker, watching: watched, timeout: .seconds(5))
            print(
                "kill -9 of a worker: its \(members.count) exec processes and \(guards.count) guards gone \(elapsed) later"
            )
            #expect(allExited, "left behind: \(members.filter { kill($0, 0) == 0 && !ProcessTree.isZombie($0) })")
            #expect(elapsed < .seconds(1), "took \(elapsed)")
            #expect(await worker.waitForExit() == 128 + SIGKILL)
        }
    }
}

extension WorkerKillTests {
    /// A worker that stops answering with its connection still open (SIGSTOP: a hung process, or a
    /// host whose TCP connections have not timed out) while another process starts under its id
    /// well within the liveness window: the old process is declared dead at once, not after the
    /// 20 s window, its work re-queued, and the job ends with every result once. Which notices
    /// first depends on timing: the new REGISTER's incarnation ("restarted"), or the coordinator's
    /// send to the handed-over connection failing ("unreachable"); the machine tests pin each path.
    @Test func test_workerRestartedUnderItsIdWithinTheLivenessWindow_isTakenForANewProcess() async throws {
        let config = "[coordinator]\nheartbeat = \"100ms\"\nliveness = \"20s\"\n"
        try await withCluster(config: config) { cluster in
            let first = try await cluster.addWorker("same", group: "g", capacity: 4)
            let submit = BackgroundSubmit(
                cluster,
                ["--group", "g", "--kind", "sleep", "--payload", "300", "--fanout", "16"]
            )
            await submit.waitForResults(4)
            first.signal(SIGKILL)
            _ = await first.waitForExit()
            try await cluster.addWorker("same", group: "g", capacity: 4)
            try await cluster.waitForLog("coordinator", containing: "worker dead: ", within: .seconds(10))
            let run = try await submit.outcome
            #expect(run.status == 0)
            #expect(run.everyResultOnce(of: 16), "every result exactly once")
        }
    }
}

/// Exec process trees seen through `/proc`.
private enum ProcessTree {
    /// Waits (polling `/proc`, at most 30 s) until `file` lists `count` process groups, each with at
    /// least `membersEach` processes.
    static func waitForGroups(in file: String, count: Int, membersEach: Int) async throws -> [pid_t] {
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            let groups = text.split(separator: "\n").compactMap { pid_t($0) }
            if groups.count >= count, groups.allSatisfy({ ProcessGroup.members($0).count >= membersEach }) {
                return groups
            }
            try await Task.sleep(for: .milliseconds(20))  // /proc has no change notification
        }
        throw TestClusterError("the exec children did not all start; see \(file)")
    }

    /// The `herd-exec-guard` processes watching `worker` (its command line names the worker).
    static func guards(of worker: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.count == 2 && arguments[0].hasSuffix("/herd-exec-guard") && arguments[1] == "\(worker)"
        }
    }

    /// Whether `pid` is a zombie (exited, waiting for its parent or init to reap it).
    static func isZombie(_ pid: pid_t) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return false }
        return text[text.index(after: close)...].split(separator: " ").first == "Z"
    }

    /// Sends SIGKILL to `worker` and waits until every watched process has exited (zombies count)
    /// or `timeout` passed; returns whether they all did and how long it took. Both on a thread of
    /// its own, so the figure is not the cooperative pool's latency on a busy machine.
    static func killAndWait(
        _ worker: ChildProcess,
        watching pidfds: [Pidfd],
        timeout: Duration
    ) async -> (Bool, Duration) {
        await withCheckedContinuation { (continuation: CheckedContinuation<(Bool, Duration), Never>) in
            let measure: @Sendable () -> (Bool, Duration) = {
                let clock = ContinuousClock()
                let killed = clock.now
                worker.signal(SIGKILL)
                let deadline = killed.advanced(by: timeout)
                let allExited = pidfds.allSatisfy {
                    $0.waitForExit(timeout: max(.zero, clock.now.duration(to: deadline)))
                }
                return (allExited, killed.duration(to: clock.now))
            }
            do {
                try SystemThread.start(name: "test-kill") { continuation.resume(returning: measure()) }
            } catch {
                continuation.resume(returning: measure())
            }
        }
    }
}
