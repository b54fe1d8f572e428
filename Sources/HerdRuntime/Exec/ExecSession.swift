import Glibc
import HerdSystem
import Logging

/// What an ``ExecSession`` saw, for ``ExecRunner`` to turn into an ``ExecOutcome``.
struct ExecReport: Sendable, Equatable {
    /// How the session ended.
    enum End: Sendable, Equatable {
        /// Cancelled before a child was started.
        case cancelledBeforeStart
        /// No child could be started; `message` says what failed.
        case spawnFailed(code: CInt, message: String)
        /// The child exited with this status.
        case exited(Int32)
        /// A signal ended the child.
        case signaled(Int32)
        /// The child ended but its status was taken by someone else (SIGCHLD set to SIG_IGN).
        case statusLost
    }

    /// Why the session signalled the child's group before the child ended on its own.
    enum Teardown: Sendable, Equatable {
        /// The caller cancelled.
        case cancelled
        /// Stdout went over the limit.
        case outputLimit
        /// The session could not watch the child (no pidfd and no thread): it killed it at once.
        case unwatchable(String)
    }

    var pid: Int32?
    var end: End
    var stdout: [UInt8] = []
    var teardown: Teardown?
    /// Whether the group got SIGKILL because the grace after SIGTERM ran out.
    var killedAfterGrace = false
    var lastStderrLine: String?
    var retryAfter: Duration?
    var usage: UInt64 = 0
}

/// One child process, from spawn to reap, on a thread of its own.
///
/// The thread blocks SIGPIPE for itself, spawns `/bin/sh -c -- COMMAND` (see
/// ``HerdSystem/Spawn/shell(command:environment:stdin:stdout:stderr:)``), and then sleeps in one
/// `poll(2)` on everything that can happen: the control pipe (cancellation), the child's exit (a
/// pidfd, or a pipe from a helper thread blocked in `waitid` where there is no pidfd), stdin
/// writable, stdout and stderr readable. The only timeout is the grace between SIGTERM and
/// SIGKILL. Nothing is polled on a timer.
///
/// Ending, in this order (see docs/EXEC.md):
/// 1. The child (the group leader) exits on its own or after a signal; the session notices it
///    *without reaping it*, so its pid — the group id — cannot be reused yet.
/// 2. SIGKILL to the whole group: nothing the command left behind survives it. Then the
///    ``ExecGuard`` (started before the child; it kills the group if the worker dies) is killed
///    while the zombie still pins the group id; it is reaped at the end.
/// 3. Reap the child; its status is the result.
/// 4. If the group still has members (dying, or dead and waiting for init to reap them), find
///    them in `/proc` and wait on their pidfds until each has exited (bounded: 5 s).
/// 5. Read what is left in stdout and stderr without blocking: every writer in the group is dead.
final class ExecSession {
    /// Everything the session needs, prepared by the caller.
    struct Request: Sendable {
        var command: String
        var environment: [String]
        var payload: [UInt8]
        var killGrace: Duration
        var maxOutputBytes: Int
        var logger: Logger
        /// Waits for the child with a helper thread blocked in `waitid` even where pidfds exist.
        var forceWaiterThread = false
        /// The `herd-exec-guard` binary started beside the child (``ExecGuard``); `nil`: unguarded.
        var guardExecutable: String? = ExecGuard.executable
    }

    private enum Phase {
        case running
        case terminating(deadline: ContinuousClock.Instant)
        case killed
    }

    /// How long step 4 waits for the rest of the group to die after SIGKILL.
    static let stragglerTimeout = Duration.seconds(5)
    private static let chunk = 64 * 1024

    private let request: Request
    private let run: ExecRun
    private var logger: Logger

    private var pid: pid_t = 0
    private var stdinFD: CInt = -1
    private var stdoutFD: CInt = -1
    private var stderrFD: CInt = -1
    private var exitFD: CInt = -1
    private var execGuard: ExecGuard?
    private var controlSeen = false
    private var leaderExited = false
    private var phase = Phase.running
    private var payloadOffset = 0
    private var stderr = ExecStderr()
    private var report: ExecReport
    private var buffer = [UInt8](repeating: 0, count: ExecSession.chunk)

    private init(request: Request, run: ExecRun) {
        self.request = request
        self.run = run
        self.logger = request.logger
        self.report = ExecReport(pid: nil, end: .cancelledBeforeStart)
    }

    /// Starts the session's thread; it reports to `run`.
    ///
    /// - Returns: `false` when no thread could be created (nothing was started).
    static func start(_ request: Request, reportingTo run: ExecRun) -> Bool {
        let thread = try? SystemThread.start(name: "herd-exec") {
            let session = ExecSession(request: request, run: run)
            let report = session.runToEnd()
            run.didFinish(report)
        }
        return thread != nil
    }

