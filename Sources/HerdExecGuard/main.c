// herd-exec-guard: kills an exec child's process group when the worker that started it dies.
//
// Usage: herd-exec-guard WORKER_PID, started by the worker itself (so the worker is our parent),
// with standard input the read end of a pipe whose write end only the worker holds.
//
// The worker starts the guard *before* the child, then writes the child's process group as
// "PGID\n" on the pipe. From then on the guard sleeps in one poll(2) over:
//   * a pidfd of the worker: readable once the worker has exited;
//   * the pipe: end of file once the worker has exited (the kernel closes its descriptors), which
//     also works where there are no pidfds.
// Either one, once the group is known, means the worker is gone: SIGKILL to the whole group,
// one line on standard error, exit 1. End of file before any group arrived means the worker
// started no child: exit 0. When the child ends normally the worker SIGKILLs the guard *before*
// it reaps the child (and reaps the guard last): a killed guard does nothing more, so it never
// acts on a group id that could have been reused. Exit 2: bad arguments or a bad group line;
// exit 3: poll(2) failed while the worker lived (the child is then unguarded, never killed).
//
// Pid reuse: the pidfd is opened and then getppid() is checked against WORKER_PID. We are the
// worker's child, so while getppid() is WORKER_PID the worker has not exited and the pidfd names
// it; once it is anything else the worker is gone (we were reparented) and is treated as dead.
// The group id stays valid while the worker lives (its unreaped child pins it); after the worker
// died, the group id is valid while any member is left, which is when there is anything to kill.
//
// No timers, no busy polling: poll(2) blocks with no timeout.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

enum { exit_nothing_to_guard = 0, exit_killed_group = 1, exit_usage = 2, exit_poll_failed = 3 };

static int parse_pid(const char *text, pid_t *out) {
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value <= 0 || value > INT_MAX) return -1;
    *out = (pid_t)value;
    return 0;
}

/// Opens a pidfd on the worker, or returns -1 when the worker is already gone (or the kernel has
/// no pidfds: then `*gone` stays 0 and the pipe alone tells).
static int open_worker(pid_t worker, int *gone) {
    int fd = (int)syscall(SYS_pidfd_open, worker, 0);
    if (fd < 0 && errno == ESRCH) *gone = 1;
    if (getppid() != worker) {
        // Reparented: the worker exited before (or while) we looked; the pidfd, if any, may
        // even name a later process that got the same pid.
        *gone = 1;
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

static void kill_group(pid_t worker, pid_t group) {
    int rc = kill(-group, SIGKILL);
    if (rc == 0) {
        fprintf(stderr, "herd-exec-guard: worker %d is gone; killed process group %d\n", (int)worker,
                (int)group);
    }
}

int main(int argc, char **argv) {
    pid_t worker = 0;
    if (argc != 2 || parse_pid(argv[1], &worker) != 0) {
        fprintf(stderr, "usage: herd-exec-guard WORKER_PID  (started by the worker; the group arrives on stdin)\n");
        return exit_usage;
    }
    // In a background group of the worker's session: a terminal with `tostop` must not stop us
    // for the one line we write, and a hangup is no reason to leave the group unguarded.
    signal(SIGTTOU, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    int worker_gone = 0;
    int pidfd = open_worker(worker, &worker_gone);

    pid_t group = 0;
    char line[32];
    size_t length = 0;
    int input_open = 1;
    for (;;) {
        if (group > 0 && (worker_gone || !input_open)) {
            kill_group(worker, group);
            return exit_killed_group;
        }
        if (!input_open) return exit_nothing_to_guard;

        struct pollfd fds[2] = {
            {.fd = STDIN_FILENO, .events = POLLIN, .revents = 0},
            {.fd = worker_gone ? -1 : pidfd, .events = POLLIN, .revents = 0},
        };
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            // Cannot happen with valid descriptors. Do not spin: kill the group if the worker is
            // gone, else give up guarding (never kill the child of a living worker).
            if (group > 0 && getppid() != worker) {
                kill_group(worker, group);
                return exit_killed_group;
            }
            fprintf(stderr, "herd-exec-guard: poll failed (%s); no longer guarding\n", strerror(errno));
            return exit_poll_failed;
        }
        if (fds[1].revents != 0) worker_gone = 1;
        if (fds[0].revents != 0) {
            char chunk[64];
            ssize_t count = read(STDIN_FILENO, chunk, sizeof chunk);
            if (count < 0 && errno == EINTR) continue;
            if (count <= 0) {
                input_open = 0;
                continue;
            }
            // Bytes after the group's line (there should be none) are ignored.
            for (ssize_t i = 0; i < count && group == 0; i++) {
                if (chunk[i] == '\n') {
                    line[length] = '\0';
                    if (parse_pid(line, &group) != 0) {
                        fprintf(stderr, "herd-exec-guard: bad process group \"%s\"\n", line);
                        return exit_usage;
                    }
                } else if (length + 1 < sizeof line) {
                    line[length++] = chunk[i];
                } else {
                    fprintf(stderr, "herd-exec-guard: process group line too long\n");
                    return exit_usage;
                }
            }
        }
    }
}
