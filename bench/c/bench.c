/*
 * The benchmark's scenarios from C, on libcaptivate, written as a C user would: one event
 * callback per client, the asynchronous calls with completion callbacks, and the main thread
 * waiting on a condition variable. Same command line and output as every client program of
 * the benchmark (see bench/src/scenario.rs):
 *
 *   bench-c <c-lib|c-lib-library|c-lib-polled> <connect|roundtrip|pipelined> URL HUB_PID N M
 *
 * prints one JSON line of figures, or a message on stderr and exits 1. The first argument
 * chooses where the callbacks run: the client's dispatch thread (c-lib, the default), the
 * library's own thread (c-lib-library), or this program's main thread, which then waits in
 * poll(2) on the client's descriptor and dispatches (c-lib-polled) instead of waiting on the
 * condition variable.
 */
#define _POSIX_C_SOURCE 200809L
#include <captivate.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define API_KEY "bench-key"
#define WAIT_SECONDS 120

/* What the callbacks count, and what the main thread waits for. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    char tag;          /* the messages of the current batch are "<tag><i>" */
    long echoes;       /* echoes seen in this batch, each checked in order */
    long completions;  /* sends completed in this batch */
    long want;         /* wake the main thread when both reach this */
    char error[256];   /* the first thing that went wrong */
} state;

static state st = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 'r', 0, 0, 0, ""};

static void failed(const char *what, const char *detail) {
    pthread_mutex_lock(&st.lock);
    if (!st.error[0]) snprintf(st.error, sizeof st.error, "%s: %s", what, detail ? detail : "");
    pthread_cond_broadcast(&st.changed);
    pthread_mutex_unlock(&st.lock);
}

static void wake_if_done(void) {
    if (st.echoes >= st.want && st.completions >= st.want) pthread_cond_broadcast(&st.changed);
}

static void on_event(void *userdata, const captivate_event *event) {
    (void)userdata;
    if (strcmp(captivate_event_kind(event), "bot_message") != 0) return;
    const char *text = captivate_event_text(event);
    pthread_mutex_lock(&st.lock);
    char want[64];
    snprintf(want, sizeof want, "You said: %c%ld", st.tag, st.echoes);
    if (!text || strcmp(text, want) != 0) {
        if (!st.error[0]) snprintf(st.error, sizeof st.error, "expected \"%s\", got \"%s\"", want, text ? text : "");
        pthread_cond_broadcast(&st.changed);
    }
    st.echoes++;
    wake_if_done();
    pthread_mutex_unlock(&st.lock);
}

static void on_sent(void *userdata, captivate_result result, const char *json) {
    (void)userdata;
    if (result != CAPTIVATE_RESULT_OK) failed(captivate_result_name(result), json);
    pthread_mutex_lock(&st.lock);
    st.completions++;
    wake_if_done();
    pthread_mutex_unlock(&st.lock);
}

/* A new batch of `n` messages tagged `tag`. */
static void expect(char tag, long n) {
    pthread_mutex_lock(&st.lock);
    st.tag = tag;
    st.echoes = 0;
    st.completions = 0;
    st.want = n;
    pthread_mutex_unlock(&st.lock);
}

/* Where the callbacks run (a captivate_callbacks value), and in the polled mode the client
 * whose callbacks the main thread runs while it waits. */
static int mode = CAPTIVATE_CALLBACKS_DISPATCH_THREAD;
static captivate_client *polled;

static int64_t now_ns(clockid_t clock);

/* The polled mode's wait: poll(2) on the client's descriptor, then run what is ready. */
static int pump_for(long n) {
    int fd = -1;
    if (captivate_client_fd(polled, &fd) != CAPTIVATE_RESULT_OK) {
        snprintf(st.error, sizeof st.error, "no descriptor: %s", captivate_last_error_message());
        return 0;
    }
    int64_t deadline = now_ns(CLOCK_MONOTONIC) + (int64_t)WAIT_SECONDS * 1000000000;
    for (;;) {
        pthread_mutex_lock(&st.lock);
        int done = st.error[0] || (st.echoes >= n && st.completions >= n);
        pthread_mutex_unlock(&st.lock);
        if (done) return !st.error[0];
        int64_t left_ms = (deadline - now_ns(CLOCK_MONOTONIC)) / 1000000;
        struct pollfd p = {fd, POLLIN, 0};
        if (left_ms <= 0 || poll(&p, 1, (int)left_ms) == 0) {
            snprintf(st.error, sizeof st.error, "timed out: %ld echoes, %ld completions of %ld", st.echoes,
                     st.completions, n);
            return 0;
        }
        if (captivate_client_dispatch(polled, 0, NULL) != CAPTIVATE_RESULT_OK) {
            snprintf(st.error, sizeof st.error, "dispatch: %s", captivate_last_error_message());
            return 0;
        }
    }
}

