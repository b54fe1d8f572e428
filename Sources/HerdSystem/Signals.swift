import Glibc

/// Signal masks and dispositions of the calling thread or process.
public enum Signals {
    /// Unblocks every signal in the calling thread (a parent's blocked mask is inherited through
    /// `fork`/`exec`, and a blocked SIGTERM would never stop us; threads inherit it too).
    public static func unblockAll() {
        var set = sigset_t()
        sigemptyset(&set)
        pthread_sigmask(SIG_SETMASK, &set, nil)
    }

    /// Ignores `signal` process-wide (SIGPIPE: a vanished pipe reader must not kill us; writes
    /// fail with `EPIPE` instead).
    public static func ignore(_ signal: CInt) {
        _ = Glibc.signal(signal, SIG_IGN)
    }

    /// Blocks SIGPIPE on the calling thread.
    ///
    /// A `write` to a pipe whose reader is gone raises SIGPIPE on the *writing thread*; blocked,
    /// it stays pending there (see ``discardPendingSIGPIPE()``) and the write fails with `EPIPE`.
    /// The process-wide disposition is left alone, so the process's other code sees no change.
    public static func blockSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Takes a pending SIGPIPE off the calling thread (where ``blockSIGPIPE()`` kept it).
    public static func discardPendingSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        var pending = sigset_t()
        guard sigpending(&pending) == 0, sigismember(&pending, SIGPIPE) == 1 else { return }
        var zero = timespec(tv_sec: 0, tv_nsec: 0)
        while sigtimedwait(&set, nil, &zero) < 0 && errno == EINTR {}
    }
}
