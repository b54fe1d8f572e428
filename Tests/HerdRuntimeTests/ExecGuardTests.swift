import Glibc
import HerdCore
import HerdSystem
import Logging
import Testing

@testable import HerdRuntime

/// `herd-exec-guard` with real processes: a process group to guard (`sh` with children and
/// grandchildren, all sleeping), a throwaway "worker" that starts the guard and is killed with
/// SIGKILL, and the guard's other ways to end. Waits are on pidfds, never on sleeps.
@Suite(.timeLimit(.minutes(1)))
struct ExecGuardTests {
    @Test func test_guardBinary_isFoundBesideTheTestRunner() {
        #expect(ExecGuard.executable != nil, "build the herd-exec-guard target: every exec test runs guarded")
    }

    /// The worker dies by SIGKILL while holding no pipe to the guard: the pidfd alone tells.
    @Test func test_workerKilled_guardKillsTheWholeGroupWithinASecond() async throws {
        let guardPath = try #require(ExecGuard.executable)
        let tree = try GuardedTree.start()
        defer { tree.cleanUp() }
        // The "worker": a shell that starts the guard on its stdin (the pipe whose write end only
        // the test holds, so closing it is not what tells the guard) and reports the guard's pid.
        let handshake = try #require(Descriptors.makePipe())
        var handshakeRead = handshake.read
        var handshakeWrite = handshake.write
        defer { Descriptors.close(&handshakeWrite) }
        let report = try #require(Descriptors.makePipe())
        var reportRead = report.read
        var reportWrite = report.write
        defer { Descriptors.close(&reportRead) }
        let script = #"exec 3<&0; "$0" "$$" <&3 3<&- >/dev/null & echo "$!"; exec 1>&-; wait"#
        let worker = try Spawn.process(
            executable: "/bin/sh",
            arguments: ["-c", script, guardPath],
            environment: [],
            stdin: handshakeRead,
            stdout: reportWrite,
            stderr: STDERR_FILENO,
            newProcessGroup: true
        ).get()
        Descriptors.close(&handshakeRead)
        Descriptors.close(&reportWrite)
        let guardPid = try #require(await Blocking.readLine(reportRead).flatMap { pid_t($0) })
        #expect(ProcessStat.parent(of: guardPid) == worker, "the guard is the worker's child")
        #expect(GuardedTree.write("\(tree.group)\n", to: handshakeWrite))
        // Measure the kill, not the guard's start on a busy machine: wait until it took the line.
        #expect(await GuardedTree.waitUntilDrained(handshakeWrite), "the guard read its group")

        let watched = try #require(Pidfds(tree.members()))
        #expect(watched.count >= 4, "sh, sh, sleep, sleep")
        // Kill and wait on one thread, so the figure is not the cooperative pool's latency.
        let (allGone, elapsed) = await Blocking.run {
            let clock = ContinuousClock()
            let killed = clock.now
            _ = kill(worker, SIGKILL)
            let allGone = watched.waitUntilAllExited(timeout: .seconds(5))
            return (allGone, killed.duration(to: clock.now))
        }
        print("exec guard (pidfd path): \(watched.count) processes gone \(elapsed) after SIGKILL to the worker")
        #expect(allGone)
        #expect(elapsed < .seconds(1), "took \(elapsed)")
        _ = await Blocking.run { Spawn.reap(worker) }
        await ExecHarness.waitUntilReaped(guardPid)
        #expect(ExecHarness.isGone(guardPid), "the guard exits once it has killed the group")
    }

    /// End of file on the pipe after the group arrived (the kernel closed a dead worker's end).
    @Test func test_pipeClosedAfterTheGroup_killsTheGroup() async throws {
        let tree = try GuardedTree.start()
        defer { tree.cleanUp() }
        let started = try RawGuard.start(worker: getpid())
        var write = started.write
        #expect(GuardedTree.write("\(tree.group)\n", to: write))
        let watched = try #require(Pidfds(tree.members()))
        Descriptors.close(&write)
        #expect(await Blocking.run { watched.waitUntilAllExited(timeout: .seconds(5)) })
        #expect(await Blocking.run { Spawn.reap(started.pid) } == .exited(1))
    }