/* Waits until `n` echoes and completions of the batch arrived; 0 on error or timeout. */
static int wait_for(long n) {
    if (polled) return pump_for(n);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += WAIT_SECONDS;
    pthread_mutex_lock(&st.lock);
    while (!st.error[0] && (st.echoes < n || st.completions < n)) {
        if (pthread_cond_timedwait(&st.changed, &st.lock, &deadline) == ETIMEDOUT) {
            snprintf(st.error, sizeof st.error, "timed out: %ld echoes, %ld completions of %ld", st.echoes,
                     st.completions, n);
        }
    }
    int ok = !st.error[0];
    pthread_mutex_unlock(&st.lock);
    return ok;
}

static int check(captivate_result r, const char *what) {
    if (r != CAPTIVATE_RESULT_OK) {
        failed(what, captivate_last_error_message());
        return 0;
    }
    return 1;
}

/* ----- measuring ----- */

static int64_t now_ns(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    if (f) fclose(f);
    return kib;
}

static int hub_pid;

static int64_t hub_cpu_ns(void) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/schedstat", hub_pid);
    FILE *f = fopen(path, "r");
    long long ns = 0;
    if (f) {
        if (fscanf(f, "%lld", &ns) != 1) ns = 0;
        fclose(f);
    }
    return ns;
}

typedef struct {
    int64_t wall, cpu, hub;
} phase;

static phase phase_start(void) {
    phase p = {0, now_ns(CLOCK_PROCESS_CPUTIME_ID), hub_cpu_ns()};
    p.wall = now_ns(CLOCK_MONOTONIC);
    return p;
}

/* Turns a started phase into elapsed wall, CPU and hub CPU. */
static phase phase_finish(phase p) {
    phase d;
    d.wall = now_ns(CLOCK_MONOTONIC) - p.wall;
    d.cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - p.cpu;
    d.hub = hub_cpu_ns() - p.hub;
    return d;
}

static double hub_load(phase d) { return (double)d.hub / (double)(d.wall > 0 ? d.wall : 1); }

