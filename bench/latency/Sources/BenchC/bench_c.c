#define _GNU_SOURCE
#include "bench_c.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

uint64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bench_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);  // pidfds are always close-on-exec
}

int bench_die_with_parent(pid_t parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return -1;
    return getppid() == parent ? 0 : -1;  // the parent may have died before the prctl
}

int bench_pipe(int fds[2]) {
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    return fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK) == 0 ? 0 : -1;
}

// ---- tracked processes ------------------------------------------------------------------------

#define MAX_TRACKED 4096
static volatile sig_atomic_t tracked_count = 0;
static pid_t tracked_pid[MAX_TRACKED];
static int tracked_group[MAX_TRACKED];
static pthread_mutex_t tracked_lock = PTHREAD_MUTEX_INITIALIZER;

void bench_track(pid_t pid, int is_group_leader) {
    pthread_mutex_lock(&tracked_lock);
    if (tracked_count < MAX_TRACKED) {
        tracked_pid[tracked_count] = pid;
        tracked_group[tracked_count] = is_group_leader;
        tracked_count = tracked_count + 1;
    }
    pthread_mutex_unlock(&tracked_lock);
}

void bench_untrack(pid_t pid) {
    pthread_mutex_lock(&tracked_lock);
    for (int i = 0; i < tracked_count; i++) {
        if (tracked_pid[i] == pid) {
            tracked_pid[i] = tracked_pid[tracked_count - 1];
            tracked_group[i] = tracked_group[tracked_count - 1];
            tracked_count = tracked_count - 1;
            break;
        }
    }
    pthread_mutex_unlock(&tracked_lock);
}

#define MAX_PIDFDS 8192
static volatile sig_atomic_t pidfd_count = 0;
static int tracked_pidfd[MAX_PIDFDS];

void bench_track_pidfd(int pidfd) {
    pthread_mutex_lock(&tracked_lock);
    if (pidfd_count < MAX_PIDFDS) {
        tracked_pidfd[pidfd_count] = pidfd;
        pidfd_count = pidfd_count + 1;
    }
    pthread_mutex_unlock(&tracked_lock);
}

void bench_untrack_pidfd(int pidfd) {
    pthread_mutex_lock(&tracked_lock);
    for (int i = 0; i < pidfd_count; i++) {
        if (tracked_pidfd[i] == pidfd) {
            tracked_pidfd[i] = tracked_pidfd[pidfd_count - 1];
            pidfd_count = pidfd_count - 1;
            break;
        }
    }
    pthread_mutex_unlock(&tracked_lock);
}

// ---- processes marked with this run's tag ------------------------------------------------------

static char tag_entry[4096];
static size_t tag_length = 0;

void bench_set_tag(const char *entry) {
    size_t length = strlen(entry);
    if (length >= sizeof tag_entry) return;
    memcpy(tag_entry, entry, length + 1);
    tag_length = length;
}

struct bench_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static char environ_buffer[1 << 18];

// Whether the NUL-separated entries of `env` hold the tag exactly.
static int holds_tag(const char *env, size_t length) {
    size_t start = 0;
    for (size_t i = 0; i <= length; i++) {
        if (i == length || env[i] == '\0') {
            if (i - start == tag_length && memcmp(env + start, tag_entry, tag_length) == 0) return 1;
            start = i + 1;
        }
    }
    return 0;
}

// SIGKILLs every process whose environment holds the tag. Async-signal-safe: raw getdents64,
// open, read and kill only.
static void kill_tagged(void) {
    if (tag_length == 0) return;
    int directory = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory < 0) return;
    static char entries[16384];
    pid_t self = getpid();
    for (;;) {
        long count = syscall(SYS_getdents64, directory, entries, sizeof entries);
        if (count <= 0) break;
        for (long offset = 0; offset < count;) {
            struct bench_dirent64 *entry = (struct bench_dirent64 *)(entries + offset);
            offset += entry->d_reclen;
            pid_t pid = 0;
            const char *c = entry->d_name;
            for (; *c >= '0' && *c <= '9'; c++) pid = pid * 10 + (*c - '0');
            if (*c != '\0' || pid <= 0 || pid == self) continue;
            char path[32] = "/proc/";
            size_t at = 6;
            at += (size_t)(c - entry->d_name);
            memcpy(path + 6, entry->d_name, (size_t)(c - entry->d_name));
            memcpy(path + at, "/environ", 9);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;
            size_t length = 0;
            for (;;) {
                ssize_t n = read(fd, environ_buffer + length, sizeof environ_buffer - length);
                if (n <= 0) break;
                length += (size_t)n;
                if (length == sizeof environ_buffer) break;
            }
            close(fd);
            if (holds_tag(environ_buffer, length)) kill(pid, SIGKILL);
        }
    }
    close(directory);
}

