import Glibc
import HerdSystem
import Testing

/// Real children through ``Spawn`` and ``Pidfd``; each test ends with its children reaped.
@Suite struct ProcessTests {
    /// /dev/null for a child's 0, 1 and 2 (never the test runner's own pipes).
    private static func withNull<R>(_ body: (CInt) throws -> R) rethrows -> R {
        var fd = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { Descriptors.close(&fd) }
        return try body(fd)
    }

    private static func spawn(
        _ executable: String,
        _ arguments: [String],
        newProcessGroup: Bool = false
    ) -> Result<pid_t, SystemError> {
        Self.withNull { null in
            Spawn.process(
                executable: executable,
                arguments: arguments,
                environment: ["PATH=/usr/bin:/bin"],
                stdin: null,
                stdout: null,
                stderr: null,
                newProcessGroup: newProcessGroup
            )
        }
    }

    @Test func test_spawn_exitStatus_isReaped() throws {
        let pid = try Self.spawn("/bin/sh", ["-c", "exit 3"]).get()
        #expect(Spawn.reap(pid) == .exited(3))
    }

    @Test func test_spawn_missingExecutable_failsWithENOENT() {
        let result = Self.spawn("/nonexistent/herd-test", [])
        #expect(result == .failure(SystemError(code: ENOENT)))
    }

    @Test func test_spawn_newProcessGroup_childLeadsItsGroup_andTheGroupCanBeSignalled() throws {
        let pid = try Self.spawn("/bin/sleep", ["1000"], newProcessGroup: true).get()
        #expect(ProcessGroup.of(pid) == pid)
        #expect(ProcessGroup.members(pid) == [pid])
        #expect(kill(-pid, SIGTERM) == 0)
        #expect(Spawn.reap(pid) == .signaled(SIGTERM))
        #expect(ProcessGroup.members(pid).isEmpty)
    }

    @Test func test_spawn_withoutNewProcessGroup_childStaysInOurs() throws {
        let pid = try Self.spawn("/bin/sleep", ["1000"]).get()
        #expect(ProcessGroup.of(pid) == getpgrp())
        _ = kill(pid, SIGKILL)
        #expect(Spawn.reap(pid) == .signaled(SIGKILL))
    }

    @Test func test_spawn_resetsABlockedSignalMask() async throws {
        // A thread that blocks SIGTERM spawns the child; the child still dies of SIGTERM.
        let spawned = OneShot<Result<pid_t, SystemError>>()
        try SystemThread.start(name: "test-masked") {
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGTERM)
            pthread_sigmask(SIG_BLOCK, &set, nil)
            spawned.resolve(Self.spawn("/bin/sleep", ["1000"]))
        }
        let pid = try await spawned.value().get()
        let pidfd = try Pidfd(pid: pid)
        _ = kill(pid, SIGTERM)
        #expect(pidfd.waitForExit(timeout: .seconds(10)))
        #expect(Spawn.reap(pid) == .signaled(SIGTERM))
    }

    @Test func test_pidfd_becomesReadableWhenTheProcessIsKilled() throws {
        try #require(Pidfd.isSupported)
        let pid = try Self.spawn("/bin/sleep", ["1000"]).get()
        let pidfd = try Pidfd(pid: pid)
        #expect(!pidfd.hasExited)
        #expect(!pidfd.waitForExit(timeout: .milliseconds(1)))
        var probe = pollfd(fd: pidfd.descriptor, events: Int16(POLLIN), revents: 0)
        #expect(poll(&probe, 1, 0) == 0)
        try pidfd.signal(SIGKILL)
        #expect(pidfd.waitForExit(timeout: .seconds(10)))
        #expect(pidfd.hasExited)
        #expect(poll(&probe, 1, 0) == 1 && probe.revents & Int16(POLLIN) != 0)
        #expect(Spawn.reap(pid) == .signaled(SIGKILL))
        // Reaped: the pidfd does not reach a later process with the same pid.
        #expect(throws: SystemError(code: ESRCH)) { try pidfd.signal(SIGKILL) }
    }

    @Test func test_pidfd_forNoProcess_throwsESRCH() throws {
        try #require(Pidfd.isSupported)
        let pid = try Self.spawn("/bin/sh", ["-c", "exit 0"]).get()
        #expect(Spawn.reap(pid) == .exited(0))
        #expect(throws: SystemError(code: ESRCH)) { _ = try Pidfd(pid: pid) }
    }

    @Test func test_environment_overridesAndRemoves() {
        setenv("HERD_SYSTEM_TEST_KEEP", "1", 1)
        setenv("HERD_SYSTEM_TEST_DROP", "1", 1)
        let environment = Spawn.environment(
            overriding: [(name: "HERD_SYSTEM_TEST_NEW", value: "x")],
            removing: ["HERD_SYSTEM_TEST_DROP"]
        )
        #expect(environment.contains("HERD_SYSTEM_TEST_KEEP=1"))
        #expect(!environment.contains { $0.hasPrefix("HERD_SYSTEM_TEST_DROP=") })
        #expect(environment.last == "HERD_SYSTEM_TEST_NEW=x")
    }
}
