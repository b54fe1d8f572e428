/*
 * zmqbench: the raw-libzmq baseline for Herd's benchmark (bench/run).
 *
 * The same shape as a Herd cluster, with nothing but libzmq in the way:
 *
 *   client (DEALER) --> broker (one ROUTER, like Herd's coordinator) --> N workers (DEALER, echo)
 *
 * Workers announce themselves with READY; the broker hands each request to the next worker
 * (round robin) and routes the answer back to the client that asked. Frames are forwarded
 * without copying (zmq_msg_t moved from receive to send).
 *
 *   zmqbench broker ENDPOINT
 *       Binds (tcp://127.0.0.1:* picks a port), prints "zmqbench broker listening on ENDPOINT",
 *       then one line "zmqbench broker: worker N registered" per worker. Runs until killed.
 *   zmqbench worker ENDPOINT
 *       Connects, sends READY, echoes every request. Runs until killed.
 *   zmqbench throughput ENDPOINT COUNT WINDOW SIZE
 *       Sends COUNT requests of SIZE bytes keeping WINDOW outstanding; prints one JSON line.
 *   zmqbench latency ENDPOINT COUNT WARMUP SIZE [SAMPLES]
 *       WARMUP then COUNT requests one at a time (send, wait for the answer); prints one JSON line
 *       with p50/p99/mean/max round trip in microseconds, and appends every sample (us, one per
 *       line) to the file SAMPLES if given.
 *
 * Build: gcc -O2 -o zmqbench zmqbench.c -lzmq
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static void die(const char *what) {
    fprintf(stderr, "zmqbench: %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(2);
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void unlimited(void *socket) {
    int zero = 0;
    zmq_setsockopt(socket, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(socket, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(socket, ZMQ_LINGER, &zero, sizeof zero);
}

/* Receives one frame into msg; returns whether more frames follow. */
static int recv_frame(zmq_msg_t *msg, void *socket) {
    if (zmq_msg_recv(msg, socket, 0) < 0) die("zmq_msg_recv");
    return zmq_msg_more(msg);
}

static void send_frame(zmq_msg_t *msg, void *socket, int more) {
    if (zmq_msg_send(msg, socket, more ? ZMQ_SNDMORE : 0) < 0) die("zmq_msg_send");
}

static void send_bytes(void *socket, const void *data, size_t size, int more) {
    if (zmq_send(socket, data, size, more ? ZMQ_SNDMORE : 0) < 0) die("zmq_send");
}

/* Drops any remaining frames of a message. */
static void skip_rest(void *socket, int more) {
    zmq_msg_t msg;
    while (more) {
        zmq_msg_init(&msg);
        more = recv_frame(&msg, socket);
        zmq_msg_close(&msg);
    }
}

/* CURVE, for bench/run's curve phase: with ZMQBENCH_SERVER_SECRET set, the broker is a CURVE
 * server; with ZMQBENCH_SERVER_PUBLIC set, workers and clients are CURVE clients with a fresh key
 * pair each. No ZAP handler: every key is accepted (the raw libzmq cost of CURVE itself). */
static void curve(void *socket, int server) {
    const char *key = getenv(server ? "ZMQBENCH_SERVER_SECRET" : "ZMQBENCH_SERVER_PUBLIC");
    if (!key || !*key) return;
    if (server) {
        int on = 1;
        if (zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &on, sizeof on) != 0) die("ZMQ_CURVE_SERVER");
        if (zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, key, 40) != 0) die("ZMQ_CURVE_SECRETKEY");
        return;
    }
    char public_key[41], secret_key[41];
    if (zmq_curve_keypair(public_key, secret_key) != 0) die("zmq_curve_keypair");
    if (zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, key, 40) != 0) die("ZMQ_CURVE_SERVERKEY");
    if (zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, public_key, 40) != 0) die("ZMQ_CURVE_PUBLICKEY");
    if (zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, secret_key, 40) != 0) die("ZMQ_CURVE_SECRETKEY");
}

