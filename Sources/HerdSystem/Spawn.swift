import Glibc

/// Starting child processes with `posix_spawn`, and reaping them.
///
/// Every child starts with a clean signal state: `POSIX_SPAWN_SETSIGMASK` (empty: a thread's
/// blocked signals are not inherited, so SIGTERM works) and `POSIX_SPAWN_SETSIGDEF` (every
/// catchable signal back to its default: a parent that ignores SIGPIPE or SIGINT does not pass
/// that on). Every other descriptor of ours is close-on-exec (see ``Descriptors/makePipe()``), so
/// the child holds only what it is given. glibc reports an `execve` failure as the spawn's own
/// error.
public enum Spawn {
    /// Starts `executable` with `arguments`, `stdin`/`stdout`/`stderr` on 0, 1 and 2.
    ///
    /// - Parameter newProcessGroup: `POSIX_SPAWN_SETPGROUP` with group 0: the child leads a group
    ///   of its own, so the whole tree it starts can be signalled with `kill(-pid, …)`.
    /// - Returns: The child's pid, or the error.
    public static func process(
        executable: String,
        arguments: [String],
        environment: [String],
        stdin: CInt,
        stdout: CInt,
        stderr: CInt,
        newProcessGroup: Bool
    ) -> Result<pid_t, SystemError> {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        guard posix_spawn_file_actions_init(&actions) == 0 else { return .failure(SystemError(code: ENOMEM)) }
        defer { posix_spawn_file_actions_destroy(&actions) }
        guard posix_spawnattr_init(&attributes) == 0 else { return .failure(SystemError(code: ENOMEM)) }
        defer { posix_spawnattr_destroy(&attributes) }

        var emptySet = sigset_t()
        sigemptyset(&emptySet)
        var defaultSet = sigset_t()
        sigfillset(&defaultSet)
        sigdelset(&defaultSet, SIGKILL)
        sigdelset(&defaultSet, SIGSTOP)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup { flags |= POSIX_SPAWN_SETPGROUP }
        var rc = posix_spawnattr_setflags(&attributes, Int16(flags))
        if rc == 0 && newProcessGroup { rc = posix_spawnattr_setpgroup(&attributes, 0) }
        if rc == 0 { rc = posix_spawnattr_setsigmask(&attributes, &emptySet) }
        if rc == 0 { rc = posix_spawnattr_setsigdefault(&attributes, &defaultSet) }
        if rc == 0 { rc = posix_spawn_file_actions_adddup2(&actions, stdin, STDIN_FILENO) }
        if rc == 0 { rc = posix_spawn_file_actions_adddup2(&actions, stdout, STDOUT_FILENO) }
        if rc == 0 { rc = posix_spawn_file_actions_adddup2(&actions, stderr, STDERR_FILENO) }
        guard rc == 0 else { return .failure(SystemError(code: rc)) }

        let argv = CStringArray([executable] + arguments)
        let envp = CStringArray(environment)
        var pid = pid_t(0)
        rc = argv.withPointers { argvPointer in
            envp.withPointers { envpPointer in
                posix_spawn(&pid, executable, &actions, &attributes, argvPointer, envpPointer)
            }
        }
        return rc == 0 ? .success(pid) : .failure(SystemError(code: rc))
    }

    /// Starts `/bin/sh -c -- command` leading a new process group (see ``process(executable:arguments:environment:stdin:stdout:stderr:newProcessGroup:)``).
    public static func shell(
        command: String,
        environment: [String],
        stdin: CInt,
        stdout: CInt,
        stderr: CInt
    ) -> Result<pid_t, SystemError> {
        Self.process(
            executable: "/bin/sh",
            arguments: ["-c", "--", command],
            environment: environment,
            stdin: stdin,
            stdout: stdout,
            stderr: stderr,
            newProcessGroup: true
        )
    }

    /// This process's environment with `overrides` replacing any variable of the same name and
    /// every name in `removing` dropped.
    public static func environment(
        overriding overrides: [(name: String, value: String)],
        removing: Set<String>
    ) -> [String] {
        var result: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            let name = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
            if let name, !removing.contains(name) { result.append(text) }
            pointer = pointer.advanced(by: 1)
        }
        for (name, value) in overrides { result.append("\(name)=\(value)") }
        return result
    }

    // MARK: - Waiting

    /// Reaps `pid`, retrying on `EINTR`. Call it only once the child has exited (or to block
    /// until it does).
    public static func reap(_ pid: pid_t) -> ExitStatus {
        var status: CInt = 0
        while true {
            let rc = waitpid(pid, &status, 0)
            if rc == pid { break }
            if rc < 0 && errno == EINTR { continue }
            return .lost
        }
        return ExitStatus(waitStatus: status)
    }

    /// Blocks until `pid` (a child of ours) has exited, without reaping it (`WNOWAIT`).
    public static func waitForExitWithoutReaping(_ pid: pid_t) {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
    }
}

/// How a reaped child ended.
public enum ExitStatus: Equatable, Sendable {
    /// It called `exit(code)`.
    case exited(Int32)
    /// A signal ended it.
    case signaled(Int32)
    /// Someone else reaped it first (the process set SIGCHLD to SIG_IGN, for one).
    case lost

    /// Decodes a `waitpid` status (`WIFEXITED` / `WEXITSTATUS` / `WTERMSIG` are macros Swift
    /// does not import).
    init(waitStatus status: CInt) {
        let low = status & 0x7f
        self = low == 0 ? .exited((status >> 8) & 0xff) : .signaled(low)
    }
}

/// A `NULL`-terminated array of C strings that lives as long as the value.
private struct CStringArray: ~Copyable {
    private var pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        self.pointers = strings.map { strdup($0) } + [nil]
    }

    func withPointers<R>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        self.pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    deinit {
        for pointer in self.pointers { free(pointer) }
    }
}
