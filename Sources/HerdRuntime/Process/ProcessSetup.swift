import CZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// What every `herd` process does first.
public enum ProcessSetup {
    /// The environment variable `herd up` sets on its children: the pid they must die with.
    public static let parentPIDVariable = "HERD_PARENT_PID"

    /// Unblocks every signal (a parent's blocked mask is inherited through `fork`/`exec`, and a
    /// blocked SIGTERM would never stop us), ignores SIGPIPE (a vanished pipe reader must not kill
    /// a worker; writes fail with EPIPE instead), and, when started by `herd up`, arranges to get
    /// SIGTERM if that parent dies, so a killed `herd up` leaves no process behind.
    public static func prepare(environment: [String: String]) {
        _ = herd_unblock_all_signals()
        signal(SIGPIPE, SIG_IGN)
        if let text = environment[Self.parentPIDVariable], let parent = Int32(text) {
            _ = herd_set_parent_death_signal(SIGTERM)
            if getppid() != parent { exit(0) }  // the parent died before we asked
        }
    }
}