#define MAX_WORKERS 64

static int broker(const char *endpoint) {
    void *context = zmq_ctx_new();
    void *router = zmq_socket(context, ZMQ_ROUTER);
    unlimited(router);
    curve(router, 1);
    if (zmq_bind(router, endpoint) != 0) die("zmq_bind");
    char bound[256];
    size_t bound_size = sizeof bound;
    zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, bound, &bound_size);
    printf("zmqbench broker listening on %s\n", bound);
    fflush(stdout);

    zmq_msg_t workers[MAX_WORKERS];
    int worker_count = 0, next = 0;
    for (;;) {
        zmq_msg_t id, type;
        zmq_msg_init(&id);
        zmq_msg_init(&type);
        int more = recv_frame(&id, router);
        if (!more) { zmq_msg_close(&id); zmq_msg_close(&type); continue; }
        more = recv_frame(&type, router);
        char kind = zmq_msg_size(&type) == 1 ? *(char *)zmq_msg_data(&type) : '?';
        if (kind == 'R' && worker_count < MAX_WORKERS) {
            /* READY from a worker: remember its routing id. */
            zmq_msg_init(&workers[worker_count]);
            zmq_msg_copy(&workers[worker_count], &id);
            worker_count++;
            printf("zmqbench broker: worker %d registered\n", worker_count);
            fflush(stdout);
            skip_rest(router, more);
            zmq_msg_close(&id);
            zmq_msg_close(&type);
        } else if (kind == 'Q' && more && worker_count > 0) {
            /* [client, Q, payload] -> [worker, Q, client, payload] */
            zmq_msg_t worker, payload;
            zmq_msg_init(&worker);
            zmq_msg_copy(&worker, &workers[next]);
            next = (next + 1) % worker_count;
            zmq_msg_init(&payload);
            recv_frame(&payload, router);
            send_frame(&worker, router, 1);
            send_frame(&type, router, 1);
            send_frame(&id, router, 1);
            send_frame(&payload, router, 0);
        } else if (kind == 'A' && more) {
            /* [worker, A, client, payload] -> [client, A, payload] */
            zmq_msg_t client, payload;
            zmq_msg_init(&client);
            zmq_msg_init(&payload);
            recv_frame(&client, router);
            recv_frame(&payload, router);
            zmq_msg_close(&id);
            send_frame(&client, router, 1);
            send_frame(&type, router, 1);
            send_frame(&payload, router, 0);
        } else {
            skip_rest(router, more);
            zmq_msg_close(&id);
            zmq_msg_close(&type);
        }
    }
    return 0; /* not reached */
}

static int worker(const char *endpoint) {
    void *context = zmq_ctx_new();
    void *dealer = zmq_socket(context, ZMQ_DEALER);
    unlimited(dealer);
    curve(dealer, 0);
    if (zmq_connect(dealer, endpoint) != 0) die("zmq_connect");
    send_bytes(dealer, "R", 1, 0);
    static const char answer_type = 'A';
    for (;;) {
        /* [Q, client, payload] -> [A, client, payload] */
        zmq_msg_t type, client, payload;
        zmq_msg_init(&type);
        zmq_msg_init(&client);
        zmq_msg_init(&payload);
        int more = recv_frame(&type, dealer);
        if (!more) { zmq_msg_close(&type); continue; }
        recv_frame(&client, dealer);
        more = recv_frame(&payload, dealer);
        skip_rest(dealer, more);
        zmq_msg_close(&type);
        send_bytes(dealer, &answer_type, 1, 1);
        send_frame(&client, dealer, 1);
        send_frame(&payload, dealer, 0);
    }
    return 0; /* not reached */
}

static void *client_socket(void **context, const char *endpoint) {
    *context = zmq_ctx_new();
    void *dealer = zmq_socket(*context, ZMQ_DEALER);
    unlimited(dealer);
    curve(dealer, 0);
    if (zmq_connect(dealer, endpoint) != 0) die("zmq_connect");
    return dealer;
}

