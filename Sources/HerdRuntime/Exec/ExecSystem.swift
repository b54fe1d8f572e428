import Glibc

/// The POSIX calls behind ``ExecRunner``: pipes, `posix_spawn`, pidfds, threads, `/proc`.
///
/// Linux only (pidfds, `/proc`); every function reports failure with an `errno` value instead of
/// throwing, because the caller runs on its own thread and turns errors into a report.
enum ExecSystem {
    // MARK: - File descriptors

    /// A pipe whose two ends are close-on-exec and numbered 3 or higher.
    ///
    /// Close-on-exec keeps a pipe of one child from leaking into another child spawned at the same
    /// time on another thread (which would hold its stdout open and hang it). Numbers ≥ 3 keep the
    /// `dup2` onto 0, 1 and 2 in the child from ever being a no-op that leaves close-on-exec set.
    static func makePipe() -> (read: CInt, write: CInt)? {
        var fds: [CInt] = [-1, -1]
        guard let pipe2 = Self.pipe2Function else {
            errno = ENOSYS
            return nil
        }
        guard pipe2(&fds, O_CLOEXEC) == 0 else { return nil }
        for index in 0..<2 where fds[index] < 3 {
            let moved = fcntl(fds[index], F_DUPFD_CLOEXEC, CInt(3))
            let saved = errno
            _ = Glibc.close(fds[index])
            fds[index] = moved
            if moved < 0 {
                for fd in fds where fd >= 0 { _ = Glibc.close(fd) }
                errno = saved
                return nil
            }
        }
        return (fds[0], fds[1])
    }

