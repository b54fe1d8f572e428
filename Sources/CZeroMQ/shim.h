#ifndef HERD_CZEROMQ_SHIM_H
#define HERD_CZEROMQ_SHIM_H
// libzmq only; the POSIX helpers Swift cannot call directly are in CHerdSystem.
#include <zmq.h>
#endif
