// killfloor: the operating system's floor under Herd's exec cancel latency (bench/run, cancel phase).
//
//   killfloor N TRIALS WARMUP [SAMPLES]
//
// For each trial: starts N `/bin/sleep 600` processes, each leading a process group of its own (as
// Herd's exec children do; glibc's posix_spawn returns once the child has exec'd), opens a pidfd
// for each, then, from one thread, sends SIGTERM to each group and waits (poll on every pidfd, no
// timer) until every process has exited. The time from the first kill(2) to the last exit is the
// least a worker could take to end N exec children on this machine, with nothing of Herd's in the
// way. Prints one JSON line: {"n": N, "trials": ..., "p50_us": ..., "p99_us": ..., ...}, and
// appends every sample (µs of the last exit, one per line) to SAMPLES if given.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

extern char **environ;

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, int n, double p) {
    int index = (int)(p * n + 0.999999999) - 1;
    if (index < 0) index = 0;
    if (index > n - 1) index = n - 1;
    return sorted[index];
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: killfloor N TRIALS WARMUP [SAMPLES]\n");
        return 2;
    }
    int n = atoi(argv[1]), trials = atoi(argv[2]), warmup = atoi(argv[3]);
    if (n < 1 || trials < 1 || warmup < 0) return 2;
    pid_t *pids = calloc(n, sizeof *pids);
    struct pollfd *fds = calloc(n, sizeof *fds);
    double *last = calloc(trials, sizeof *last), *first = calloc(trials, sizeof *first);
    char *child_argv[] = {"sleep", "600", NULL};
    signal(SIGPIPE, SIG_IGN);
    for (int trial = 0; trial < warmup + trials; trial++) {
        for (int i = 0; i < n; i++) {
            posix_spawnattr_t attributes;
            posix_spawnattr_init(&attributes);
            posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
            posix_spawnattr_setpgroup(&attributes, 0);
            int rc = posix_spawn(&pids[i], "/bin/sleep", NULL, &attributes, child_argv, environ);
            posix_spawnattr_destroy(&attributes);
            if (rc != 0) {
                fprintf(stderr, "killfloor: posix_spawn: %s\n", strerror(rc));
                for (int j = 0; j < i; j++) kill(-pids[j], SIGKILL);
                return 1;
            }
            fds[i].fd = (int)syscall(SYS_pidfd_open, pids[i], 0);
            fds[i].events = POLLIN;
            if (fds[i].fd < 0) {
                fprintf(stderr, "killfloor: pidfd_open: %s\n", strerror(errno));
                for (int j = 0; j <= i; j++) kill(-pids[j], SIGKILL);
                return 1;
            }
        }
        double t0 = now_us(), t_first = 0, t_last = 0;
        for (int i = 0; i < n; i++) kill(-pids[i], SIGTERM);
        int left = n;
        while (left > 0) {
            int ready = poll(fds, n, -1);
            if (ready < 0 && errno == EINTR) continue;
            if (ready < 0) return 1;
            double t = now_us();
            for (int i = 0; i < n; i++) {
                if (fds[i].fd >= 0 && fds[i].revents) {
                    if (t_first == 0) t_first = t;
                    t_last = t;
                    close(fds[i].fd);
                    fds[i].fd = -1;
                    left--;
                }
            }
        }
        for (int i = 0; i < n; i++) waitpid(pids[i], NULL, 0);
        if (trial >= warmup) {
            last[trial - warmup] = t_last - t0;
            first[trial - warmup] = t_first - t0;
        }
    }
    if (argc > 4) {
        FILE *file = fopen(argv[4], "a");
        if (file) {
            for (int i = 0; i < trials; i++) fprintf(file, "%d %.1f %.1f\n", n, last[i], first[i]);
            fclose(file);
        }
    }
    double sum = 0;
    for (int i = 0; i < trials; i++) sum += last[i];
    qsort(last, trials, sizeof *last, compare);
    qsort(first, trials, sizeof *first, compare);
    printf("{\"n\": %d, \"trials\": %d, \"warmup\": %d, \"p50_us\": %.1f, \"p99_us\": %.1f, \"mean_us\": %.1f, \"max_us\": %.1f, \"first_p50_us\": %.1f}\n",
           n, trials, warmup, percentile(last, trials, 0.5), percentile(last, trials, 0.99), sum / trials, last[trials - 1],
           percentile(first, trials, 0.5));
    return 0;
}