    /// Pid reuse: a guard whose parent is not the pid it was given treats that worker as gone.
    @Test func test_workerPidThatIsNotTheParent_isTreatedAsGone() async throws {
        let tree = try GuardedTree.start()
        defer { tree.cleanUp() }
        // A living process, but not the guard's parent (the guard is ours): as if the worker had
        // died and its pid had gone to the tree's leader.
        let started = try RawGuard.start(worker: tree.group)
        var write = started.write
        defer { Descriptors.close(&write) }
        let watched = try #require(Pidfds(tree.members()))
        #expect(GuardedTree.write("\(tree.group)\n", to: write))
        #expect(await Blocking.run { watched.waitUntilAllExited(timeout: .seconds(5)) })
        #expect(await Blocking.run { Spawn.reap(started.pid) } == .exited(1))
    }

    @Test func test_endOfFileBeforeAnyGroup_exitsQuietly() async throws {
        let started = try RawGuard.start(worker: getpid())
        var write = started.write
        Descriptors.close(&write)
        #expect(await Blocking.run { Spawn.reap(started.pid) } == .exited(0))
    }

    @Test(arguments: [["x"], [], ["1", "2"], ["0"]])
    func test_badArguments_exitWithUsage(arguments: [String]) async throws {
        let started = try RawGuard.start(arguments: arguments)
        var write = started.write
        Descriptors.close(&write)
        #expect(await Blocking.run { Spawn.reap(started.pid) } == .exited(2))
    }

    /// The normal end: the worker stops the guard and the group is left alone.
    @Test func test_stopAndReap_endTheGuard_andLeaveTheGroupAlone() async throws {
        let guardPath = try #require(ExecGuard.executable)
        let tree = try GuardedTree.start()
        defer { tree.cleanUp() }
        var execGuard = try ExecGuard.start(executable: guardPath).get()
        #expect(execGuard.arm(group: tree.group))
        let watched = try #require(Pidfds(tree.members()))
        execGuard.stop()
        execGuard.reap()  // SIGKILLed: returns at once
        #expect(ExecHarness.isGone(execGuard.pid), "stopped and reaped")
        #expect(!watched.anyExited, "the group was not touched")
    }

    // MARK: - Through ExecRunner

    @Test func test_run_guarded_leavesNoGuardAndKeepsTheResult() async {
        let result = await ExecRunner.run(ExecHarness.request("echo ready; sleep 0.05"))
        #expect(result.outcome == .success(Array("ready\n".utf8)))
        await ExecHarness.expectGone(result)
    }

    @Test func test_run_guardThatCannotStart_warnsAndRunsUnguarded() async {
        let capture = ExecLogCapture()
        var request = ExecHarness.request("echo fine", capture: capture)
        request.guardExecutable = "/nonexistent/herd-exec-guard"
        let result = await ExecRunner.run(request)
        #expect(result.outcome == .success(Array("fine\n".utf8)))
        #expect(capture.records.contains { $0.level == .warning && $0.message.contains("unguarded") })
    }

    /// The price of the guard per subtask: spawn to reap of `true`, with and without it (runs
    /// alternate, so a change in the machine's load hits both alike), and the guard on its own.
    @Test func test_spawnCost_withAndWithoutTheGuard() async throws {
        let guardPath = try #require(ExecGuard.executable)
        let clock = ContinuousClock()
        func timed(_ executable: String?) async -> Duration {
            var request = ExecHarness.request("true")
            request.guardExecutable = executable
            let start = clock.now
            _ = await ExecRunner.run(request)
            return start.duration(to: clock.now)
        }
        _ = await timed(guardPath)  // warm the page cache
        let runs = 30
        var without: [Duration] = []
        var with: [Duration] = []
        for _ in 0 ..< runs {
            without.append(await timed(nil))
            with.append(await timed(guardPath))
        }
        let alone = await Blocking.run {
            var times: (start: [Duration], end: [Duration]) = ([], [])
            for _ in 0 ..< runs {
                let start = clock.now
                guard var execGuard = try? ExecGuard.start(executable: guardPath).get() else { break }
                _ = execGuard.arm(group: 999_999)
                let started = clock.now
                execGuard.reap()
                times.start.append(start.duration(to: started))
                times.end.append(started.duration(to: clock.now))
            }
            return times
        }
        func median(_ times: [Duration]) -> Duration { times.isEmpty ? .zero : times.sorted()[times.count / 2] }
        print(
            """
            exec spawn cost (`true`, \(runs) runs each, medians): unguarded \(median(without)), guarded \(median(with)), \
            difference \(median(with) - median(without)); the guard alone: start \(median(alone.start)), kill + reap \(median(alone.end))
            """
        )
        // A measurement, not a benchmark gate: the full suite runs beside it. Only absurd is wrong.
        #expect(median(with) < median(without) + .seconds(1), "the guard costs far more than it should")
    }
}

