import CHerdSystem
import Glibc

/// A process file descriptor (Linux 5.3+): a handle on one process that cannot be confused with a
/// later process given the same pid.
///
/// It polls readable (`POLLIN`) once the process has exited and reports `POLLHUP` once it has been
/// reaped, so a thread (or a `poll` set of other descriptors) can wait for an exit without
/// `waitpid`, for any process, not only a child. Closed when the value goes away.
public final class Pidfd: Sendable {
    /// The descriptor (close-on-exec), for a `poll` set; owned by this value.
    public let descriptor: CInt

    /// Opens a pidfd for `pid`.
    ///
    /// - Throws: `ESRCH` when there is no such process, `ENOSYS` where the kernel has no pidfds.
    public init(pid: pid_t) throws(SystemError) {
        let fd = Self.openDescriptor(pid)
        guard fd >= 0 else { throw SystemError.current }
        self.descriptor = fd
    }

    deinit {
        _ = Glibc.close(self.descriptor)
    }

    /// Whether this system gives pidfds (so waits are event-driven without a helper thread).
    public static let isSupported: Bool = {
        let fd = herd_pidfd_open(getpid())
        guard fd >= 0 else { return false }
        _ = Glibc.close(fd)
        return true
    }()

    /// A bare pidfd for `pid` that the caller owns and closes, or -1 with `errno` set.
    public static func openDescriptor(_ pid: pid_t) -> CInt {
        let fd = herd_pidfd_open(pid)
        guard fd >= 0 else { return -1 }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // pidfd_open sets it already; be explicit
        return fd
    }

    /// Whether the process has exited (without waiting).
    public var hasExited: Bool { self.waitForExit(timeout: .zero) }

    /// Blocks the calling thread until the process has exited or `timeout` has passed (`nil`:
    /// no limit); returns whether it has exited.
    public func waitForExit(timeout: Duration? = nil) -> Bool {
        let deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
        var probe = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
        while true {
            var milliseconds: CInt = -1
            if let deadline {
                let left = ContinuousClock.now.duration(to: deadline)
                milliseconds = left <= .zero ? 0 : CInt(clamping: Self.milliseconds(roundingUp: left))
            }
            let rc = poll(&probe, 1, milliseconds)
            if rc > 0 { return true }
            if rc == 0 { return false }
            if errno != EINTR { return false }
        }
    }

    /// Sends `signal` to the process (never to a later one with the same pid).
    ///
    /// - Throws: `ESRCH` once the process has exited.
    public func signal(_ signal: CInt) throws(SystemError) {
        guard herd_pidfd_send_signal(self.descriptor, signal) == 0 else { throw SystemError.current }
    }

    private static func milliseconds(roundingUp duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let partial = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return seconds.multipliedReportingOverflow(by: 1000).partialValue + partial
    }
}