    /// Makes reads and writes on `fd` return `EAGAIN` instead of blocking.
    static func setNonBlocking(_ fd: CInt) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Closes `fd` if it is open and marks it closed (-1).
    static func close(_ fd: inout CInt) {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    /// Whether `code` means the system is short of a resource (worth retrying later).
    static func isResourceShortage(_ code: CInt) -> Bool {
        [EAGAIN, ENOMEM, EMFILE, ENFILE].contains(code)
    }

    /// The text of an `errno` value.
    static func describe(errno code: CInt) -> String {
        String(cString: strerror(code))
    }

    // MARK: - Spawning

    /// Starts `/bin/sh -c -- command` in a new process group with a clean signal state.
    ///
    /// `POSIX_SPAWN_SETPGROUP` (group 0: the child leads its own group, so the whole tree it
    /// starts can be signalled with `kill(-pid, …)`); the signal state is reset as ``spawn``
    /// describes. glibc reports an `execve` failure as the spawn's own error.
    ///
    /// - Returns: The child's pid, or the error number.
    static func spawnShell(
        command: String,
        environment: [String],
        stdin: CInt,
        stdout: CInt,
        stderr: CInt
    ) -> Result<pid_t, SpawnError> {
        Self.spawn(
            executable: "/bin/sh",
            arguments: ["-c", "--", command],
            environment: environment,
            stdin: stdin,
            stdout: stdout,
            stderr: stderr,
            newProcessGroup: true
        )
    }

    /// Starts `executable` with `arguments`, `stdin`/`stdout`/`stderr` on 0, 1 and 2.
    ///
    /// `POSIX_SPAWN_SETSIGMASK` (empty: a thread's blocked signals are not inherited, so SIGTERM
    /// works) and `POSIX_SPAWN_SETSIGDEF` (every catchable signal back to its default: a parent
    /// that ignores SIGPIPE or SIGINT does not pass that on). Every other descriptor of ours is
    /// close-on-exec (see ``makePipe()``), so the child holds only what it is given.
    ///
    /// - Returns: The child's pid, or the error number.
    static func spawn(
        executable: String,
        arguments: [String],
        environment: [String],
        stdin: CInt,
        stdout: CInt,
        stderr: CInt,
        newProcessGroup: Bool
    ) -> Result<pid_t, SpawnError> {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        guard posix_spawn_file_actions_init(&actions) == 0 else { return .failure(SpawnError(code: ENOMEM)) }
        defer { posix_spawn_file_actions_destroy(&actions) }
        guard posix_spawnattr_init(&attributes) == 0 else { return .failure(SpawnError(code: ENOMEM)) }
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
        guard rc == 0 else { return .failure(SpawnError(code: rc)) }

        let argv = CStringArray([executable] + arguments)
        let envp = CStringArray(environment)
        var pid = pid_t(0)
        rc = argv.withPointers { argvPointer in
            envp.withPointers { envpPointer in
                posix_spawn(&pid, executable, &actions, &attributes, argvPointer, envpPointer)
            }
        }
        return rc == 0 ? .success(pid) : .failure(SpawnError(code: rc))
    }

    /// Why `posix_spawn` failed.
    struct SpawnError: Error, Equatable {
        /// The `errno` value.
        var code: CInt
    }

    /// The worker's environment with `overrides` replacing any variable of the same name and every
    /// name in `removing` dropped.
    static func environment(overriding overrides: [(name: String, value: String)], removing: Set<String>) -> [String] {
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

    /// How a reaped child ended.
    enum WaitStatus: Equatable, Sendable {
        /// It called `exit(code)`.
        case exited(Int32)
        /// A signal ended it.
        case signaled(Int32)
        /// Someone else reaped it first (the worker set SIGCHLD to SIG_IGN, for one).
        case lost
    }

    /// Reaps `pid`, retrying on `EINTR`. Call it only once the child has exited.
    static func reap(_ pid: pid_t) -> WaitStatus {
        var status: CInt = 0
        while true {
            let rc = waitpid(pid, &status, 0)
            if rc == pid { break }
            if rc < 0 && errno == EINTR { continue }
            return .lost
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import (they are macros).
        let low = status & 0x7f
        if low == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(low)
    }

    /// Blocks until `pid` (a child of ours) has exited, without reaping it (`WNOWAIT`).
    static func waitForExitWithoutReaping(_ pid: pid_t) {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
    }

    // MARK: - libc functions Swift's Glibc module does not declare

    // These are declared under _GNU_SOURCE (or in <sys/pidfd.h>), which Swift's Glibc module map
    // does not enable, and `syscall(2)` is variadic so Swift does not import it. They are looked
    // up once at run time; a libc without one makes the feature fall back (see each caller).

    private typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> CInt
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<CInt>, CInt) -> CInt
    private typealias SetThreadName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> CInt

    /// `pidfd_open` (glibc 2.36+, Linux 5.3+).
    private static let pidfdOpenFunction: PidfdOpen? = Self.lookUp("pidfd_open", as: PidfdOpen.self)
    /// `pipe2` (glibc 2.9+).
    private static let pipe2Function: Pipe2? = Self.lookUp("pipe2", as: Pipe2.self)
    /// `pthread_setname_np` (glibc 2.12+).
    private static let setThreadNameFunction: SetThreadName? = Self.lookUp("pthread_setname_np", as: SetThreadName.self)

    private static func lookUp<F>(_ name: String, as type: F.Type) -> F? {
        guard let symbol = dlsym(nil, name) else { return nil }  // nil: RTLD_DEFAULT
        return unsafeBitCast(symbol, to: type)
    }

    /// A pidfd for `pid`, or -1 (with `errno`) when the kernel or libc has none.
    ///
    /// The pidfd polls readable (`POLLIN`) once the process has exited and reports `POLLHUP` once
    /// it has been reaped.
    static func pidfdOpen(_ pid: pid_t) -> CInt {
        guard let function = Self.pidfdOpenFunction else {
            errno = ENOSYS
            return -1
        }
        let fd = function(pid, 0)
        guard fd >= 0 else { return -1 }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // pidfd_open sets it already; be explicit
        return fd
    }

    /// Whether this system can give pidfds (so waits are event-driven without a helper thread).
    static var hasPidfd: Bool { Self.pidfdOpenFunction != nil }

    // MARK: - Process groups

    /// The pids of the processes in process group `pgid`, read from `/proc` (zombies included).
    static func members(ofProcessGroup pgid: pid_t) -> [pid_t] {
        guard let directory = opendir("/proc") else { return [] }
        defer { _ = closedir(directory) }
        var result: [pid_t] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let pid = pid_t(name), pid > 0, Self.processGroup(of: pid) == pgid else { continue }
            result.append(pid)
        }
        return result
    }

    /// The process group of `pid` from `/proc/PID/stat`, or `nil` when it is gone.
    static func processGroup(of pid: pid_t) -> pid_t? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        // "PID (COMM) STATE PPID PGRP ..." where COMM may hold spaces and parentheses.
        guard let close = buffer[..<count].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = buffer[(close + 1)..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 2 else { return nil }
        return pid_t(String(decoding: fields[2], as: UTF8.self))
    }

    // MARK: - Threads and signals

    /// Starts a detached thread named `name` (at most 15 bytes) running `body`.
    ///
    /// - Returns: `false` when the thread could not be created (`body` then never runs).
    static func startThread(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
        final class Box {
            let name: String
            let body: @Sendable () -> Void
            init(name: String, body: @escaping @Sendable () -> Void) {
                self.name = name
                self.body = body
            }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, CInt(PTHREAD_CREATE_DETACHED))
        let context = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread,
            &attributes,
            { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                if let setName = ExecSystem.setThreadNameFunction {
                    _ = setName(pthread_self(), String(box.name.utf8.prefix(15)) ?? "herd-exec")
                }
                box.body()
                return nil
            },
            context
        )
        if rc != 0 { Unmanaged<Box>.fromOpaque(context).release() }
        return rc == 0
    }

    /// Blocks SIGPIPE on the calling thread.
    ///
    /// A `write` to a pipe whose reader is gone raises SIGPIPE on the *writing thread*; blocked,
    /// it stays pending there (see ``discardPendingSIGPIPE()``) and the write fails with `EPIPE`.
    /// The process-wide disposition is left alone, so the worker's other code sees no change.
    static func blockSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Takes a pending SIGPIPE off the calling thread (where ``blockSIGPIPE()`` kept it).
    static func discardPendingSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        var pending = sigset_t()
        guard sigpending(&pending) == 0, sigismember(&pending, SIGPIPE) == 1 else { return }
        var zero = timespec(tv_sec: 0, tv_nsec: 0)
        while sigtimedwait(&set, nil, &zero) < 0 && errno == EINTR {}
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
