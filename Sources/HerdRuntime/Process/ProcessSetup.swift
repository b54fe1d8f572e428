import CZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// What every `herd` process does first.
public enum ProcessSetup {
    /// The environment variable `herd up` sets on its children: the pid they must die with.
    public static let parentPIDVariable = "HERD_PARENT_PID"

    /// Unblocks every signal (a parent's blocked mask is inherited through `fork`/`exec`, and a
    /// blocked SIGTERM would never stop us) and ignores SIGPIPE (a vanished pipe reader must not
    /// kill a worker; writes fail with EPIPE instead). Sets `TZ=:/etc/localtime` when `TZ` is
    /// unset: without it glibc `stat`s /etc/localtime for every local time it formats, i.e. one
    /// extra system call per log line (measured in bench/profile); the zone is the same.
    public static func prepare(environment: [String: String]) {
        _ = herd_unblock_all_signals()
        signal(SIGPIPE, SIG_IGN)
        if environment["TZ"] == nil { setenv("TZ", ":/etc/localtime", 0) }
    }

    /// When started by `herd up` (or a test), returns once that parent process is gone, so the
    /// caller can stop gracefully: a killed `herd up` leaves no process behind. Returns never
    /// (until cancelled) otherwise.
    ///
    /// Event-driven where the system has pidfds: a thread blocks in `poll` on a pidfd of the
    /// parent, which becomes readable when it exits (no wake-ups while it lives). Elsewhere it
    /// checks once a second. `PR_SET_PDEATHSIG` is not used: it fires when the parent's spawning
    /// *thread* exits, and the Swift runtime retires idle pool threads, which stopped healthy
    /// children at random.
    public static func waitForParentExit(environment: [String: String]) async {
        guard let text = environment[Self.parentPIDVariable], let parent = Int32(text) else {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            return
        }
        // The pidfd is opened only if `parent` is still our parent (else it is gone already, or
        // the pid was reused by another process).
        let pidfd = ExecSystem.pidfdOpen(parent)
        if pidfd >= 0 && getppid() == parent {
            let exited = OneShot<Void>()
            let started = ExecSystem.startThread(name: "herd-parent") {
                var probe = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
                while poll(&probe, 1, -1) < 0 && errno == EINTR {}
                exited.resolve(.success(()))
            }
            if started {
                // Not closed: the thread may still poll it when the caller is cancelled (one fd for
                // the life of the process).
                await withTaskCancellationHandler {
                    try? await exited.value()
                } onCancel: {
                    exited.resolve(.success(()))
                }
                return
            }
        }
        if pidfd >= 0 { _ = Glibc.close(pidfd) }
        while !Task.isCancelled {
            if getppid() != parent { return }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