// Async-signal-safe: kill(2) and pidfd_send_signal(2) only, over the arrays as they are (an entry
// caught mid-update is at worst a closed descriptor: EBADF).
static void kill_all_tracked(void) {
    int n = pidfd_count;
    for (int i = 0; i < n; i++) syscall(SYS_pidfd_send_signal, tracked_pidfd[i], SIGKILL, NULL, 0);
    n = tracked_count;
    for (int i = 0; i < n; i++) {
        if (tracked_group[i]) kill(-tracked_pid[i], SIGKILL);
        kill(tracked_pid[i], SIGKILL);
    }
    // Last: the workers are dead now, so no new exec child can start after this scan.
    kill_tagged();
}

void bench_kill_tracked(void) {
    kill_all_tracked();
    pthread_mutex_lock(&tracked_lock);
    for (int i = 0; i < tracked_count; i++) {
        // Reap our own children (others, such as exec grandchildren, are reaped by their parent or init).
        while (waitpid(tracked_pid[i], NULL, 0) < 0 && errno == EINTR) {}
    }
    tracked_count = 0;
    pidfd_count = 0;
    pthread_mutex_unlock(&tracked_lock);
}

static void on_signal(int signo) {
    kill_all_tracked();
    _exit(128 + signo);
}

static void kill_at_exit(void) { kill_all_tracked(); }

void bench_install_signal_handlers(void) {
    atexit(kill_at_exit);  // every exit path, including a fatal error in the middle of a trial
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
}

pid_t bench_spawn(const char *path, char *const argv[], char *const envp[], int in_fd, int out_fd, int err_fd, int new_group) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
    posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (new_group) flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setflags(&attributes, flags);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    if (new_group) posix_spawnattr_setpgroup(&attributes, 0);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    bench_track(pid, new_group);
    return pid;
}

// ---- batched reporter -------------------------------------------------------------------------

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t report_ready = PTHREAD_COND_INITIALIZER;
static char *report_buffer = NULL;
static size_t report_length = 0;
static size_t report_capacity = 0;
static int report_fd = -1;

static void *reporter_main(void *unused) {
    (void)unused;
    prctl(PR_SET_NAME, (unsigned long)"bench-reporter", 0, 0, 0);
    size_t spare_capacity = 1 << 16;
    char *spare = malloc(spare_capacity);
    for (;;) {
        pthread_mutex_lock(&report_lock);
        while (report_length == 0) pthread_cond_wait(&report_ready, &report_lock);
        // Swap buffers: the handlers append to the other one while this one is written.
        char *full = report_buffer;
        size_t full_capacity = report_capacity;
        size_t length = report_length;
        report_buffer = spare;
        report_capacity = spare_capacity;
        report_length = 0;
        pthread_mutex_unlock(&report_lock);
        size_t written = 0;
        while (written < length) {
            ssize_t n = write(report_fd, full + written, length - written);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) _exit(3);  // the harness is gone
            written += (size_t)n;
        }
        spare = full;
        spare_capacity = full_capacity;
    }
    return NULL;
}

int bench_reporter_start(int fd) {
    report_fd = fd;
    report_capacity = 1 << 16;
    report_buffer = malloc(report_capacity);
    pthread_t thread;
    return pthread_create(&thread, NULL, reporter_main, NULL);
}

void bench_report(const char *line, size_t length) {
    pthread_mutex_lock(&report_lock);
    if (report_length + length > report_capacity) {
        size_t capacity = report_capacity * 2;
        while (capacity < report_length + length) capacity *= 2;
        report_buffer = realloc(report_buffer, capacity);
        report_capacity = capacity;
    }
    memcpy(report_buffer + report_length, line, length);
    int was_empty = report_length == 0;
    report_length += length;
    pthread_mutex_unlock(&report_lock);
    if (was_empty) pthread_cond_signal(&report_ready);
}

long bench_raise_nofile(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    return (long)limit.rlim_cur;
}