static void request(void *dealer, const char *payload, size_t size) {
    send_bytes(dealer, "Q", 1, 1);
    send_bytes(dealer, payload, size, 0);
}

static void answer(void *dealer) {
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    int more = recv_frame(&msg, dealer);
    zmq_msg_close(&msg);
    skip_rest(dealer, more);
}

static int throughput(const char *endpoint, long count, long window, size_t size) {
    void *context;
    void *dealer = client_socket(&context, endpoint);
    char *payload = malloc(size);
    memset(payload, 'x', size);
    long sent = 0, received = 0;
    double start = now_us();
    while (received < count) {
        while (sent < count && sent - received < window) {
            request(dealer, payload, size);
            sent++;
        }
        answer(dealer);
        received++;
    }
    double seconds = (now_us() - start) / 1e6;
    printf("{\"mode\": \"throughput\", \"count\": %ld, \"window\": %ld, \"size\": %zu, \"seconds\": %.6f, \"rate\": %.1f}\n",
           count, window, size, seconds, (double)count / seconds);
    zmq_close(dealer);
    zmq_ctx_term(context);
    return 0;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(const double *sorted, long count, double p) {
    long index = (long)(p * (double)count + 0.999999) - 1; /* nearest rank */
    if (index < 0) index = 0;
    if (index >= count) index = count - 1;
    return sorted[index];
}

static int latency(const char *endpoint, long count, long warmup, size_t size, const char *samples_path) {
    void *context;
    void *dealer = client_socket(&context, endpoint);
    char *payload = malloc(size);
    memset(payload, 'x', size);
    double *samples = malloc(sizeof(double) * (size_t)count);
    for (long i = 0; i < warmup; i++) {
        request(dealer, payload, size);
        answer(dealer);
    }
    double total = 0;
    for (long i = 0; i < count; i++) {
        double start = now_us();
        request(dealer, payload, size);
        answer(dealer);
        samples[i] = now_us() - start;
        total += samples[i];
    }
    if (samples_path) {
        FILE *file = fopen(samples_path, "a");
        if (!file) { perror(samples_path); exit(2); }
        for (long i = 0; i < count; i++) fprintf(file, "%.1f\n", samples[i]);
        fclose(file);
    }
    qsort(samples, (size_t)count, sizeof(double), compare_double);
    printf("{\"mode\": \"latency\", \"count\": %ld, \"warmup\": %ld, \"size\": %zu, \"p50_us\": %.1f, \"p99_us\": %.1f, \"mean_us\": %.1f, \"max_us\": %.1f}\n",
           count, warmup, size, percentile(samples, count, 0.50), percentile(samples, count, 0.99), total / (double)count,
           samples[count - 1]);
    zmq_close(dealer);
    zmq_ctx_term(context);
    return 0;
}

static void usage(void) {
    fprintf(stderr,
            "usage: zmqbench broker ENDPOINT\n"
            "       zmqbench worker ENDPOINT\n"
            "       zmqbench throughput ENDPOINT COUNT WINDOW SIZE\n"
            "       zmqbench latency ENDPOINT COUNT WARMUP SIZE [SAMPLES]\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc < 3) usage();
    const char *mode = argv[1], *endpoint = argv[2];
    if (strcmp(mode, "broker") == 0) return broker(endpoint);
    if (strcmp(mode, "worker") == 0) return worker(endpoint);
    if (argc != 6 && !(argc == 7 && strcmp(mode, "latency") == 0)) usage();
    long a = atol(argv[3]), b = atol(argv[4]);
    size_t size = (size_t)atol(argv[5]);
    if (a <= 0 || b < 0) usage();
    if (strcmp(mode, "throughput") == 0) return throughput(endpoint, a, b > 0 ? b : 1, size);
    if (strcmp(mode, "latency") == 0) return latency(endpoint, a, b, size, argc == 7 ? argv[6] : NULL);
    usage();
    return 2;
}
