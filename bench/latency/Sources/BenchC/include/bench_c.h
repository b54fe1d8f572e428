// BenchC: the few system calls herd-latency's multi-process benchmarks need that Swift's Glibc
// module does not import cleanly (variadic `syscall`/`prctl`, `_GNU_SOURCE` declarations), plus a
// registry of the processes it started, so that they are killed however the harness ends.
#ifndef BENCH_C_H
#define BENCH_C_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// CLOCK_MONOTONIC in nanoseconds: one clock for every process of this host.
uint64_t bench_now_ns(void);

/// A pidfd for `pid` (close-on-exec; polls readable once the process has exited), or -1 with errno.
int bench_pidfd_open(pid_t pid);

/// Makes the kernel SIGKILL this process when the thread that started it exits, then returns 0;
/// returns -1 if the parent `parent` is already gone (the caller should exit).
int bench_die_with_parent(pid_t parent);

/// A pipe whose ends are close-on-exec; the read end is non-blocking. Returns 0 or -1.
int bench_pipe(int fds[2]);

/// Starts `path` with `argv` and `envp` (NULL-terminated), stdin/stdout/stderr on the given fds,
/// every signal unblocked and at its default. `new_group`: the child leads a process group of its
/// own. The child is registered for ``bench_kill_tracked``. Returns the pid, or -1 with errno.
pid_t bench_spawn(const char *path, char *const argv[], char *const envp[], int in_fd, int out_fd, int err_fd, int new_group);

/// Registers (or forgets) a process to kill at exit or on SIGINT/SIGTERM/SIGHUP.
void bench_track(pid_t pid, int is_group_leader);
void bench_untrack(pid_t pid);

/// Registers (or forgets) a pidfd of a process that is not our child (an exec child of a worker)
/// to SIGKILL at exit or on a signal: through its pidfd, so a reused pid is never hit.
void bench_track_pidfd(int pidfd);
void bench_untrack_pidfd(int pidfd);

/// SIGKILLs every tracked process (and the process group of each that leads one) and every
/// tracked pidfd's process, then reaps our children.
void bench_kill_tracked(void);

/// Sets the environment entry (`NAME=VALUE`) that marks every process of this run: at exit and on a
/// signal, every process whose environment holds it is SIGKILLed too (exec children a killed
/// worker left behind, even those whose pids we never heard of). The caller puts the entry in the
/// environment of every process it starts.
void bench_set_tag(const char *entry);

/// SIGINT, SIGTERM, SIGHUP: kill every tracked process, then exit with 128 + the signal. Also
/// kills them at `exit` (any path), and ignores SIGPIPE (a worker that died must not kill the
/// harness).
void bench_install_signal_handlers(void);

/// Starts a thread that writes report lines to `fd` in batches: ``bench_report`` only appends to a
/// buffer under a mutex and signals the thread (no system call on the caller's thread in the
/// common case), so that reporting perturbs the measured handlers as little as possible.
int bench_reporter_start(int fd);
void bench_report(const char *line, size_t length);

/// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit.
long bench_raise_nofile(void);

#endif