static int by_value(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile `q` of `n` samples (ns, sorted here), in µs. */
static double percentile_us(int64_t *samples, long n, double q) {
    qsort(samples, (size_t)n, sizeof *samples, by_value);
    long rank = (long)(q * (double)n + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return (double)samples[rank - 1] / 1e3;
}

/* ----- scenarios ----- */

static const char *url;

static captivate_client *connect_client(void) {
    captivate_options *options = NULL;
    captivate_client *client = NULL;
    int ok = check(captivate_options_new(API_KEY, &options), "options") &&
             check(captivate_options_set_endpoint(options, url), "endpoint") &&
             check(captivate_options_set_callbacks(options, mode), "callbacks") &&
             check(captivate_client_connect(options, on_event, NULL, NULL, &client), "connect");
    captivate_options_free(options);
    return ok ? client : NULL;
}

static char *start(captivate_client *client) {
    char *conversation = NULL;
    if (!check(captivate_client_start_conversation(client, "bench-user", "{\"start\": \"user-first\"}", 0,
                                                   &conversation),
               "start_conversation"))
        return NULL;
    return conversation;
}

static int send_text(captivate_client *client, const char *conversation, char tag, long i) {
    char text[32];
    snprintf(text, sizeof text, "%c%ld", tag, i);
    return check(captivate_conversation_send_message_async(client, conversation, text, NULL, on_sent, NULL), "send");
}

static int connect_scenario(long n) {
    if (!connect_client()) return 0;
    long before = rss_kib();
    int64_t *samples = malloc(sizeof *samples * (size_t)n);
    captivate_client **clients = malloc(sizeof *clients * (size_t)n);
    phase p = phase_start();
    for (long i = 0; i < n; i++) {
        int64_t t = now_ns(CLOCK_MONOTONIC);
        if (!(clients[i] = connect_client())) return 0;
        samples[i] = now_ns(CLOCK_MONOTONIC) - t;
    }
    phase d = phase_finish(p);
    struct timespec settle = {0, 300000000};
    nanosleep(&settle, NULL);
    long after = rss_kib();
    printf("{\"connect_p50_us\":%.3f,\"connect_cpu_us\":%.3f,\"rss_per_client_kib\":%.3f,\"hub_load\":%.4f}\n",
           percentile_us(samples, n, 0.5), (double)d.cpu / (double)n / 1e3, (double)(after - before) / (double)n,
           hub_load(d));
    return 1;
}

/* The client whose callbacks wait_for runs, in the polled mode. */
static captivate_client *waits_on(captivate_client *client) {
    if (mode == CAPTIVATE_CALLBACKS_POLLED) polled = client;
    return client;
}

static int round_trips(long n, long warmup) {
    captivate_client *client = waits_on(connect_client());
    char *conversation = client ? start(client) : NULL;
    if (!conversation) return 0;
    int64_t *samples = malloc(sizeof *samples * (size_t)n);
    phase p = {0, 0, 0};
    for (long i = 0; i < warmup + n; i++) {
        if (i == warmup) p = phase_start();
        int64_t t = now_ns(CLOCK_MONOTONIC);
        /* One batch of one message, tagged so that the echo of message i reads "You said: r<i>". */
        pthread_mutex_lock(&st.lock);
        st.tag = 'r';
        st.echoes = i;
        st.completions = i;
        st.want = i + 1;
        pthread_mutex_unlock(&st.lock);
        if (!send_text(client, conversation, 'r', i) || !wait_for(i + 1)) return 0;
        if (i >= warmup) samples[i - warmup] = now_ns(CLOCK_MONOTONIC) - t;
    }
    phase d = phase_finish(p);
    printf("{\"rt_p50_us\":%.3f,\"rt_p99_us\":%.3f,\"rt_cpu_us\":%.3f,\"hub_load\":%.4f}\n",
           percentile_us(samples, n, 0.5), percentile_us(samples, n, 0.99), (double)d.cpu / (double)n / 1e3,
           hub_load(d));
    captivate_string_free(conversation);
    captivate_client_close(client);
    return 1;
}

static int batch(captivate_client *client, const char *conversation, char tag, long n) {
    expect(tag, n);
    for (long i = 0; i < n; i++)
        if (!send_text(client, conversation, tag, i)) return 0;
    return wait_for(n);
}

static int pipelined(long n, long batches) {
    captivate_client *client = waits_on(connect_client());
    char *conversation = client ? start(client) : NULL;
    if (!conversation || !batch(client, conversation, 'w', n < 1000 ? n : 1000)) return 0;
    phase p = phase_start();
    for (long b = 0; b < batches; b++)
        if (!batch(client, conversation, 'p', n)) return 0;
    phase d = phase_finish(p);
    double total = (double)n * (double)batches;
    printf("{\"msgs_per_s\":%.3f,\"cpu_per_msg_us\":%.4f,\"hub_load\":%.4f}\n", total / ((double)d.wall / 1e9),
           (double)d.cpu / total / 1e3, hub_load(d));
    captivate_string_free(conversation);
    captivate_client_close(client);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s c-lib|c-lib-library|c-lib-polled SCENARIO URL HUB_PID N M\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "c-lib-library") == 0)
        mode = CAPTIVATE_CALLBACKS_LIBRARY_THREAD;
    else if (strcmp(argv[1], "c-lib-polled") == 0)
        mode = CAPTIVATE_CALLBACKS_POLLED;
    else if (strcmp(argv[1], "c-lib") != 0) {
        fprintf(stderr, "unknown client %s\n", argv[1]);
        return 2;
    }
    const char *scenario = argv[2];
    url = argv[3];
    hub_pid = atoi(argv[4]);
    long n = atol(argv[5]), m = atol(argv[6]);
    int ok;
    if (strcmp(scenario, "connect") == 0)
        ok = connect_scenario(n);
    else if (strcmp(scenario, "roundtrip") == 0)
        ok = round_trips(n, m);
    else if (strcmp(scenario, "pipelined") == 0)
        ok = pipelined(n, m < 1 ? 1 : m);
    else {
        fprintf(stderr, "unknown scenario %s\n", scenario);
        return 2;
    }
    if (!ok) {
        fprintf(stderr, "%s\n", st.error[0] ? st.error : "failed");
        return 1;
    }
    fflush(stdout);
    /* Leave at once: a scenario may leave a thousand connections open. */
    _exit(0);
}
