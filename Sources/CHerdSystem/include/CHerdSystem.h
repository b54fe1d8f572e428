#ifndef HERD_CHERDSYSTEM_H
#define HERD_CHERDSYSTEM_H
#include <sys/types.h>

/// The Linux calls Swift cannot reach directly: `syscall(2)` is variadic, and these others are
/// declared only under `_GNU_SOURCE`, which Swift's Glibc module does not enable. Each returns what
/// the call returns (-1 with `errno` on failure).

/// `pidfd_open(pid, 0)` (Linux 5.3+); close-on-exec. `ENOSYS` on an older kernel.
int herd_pidfd_open(pid_t pid);

/// `pidfd_send_signal(pidfd, signal, NULL, 0)` (Linux 5.1+).
int herd_pidfd_send_signal(int pidfd, int signal);

/// `pipe2(fds, O_CLOEXEC)`.
int herd_pipe_cloexec(int fds[2]);

/// A non-blocking, close-on-exec eventfd starting at 0.
int herd_eventfd_new(void);

/// Names the calling thread (`top -H`, `ps -L`, gdb); the kernel keeps the first 15 bytes.
int herd_set_thread_name(const char *name);

#endif