// MARK: - Helpers

/// A process group to guard: `sh` leading it, a child `sh`, and a sleeping child and grandchild.
/// A child of the test process, so the test reaps its leader.
private struct GuardedTree {
    let group: pid_t

    static func start() throws -> GuardedTree {
        var null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { Descriptors.close(&null) }
        let leader = try Spawn.process(
            executable: "/bin/sh",
            arguments: ["-c", "sh -c 'sleep 1000 & wait' & sleep 1000 & wait"],
            environment: [],
            stdin: null,
            stdout: null,
            stderr: null,
            newProcessGroup: true
        ).get()
        let tree = GuardedTree(group: leader)
        // Wait (bounded) until the shells have started their sleeps.
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while tree.members().count < 4 && ContinuousClock.now < deadline {
            var entry = pollfd(fd: -1, events: 0, revents: 0)
            _ = poll(&entry, 0, 5)  // /proc has no change notification
        }
        return tree
    }

    func members() -> [pid_t] { ProcessGroup.members(self.group) }

    /// Kills whatever is left and reaps the leader.
    func cleanUp() {
        _ = kill(-self.group, SIGKILL)
        _ = Spawn.reap(self.group)
    }

    /// Waits (at most 10 s) until the pipe `fd` belongs to holds no unread bytes.
    static func waitUntilDrained(_ fd: CInt) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while ContinuousClock.now < deadline {
            var unread: CInt = 0
            guard ioctl(fd, UInt(FIONREAD), &unread) == 0 else { return false }
            if unread == 0 { return true }
            try? await Task.sleep(for: .milliseconds(1))  // a pipe tells no one when it is read
        }
        return false
    }

    static func write(_ text: String, to fd: CInt) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }
}

/// A guard started by the test itself, with the pipe's write end for the test to use.
private enum RawGuard {
    static func start(worker: pid_t) throws -> (pid: pid_t, write: CInt) {
        try Self.start(arguments: ["\(worker)"])
    }

    static func start(arguments: [String]) throws -> (pid: pid_t, write: CInt) {
        let guardPath = try #require(ExecGuard.executable)
        let pipe = try #require(Descriptors.makePipe())
        var read = pipe.read
        defer { Descriptors.close(&read) }
        var null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { Descriptors.close(&null) }
        let pid = try Spawn.process(
            executable: guardPath,
            arguments: arguments,
            environment: [],
            stdin: read,
            stdout: null,
            stderr: null,
            newProcessGroup: true
        ).get()
        return (pid, pipe.write)
    }
}

/// Pidfds on a set of processes (not necessarily our children).
private final class Pidfds: Sendable {
    private let descriptors: [CInt]
    var count: Int { self.descriptors.count }

    init?(_ pids: [pid_t]) {
        let fds = pids.map { Pidfd.openDescriptor($0) }.filter { $0 >= 0 }
        guard !fds.isEmpty else { return nil }
        self.descriptors = fds
    }

    deinit {
        for fd in self.descriptors { _ = close(fd) }
    }

    /// Blocks until every process has exited (zombies count), or `timeout` passed.
    func waitUntilAllExited(timeout: Duration) -> Bool {
        var entries = self.descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !entries.isEmpty {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return false }
            let rc = poll(&entries, nfds_t(entries.count), ExecSession.milliseconds(roundingUp: left))
            if rc < 0 && errno != EINTR { return false }
            entries.removeAll { $0.revents != 0 }
            for index in entries.indices { entries[index].revents = 0 }
        }
        return true
    }

    var anyExited: Bool {
        var entries = self.descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        return poll(&entries, nfds_t(entries.count), 0) > 0
    }
}

/// Fields of `/proc/PID/stat`.
enum ProcessStat {
    /// The parent pid, or `nil` when the process is gone.
    static func parent(of pid: pid_t) -> pid_t? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }
}

/// Blocking calls on a thread of their own, off the cooperative pool.
enum Blocking {
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            do {
                try SystemThread.start(name: "test-blocking") { continuation.resume(returning: body()) }
            } catch {
                continuation.resume(returning: body())
            }
        }
    }

    /// The first line on `fd` (at most 10 s), without its newline.
    static func readLine(_ fd: CInt) async -> String? {
        await Self.run {
            var bytes: [UInt8] = []
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while poll(&entry, 1, 10_000) > 0 {
                var byte: UInt8 = 0
                guard read(fd, &byte, 1) == 1 else { break }
                if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
                bytes.append(byte)
            }
            return nil
        }
    }
}
