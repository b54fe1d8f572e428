import Glibc
import HerdSystem
import Logging
import Synchronization

/// The `herd-exec-guard` process of one exec child: it kills the child's process group if this
/// worker dies (even by `kill -9`) while the child runs. Source and protocol:
/// `Sources/HerdExecGuard/main.c`; the why: docs/EXEC.md, "A worker that dies".
///
/// Life cycle, all on the session's thread:
/// 1. ``start(executable:)`` before the child: the guard gets our pid on its command line and the
///    read end of a pipe as its stdin; it opens a pidfd on us and checks that we are its parent.
/// 2. ``arm(group:)`` right after the child was spawned: writes the child's group on the pipe.
/// 3. ``stop()`` (SIGKILL) once the group has been swept, *before* the child is reaped, so the group
///    id the guard holds is still pinned while it can act.
/// 4. ``reap()`` at the very end: reap it, then close the pipe (closing it while the guard lived
///    would look to it like our death).
///
/// `PR_SET_PDEATHSIG` cannot do this: it fires when the spawning *thread* exits, and runtimes
/// retire idle threads (see ``ProcessSetup``).
struct ExecGuard {
    /// The guard's pid (our child).
    let pid: pid_t
    private var pipeWrite: CInt
    private var stopped = false

    /// The binary's file name, looked for beside the running executable.
    static let executableName = "herd-exec-guard"

    /// The environment variable naming the guard binary, to override where it is looked for.
    static let executableVariable = "HERD_EXEC_GUARD"

    /// The guard binary: `$HERD_EXEC_GUARD` if set, else `herd-exec-guard` in the running
    /// executable's directory (SwiftPM puts it beside `herd` and the test runners); `nil` when it
    /// is not there or not executable.
    static let executable: String? = {
        if let override = getenv(Self.executableVariable) {
            let path = String(cString: override)
            return RunningExecutable.isExecutable(path) ? path : nil
        }
        guard let directory = RunningExecutable.directory else { return nil }
        let path = directory == "/" ? "/\(Self.executableName)" : "\(directory)/\(Self.executableName)"
        return RunningExecutable.isExecutable(path) ? path : nil
    }()

    private static let warnedMissing = Atomic<Bool>(false)

    /// Logs, once per process, that exec children run unguarded because the binary is missing.
    static func warnMissingOnce(_ logger: Logger) {
        guard Self.warnedMissing.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else {
            return
        }
        logger.warning(
            "\(Self.executableName) not found beside the executable (or at $\(Self.executableVariable)): exec children run unguarded and outlive a killed worker"
        )
    }

    /// Starts a guard watching this process; it has no group to kill until ``arm(group:)``.
    static func start(executable: String) -> Result<ExecGuard, SystemError> {
        guard let pipe = Descriptors.makePipe() else { return .failure(.current) }
        var readEnd = pipe.read
        defer { Descriptors.close(&readEnd) }
        let spawned = Spawn.process(
            executable: executable,
            arguments: ["\(getpid())"],
            environment: [],
            stdin: readEnd,
            stdout: STDERR_FILENO,
            stderr: STDERR_FILENO,
            // Its own group: a terminal's Ctrl-C to the worker's group does not take it away.
            newProcessGroup: true
        )
        switch spawned {
        case .success(let pid):
            return .success(ExecGuard(pid: pid, pipeWrite: pipe.write))
        case .failure(let error):
            var writeEnd = pipe.write
            Descriptors.close(&writeEnd)
            return .failure(error)
        }
    }

    /// Tells the guard the child's process group; `false` if it could not be told.
    func arm(group: pid_t) -> Bool {
        let line = Array("\(group)\n".utf8)
        // Far below PIPE_BUF into an empty pipe: written whole at once, or not at all.
        let written = line.withUnsafeBytes { write(self.pipeWrite, $0.baseAddress, $0.count) }
        if written < 0 && errno == EPIPE { Signals.discardPendingSIGPIPE() }
        return written == line.count
    }

    /// Kills the guard (SIGKILL), without waiting; idempotent.
    ///
    /// From here on it can do nothing more: it acts only on our death or on the pipe's end, and
    /// neither can come before it dies (we live, and the pipe stays open until ``reap()``).
    mutating func stop() {
        guard !self.stopped else { return }
        self.stopped = true
        _ = kill(self.pid, SIGKILL)  // unreaped child of ours: the pid is still the guard's
    }

    /// Stops the guard if need be, reaps it, then closes the pipe; idempotent. Called late, so the
    /// guard has usually died already and the reap does not wait.
    mutating func reap() {
        guard self.pipeWrite >= 0 else { return }
        self.stop()
        _ = Spawn.reap(self.pid)
        Descriptors.close(&self.pipeWrite)
    }
}