    // MARK: - Start

    private func runToEnd() -> ExecReport {
        Signals.blockSIGPIPE()
        guard !self.run.isCancelled else {
            self.run.didStart(pid: nil)
            return self.report
        }
        guard self.spawn() else {
            self.run.didStart(pid: nil)
            return self.report
        }
        self.report.pid = self.pid
        self.logger[metadataKey: "pid"] = "\(self.pid)"
        self.run.didStart(pid: self.pid)
        self.logger.debug("exec child started", metadata: ["command": "\(self.request.command)"])

        if self.watchExit() {
            if self.request.payload.isEmpty { Descriptors.close(&self.stdinFD) }
            self.loopUntilLeaderExits()
        } else {
            let reason = "cannot watch the child: \(SystemError.describe(errno: errno))"
            self.logger.error("\(reason); killing it")
            self.report.teardown = .unwatchable(reason)
            self.signalGroup(SIGKILL)
            Spawn.waitForExitWithoutReaping(self.pid)
        }
        self.finish()
        return self.report
    }

    /// Creates the pipes and spawns the child; on failure fills in the report and closes all.
    private func spawn() -> Bool {
        var childEnds: [CInt] = []
        defer {
            for var fd in childEnds { Descriptors.close(&fd) }
        }
        for index in 0 ..< 3 {
            guard let pipe = Descriptors.makePipe() else {
                let code = errno
                self.closeAll()
                self.report.end = .spawnFailed(
                    code: code,
                    message: "cannot create pipes: \(SystemError.describe(errno: code))"
                )
                return false
            }
            if index == 0 {
                self.stdinFD = pipe.write
                childEnds.append(pipe.read)
            } else {
                if index == 1 { self.stdoutFD = pipe.read } else { self.stderrFD = pipe.read }
                childEnds.append(pipe.write)
            }
        }
        self.startGuard()
        let spawned = Spawn.shell(
            command: self.request.command,
            environment: self.request.environment,
            stdin: childEnds[0],
            stdout: childEnds[1],
            stderr: childEnds[2]
        )
        switch spawned {
        case .success(let pid):
            self.pid = pid
            self.armGuard()
            for fd in [self.stdinFD, self.stdoutFD, self.stderrFD] { Descriptors.setNonBlocking(fd) }
            return true
        case .failure(let error):
            self.closeAll()
            self.reapGuard()
            let message = "cannot start /bin/sh: \(SystemError.describe(errno: error.code))"
            self.report.end = .spawnFailed(code: error.code, message: message)
            return false
        }
    }

    // MARK: - Guard

    /// Starts the guard that kills the child's group if the worker dies (``ExecGuard``); a guard
    /// that cannot start is logged and the child runs unguarded.
    private func startGuard() {
        guard let executable = self.request.guardExecutable else { return }
        switch ExecGuard.start(executable: executable) {
        case .success(let started):
            self.execGuard = started
        case .failure(let error):
            self.logger.warning("cannot start \(ExecGuard.executableName): \(error); the exec child runs unguarded")
        }
    }

    /// Gives the guard the child's group (the child's pid).
    private func armGuard() {
        guard let execGuard = self.execGuard, !execGuard.arm(group: self.pid) else { return }
        self.logger.warning(
            "\(ExecGuard.executableName) \(execGuard.pid) cannot be told the child's group; the exec child runs unguarded"
        )
    }

    /// SIGKILL to the guard; it is reaped later by ``reapGuard()``.
    private func stopGuard() {
        self.execGuard?.stop()
    }

    private func reapGuard() {
        self.execGuard?.reap()
        self.execGuard = nil
    }

    /// Arranges for ``exitFD`` to become readable when the child exits.
    private func watchExit() -> Bool {
        if !self.request.forceWaiterThread {
            let fd = Pidfd.openDescriptor(self.pid)
            if fd >= 0 {
                self.exitFD = fd
                return true
            }
        }
        // No pidfd: a helper thread blocks in waitid(WNOWAIT) and writes a byte when it returns.
        guard let pipe = Descriptors.makePipe() else { return false }
        let pid = self.pid
        let notify = pipe.write
        let started = try? SystemThread.start(name: "herd-exec-wait") {
            Signals.blockSIGPIPE()  // in case the session closed the read end on an error path
            Spawn.waitForExitWithoutReaping(pid)
            var byte: UInt8 = 1
            _ = write(notify, &byte, 1)
            _ = close(notify)
        }
        guard started != nil else {
            var read = pipe.read
            var write = pipe.write
            Descriptors.close(&read)
            Descriptors.close(&write)
            return false
        }
        self.exitFD = pipe.read
        return true
    }

