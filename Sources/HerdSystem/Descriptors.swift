import CHerdSystem
import Glibc

/// File descriptors: close-on-exec pipes, eventfds, non-blocking mode, closing.
public enum Descriptors {
    /// A pipe whose two ends are close-on-exec and numbered 3 or higher; `nil` with `errno` set.
    ///
    /// Close-on-exec keeps a pipe of one child from leaking into another child spawned at the same
    /// time on another thread (which would hold its stdout open and hang it). Numbers ≥ 3 keep the
    /// `dup2` onto 0, 1 and 2 in the child from ever being a no-op that leaves close-on-exec set.
    public static func makePipe() -> (read: CInt, write: CInt)? {
        var fds: [CInt] = [-1, -1]
        guard herd_pipe_cloexec(&fds) == 0 else { return nil }
        for index in 0 ..< 2 where fds[index] < 3 {
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

    /// A non-blocking, close-on-exec eventfd starting at 0, or -1 with `errno` set.
    public static func makeEventFD() -> CInt { herd_eventfd_new() }

    /// Makes reads and writes on `fd` return `EAGAIN` instead of blocking.
    public static func setNonBlocking(_ fd: CInt) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Closes `fd` if it is open and marks it closed (-1).
    public static func close(_ fd: inout CInt) {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }
}
