import HerdSystem

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
        Signals.unblockAll()
        Signals.ignore(SIGPIPE)
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
        // The pidfd is kept only if `parent` is still our parent (else it is gone already, or
        // the pid was reused by another process).
        if let pidfd = try? Pidfd(pid: parent), getppid() == parent {
            let exited = OneShot<Void>()
            // The thread keeps the pidfd open while it waits, even after the caller is cancelled
            // (one fd and one thread for the life of the process).
            let started = try? SystemThread.start(name: "herd-parent") {
                _ = pidfd.waitForExit()
                exited.resolve(())
            }
            if started != nil {
                _ = try? await exited.valueUnlessCancelled()
                return
            }
        }
        while !Task.isCancelled {
            if getppid() != parent { return }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