    // MARK: - Running

    private func loopUntilLeaderExits() {
        var fds: [pollfd] = []
        while !self.leaderExited {
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: self.controlSeen ? -1 : self.run.controlFD, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: self.exitFD, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: self.stdinFD, events: Int16(POLLOUT), revents: 0))
            fds.append(pollfd(fd: self.stdoutFD, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: self.stderrFD, events: Int16(POLLIN), revents: 0))
            let rc = poll(&fds, nfds_t(fds.count), self.pollTimeout())
            if rc < 0 {
                if errno == EINTR { continue }
                // Cannot happen with valid descriptors; do not spin: end the child and stop.
                self.logger.error("poll failed: \(SystemError.describe(errno: errno)); killing the child")
                self.signalGroup(SIGKILL)
                self.phase = .killed
                Spawn.waitForExitWithoutReaping(self.pid)
                self.leaderExited = true
                break
            }
            if fds[0].revents != 0 { self.controlReadable() }
            if fds[2].revents != 0 { self.writeStdin() }
            if fds[3].revents != 0 { self.readStdout() }
            if fds[4].revents != 0 { self.readStderr() }
            if fds[1].revents != 0 { self.leaderExited = true }
            self.checkGrace()
        }
    }

    /// Milliseconds until the grace runs out, or -1 (wait forever) when no grace is running.
    private func pollTimeout() -> CInt {
        guard case .terminating(let deadline) = self.phase else { return -1 }
        return Self.milliseconds(roundingUp: ContinuousClock.now.duration(to: deadline))
    }

    /// `duration` in whole milliseconds rounded up (so a poll never wakes just before a deadline),
    /// 0 when it is not positive, at most `CInt.max`.
    static func milliseconds(roundingUp duration: Duration) -> CInt {
        guard duration > .zero else { return 0 }
        let (seconds, attoseconds) = duration.components
        guard seconds < Int64(CInt.max / 1000) else { return CInt.max }
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return CInt(min(millis, Int64(CInt.max)))
    }

    private func checkGrace() {
        guard case .terminating(let deadline) = self.phase, !self.leaderExited,
            ContinuousClock.now >= deadline
        else { return }
        self.logger.debug("exec child still running after the grace; sending SIGKILL to its group")
        self.signalGroup(SIGKILL)
        self.phase = .killed
        self.report.killedAfterGrace = true
    }

    private func controlReadable() {
        var bytes = [UInt8](repeating: 0, count: 16)
        while read(self.run.controlFD, &bytes, bytes.count) > 0 {}
        self.controlSeen = true
        self.beginTeardown(.cancelled)
    }

    /// SIGTERM (and SIGCONT, for a stopped child) to the group, then SIGKILL after the grace.
    private func beginTeardown(_ reason: ExecReport.Teardown) {
        if self.report.teardown == nil { self.report.teardown = reason }
        guard case .running = self.phase else { return }
        if self.request.killGrace <= .zero {
            self.signalGroup(SIGKILL)
            self.phase = .killed
            return
        }
        self.logger.debug("sending SIGTERM to the exec child's group", metadata: ["reason": "\(reason)"])
        self.signalGroup(SIGTERM)
        self.signalGroup(SIGCONT)
        self.phase = .terminating(deadline: ContinuousClock.now.advanced(by: self.request.killGrace))
    }

    /// Sends `signal` to the child's process group (and to the child itself if it left the group).
    ///
    /// Only called while the child is unreaped, so its pid (the group id) cannot have been reused.
    private func signalGroup(_ signal: CInt) {
        _ = kill(-self.pid, signal)
        if getpgid(self.pid) != self.pid { _ = kill(self.pid, signal) }
    }

    private func writeStdin() {
        let payload = self.request.payload
        let count = min(payload.count - self.payloadOffset, Self.chunk)
        let written = payload.withUnsafeBytes { raw in
            write(self.stdinFD, raw.baseAddress! + self.payloadOffset, count)
        }
        if written > 0 {
            self.payloadOffset += written
            if self.payloadOffset == payload.count { Descriptors.close(&self.stdinFD) }
            return
        }
        let code = errno
        if written < 0 && (code == EAGAIN || code == EINTR) { return }
        if code == EPIPE {
            Signals.discardPendingSIGPIPE()
            self.logger.debug(
                "exec child closed stdin before reading the payload",
                metadata: ["written": "\(self.payloadOffset)", "payload": "\(payload.count)"]
            )
        } else {
            self.logger.debug("writing the exec child's stdin failed: \(SystemError.describe(errno: code))")
        }
        Descriptors.close(&self.stdinFD)
    }

    /// Reads one chunk of stdout; returns `false` once nothing more can come now (EAGAIN, EOF).
    @discardableResult
    private func readStdout() -> Bool {
        let count = self.buffer.withUnsafeMutableBytes { read(self.stdoutFD, $0.baseAddress, $0.count) }
        if count > 0 {
            guard self.report.stdout.count + count <= self.request.maxOutputBytes else {
                self.outputOverLimit()
                return false
            }
            self.report.stdout.append(contentsOf: self.buffer[0 ..< count])
            return true
        }
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return false }
        Descriptors.close(&self.stdoutFD)
        return false
    }

    /// Drops stdout and closes it (a child still writing gets SIGPIPE), then tears the child down.
    private func outputOverLimit() {
        self.report.stdout = []
        Descriptors.close(&self.stdoutFD)
        self.logger.debug("exec child's output exceeds \(self.request.maxOutputBytes) bytes")
        if self.report.teardown == nil { self.report.teardown = .outputLimit }
        if !self.leaderExited { self.beginTeardown(.outputLimit) }
    }

    /// Reads one chunk of stderr; returns `false` once nothing more can come now.
    @discardableResult
    private func readStderr() -> Bool {
        let count = self.buffer.withUnsafeMutableBytes { read(self.stderrFD, $0.baseAddress, $0.count) }
        if count > 0 {
            self.handle(self.stderr.feed(self.buffer[0 ..< count]))
            return true
        }
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return false }
        Descriptors.close(&self.stderrFD)
        return false
    }

    private func handle(_ lines: [ExecStderr.Line]) {
        for line in lines {
            switch line {
            case .text(let text):
                self.logger.info("\(text)")
            case .directive(let text):
                self.logger.debug("exec directive: \(text)")
            case .malformedDirective(let text):
                self.logger.warning("ignoring a malformed directive: \(text)")
            }
        }
    }

    // MARK: - Ending

    private func finish() {
        Descriptors.close(&self.stdinFD)
        // 2. The child is a zombie, so its pid still names the group: sweep the group.
        _ = kill(-self.pid, SIGKILL)
        //    The guard goes now, while the zombie still pins the group id it was given.
        self.stopGuard()
        // 3. Reap.
        switch Spawn.reap(self.pid) {
        case .exited(let status): self.report.end = .exited(status)
        case .signaled(let signal): self.report.end = .signaled(signal)
        case .lost: self.report.end = .statusLost
        }
        Descriptors.close(&self.exitFD)
        // 4. Anyone left in the group (kept alive by nothing now, but maybe not dead yet)?
        if kill(-self.pid, 0) == 0 { self.waitForStragglers() }
        // 5. Every writer in the group is gone: take what is buffered, without waiting for an
        //    EOF that a process which left the group could hold back forever.
        while self.stdoutFD >= 0, self.readStdout() {}
        while self.stderrFD >= 0, self.readStderr() {}
        self.handle(self.stderr.finish())
        self.closeAll()
        self.reapGuard()
        self.report.lastStderrLine = self.stderr.lastLine
        self.report.retryAfter = self.stderr.retryAfter
        self.report.usage = self.stderr.usage
        self.logger.debug("exec child ended", metadata: ["end": "\(self.report.end)"])
    }

    /// Waits (on pidfds, bounded) until every remaining member of the group has exited.
    private func waitForStragglers() {
        guard Pidfd.isSupported else { return }
        var pidfds: [pollfd] = []
        for member in ProcessGroup.members(self.pid) {
            let fd = Pidfd.openDescriptor(member)
            guard fd >= 0 else { continue }
            // The pid may have been reaped and reused between the scan and the open.
            if ProcessGroup.of(member) == self.pid {
                pidfds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
            } else {
                _ = close(fd)
            }
        }
        guard !pidfds.isEmpty else { return }
        _ = kill(-self.pid, SIGKILL)  // members found after the sweep's moment, to be sure
        let deadline = ContinuousClock.now.advanced(by: Self.stragglerTimeout)
        while !pidfds.isEmpty {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else {
                self.logger.warning(
                    "processes of the exec child's group outlived SIGKILL",
                    metadata: ["count": "\(pidfds.count)"]
                )
                break
            }
            let rc = poll(&pidfds, nfds_t(pidfds.count), Self.milliseconds(roundingUp: left))
            if rc < 0 && errno != EINTR { break }
            pidfds.removeAll { entry in
                guard entry.revents != 0 else { return false }
                _ = close(entry.fd)
                return true
            }
        }
        for entry in pidfds { _ = close(entry.fd) }
    }

    private func closeAll() {
        Descriptors.close(&self.stdinFD)
        Descriptors.close(&self.stdoutFD)
        Descriptors.close(&self.stderrFD)
        Descriptors.close(&self.exitFD)
    }
}
