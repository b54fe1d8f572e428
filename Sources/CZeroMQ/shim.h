#ifndef HERD_CZEROMQ_SHIM_H
#define HERD_CZEROMQ_SHIM_H
#include <zmq.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>


/// Unblock every signal in the calling thread (child processes inherit the mask).
static inline int herd_unblock_all_signals(void) {
    sigset_t set; sigemptyset(&set);
    return pthread_sigmask(SIG_SETMASK, &set, NULL);
}

// ---- HerdZMQ helpers ----------------------------------------------------------------------

/// A non-blocking, close-on-exec eventfd starting at 0 (the flag constants do not import cleanly).
static inline int herd_zmq_eventfd_new(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

/// Name the calling thread (visible in `top -H`, `ps -L`, gdb); the kernel keeps the first 15 bytes.
static inline int herd_zmq_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}
#endif
