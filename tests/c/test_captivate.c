/*
 * Tests of libcaptivate from C, against the local hub (CAPTIVATE_URL, CAPTIVATE_API_KEY,
 * CAPTIVATE_API_KEY_2, CAPTIVATE_HTTP_URL).
 * Prints one line per failed check and ends with "N passed, N failed"; exits non-zero on any
 * failure. Run plain, under valgrind and with AddressSanitizer by `make test-c`.
 */
#define _POSIX_C_SOURCE 200809L
#include <captivate.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

#include "check.h"

static const char *URL;
static const char *KEY;
static const char *KEY2; /* a second key the hub accepts */
static const char *HTTP_URL; /* the hub's control endpoints: http://127.0.0.1:PORT */

/* Makes a request to the hub's HTTP side: `target` is a path, or a URL under HTTP_URL (a
 * presigned link). Returns the status (0 without an answer) and, when `body_out` is not NULL,
 * the answer's body (free() it). */
static int hub_http(const char *method, const char *target, const char *body, char **body_out) {
    int port = 0;
    if (body_out) *body_out = NULL;
    if (!HTTP_URL || sscanf(HTTP_URL, "http://127.0.0.1:%d", &port) != 1) return 0;
    if (strncmp(target, HTTP_URL, strlen(HTTP_URL)) == 0) target += strlen(HTTP_URL);
    if (!body) body = "";
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char req[4096];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     method, target, strlen(body), body);
    if (n < 0 || (size_t)n >= sizeof req || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        write(fd, req, (size_t)n) != n) {
        close(fd);
        return 0;
    }
    /* The hub closes the connection after its answer. */
    size_t used = 0, size = 4096;
    char *resp = malloc(size);
    ssize_t got;
    while (resp && (got = read(fd, resp + used, size - used - 1)) > 0) {
        used += (size_t)got;
        if (size - used < 1024) {
            char *bigger = realloc(resp, size * 2);
            if (!bigger) {
                free(resp);
                resp = NULL;
                break;
            }
            resp = bigger;
            size *= 2;
        }
    }
    close(fd);
    if (!resp) return 0;
    resp[used] = '\0';
    int status = 0;
    if (sscanf(resp, "HTTP/1.1 %d", &status) != 1) status = 0;
    const char *start = strstr(resp, "\r\n\r\n");
    if (body_out && start) *body_out = strdup(start + 4);
    free(resp);
    return status;
}

/* POSTs `body` to one of the hub's control endpoints; returns 1 on a 200 answer. */
static int hub_control(const char *path, const char *body) {
    return hub_http("POST", path, body, NULL) == 200;
}

/* The frame the hub received last that contains `needle` (free() it), or NULL. */
static char *received_with(const char *needle) {
    char *all = NULL;
    if (hub_http("GET", "/control/received", NULL, &all) != 200) {
        free(all);
        return NULL;
    }
    char *frame = json_element_with(all, needle);
    free(all);
    return frame;
}

/* ----- an event recorder, used as userdata ----- */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int events;
    int bot_messages, livechat_messages, states, connected_states, closed_states;
    char all_text[16384]; /* the start of every text seen, one per line (for wait_text) */
    char last_conversation[128];
    int frees;
    /* re-entrancy results */
    captivate_client *self;
    int reentered;
    captivate_result blocking_rc, close_rc, async_rc;
    int async_done;
    captivate_result async_result;
    int free_inside;
    int close_async_inside;
    /* what the accessors read */
    int buttons; /* the buttons of the last message that had any */
    char first_button_label[64], first_button_value[64];
    int agent_connected, events_without_type, bad_accessors;
    /* the order of events: one token per event ("echo:m3", "state:connected", "mystery", ...) */
    char order[16384];
    int mysteries, after_echoes, malformed;
    char mystery_conversation[128];
    captivate_result reconnect_rc;
    captivate_result dispatch_rc; /* captivate_client_dispatch from inside a callback */
    /* where the callbacks ran */
    pthread_t cb_thread;
    int cb_threads; /* how many times the callback thread changed (0 before any callback) */
    char cb_thread_name[32];
} recorder;

static void rec_init(recorder *r) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->changed, NULL);
}

static void rec_destroy(recorder *r) {
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->changed);
}

static void on_free(void *userdata) {
    recorder *r = userdata;
    pthread_mutex_lock(&r->lock);
    r->frees++;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

static void on_async_done(void *userdata, captivate_result result, const char *json) {
    recorder *r = userdata;
    (void)json;
    pthread_mutex_lock(&r->lock);
    r->async_done++;
    r->async_result = result;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

/* Appends a token to the recorded order of events (under the lock). */
static void rec_order(recorder *r, const char *token) {
    size_t used = strlen(r->order);
    if (used + strlen(token) + 2 < sizeof r->order) snprintf(r->order + used, sizeof r->order - used, "%s ", token);
}

static void on_event(void *userdata, const captivate_event *event) {
    recorder *r = userdata;
    const char *kind = captivate_event_kind(event);
    const char *text = captivate_event_text(event);
    const char *conv = captivate_event_conversation_id(event);
    const char *type = captivate_event_type(event);
    const char *state = captivate_event_state_name(event);
    const char *update = captivate_event_update(event);
    int is_bot = strcmp(kind, "bot_message") == 0;

    if (is_bot && r->self && !r->reentered) {
        /* Calls back into the library from the callback. */
        r->reentered = 1;
        char *out = NULL;
        /* Refused before anything is sent: the message must never reach the hub. */
        r->blocking_rc = captivate_conversation_send_message(r->self, conv, "refused in a callback", NULL, 0, &out);
        r->close_rc = captivate_client_close(r->self);
        r->reconnect_rc = captivate_client_reconnect(r->self);
        r->async_rc = captivate_conversation_send_message_async(r->self, conv, "from a callback", NULL, on_async_done, r);
        r->dispatch_rc = captivate_client_dispatch(r->self, 0, NULL);
    }
    if (is_bot && r->close_async_inside == 1 && r->self) {
        r->close_async_inside = (int)captivate_client_close_async(r->self) + 1000; /* OK -> 1000 */
    }
    if (is_bot && r->free_inside && r->self) {
        captivate_client *c = r->self;
        r->self = NULL;
        r->free_inside = (int)captivate_client_free(c) + 1000; /* CAPTIVATE_RESULT_OK -> 1000 */
    }

    pthread_mutex_lock(&r->lock);
    if (r->cb_threads == 0 || !pthread_equal(r->cb_thread, pthread_self())) {
        r->cb_threads++;
        r->cb_thread = pthread_self();
#ifdef __linux__
        prctl(PR_GET_NAME, r->cb_thread_name, 0, 0, 0);
#endif
    }
    r->events++;
    if (is_bot) r->bot_messages++;
    if (strcmp(kind, "livechat_message") == 0) r->livechat_messages++;
    /* Hub events have a type, the library's own events (state changes, ...) none. */
    if (!type && strcmp(kind, "state") != 0 && strcmp(kind, "discontinuity") != 0) r->events_without_type++;
    if ((state != NULL) != (strcmp(kind, "state") == 0)) r->bad_accessors++;
    if ((type != NULL) != (captivate_event_raw(event) != NULL)) r->bad_accessors++;
    if (state) {
        r->states++;
        if (strcmp(state, "connected") == 0) r->connected_states++;
        if (strcmp(state, "closed") == 0) r->closed_states++;
        char token[64];
        snprintf(token, sizeof token, "state:%s", state);
        rec_order(r, token);
        if (!strstr(captivate_event_json(event), "\"kind\":\"state\"")) r->bad_accessors++;
    }
    if (update && strcmp(update, "agent_connected") == 0) r->agent_connected++;
    size_t n = captivate_event_buttons_count(event);
    if (n > 0) {
        r->buttons = (int)n;
        snprintf(r->first_button_label, sizeof r->first_button_label, "%s", captivate_event_button_label(event, 0));
        snprintf(r->first_button_value, sizeof r->first_button_value, "%s", captivate_event_button_value(event, 0));
        if (captivate_event_button_label(event, n) != NULL) r->bad_accessors++;
    }
    if (type && strcmp(type, "mystery_event") == 0) {
        r->mysteries++;
        rec_order(r, "mystery");
        snprintf(r->mystery_conversation, sizeof r->mystery_conversation, "%s", conv ? conv : "(none)");
    }
    if (strcmp(kind, "malformed") == 0) r->malformed++;
    if (text && strncmp(text, "You said: m", 11) == 0) {
        char token[64];
        snprintf(token, sizeof token, "echo:%.40s", text + 10);
        rec_order(r, token);
    }
    if (text && strcmp(text, "You said: after") == 0) {
        r->after_echoes++;
        rec_order(r, "echo:after");
    }
    size_t used = strlen(r->all_text);
    if (text && used + 300 < sizeof r->all_text) {
        snprintf(r->all_text + used, sizeof r->all_text - used, "%.256s\n", text);
    }
    snprintf(r->last_conversation, sizeof r->last_conversation, "%s", conv ? conv : "");
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

/* Waits up to 10 s until `*counter >= want`. */
static int wait_count(recorder *r, int *counter, int want) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&r->lock);
    int ok = 1;
    while (*counter < want) {
        if (pthread_cond_timedwait(&r->changed, &r->lock, &deadline) == ETIMEDOUT) {
            ok = 0;
            break;
        }
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}

/* Waits until an event whose text contains `needle` arrives. */
static int wait_text(recorder *r, const char *needle) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&r->lock);
    int ok = 1;
    while (!strstr(r->all_text, needle)) {
        if (pthread_cond_timedwait(&r->changed, &r->lock, &deadline) == ETIMEDOUT) {
            ok = 0;
            break;
        }
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}

static captivate_options *options(const char *key) {
    captivate_options *o = NULL;
    CHECK_RC(captivate_options_new(key, &o), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_endpoint(o, URL), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_request_timeout_ms(o, 3000), CAPTIVATE_RESULT_OK);
    return o;
}

static captivate_client *connect_client(recorder *r) {
    captivate_options *o = options(KEY);
    captivate_client *c = NULL;
    CHECK_RC(captivate_client_connect(o, on_event, r, on_free, &c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_free(o), CAPTIVATE_RESULT_OK);
    return c;
}

/* ----- where callbacks run (captivate_options_set_callbacks) ----- */

static captivate_client *connect_mode(recorder *r, int mode) {
    captivate_options *o = options(KEY);
    CHECK_RC(captivate_options_set_callbacks(o, mode), CAPTIVATE_RESULT_OK);
    captivate_client *c = NULL;
    CHECK_RC(captivate_client_connect(o, on_event, r, on_free, &c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_free(o), CAPTIVATE_RESULT_OK);
    return c;
}

/* Polls the client's descriptor and dispatches until `done(r, arg)` holds (at most 10 s), as an
 * application's event loop would; returns 1 when it does. Every callback runs on this thread. */
/* Dispatches until `done` holds, for at most `limit_ms`. */
static int pump_for(captivate_client *c, recorder *r, int (*done)(recorder *, const void *), const void *arg, long limit_ms) {
    int fd = -1;
    if (captivate_client_fd(c, &fd) != CAPTIVATE_RESULT_OK) return 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        pthread_mutex_lock(&r->lock);
        int reached = done(r, arg);
        pthread_mutex_unlock(&r->lock);
        if (reached) return 1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = limit_ms - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
        if (left <= 0) return 0;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) > 0 && captivate_client_dispatch(c, 0, NULL) != CAPTIVATE_RESULT_OK) return 0;
    }
}

typedef struct {
    int *counter;
    int want;
} at_least;

static int reached_count(recorder *r, const void *arg) {
    (void)r;
    const at_least *a = arg;
    return *a->counter >= a->want;
}

static int has_text(recorder *r, const void *needle) {
    return strstr(r->all_text, needle) != NULL;
}

/* Dispatches until `*counter >= want`. */
static int pump(captivate_client *c, recorder *r, int (*done)(recorder *, const void *), const void *arg) {
    return pump_for(c, r, done, arg, 10000);
}

static int pump_until(captivate_client *c, recorder *r, int *counter, int want) {
    at_least a = {counter, want};
    return pump(c, r, reached_count, &a);
}

/* Dispatches until an event whose text contains `needle` has run. */
static int pump_text(captivate_client *c, recorder *r, const char *needle) {
    return pump(c, r, has_text, needle);
}

/* Whether the descriptor is readable right now. */
static int readable(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Frees a client of the given callback mode from inside its own event callback: the free
 * returns OK there, teardown ends after that callback (userdata freed once), and the handle is
 * invalid afterwards. */
static void check_free_inside_callback(int mode, const char *user) {
    recorder f;
    rec_init(&f);
    captivate_client *c = connect_mode(&f, mode);
    char *conv = NULL;
    f.self = c;
    f.free_inside = 1;
    CHECK_RC(captivate_client_start_conversation(c, user, NULL, 0, &conv), CAPTIVATE_RESULT_OK);
    int freed = mode == CAPTIVATE_CALLBACKS_POLLED ? pump_until(c, &f, &f.frees, 1) : wait_count(&f, &f.frees, 1);
    CHECK(freed, "userdata freed after a free inside the callback (%s)", user);
    CHECK(f.free_inside == 1000 + CAPTIVATE_RESULT_OK, "free inside the callback returned OK (%d)", f.free_inside);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_INVALID_HANDLE);
    captivate_string_free(conv);
    rec_destroy(&f);
}

/* What the event callback did with the client (recorder.self) on the first bot message, seen
 * from a callback thread (dispatch or library thread): blocking calls refused with
 * WOULD_DEADLOCK, the non-blocking send made and answered, dispatch refused with `dispatch_rc`. */
static void check_calls_from_a_callback(recorder *r, captivate_result dispatch_rc) {
    CHECK(wait_count(r, &r->async_done, 1), "the async call made inside the callback completes");
    CHECK(r->blocking_rc == CAPTIVATE_RESULT_WOULD_DEADLOCK, "blocking inside a callback: %s", captivate_result_name(r->blocking_rc));
    CHECK(r->close_rc == CAPTIVATE_RESULT_WOULD_DEADLOCK, "close inside a callback: %s", captivate_result_name(r->close_rc));
    CHECK(r->reconnect_rc == CAPTIVATE_RESULT_WOULD_DEADLOCK, "reconnect inside a callback: %s",
          captivate_result_name(r->reconnect_rc));
    CHECK(r->async_rc == CAPTIVATE_RESULT_OK && r->async_result == CAPTIVATE_RESULT_OK, "async inside a callback");
    CHECK(r->dispatch_rc == dispatch_rc, "dispatch inside a callback: %s", captivate_result_name(r->dispatch_rc));
    CHECK(wait_text(r, "You said: from a callback"), "the message sent from the callback is answered");
}

/* ----- tests ----- */

static void test_version_and_codes(void) {
    CHECK(strcmp(captivate_version(), CAPTIVATE_VERSION) == 0, "version %s vs %s", captivate_version(), CAPTIVATE_VERSION);
    CHECK(CAPTIVATE_VERSION_NUMBER == CAPTIVATE_VERSION_MAJOR * 10000 + CAPTIVATE_VERSION_MINOR * 100 + CAPTIVATE_VERSION_PATCH,
          "version number");
    int codes[] = {CAPTIVATE_RESULT_OK, CAPTIVATE_RESULT_NULL_POINTER, CAPTIVATE_RESULT_INVALID_UTF8,
                   CAPTIVATE_RESULT_INVALID_HANDLE, CAPTIVATE_RESULT_INVALID_ARGUMENT, CAPTIVATE_RESULT_INVALID_JSON,
                   CAPTIVATE_RESULT_CLOSED, CAPTIVATE_RESULT_CONNECT, CAPTIVATE_RESULT_REJECTED,
                   CAPTIVATE_RESULT_CONNECTION_LOST, CAPTIVATE_RESULT_POSSIBLY_NOT_DELIVERED, CAPTIVATE_RESULT_FAILED,
                   CAPTIVATE_RESULT_QUEUE_FULL, CAPTIVATE_RESULT_FRAME_TOO_LARGE, CAPTIVATE_RESULT_HUB_ERROR,
                   CAPTIVATE_RESULT_PROTOCOL, CAPTIVATE_RESULT_HTTP, CAPTIVATE_RESULT_TIMEOUT,
                   CAPTIVATE_RESULT_WOULD_DEADLOCK, CAPTIVATE_RESULT_INTERNAL, CAPTIVATE_RESULT_PANIC};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *name = captivate_result_name(codes[i]);
        CHECK(strncmp(name, "CAPTIVATE_RESULT_", 17) == 0 && strcmp(name, "CAPTIVATE_RESULT_UNKNOWN") != 0, "name of %d: %s",
              codes[i], name);
        CHECK(strlen(captivate_result_describe(codes[i])) > 0, "description of %d", codes[i]);
    }
    CHECK(strcmp(captivate_result_name(CAPTIVATE_RESULT_TIMEOUT), "CAPTIVATE_RESULT_TIMEOUT") == 0, "timeout name");
    CHECK(strcmp(captivate_result_name(12345), "CAPTIVATE_RESULT_UNKNOWN") == 0, "unknown code");
    CHECK(strcmp(captivate_result_name(-1), "CAPTIVATE_RESULT_UNKNOWN") == 0, "negative code");
    captivate_string_free(NULL);
}

static void test_options_misuse(void) {
    captivate_options *o = NULL;
    CHECK_RC(captivate_options_new(NULL, &o), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK(strlen(captivate_last_error_message()) > 0, "a message for the last error");
    CHECK_RC(captivate_options_new("k", NULL), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_options_new("\xff\xfe", &o), CAPTIVATE_RESULT_INVALID_UTF8);
    CHECK_RC(captivate_options_new("", &o), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_options_new("k", &o), CAPTIVATE_RESULT_OK);
    CHECK(strcmp(captivate_last_error_message(), "") == 0, "success clears the last error");
    CHECK_RC(captivate_options_set_endpoint(o, "ftp://example.com"), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_options_set_endpoint(o, NULL), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_options_set_endpoint(o, "dev"), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_connect_timeout_ms(o, 0), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_options_set_request_timeout_ms(o, 5000), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_metadata_timeout_ms(o, 5000), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_ping_interval_ms(o, 20000), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_reconnect(o, true, 100, 2000, 0), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_reconnect(o, true, 0, 2000, 0), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_options_set_tls_roots(o, 99), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_options_set_tls_roots(o, CAPTIVATE_TLS_ROOTS_BOTH), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_ca_file(o, NULL), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_options_set_delivery(o, 7), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_options_set_delivery(o, CAPTIVATE_DELIVERY_AT_LEAST_ONCE), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_max_frame_size(o, 10), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_options_set_offline_queue(o, true, 100, 65536), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_socket_per_conversation(o, false), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_catch_up(o, true), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_catch_up(NULL, true), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_options_set_legacy_dialect(o, false), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_free(o), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_free(o), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_options_set_endpoint(o, "dev"), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_options_free(NULL), CAPTIVATE_RESULT_OK);
    captivate_client *c = NULL;
    CHECK_RC(captivate_client_connect(NULL, NULL, NULL, NULL, &c), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_client_connect(o, NULL, NULL, NULL, &c), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK(captivate_event_kind(NULL)[0] == '\0' && captivate_event_text(NULL) == NULL &&
              captivate_event_conversation_id(NULL) == NULL && captivate_event_json(NULL)[0] == '\0' &&
              captivate_event_type(NULL) == NULL && captivate_event_id(NULL) == NULL &&
              captivate_event_state_name(NULL) == NULL && captivate_event_update(NULL) == NULL &&
              captivate_event_buttons_count(NULL) == 0 && captivate_event_button_label(NULL, 0) == NULL &&
              captivate_event_button_value(NULL, 0) == NULL && captivate_event_raw(NULL) == NULL,
          "event accessors accept NULL");
}

static void test_connection_errors(void) {
    recorder r;
    rec_init(&r);
    const char *secret = "sk-c-test-wrong-key-123";
    captivate_options *o = options(secret);
    captivate_client *c = NULL;
    CHECK_RC(captivate_client_connect(o, on_event, &r, on_free, &c), CAPTIVATE_RESULT_REJECTED);
    CHECK(strstr(captivate_last_error_message(), secret) == NULL, "the key is not in the message");
    CHECK(r.frees == 0, "nothing registered on failure");
    CHECK_RC(captivate_options_set_endpoint(o, "ws://127.0.0.1:1/dev"), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_connect(o, on_event, &r, on_free, &c), CAPTIVATE_RESULT_CONNECT);
    captivate_options_free(o);
    rec_destroy(&r);
}

static void test_whole_conversation(void) {
    recorder r;
    rec_init(&r);
    captivate_client *c = connect_client(&r);
    captivate_state state;
    CHECK_RC(captivate_client_state(c, &state), CAPTIVATE_RESULT_OK);
    CHECK(state == CAPTIVATE_STATE_CONNECTED, "connected, got %d", (int)state);
    CHECK_RC(captivate_client_state(c, NULL), CAPTIVATE_RESULT_NULL_POINTER);
    char *socket = NULL;
    CHECK_RC(captivate_client_socket_id(c, &socket), CAPTIVATE_RESULT_OK);
    CHECK(socket && strlen(socket) > 0, "a socket id");
    captivate_string_free(socket);

    char *conv = NULL;
    CHECK_RC(captivate_client_start_conversation(c, "c-user", "{\"start\": \"sideways\"}", 0, &conv), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_client_start_conversation(c, "c-user", "{not json", 0, &conv), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_client_start_conversation(c, "c-user", "{\"metadata\": {\"plan\": \"basic\"}}", 0, &conv), CAPTIVATE_RESULT_OK);
    CHECK(conv && strncmp(conv, "c-user", 6) == 0, "conversation id %s", conv ? conv : "(null)");
    CHECK(wait_text(&r, "Captivate Bot"), "the greeting arrives");
    CHECK(strcmp(r.last_conversation, conv) == 0, "the greeting names the conversation");
    pthread_mutex_lock(&r.lock);
    CHECK(r.buttons == 2 && strcmp(r.first_button_label, "Leave Contact Details") == 0 &&
              strcmp(r.first_button_value, "Leave Contact Details") == 0,
          "the greeting's buttons: %d, %s", r.buttons, r.first_button_label);
    pthread_mutex_unlock(&r.lock);

    char *msg_id = NULL;
    CHECK_RC(captivate_conversation_send_message(c, conv, "hello from C", NULL, 0, &msg_id), CAPTIVATE_RESULT_OK);
    CHECK(msg_id && strlen(msg_id) == 36, "a UUID client_msg_id");
    CHECK(wait_text(&r, "You said: hello from C"), "the echo arrives");
    CHECK_RC(captivate_conversation_send_message(c, conv, NULL, "[{\"url\": \"https://x/a.pdf\", \"type\": \"application/pdf\", \"filename\": \"a.pdf\"}]", 0, NULL),
             CAPTIVATE_RESULT_OK);
    CHECK(wait_text(&r, "received 1 file"), "files acknowledged");
    /* One file object stands for an array of one; one the hub cannot reach is refused. */
    CHECK_RC(captivate_conversation_send_message(c, conv, NULL, "{\"type\": \"a/b\"}", 0, NULL), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_conversation_send_message(c, conv, NULL, "7", 0, NULL), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_conversation_send_message(c, conv, NULL, NULL, 0, NULL), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_conversation_send_message(c, conv, "\xc3\x28", NULL, 0, NULL), CAPTIVATE_RESULT_INVALID_UTF8);
    CHECK_RC(captivate_conversation_send_message(c, NULL, "x", NULL, 0, NULL), CAPTIVATE_RESULT_NULL_POINTER);

    CHECK_RC(captivate_conversation_set_metadata(c, conv, "{\"plan\": \"gold\"}", "bot_live", 0), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_conversation_set_metadata(c, conv, "[1]", NULL, 0), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_conversation_set_metadata(c, conv, "{}", "everyone", 0), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_conversation_set_private_metadata(c, conv, "{\"crm\": 7}", 0), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_conversation_set_time_to_live(c, conv, 7, 0), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_conversation_set_time_to_live(c, conv, 5, 0), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    char *json = NULL;
    CHECK_RC(captivate_conversation_get_metadata(c, conv, 0, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && strstr(json, "\"plan\":\"gold\"") && strstr(json, "\"crm\":7") && strstr(json, "\"timeToLive\":7"),
          "metadata %s", json ? json : "(null)");
    captivate_string_free(json);

    CHECK_RC(captivate_conversation_send_action(c, conv, "escalateToHuman", NULL, NULL, 0), CAPTIVATE_RESULT_OK);
    CHECK(wait_count(&r, &r.livechat_messages, 1), "a live agent answers");
    CHECK(r.agent_connected == 1, "the agent joined first (%d)", r.agent_connected);
    CHECK_RC(captivate_conversation_edit_message(c, conv, msg_id, "hello, edited", NULL, 0), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_conversation_get_transcript(c, conv, 0, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && strstr(json, "hello, edited") && strstr(json, "\"entries\""), "transcript");
    captivate_string_free(json);
    captivate_string_free(msg_id);

    CHECK_RC(captivate_client_list_conversations(c, "c-user", "{\"filter\": {\"plan\": \"gold\"}, \"page\": 1, \"limit\": 5}", 0, &json),
             CAPTIVATE_RESULT_OK);
    CHECK(json && strstr(json, conv) && strstr(json, "\"pagination\""), "the listing has the conversation");
    captivate_string_free(json);
    /* A JSON that parses, with a value of the wrong type: an invalid argument. */
    CHECK_RC(captivate_client_list_conversations(c, "c-user", "{\"page\": \"one\"}", 0, &json), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_client_list_conversations(c, "c-user", "[1]", 0, &json), CAPTIVATE_RESULT_INVALID_JSON);

    /* The escape hatch, and a reply that never comes. */
    CHECK_RC(captivate_client_send_raw(c, "metadata_request", "{\"conversation_id\": \"x\"}", NULL, NULL, 0, &json), CAPTIVATE_RESULT_OK);
    CHECK(json == NULL, "no reply asked for");
    char payload[256];
    snprintf(payload, sizeof payload, "{\"conversation_id\": \"%s\"}", conv);
    CHECK_RC(captivate_client_send_raw(c, "metadata_request", payload, "conversation_metadata", conv, 0, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && strstr(json, "\"kind\":\"metadata\""), "raw reply %s", json ? json : "(null)");
    captivate_string_free(json);
    CHECK_RC(captivate_client_send_raw(c, "ping_me", NULL, "never_sent_by_the_hub", NULL, 300, NULL), CAPTIVATE_RESULT_TIMEOUT);

    CHECK_RC(captivate_conversation_delete(c, conv, true, 0), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_conversation_get_metadata(c, conv, 0, &json), CAPTIVATE_RESULT_HUB_ERROR);
    CHECK(strstr(captivate_last_error_message(), "Invalid conversation_id") != NULL, "the hub's description: %s",
          captivate_last_error_message());
    CHECK_RC(captivate_client_delete_user_conversations(c, "c-user", false, 0), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_attach(c, ""), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    captivate_string_free(conv);

    CHECK_RC(captivate_client_close(c), CAPTIVATE_RESULT_OK);
    /* A blocking close returns after the callback was given `closed`. */
    pthread_mutex_lock(&r.lock);
    int closed_seen = r.closed_states;
    pthread_mutex_unlock(&r.lock);
    CHECK(closed_seen == 1, "the callback saw closed before close returned (%d)", closed_seen);
    CHECK_RC(captivate_client_state(c, &state), CAPTIVATE_RESULT_OK);
    CHECK(state == CAPTIVATE_STATE_CLOSED, "closed");
    CHECK_RC(captivate_client_start_conversation(c, "u", NULL, 0, NULL), CAPTIVATE_RESULT_CLOSED);
    /* Reconnecting waits for the connection. */
    CHECK_RC(captivate_client_reconnect(c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_state(c, &state), CAPTIVATE_RESULT_OK);
    CHECK(state == CAPTIVATE_STATE_CONNECTED, "connected when reconnect returns (%d)", (int)state);
    CHECK(wait_count(&r, &r.connected_states, 2), "connected again");
    CHECK(r.events_without_type == 0 && r.bad_accessors == 0, "accessors agree with the kinds (%d, %d)",
          r.events_without_type, r.bad_accessors);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    CHECK(r.frees == 1, "userdata freed once");
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_client_state(c, &state), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_conversation_send_message(c, "x", "y", NULL, 0, NULL), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_client_free(NULL), CAPTIVATE_RESULT_OK);
    rec_destroy(&r);
}

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int calls;
    captivate_result result;
    char json[4096];
} completion;

static void on_complete(void *userdata, captivate_result result, const char *json) {
    completion *k = userdata;
    pthread_mutex_lock(&k->lock);
    k->calls++;
    k->result = result;
    snprintf(k->json, sizeof k->json, "%s", json ? json : "");
    pthread_cond_broadcast(&k->changed);
    pthread_mutex_unlock(&k->lock);
}

static int wait_completion(completion *k, int calls) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&k->lock);
    int ok = 1;
    while (k->calls < calls)
        if (pthread_cond_timedwait(&k->changed, &k->lock, &deadline) == ETIMEDOUT) {
            ok = 0;
            break;
        }
    pthread_mutex_unlock(&k->lock);
    return ok;
}

static void test_async_forms(void) {
    recorder r;
    rec_init(&r);
    captivate_client *c = connect_client(&r);
    completion k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};
    CHECK_RC(captivate_client_start_conversation_async(c, "async-user", "{\"start\": \"user-first\"}", on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 1) && k.result == CAPTIVATE_RESULT_OK, "start completes: %s", k.json);
    char conv[128] = "";
    const char *p = strstr(k.json, "\"conversation_id\":\"");
    if (p) snprintf(conv, sizeof conv, "%.*s", (int)(strchr(p + 19, '"') - (p + 19)), p + 19);
    CHECK(strncmp(conv, "async-user", 10) == 0, "the id in the completion: %s", k.json);

    CHECK_RC(captivate_conversation_send_message_async(c, conv, "async hello", NULL, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 2) && k.result == CAPTIVATE_RESULT_OK && strstr(k.json, "client_msg_id"), "send completes");
    CHECK(wait_text(&r, "You said: async hello"), "the echo arrives");
    CHECK_RC(captivate_conversation_set_metadata_async(c, conv, "{\"a\": 1}", NULL, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 3) && k.result == CAPTIVATE_RESULT_OK && k.json[0] == '\0', "metadata completes");
    CHECK_RC(captivate_conversation_set_private_metadata_async(c, conv, "{\"b\": 2}", on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 4) && k.result == CAPTIVATE_RESULT_OK, "private metadata completes");
    CHECK_RC(captivate_conversation_set_time_to_live_async(c, conv, 90, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 5) && k.result == CAPTIVATE_RESULT_OK, "ttl completes");
    CHECK_RC(captivate_conversation_get_metadata_async(c, conv, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 6) && strstr(k.json, "\"timeToLive\":90"), "metadata: %s", k.json);
    CHECK_RC(captivate_conversation_send_action_async(c, conv, "noop", "{\"x\": true}", "normal", on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 7) && k.result == CAPTIVATE_RESULT_OK, "action completes");
    CHECK_RC(captivate_conversation_edit_message_async(c, conv, "no-such-message", "x", NULL, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 8) && k.result == CAPTIVATE_RESULT_OK, "edit completes");
    CHECK_RC(captivate_conversation_get_transcript_async(c, conv, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 9) && strstr(k.json, "async hello"), "transcript completes");
    CHECK_RC(captivate_client_list_conversations_async(c, "async-user", NULL, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 10) && strstr(k.json, conv), "list completes");
    CHECK_RC(captivate_client_send_raw_async(c, "metadata_request", "{\"conversation_id\": \"zz\"}", NULL, NULL, on_complete, &k),
             CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 11) && k.result == CAPTIVATE_RESULT_OK, "raw completes");
    CHECK_RC(captivate_conversation_delete_async(c, conv, false, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 12) && k.result == CAPTIVATE_RESULT_OK, "delete completes");
    CHECK_RC(captivate_conversation_get_metadata_async(c, conv, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 13) && k.result == CAPTIVATE_RESULT_HUB_ERROR && strstr(k.json, "CAPTIVATE_RESULT_HUB_ERROR"),
          "a hub error completes with its JSON: %s", k.json);
    CHECK_RC(captivate_client_delete_user_conversations_async(c, "async-user", true, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 14) && k.result == CAPTIVATE_RESULT_OK, "delete all completes");
    CHECK_RC(captivate_conversation_get_metadata_async(c, NULL, on_complete, &k), CAPTIVATE_RESULT_NULL_POINTER);

    /* A call still waiting when the client is freed completes with CLOSED, exactly once, before free returns. */
    CHECK_RC(captivate_client_send_raw_async(c, "x", NULL, "never_sent_by_the_hub", NULL, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    CHECK(k.calls == 15 && k.result == CAPTIVATE_RESULT_CLOSED, "pending call closed: %d %s", k.calls, captivate_result_name(k.result));
    CHECK(r.frees == 1, "userdata freed");
    rec_destroy(&r);
}

static void test_reentrancy(void) {
    recorder r;
    rec_init(&r);
    captivate_client *c = connect_client(&r);
    r.self = c;
    char *conv = NULL;
    CHECK_RC(captivate_client_start_conversation(c, "re-user", NULL, 0, &conv), CAPTIVATE_RESULT_OK);
    check_calls_from_a_callback(&r, CAPTIVATE_RESULT_INVALID_ARGUMENT);
    char *transcript = NULL;
    CHECK_RC(captivate_conversation_get_transcript(c, conv, 0, &transcript), CAPTIVATE_RESULT_OK);
    CHECK(transcript && strstr(transcript, "from a callback") && !strstr(transcript, "refused in a callback"),
          "the refused blocking call sent nothing: %s", transcript ? transcript : "(null)");
    captivate_string_free(transcript);
    captivate_string_free(conv);
    r.self = NULL;
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);

    /* Closing from inside a callback with the non-blocking form. */
    recorder k;
    rec_init(&k);
    c = connect_client(&k);
    k.self = c;
    k.close_async_inside = 1;
    CHECK_RC(captivate_client_start_conversation(c, "close-user", NULL, 0, &conv), CAPTIVATE_RESULT_OK);
    CHECK(wait_count(&k, &k.closed_states, 1), "closed after captivate_client_close_async inside the callback");
    CHECK(k.close_async_inside == 1000 + CAPTIVATE_RESULT_OK, "close_async inside the callback returned OK (%d)",
          k.close_async_inside);
    captivate_state st;
    CHECK_RC(captivate_client_state(c, &st), CAPTIVATE_RESULT_OK);
    CHECK(st == CAPTIVATE_STATE_CLOSED, "the state is closed");
    CHECK_RC(captivate_client_close_async(NULL), CAPTIVATE_RESULT_NULL_POINTER);
    k.self = NULL;
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_close_async(c), CAPTIVATE_RESULT_INVALID_HANDLE);
    captivate_string_free(conv);
    rec_destroy(&k);

    /* Freeing the client from inside its own callback. */
    check_free_inside_callback(CAPTIVATE_CALLBACKS_DISPATCH_THREAD, "free-user");
    rec_destroy(&r);
}

static void test_lazy_client_and_cycles(void) {
    recorder r;
    rec_init(&r);
    captivate_options *o = options(KEY);
    captivate_client *c = NULL;
    CHECK_RC(captivate_client_new(o, on_event, &r, on_free, &c), CAPTIVATE_RESULT_OK);
    CHECK(wait_count(&r, &r.connected_states, 1), "the lazy client connects");
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);

    const char *env = getenv("CAPTIVATE_TEST_CYCLES");
    int cycles = env ? atoi(env) : 100;
    int ok = 0;
    recorder cyc;
    rec_init(&cyc);
    for (int i = 0; i < cycles; i++) {
        captivate_client *k = NULL;
        if (captivate_client_connect(o, on_event, &cyc, on_free, &k) != CAPTIVATE_RESULT_OK) continue;
        if (captivate_client_close(k) == CAPTIVATE_RESULT_OK && captivate_client_free(k) == CAPTIVATE_RESULT_OK) ok++;
    }
    CHECK(ok == cycles, "%d of %d connect/close/free cycles", ok, cycles);
    CHECK(cyc.frees == cycles, "userdata freed once per client (%d)", cyc.frees);
    captivate_options_free(o);
    rec_destroy(&r);
    rec_destroy(&cyc);
}

/* Every result code that a running hub (or no hub) can make happen. */
static void test_error_codes_provoked(void) {
    recorder r;
    rec_init(&r);
    captivate_client *c = NULL;
    char *conv = NULL;
    captivate_state st;

    /* FRAME_TOO_LARGE: a message over the configured maximum. */
    captivate_options *o = options(KEY);
    CHECK_RC(captivate_options_set_max_frame_size(o, 2048), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_connect(o, NULL, NULL, NULL, &c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_free(o), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_start_conversation(c, "codes", "{\"start\": \"user-first\"}", 0, &conv),
             CAPTIVATE_RESULT_OK);
    char big[4096];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK_RC(captivate_conversation_send_message(c, conv, big, NULL, 0, NULL), CAPTIVATE_RESULT_FRAME_TOO_LARGE);

    /* PROTOCOL: the hub confirms a start without naming the conversation. */
    CHECK(hub_control("/control/faults", "{\"omit_conversation_id\": true}"), "faults set");
    char *other = NULL;
    CHECK_RC(captivate_client_start_conversation(c, "codes2", "{\"start\": \"user-first\"}", 0, &other),
             CAPTIVATE_RESULT_PROTOCOL);
    CHECK(other == NULL, "no id on failure");

    /* POSSIBLY_NOT_DELIVERED: the hub drops the connection right after reading the message. */
    CHECK(hub_control("/control/faults", "{\"drop_after_frames\": 1}"), "faults set");
    char *id = NULL;
    CHECK_RC(captivate_conversation_send_message(c, conv, "did it arrive?", NULL, 0, &id),
             CAPTIVATE_RESULT_POSSIBLY_NOT_DELIVERED);
    CHECK(strstr(captivate_last_error_message(), "may not have reached") != NULL, "message: %s",
          captivate_last_error_message());
    CHECK(id == NULL, "no id on failure");
    CHECK(hub_control("/control/faults", "{}"), "faults cleared");
    captivate_string_free(conv);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);

    /* Without a hub (nothing listens on port 1), connecting lazily: */
    /* QUEUE_FULL: the offline queue holds one event. */
    o = NULL;
    CHECK_RC(captivate_options_new(KEY, &o), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_endpoint(o, "ws://127.0.0.1:1/dev"), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_offline_queue(o, true, 1, 65536), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_new(o, on_event, &r, on_free, &c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_conversation_send_message_async(c, "offline", "queued", NULL, on_async_done, &r),
             CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_conversation_send_message(c, "offline", "one too many", NULL, 0, NULL),
             CAPTIVATE_RESULT_QUEUE_FULL);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    CHECK(wait_count(&r, &r.async_done, 1) && r.async_result == CAPTIVATE_RESULT_CLOSED,
          "the queued send completes with CLOSED when the client is freed (%s)", captivate_result_name(r.async_result));

    /* CONNECTION_LOST: queueing switched off fails sends at once while offline. */
    CHECK_RC(captivate_options_set_offline_queue(o, false, 1, 65536), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_new(o, NULL, NULL, NULL, &c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_conversation_send_message(c, "offline", "now or never", NULL, 0, NULL),
             CAPTIVATE_RESULT_CONNECTION_LOST);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);

    /* FAILED: the reconnect policy gives up after one attempt. */
    CHECK_RC(captivate_options_set_offline_queue(o, true, 100, 65536), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_reconnect(o, true, 20, 40, 1), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_new(o, NULL, NULL, NULL, &c), CAPTIVATE_RESULT_OK);
    st = CAPTIVATE_STATE_CONNECTING;
    for (int i = 0; i < 500 && st != CAPTIVATE_STATE_FAILED; i++) {
        if (captivate_client_state(c, &st) != CAPTIVATE_RESULT_OK) break;
        struct timespec ms10 = {0, 10 * 1000 * 1000};
        nanosleep(&ms10, NULL);
    }
    CHECK(st == CAPTIVATE_STATE_FAILED, "gave up (state %d)", (int)st);
    CHECK_RC(captivate_conversation_send_message(c, "offline", "too late", NULL, 0, NULL), CAPTIVATE_RESULT_FAILED);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_free(o), CAPTIVATE_RESULT_OK);
    rec_destroy(&r);
}


/* ----- options by name ----- */

/* Copies the JSON string that starts at `at` (after its opening quote) to `out`. */
static void copy_string(const char *at, char *out, size_t size) {
    const char *end = strchr(at, '"');
    snprintf(out, size, "%.*s", end ? (int)(end - at) : 0, at);
}

/* Every option of the schema is set by name; a value of the wrong type is refused. */
static void test_options_by_name(void) {
    const char *schema = captivate_options_schema_json();
    CHECK(schema[0] == '[' && strstr(schema, "\"name\":\"request_timeout_ms\""), "the schema lists the options");
    captivate_options *o = NULL;
    CHECK_RC(captivate_options_new(KEY, &o), CAPTIVATE_RESULT_OK);
    int names = 0;
    const char *p = schema;
    while ((p = strstr(p, "\"name\":\"")) != NULL) {
        char name[64], type[16] = "", first[64] = "";
        p += 8;
        copy_string(p, name, sizeof name);
        const char *next = strstr(p, "\"name\":\"");
        const char *t = strstr(p, "\"type\":\"");
        if (t && (!next || t < next)) copy_string(t + 8, type, sizeof type);
        const char *v = strstr(p, "\"values\":[\"");
        if (v && (!next || v < next)) copy_string(v + 11, first, sizeof first);
        names++;

        char good[512], bad[160], value[300];
        const char *wrong = "5";
        if (strcmp(type, "text") == 0) {
            const char *text = strcmp(name, "api_key") == 0                                ? KEY
                               : strcmp(name, "url") == 0 || strcmp(name, "endpoint") == 0 ? URL
                               : strstr(name, "_url") != NULL                               ? "http://127.0.0.1:9/"
                                                                                            : "/nonexistent/ca.pem";
            snprintf(value, sizeof value, "\"%s\"", text);
            wrong = "5";
        } else if (strcmp(type, "choice") == 0) {
            snprintf(value, sizeof value, "\"%s\"", first);
            wrong = "\"no-such-choice\"";
        } else if (strcmp(type, "millis") == 0) {
            snprintf(value, sizeof value, "1234");
            wrong = "\"soon\"";
        } else if (strcmp(type, "flag") == 0) {
            snprintf(value, sizeof value, "true");
            wrong = "\"yes\"";
        } else if (strcmp(type, "text_list") == 0) {
            snprintf(value, sizeof value, "[\"h.example\"]");
            wrong = "\"h.example\"";
        } else {
            CHECK(strcmp(type, "count") == 0, "%s: a known type, not \"%s\"", name, type);
            snprintf(value, sizeof value, "4096");
            wrong = "-1";
        }
        if (strncmp(name, "reconnect.", 10) == 0) {
            snprintf(good, sizeof good, "{\"reconnect\": {\"%s\": %s}}", name + 10, value);
            snprintf(bad, sizeof bad, "{\"reconnect\": {\"%s\": %s}}", name + 10, wrong);
        } else {
            snprintf(good, sizeof good, "{\"%s\": %s}", name, value);
            snprintf(bad, sizeof bad, "{\"%s\": %s}", name, wrong);
        }
        captivate_result rc = captivate_options_set_json(o, good);
        CHECK(rc == CAPTIVATE_RESULT_OK, "%s: %s (%s)", good, captivate_result_name(rc), captivate_last_error_message());
        rc = captivate_options_set_json(o, bad);
        CHECK(rc == CAPTIVATE_RESULT_INVALID_ARGUMENT, "%s: %s", bad, captivate_result_name(rc));
    }
    CHECK(names >= 30, "every option is listed (%d)", names);
    CHECK_RC(captivate_options_set_json(o, "{\"no_such_option\": 1}"), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(captivate_last_error_message(), "no_such_option") != NULL, "the message names it: %s",
          captivate_last_error_message());
    CHECK_RC(captivate_options_set_json(o, "{not json"), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_options_set_json(o, "[1]"), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_options_set_json(o, NULL), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_options_set_json(NULL, "{}"), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_options_free(o), CAPTIVATE_RESULT_OK);

    /* Options set by name (camelCase too) take effect, and a refused call changes nothing. */
    o = NULL;
    CHECK_RC(captivate_options_new(KEY, &o), CAPTIVATE_RESULT_OK);
    char json[512];
    snprintf(json, sizeof json,
             "{\"url\": \"%s\", \"requestTimeoutMs\": 3000, \"reconnect\": {\"initialDelayMs\": 50}, \"max_frame_size\": 2048}",
             URL);
    CHECK_RC(captivate_options_set_json(o, json), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_json(o, "{\"max_frame_size\": 65536, \"request_timeout_ms\": \"soon\"}"),
             CAPTIVATE_RESULT_INVALID_ARGUMENT);
    captivate_client *c = NULL;
    CHECK_RC(captivate_client_connect(o, NULL, NULL, NULL, &c), CAPTIVATE_RESULT_OK);
    char *conv = NULL;
    CHECK_RC(captivate_client_start_conversation(c, "by-name", "{\"start\": \"user-first\"}", 0, &conv), CAPTIVATE_RESULT_OK);
    char big[4096];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK_RC(captivate_conversation_send_message(c, conv, big, NULL, 0, NULL), CAPTIVATE_RESULT_FRAME_TOO_LARGE);
    captivate_string_free(conv);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_free(o), CAPTIVATE_RESULT_OK);
}

/* ----- one feed: each event once, in one order ----- */

#define SENDS 300
#define LAST_SEND "299"

static void test_each_event_once_in_one_order(void) {
    recorder r;
    rec_init(&r);
    captivate_client *c = connect_client(&r);
    char *a = NULL, *b = NULL;
    CHECK_RC(captivate_client_start_conversation(c, "order-a", "{\"start\": \"user-first\"}", 0, &a), CAPTIVATE_RESULT_OK);

    /* With exactly one conversation open, an event that names none belongs to it and to the
     * client: the callback still gets it once. Everything the hub sends afterwards comes after
     * it, so once the echo of a later message is here, any second copy would be too. */
    CHECK(hub_control("/control/push", "{\"action\": \"receiveMessage\", \"event\": {\"event_type\": \"mystery_event\", "
                                       "\"event_payload\": {\"n\": 1}, \"event_id\": \"mystery-1\"}}"),
          "the hub pushes an unknown event");
    CHECK_RC(captivate_conversation_send_message(c, a, "after", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_count(&r, &r.after_echoes, 1), "the echo of the message sent after it");
    pthread_mutex_lock(&r.lock);
    CHECK(r.mysteries == 1, "the unknown event reached the callback %d times, not once", r.mysteries);
    CHECK(strcmp(r.mystery_conversation, a) == 0, "it belongs to the one open conversation: %s", r.mystery_conversation);
    const char *m = strstr(r.order, "mystery");
    CHECK(m && strstr(m, "echo:after"), "in the order the hub sent them: %s", r.order);
    pthread_mutex_unlock(&r.lock);

    /* Events of two conversations, in the order the hub sent them; many calls in flight, each
     * completing once. */
    CHECK_RC(captivate_client_start_conversation(c, "order-b", "{\"start\": \"user-first\"}", 0, &b), CAPTIVATE_RESULT_OK);
    completion k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};
    static char expected[4096];
    expected[0] = '\0';
    for (int i = 0; i < SENDS; i++) {
        char text[16], token[24];
        snprintf(text, sizeof text, "m%d", i);
        CHECK_RC(captivate_conversation_send_message_async(c, i % 2 ? b : a, text, NULL, on_complete, &k), CAPTIVATE_RESULT_OK);
        snprintf(token, sizeof token, "echo:%s ", text);
        strcat(expected, token);
    }
    CHECK(wait_completion(&k, SENDS) && k.calls == SENDS, "every send completes once (%d)", k.calls);
    CHECK(wait_text(&r, "You said: m" LAST_SEND), "the last echo arrives");
    pthread_mutex_lock(&r.lock);
    CHECK(strstr(r.order, expected) != NULL, "the echoes of both conversations in order: %s", r.order);
    pthread_mutex_unlock(&r.lock);

    /* State changes take their place among the events. */
    CHECK(hub_control("/control/drop", "{}"), "the hub drops the connection");
    CHECK(wait_count(&r, &r.connected_states, 2), "connected again");
    CHECK_RC(captivate_conversation_send_message(c, b, "after", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_count(&r, &r.after_echoes, 2), "the echo after the reconnect");
    pthread_mutex_lock(&r.lock);
    const char *last = strstr(r.order, "echo:m" LAST_SEND);
    const char *down = last ? strstr(last, "state:disconnected") : NULL;
    const char *up = down ? strstr(down, "state:connected") : NULL;
    CHECK(up && strstr(up, "echo:after"), "echoes, the drop, the reconnect, the next echo, in order: %s", r.order);
    CHECK(down && !strstr(down + 1, "state:disconnected"), "one state change, delivered once: %s", r.order);
    pthread_mutex_unlock(&r.lock);
    captivate_string_free(a);
    captivate_string_free(b);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    rec_destroy(&r);
}

/* ----- reconnecting ----- */

typedef struct {
    completion k;
    captivate_client *client;
    captivate_state state; /* read inside the completion callback */
} reconnection;

static void on_reconnected(void *userdata, captivate_result result, const char *json) {
    reconnection *x = userdata;
    captivate_client_state(x->client, &x->state);
    on_complete(&x->k, result, json);
}

static void test_reconnect_waits(void) {
    recorder r;
    rec_init(&r);
    captivate_client *c = connect_client(&r);
    char *conv = NULL;
    CHECK_RC(captivate_client_start_conversation(c, "again", "{\"start\": \"user-first\"}", 0, &conv), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_close(c), CAPTIVATE_RESULT_OK);

    /* After close, calls fail at once with CLOSED, blocking or not. */
    CHECK_RC(captivate_conversation_send_message(c, conv, "late", NULL, 0, NULL), CAPTIVATE_RESULT_CLOSED);
    completion k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};
    CHECK_RC(captivate_conversation_send_message_async(c, conv, "late", NULL, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 1) && k.result == CAPTIVATE_RESULT_CLOSED, "closed: %s", captivate_result_name(k.result));

    /* The non-blocking form completes once connected. */
    reconnection x = {{PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""}, c, CAPTIVATE_STATE_INITIALIZED};
    CHECK_RC(captivate_client_reconnect_async(c, on_reconnected, &x), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&x.k, 1) && x.k.result == CAPTIVATE_RESULT_OK, "reconnected: %s", captivate_result_name(x.k.result));
    CHECK(x.state == CAPTIVATE_STATE_CONNECTED, "connected when the completion runs (%d)", (int)x.state);
    CHECK_RC(captivate_conversation_send_message(c, conv, "back", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_text(&r, "You said: back"), "events flow again");
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_reconnect(c), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_client_reconnect_async(c, on_complete, &k), CAPTIVATE_RESULT_INVALID_HANDLE);
    captivate_string_free(conv);

    /* Without a hub, reconnecting fails with the reason, blocking or not. */
    captivate_options *o = NULL;
    CHECK_RC(captivate_options_new(KEY, &o), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_json(o, "{\"url\": \"ws://127.0.0.1:1/dev\", \"reconnect\": {\"enabled\": false}}"),
             CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_new(o, NULL, NULL, NULL, &c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_reconnect(c), CAPTIVATE_RESULT_CONNECT);
    x.client = c;
    CHECK_RC(captivate_client_reconnect_async(c, on_reconnected, &x), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&x.k, 2) && x.k.result == CAPTIVATE_RESULT_CONNECT && strstr(x.k.json, "\"kind\":\"connect\""),
          "failed: %s %s", captivate_result_name(x.k.result), x.k.json);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_free(o), CAPTIVATE_RESULT_OK);
    rec_destroy(&r);
}

/* ----- logs ----- */

#define WRONG_KEY "sk-c-wrong-7Hq2Zx"

typedef struct {
    pthread_mutex_t lock;
    int records, max_level, bad_level, key_seen, redacted, connection_lost, from_log_crate, trace;
    char leak[256];
} log_recorder;

static void on_log(void *userdata, int level, const char *target, const char *message) {
    log_recorder *l = userdata;
    pthread_mutex_lock(&l->lock);
    l->records++;
    if (level < CAPTIVATE_LOG_LEVEL_ERROR || level > CAPTIVATE_LOG_LEVEL_TRACE) l->bad_level++;
    if (level > l->max_level) l->max_level = level;
    if (level == CAPTIVATE_LOG_LEVEL_TRACE) l->trace++;
    if (strstr(message, KEY) || strstr(target, KEY) || strstr(message, WRONG_KEY)) {
        if (!l->key_seen++) snprintf(l->leak, sizeof l->leak, "%s: %.200s", target, message);
    }
    if (strstr(message, "[redacted]")) l->redacted++;
    if (strncmp(target, "captivate", 9) == 0 && strstr(message, "connection lost")) l->connection_lost++;
    if (strncmp(target, "tungstenite", 11) == 0) l->from_log_crate++;
    pthread_mutex_unlock(&l->lock);
}

static void test_logs(void) {
    log_recorder l = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0, 0, 0, 0, ""};
    CHECK_RC(captivate_set_log_callback(6, on_log, &l), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_set_log_callback(-1, on_log, &l), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_set_log_callback(CAPTIVATE_LOG_LEVEL_TRACE, on_log, &l), CAPTIVATE_RESULT_OK);

    /* A session: connect, start, a message that quotes the key, a drop, a wrong key. */
    recorder r;
    rec_init(&r);
    captivate_client *c = connect_client(&r);
    char *conv = NULL;
    CHECK_RC(captivate_client_start_conversation(c, "logged", "{\"start\": \"user-first\"}", 0, &conv), CAPTIVATE_RESULT_OK);
    char text[128];
    snprintf(text, sizeof text, "the key is %s", KEY);
    CHECK_RC(captivate_conversation_send_message(c, conv, text, NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(hub_control("/control/drop", "{}"), "the hub drops the connection");
    CHECK(wait_count(&r, &r.connected_states, 2), "connected again");
    CHECK_RC(captivate_conversation_send_message(c, conv, "after the drop", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    captivate_options *o = options(WRONG_KEY);
    captivate_client *wrong = NULL;
    CHECK_RC(captivate_client_connect(o, NULL, NULL, NULL, &wrong), CAPTIVATE_RESULT_REJECTED);
    CHECK_RC(captivate_options_free(o), CAPTIVATE_RESULT_OK);

    /* At warn, only warnings and errors: a malformed frame is one. */
    log_recorder w = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0, 0, 0, 0, ""};
    CHECK_RC(captivate_set_log_callback(CAPTIVATE_LOG_LEVEL_WARN, on_log, &w), CAPTIVATE_RESULT_OK);
    int seen = l.records;
    CHECK(hub_control("/control/push_text", "{not json"), "the hub sends a malformed frame");
    CHECK(wait_count(&r, &r.malformed, 1), "the malformed frame is reported");
    CHECK_RC(captivate_client_close(c), CAPTIVATE_RESULT_OK);
    CHECK(l.records == seen, "the replaced callback is not called any more (%d, %d)", l.records, seen);
    CHECK(w.records >= 1 && w.max_level <= CAPTIVATE_LOG_LEVEL_WARN, "warnings only: %d records, level %d", w.records,
          w.max_level);

    /* Off: nothing more. */
    CHECK_RC(captivate_set_log_callback(CAPTIVATE_LOG_LEVEL_OFF, NULL, NULL), CAPTIVATE_RESULT_OK);
    int warned = w.records;
    CHECK_RC(captivate_client_reconnect(c), CAPTIVATE_RESULT_OK);
    CHECK(hub_control("/control/push_text", "{not json"), "another malformed frame");
    CHECK(wait_count(&r, &r.malformed, 2), "reported");
    CHECK(w.records == warned, "no record once off");
    captivate_string_free(conv);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);

    CHECK(l.records > 0 && l.bad_level == 0, "records at trace: %d (%d with a bad level)", l.records, l.bad_level);
    CHECK(l.trace > 0, "trace records arrive");
    CHECK(l.connection_lost >= 1, "the drop is logged");
    CHECK(l.from_log_crate > 0, "records of the WebSocket library arrive too");
    CHECK(l.key_seen == 0 && w.key_seen == 0, "the API key is in no record (%d): %s", l.key_seen, l.leak);
    CHECK(l.redacted > 0, "the records that quoted the key (the message's frames) have it removed");
    rec_destroy(&r);
}

/* ----- the official client's HTTP services: files, presigned links, several keys, HTTP ----- */

/* Starts a conversation that waits for the user (no greeting). */
static char *start_quiet(captivate_client *c, const char *user) {
    char *conv = NULL;
    CHECK_RC(captivate_client_start_conversation(c, user, "{\"start\": \"user-first\"}", 0, &conv), CAPTIVATE_RESULT_OK);
    return conv;
}

/* Writes `text` to a new file `name` in a new temporary directory; gives its path in `path`. */
static int temp_file(const char *name, const char *text, char *dir, size_t dir_size, char *path, size_t path_size) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, dir_size, "%s/captivate-c-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) return 0;
    snprintf(path, path_size, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return 0;
    int ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

/* GETs a presigned link; returns the status and, when `want` is not NULL, whether the body
 * is exactly `want` (else 0). */
static int fetch_link(const char *url, const char *want) {
    char *body = NULL;
    int status = hub_http("GET", url, NULL, &body);
    int ok = !want || (body && strcmp(body, want) == 0);
    free(body);
    return ok ? status : 0;
}

static void test_uploads_and_presigned_links(void) {
    recorder r;
    rec_init(&r);
    captivate_client *c = connect_client(&r);
    char *conv = start_quiet(c, "files-user");
    CHECK_RC(captivate_conversation_set_time_to_live(c, conv, 7, 0), CAPTIVATE_RESULT_OK);

    /* From memory: the text is extracted, the file kept under the conversation. */
    const char *notes = "hello from memory\n";
    char *file = NULL;
    CHECK_RC(captivate_conversation_upload_file(c, conv, (const uint8_t *)notes, strlen(notes), "{\"filename\": \"notes.txt\"}",
                                                0, &file),
             CAPTIVATE_RESULT_OK);
    char key[512] = "", link[1024] = "", text[256] = "";
    json_string(file, "fileKey", key, sizeof key);
    json_string(file, "presignedUrl", link, sizeof link);
    const char *tc = file ? strstr(file, "\"textContent\":") : NULL;
    json_string(tc, "text", text, sizeof text);
    CHECK(strcmp(text, "hello from memory\\n") == 0, "the extracted text: %s", file ? file : "(null)");
    CHECK(tc && strstr(tc, "\"type\":\"file_content\"") && strstr(tc, "\"originalFileName\":\"notes.txt\""),
          "the text content object: %s", file ? file : "(null)");
    CHECK(strstr(key, conv) != NULL, "filed under the conversation: %s", key);
    CHECK(file && strstr(file, "\"filename\":\"notes.txt\"") && strstr(file, "\"type\":\"text/plain\"") &&
              !strstr(file, "\"url\""),
          "a stored file object without a url: %s", file ? file : "(null)");
    char *files = NULL;
    CHECK(hub_http("GET", "/control/files", NULL, &files) == 200, "the hub lists its files");
    char *stored = json_element_with(files, key);
    CHECK(stored && strstr(stored, "\"ttlDays\":7"), "kept with the conversation's time-to-live: %s", stored ? stored : "(null)");
    free(stored);
    free(files);
    CHECK(fetch_link(link, notes) == 200, "the presigned link serves the bytes: %s", link);

    /* The file object is sent as it is, with a text, as the official client sends it. */
    char *msg_id = NULL;
    CHECK_RC(captivate_conversation_send_message(c, conv, "see the notes", file, 0, &msg_id), CAPTIVATE_RESULT_OK);
    CHECK(wait_text(&r, "received 1 file"), "the hub acknowledges the file");
    char *frame = msg_id ? received_with(msg_id) : NULL;
    CHECK(frame && strstr(frame, key) && strstr(frame, "\"textContent\"") && strstr(frame, "\"text\":\"see the notes\"") &&
              strstr(frame, "\"files\":[") && !strstr(frame, "\"type\":\"text\""),
          "the hub received {text, files} with the file object: %s", frame ? frame : "(null)");
    free(frame);
    captivate_string_free(msg_id);

    /* From a path: the name comes from the path; sent in an array with the first. */
    char dir[256], path[320];
    CHECK(temp_file("report.md", "# Report\nAll good.\n", dir, sizeof dir, path, sizeof path), "a temporary file");
    char *report = NULL;
    CHECK_RC(captivate_conversation_upload_file_path(c, conv, path, NULL, 0, &report), CAPTIVATE_RESULT_OK);
    CHECK(report && strstr(report, "\"filename\":\"report.md\"") && strstr(report, "\"type\":\"text/markdown\"") &&
              strstr(report, "All good.\\n"),
          "uploaded from the path: %s", report ? report : "(null)");
    remove(path);
    rmdir(dir);
    char both[4096];
    snprintf(both, sizeof both, "[%s, %s]", file ? file : "{}", report ? report : "{}");
    CHECK_RC(captivate_conversation_send_message(c, conv, NULL, both, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_text(&r, "received 2 file"), "two files acknowledged");
    captivate_string_free(report);

    /* Not stored: the message points at the given url. */
    const uint8_t binary[] = {0, 159, 146, 150};
    char *linked = NULL;
    CHECK_RC(captivate_conversation_upload_file(c, conv, binary, sizeof binary,
                                                "{\"fileName\": \"b.bin\", \"storage\": false, \"url\": \"https://example.com/b.bin\"}",
                                                0, &linked),
             CAPTIVATE_RESULT_OK);
    CHECK(linked && strstr(linked, "\"url\":\"https://example.com/b.bin\"") && !strstr(linked, "\"storage\"") &&
              strstr(linked, "\"type\":\"application/octet-stream\""),
          "a linked file: %s", linked ? linked : "(null)");
    captivate_string_free(linked);

    /* Non-blocking forms; an upload without a conversation. */
    completion k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};
    CHECK_RC(captivate_conversation_upload_file_async(c, conv, (const uint8_t *)"async bytes", 11,
                                                      "{\"filename\": \"a.txt\", \"ttl_days\": 30}", on_complete, &k),
             CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 1) && k.result == CAPTIVATE_RESULT_OK && strstr(k.json, "\"text\":\"async bytes\""),
          "upload completes: %s", k.json);
    CHECK(temp_file("later.txt", "read at once", dir, sizeof dir, path, sizeof path), "a temporary file");
    CHECK_RC(captivate_conversation_upload_file_path_async(c, NULL, path, "{\"content_type\": \"text/plain\"}", on_complete, &k),
             CAPTIVATE_RESULT_OK);
    /* The file was read before the call returned. */
    remove(path);
    rmdir(dir);
    CHECK(wait_completion(&k, 2) && k.result == CAPTIVATE_RESULT_OK && strstr(k.json, "\"text\":\"read at once\"") &&
              strstr(k.json, "\"fileKey\":\"uploads/"),
          "path upload completes, not filed under a conversation: %s", k.json);

    /* Presigned links. */
    char *url = NULL;
    CHECK_RC(captivate_client_presigned_url(c, key, 60, 0, &url), CAPTIVATE_RESULT_OK);
    CHECK(url && strcmp(url, link) != 0 && fetch_link(url, notes) == 200, "a new link: %s", url ? url : "(null)");
    captivate_string_free(url);
    CHECK_RC(captivate_client_presigned_url_async(c, key, 0, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 3) && k.result == CAPTIVATE_RESULT_OK && strstr(k.json, "{\"presigned_url\":\"http"),
          "presigned completes: %s", k.json);
    CHECK_RC(captivate_client_presigned_url(c, "no/such/key", 0, 0, &url), CAPTIVATE_RESULT_HTTP);
    CHECK(strstr(captivate_last_error_message(), "fileKey") != NULL, "the service's reason: %s", captivate_last_error_message());
    CHECK_RC(captivate_client_presigned_url(c, key, 30 * 24 * 3600, 0, &url), CAPTIVATE_RESULT_HTTP);
    CHECK_RC(captivate_client_presigned_url(c, "", 0, 0, &url), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_client_presigned_url(c, NULL, 0, 0, &url), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_client_presigned_url_async(c, "", 0, on_complete, &k), CAPTIVATE_RESULT_INVALID_ARGUMENT);

    /* Bad arguments: typed codes, nothing sent, no callback. */
    const uint8_t *b = (const uint8_t *)"x";
    char *none = NULL;
    CHECK_RC(captivate_conversation_upload_file(NULL, conv, b, 1, "{\"filename\": \"x.txt\"}", 0, &none), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_conversation_upload_file(c, conv, NULL, 5, "{\"filename\": \"x.txt\"}", 0, &none), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_conversation_upload_file(c, conv, b, 1, "{\"filename\": \"  \"}", 0, &none), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(captivate_last_error_message(), "name") != NULL, "a blank name is refused: %s", captivate_last_error_message());
    char *unnamed = NULL;
    CHECK_RC(captivate_conversation_upload_file(c, conv, b, 1, NULL, 0, &unnamed), CAPTIVATE_RESULT_OK);
    CHECK(unnamed != NULL && strstr(unnamed, "\"filename\":\"attachment_") != NULL, "no options: the default name: %s",
          unnamed ? unnamed : "(null)");
    captivate_string_free(unnamed);
    CHECK_RC(captivate_conversation_upload_file(c, conv, b, 1, "{\"filename\": \"x.txt\", \"colour\": 1}", 0, &none),
             CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(captivate_last_error_message(), "colour") != NULL, "the unknown option is named: %s", captivate_last_error_message());
    CHECK_RC(captivate_conversation_upload_file(c, conv, b, 1, "{\"filename\": \"x.txt\", \"ttl_days\": 5}", 0, &none),
             CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_conversation_upload_file(c, conv, b, 1, "{\"filename\": \"x.txt\", \"storage\": \"yes\"}", 0, &none),
             CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_conversation_upload_file(c, conv, b, 1, "{\"filename\": \"x.txt\", \"storage\": false}", 0, &none),
             CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_conversation_upload_file(c, conv, b, 1, "{not json", 0, &none), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_conversation_upload_file(c, conv, b, 1, "[\"x.txt\"]", 0, &none), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_conversation_upload_file(c, "", b, 1, "{\"filename\": \"x.txt\"}", 0, &none), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_conversation_upload_file_async(c, conv, b, 1, "{\"ttlDays\": 5}", on_complete, &k),
             CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(captivate_last_error_message(), "ttlDays must be 1, 7, 30 or 90") != NULL, "the schema's words: %s",
          captivate_last_error_message());
    CHECK_RC(captivate_conversation_upload_file_path(c, conv, "/nonexistent/dir/notes.txt", NULL, 0, &none),
             CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(captivate_last_error_message(), "/nonexistent/dir/notes.txt") != NULL, "the path is named: %s",
          captivate_last_error_message());
    CHECK_RC(captivate_conversation_upload_file_path(c, conv, "/", NULL, 0, &none), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_conversation_upload_file_path(c, conv, NULL, NULL, 0, &none), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_conversation_upload_file_path_async(c, conv, "/nonexistent/x", NULL, on_complete, &k),
             CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK(none == NULL, "nothing written on failure");
    CHECK(k.calls == 3, "no completion for a refused call (%d)", k.calls);
    /* Files that are neither an array nor an object, or objects the hub cannot reach. */
    CHECK_RC(captivate_conversation_send_message(c, conv, "x", "\"notes.txt\"", 0, NULL), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_conversation_send_message(c, conv, "x", "{\"filename\": \"x.txt\"}", 0, NULL),
             CAPTIVATE_RESULT_INVALID_ARGUMENT);

    captivate_string_free(file);
    captivate_string_free(conv);
    /* A freed client. */
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_conversation_upload_file(c, NULL, b, 1, "{\"filename\": \"x.txt\"}", 0, &none), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_conversation_upload_file_path_async(c, NULL, "/", NULL, on_complete, &k), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_client_presigned_url(c, key, 0, 0, &url), CAPTIVATE_RESULT_INVALID_HANDLE);
    rec_destroy(&r);
}

/* The whole flow with requests POSTed over HTTP, transcripts read over REST, and a link that
 * expired renewed in the transcript and pushed back to the hub. */
static void test_http_transport_and_link_refresh(void) {
    captivate_options *o = options(KEY);
    CHECK_RC(captivate_options_set_transport(o, 7), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_options_set_transport(NULL, CAPTIVATE_TRANSPORT_HTTP), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_options_set_json(o, "{\"transport\": \"carrier-pigeon\"}"), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_options_set_json(o, "{\"transport\": \"http\"}"), CAPTIVATE_RESULT_OK);
    recorder r;
    rec_init(&r);
    captivate_client *c = NULL;
    CHECK_RC(captivate_client_connect(o, on_event, &r, on_free, &c), CAPTIVATE_RESULT_OK);
    captivate_options_free(o);

    char *conv = NULL;
    CHECK_RC(captivate_client_start_conversation(c, "http-user", NULL, 0, &conv), CAPTIVATE_RESULT_OK);
    CHECK(wait_text(&r, "Captivate Bot"), "the greeting arrives on the socket");
    char *msg_id = NULL;
    CHECK_RC(captivate_conversation_send_message(c, conv, "over http", NULL, 0, &msg_id), CAPTIVATE_RESULT_OK);
    CHECK(wait_text(&r, "You said: over http"), "the echo arrives");
    char *frame = msg_id ? received_with(msg_id) : NULL;
    CHECK(frame && strstr(frame, "\"via\":\"http\""), "the message was POSTed: %s", frame ? frame : "(null)");
    free(frame);
    captivate_string_free(msg_id);
    CHECK_RC(captivate_conversation_set_metadata(c, conv, "{\"plan\": \"http\"}", NULL, 0), CAPTIVATE_RESULT_OK);
    char *json = NULL;
    CHECK_RC(captivate_conversation_get_metadata(c, conv, 0, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && strstr(json, "\"plan\":\"http\""), "metadata over http: %s", json ? json : "(null)");
    captivate_string_free(json);

    /* A file sent over HTTP; its link expires; the transcript (over REST) renews it. */
    char *file = NULL;
    CHECK_RC(captivate_conversation_upload_file(c, conv, (const uint8_t *)"quarterly figures", 17,
                                                "{\"filename\": \"figures.txt\"}", 0, &file),
             CAPTIVATE_RESULT_OK);
    char key[512] = "", old_link[1024] = "", body[1024];
    json_string(file, "fileKey", key, sizeof key);
    json_string(file, "presignedUrl", old_link, sizeof old_link);
    CHECK_RC(captivate_conversation_send_message(c, conv, "the figures", file, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_text(&r, "received 1 file"), "the file is acknowledged");
    snprintf(body, sizeof body, "{\"fileKey\": \"%s\"}", key);
    CHECK(hub_control("/control/expire-file", body), "the hub expires the link");
    CHECK(fetch_link(old_link, NULL) == 403, "the old link is refused");
    CHECK_RC(captivate_conversation_get_transcript(c, conv, 0, &json), CAPTIVATE_RESULT_OK);
    const char *entries = json ? strstr(json, "\"entries\":") : NULL;
    char *entry = entries ? json_element_with(entries + 10, key) : NULL;
    char new_link[1024] = "";
    const char *files_at = entry ? strstr(entry, "\"files\":") : NULL;
    json_string(files_at, "presignedUrl", new_link, sizeof new_link);
    CHECK(entry && strstr(entry, "the figures") && new_link[0] && strcmp(new_link, old_link) != 0,
          "the transcript has a new link: %s", entry ? entry : "(null)");
    CHECK(fetch_link(new_link, "quarterly figures") == 200, "the new link works: %s", new_link);
    char *edit = received_with("\"event_type\":\"edit_message\"");
    CHECK(edit && strstr(edit, new_link) && strstr(edit, "\"via\":\"http\""), "the new link was pushed back over http: %s",
          edit ? edit : "(null)");
    free(edit);
    free(entry);
    captivate_string_free(json);
    captivate_string_free(file);

    /* The transcript's non-blocking form, and an upload's failure reported as HTTP. */
    completion k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};
    CHECK_RC(captivate_conversation_get_transcript_async(c, conv, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 1) && k.result == CAPTIVATE_RESULT_OK && strstr(k.json, "\"entries\""), "transcript completes");
    CHECK(hub_control("/control/faults", "{\"http_status\": 503, \"http_paths\": [\"/api/file-to-text\"]}"), "faults set");
    CHECK_RC(captivate_conversation_upload_file_async(c, conv, (const uint8_t *)"x", 1, "{\"filename\": \"x.txt\"}",
                                                      on_complete, &k),
             CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 2) && k.result == CAPTIVATE_RESULT_HTTP && strstr(k.json, "\"kind\":\"http\""),
          "the service's failure: %s %s", captivate_result_name(k.result), k.json);
    CHECK(hub_control("/control/faults", "{}"), "faults cleared");
    captivate_string_free(conv);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    rec_destroy(&r);

    /* With the refresh turned off, the expired link is given as it is (the HTTP transport
     * chosen by the typed setter this time). */
    o = options(KEY);
    CHECK_RC(captivate_options_set_transport(o, CAPTIVATE_TRANSPORT_SOCKET), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_transport(o, CAPTIVATE_TRANSPORT_HTTP), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_refresh_file_links(o, false), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_refresh_file_links(NULL, false), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_client_connect(o, NULL, NULL, NULL, &c), CAPTIVATE_RESULT_OK);
    captivate_options_free(o);
    conv = start_quiet(c, "no-refresh");
    CHECK_RC(captivate_conversation_upload_file(c, conv, (const uint8_t *)"kept", 4, "{\"filename\": \"kept.txt\"}", 0, &file),
             CAPTIVATE_RESULT_OK);
    json_string(file, "fileKey", key, sizeof key);
    json_string(file, "presignedUrl", old_link, sizeof old_link);
    CHECK_RC(captivate_conversation_send_message(c, conv, NULL, file, 0, &msg_id), CAPTIVATE_RESULT_OK);
    frame = msg_id ? received_with(msg_id) : NULL;
    CHECK(frame && strstr(frame, "\"via\":\"http\"") && strstr(frame, key), "the file was POSTed: %s", frame ? frame : "(null)");
    free(frame);
    captivate_string_free(msg_id);
    snprintf(body, sizeof body, "{\"fileKey\": \"%s\"}", key);
    CHECK(hub_control("/control/expire-file", body), "the hub expires the link");
    CHECK_RC(captivate_conversation_get_transcript(c, conv, 0, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && strstr(json, old_link), "the old link is kept: %s", json ? json : "(null)");
    captivate_string_free(json);
    captivate_string_free(file);
    captivate_string_free(conv);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
}

/* The client index the listing gives for a conversation, or -1. */
static int index_of(const char *listing, const char *conversation) {
    const char *array = listing ? strstr(listing, "\"conversations\":") : NULL;
    char needle[256];
    snprintf(needle, sizeof needle, "\"conversation_id\":\"%s\"", conversation);
    char *entry = array ? json_element_with(array + 16, needle) : NULL;
    const char *at = entry ? strstr(entry, "\"client_index\":") : NULL;
    int index = at ? atoi(at + 15) : -1;
    free(entry);
    return index;
}

static void test_list_across_keys(void) {
    recorder r1, r2;
    rec_init(&r1);
    rec_init(&r2);
    captivate_client *one = connect_client(&r1);
    captivate_options *o = options(KEY2);
    captivate_client *two = NULL;
    CHECK_RC(captivate_client_connect(o, on_event, &r2, on_free, &two), CAPTIVATE_RESULT_OK);
    captivate_options_free(o);
    char *a = start_quiet(one, "across-user");
    char *b = start_quiet(two, "across-user");

    captivate_client *both[2] = {one, two};
    char *json = NULL;
    CHECK_RC(captivate_list_across(both, 2, "across-user", NULL, 0, &json), CAPTIVATE_RESULT_OK);
    CHECK(index_of(json, a) == 0 && index_of(json, b) == 1, "each on the client of its key: %s", json ? json : "(null)");
    CHECK(json && strstr(json, "\"pagination\""), "with the paging information");
    captivate_string_free(json);

    /* The conversation of the second key works through its client. */
    CHECK_RC(captivate_conversation_send_message(two, b, "through my key", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_text(&r2, "You said: through my key"), "its events reach its client's callback");

    /* The order of the clients gives the indexes; the keys can be narrowed. */
    captivate_client *swapped[2] = {two, one};
    CHECK_RC(captivate_list_across(swapped, 2, "across-user", NULL, 0, &json), CAPTIVATE_RESULT_OK);
    CHECK(index_of(json, a) == 1 && index_of(json, b) == 0, "indexes follow the array: %s", json ? json : "(null)");
    captivate_string_free(json);
    char only[256];
    snprintf(only, sizeof only, "{\"api_keys\": [\"%s\"]}", KEY2);
    CHECK_RC(captivate_list_across(both, 2, "across-user", only, 0, &json), CAPTIVATE_RESULT_OK);
    CHECK(index_of(json, a) == -1 && index_of(json, b) == 1, "only the second key's: %s", json ? json : "(null)");
    captivate_string_free(json);
    json = NULL;
    completion k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};
    CHECK_RC(captivate_list_across_async(both, 2, "across-user", "{\"limit\": 10}", on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 1) && k.result == CAPTIVATE_RESULT_OK && index_of(k.json, a) == 0 && index_of(k.json, b) == 1,
          "the non-blocking form: %s", k.json);

    /* A conversation of a key none of the clients has. */
    char keys[256];
    snprintf(keys, sizeof keys, "{\"api_keys\": [\"%s\", \"%s\"]}", KEY, KEY2);
    CHECK_RC(captivate_list_across(both, 1, "across-user", keys, 0, &json), CAPTIVATE_RESULT_PROTOCOL);

    /* Misuse. */
    captivate_client *with_null[2] = {one, NULL};
    CHECK_RC(captivate_list_across(NULL, 2, "across-user", NULL, 0, &json), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_list_across(both, 0, "across-user", NULL, 0, &json), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_list_across(with_null, 2, "across-user", NULL, 0, &json), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_list_across(both, 2, NULL, NULL, 0, &json), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_list_across(both, 2, "across-user", "[1]", 0, &json), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_list_across(both, 2, "across-user", "{\"page\": \"one\"}", 0, &json), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_list_across_async(both, 2, "across-user", "{\"page\": \"one\"}", on_complete, &k),
             CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK(json == NULL && k.calls == 1, "nothing written, no completion");
    CHECK_RC(captivate_client_free(two), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_list_across(both, 2, "across-user", NULL, 0, &json), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_list_across_async(swapped, 2, "across-user", NULL, on_complete, &k), CAPTIVATE_RESULT_INVALID_HANDLE);
    captivate_string_free(a);
    captivate_string_free(b);
    CHECK_RC(captivate_client_free(one), CAPTIVATE_RESULT_OK);
    rec_destroy(&r1);
    rec_destroy(&r2);
}

/* A copy (free() it) of the `metadata` the listing gives for a conversation, or NULL. */
static char *metadata_of(const char *listing, const char *conversation) {
    const char *array = listing ? strstr(listing, "\"conversations\":") : NULL;
    char needle[256];
    snprintf(needle, sizeof needle, "\"conversation_id\":\"%s\"", conversation);
    char *entry = array ? json_element_with(array + 16, needle) : NULL;
    const char *at = entry ? strstr(entry, "\"metadata\":") : NULL;
    char *metadata = NULL;
    if (at) {
        at += 11;
        metadata = strndup(at, (size_t)(json_end(at) - at));
    }
    free(entry);
    return metadata;
}

/* Whether the listing gives each conversation the metadata it was started with. */
static int lists_metadata(const char *listing, const char *a, const char *b) {
    char *ma = metadata_of(listing, a);
    char *mb = metadata_of(listing, b);
    int ok = ma && mb && ma[0] == '{' && strstr(ma, "\"topic\":\"billing\"") && !strstr(ma, "returns") &&
             mb[0] == '{' && strstr(mb, "\"topic\":\"returns\"") && strstr(mb, "\"order\":42") && !strstr(mb, "billing");
    free(ma);
    free(mb);
    return ok;
}

static void test_list_across_keys_carries_metadata(void) {
    recorder r1, r2;
    rec_init(&r1);
    rec_init(&r2);
    captivate_client *one = connect_client(&r1);
    captivate_options *o = options(KEY2);
    captivate_client *two = NULL;
    CHECK_RC(captivate_client_connect(o, on_event, &r2, on_free, &two), CAPTIVATE_RESULT_OK);
    captivate_options_free(o);
    char *a = NULL, *b = NULL;
    CHECK_RC(captivate_client_start_conversation(one, "across-metadata-user",
                                                 "{\"start\": \"user-first\", \"metadata\": {\"topic\": \"billing\"}}", 0, &a),
             CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_start_conversation(two, "across-metadata-user",
                                                 "{\"start\": \"user-first\", \"metadata\": {\"topic\": \"returns\", \"order\": 42}}",
                                                 0, &b),
             CAPTIVATE_RESULT_OK);

    captivate_client *both[2] = {one, two};
    char *json = NULL;
    CHECK_RC(captivate_list_across(both, 2, "across-metadata-user", NULL, 0, &json), CAPTIVATE_RESULT_OK);
    CHECK(index_of(json, a) == 0 && index_of(json, b) == 1, "each on the client of its key: %s", json ? json : "(null)");
    CHECK(lists_metadata(json, a, b), "each conversation with its own metadata: %s", json ? json : "(null)");
    captivate_string_free(json);

    /* A filter on the metadata narrows the listing; what is listed still carries it. */
    CHECK_RC(captivate_list_across(both, 2, "across-metadata-user", "{\"filter\": {\"topic\": \"returns\"}}", 0, &json),
             CAPTIVATE_RESULT_OK);
    char *mb = metadata_of(json, b);
    CHECK(index_of(json, a) == -1 && mb && strstr(mb, "\"order\":42"), "filtered, with its metadata: %s",
          json ? json : "(null)");
    free(mb);
    captivate_string_free(json);

    completion k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};
    CHECK_RC(captivate_list_across_async(both, 2, "across-metadata-user", NULL, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK(wait_completion(&k, 1) && k.result == CAPTIVATE_RESULT_OK && lists_metadata(k.json, a, b),
          "the non-blocking form carries it too: %s", k.json);

    captivate_string_free(a);
    captivate_string_free(b);
    CHECK_RC(captivate_client_free(two), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_free(one), CAPTIVATE_RESULT_OK);
    rec_destroy(&r1);
    rec_destroy(&r2);
}

static void test_callbacks_on_the_library_thread(void) {
    recorder r;
    rec_init(&r);
    captivate_client *c = connect_mode(&r, CAPTIVATE_CALLBACKS_LIBRARY_THREAD);
    r.self = c;
    char *conv = NULL;
    CHECK_RC(captivate_client_start_conversation(c, "lib-user", NULL, 0, &conv), CAPTIVATE_RESULT_OK);
    /* Dispatch is for polled clients only. */
    check_calls_from_a_callback(&r, CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK(!pthread_equal(r.cb_thread, pthread_self()), "callbacks do not run on the caller's thread");
#ifdef __linux__
    CHECK(strncmp(r.cb_thread_name, "captivate-rt", 12) == 0, "callbacks run on the library's own thread: %s",
          r.cb_thread_name);
#endif
    int fd = 0;
    CHECK_RC(captivate_client_fd(c, &fd), CAPTIVATE_RESULT_INVALID_ARGUMENT);

    /* A call still waiting when the client is freed completes with CLOSED before free returns. */
    completion k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};
    CHECK_RC(captivate_client_send_raw_async(c, "x", NULL, "never_sent_by_the_hub", NULL, on_complete, &k), CAPTIVATE_RESULT_OK);
    r.self = NULL;
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    CHECK(k.calls == 1 && k.result == CAPTIVATE_RESULT_CLOSED, "pending call closed: %d %s", k.calls,
          captivate_result_name(k.result));
    CHECK(r.frees == 1, "userdata freed when free returns");
    captivate_string_free(conv);

    /* Freed from inside its own callback: teardown ends after that callback. */
    check_free_inside_callback(CAPTIVATE_CALLBACKS_LIBRARY_THREAD, "lib-free-user");
    rec_destroy(&r);
}

static void test_polled_callbacks(void) {
    captivate_options *o = options(KEY);
    CHECK_RC(captivate_options_set_callbacks(o, 3), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_options_set_json(o, "{\"callbacks\": \"sometimes\"}"), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_options_set_json(o, "{\"callbacks\": \"polled\", \"request_timeout_ms\": 4000}"), CAPTIVATE_RESULT_OK);
    CHECK(strstr(captivate_options_schema_json(), "\"callbacks\"") != NULL, "the schema lists callbacks");
    recorder r;
    rec_init(&r);
    captivate_client *c = NULL;
    CHECK_RC(captivate_client_connect(o, on_event, &r, on_free, &c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_free(o), CAPTIVATE_RESULT_OK);
    int fd = -1;
    CHECK_RC(captivate_client_fd(c, &fd), CAPTIVATE_RESULT_OK);
    CHECK(fd >= 0, "a descriptor to poll: %d", fd);
    CHECK_RC(captivate_client_fd(c, NULL), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_client_dispatch(NULL, 0, NULL), CAPTIVATE_RESULT_NULL_POINTER);
    /* Nothing runs until the application dispatches: the connection's state events wait. */
    CHECK(r.events == 0, "no callback before a dispatch (%d)", r.events);
    CHECK(readable(fd), "the descriptor is readable with the state events waiting");
    CHECK(pump_until(c, &r, &r.connected_states, 1), "the connected state arrives through dispatch");
    CHECK(pthread_equal(r.cb_thread, pthread_self()) && r.cb_threads == 1, "callbacks run on the dispatching thread");

    r.self = c;
    char *conv = NULL;
    CHECK_RC(captivate_client_start_conversation(c, "poll-user", NULL, 0, &conv), CAPTIVATE_RESULT_OK);
    CHECK(pump_until(c, &r, &r.async_done, 1), "the async call made inside a callback completes through dispatch");
    CHECK(r.blocking_rc == CAPTIVATE_RESULT_WOULD_DEADLOCK, "blocking inside a callback: %s", captivate_result_name(r.blocking_rc));
    CHECK(r.dispatch_rc == CAPTIVATE_RESULT_WOULD_DEADLOCK, "dispatch inside a callback: %s", captivate_result_name(r.dispatch_rc));
    r.self = NULL;
    CHECK(pump_text(c, &r, "You said: from a callback"), "the message sent from the callback is answered");

    /* A budget: with several events ready, dispatch(1) runs one and the descriptor stays readable. */
    char *id = NULL;
    for (int i = 0; i < 3; i++) {
        char text[32];
        snprintf(text, sizeof text, "budget %d", i);
        CHECK_RC(captivate_conversation_send_message(c, conv, text, NULL, 0, &id), CAPTIVATE_RESULT_OK);
        captivate_string_free(id);
    }
    /* Wait until the three echoes (and the hub's other events) are ready, without running them. */
    char *transcript = NULL;
    int answered = 0;
    for (int tries = 0; tries < 200 && !answered; tries++) {
        CHECK_RC(captivate_conversation_get_transcript(c, conv, 0, &transcript), CAPTIVATE_RESULT_OK);
        answered = transcript && strstr(transcript, "You said: budget 2") != NULL;
        captivate_string_free(transcript);
    }
    CHECK(answered, "the hub answered the three messages");
    size_t ran = 99;
    int events_before = r.events;
    CHECK_RC(captivate_client_dispatch(c, 1, &ran), CAPTIVATE_RESULT_OK);
    CHECK(ran == 1 && r.events == events_before + 1, "one callback ran (%zu, %d events)", ran, r.events - events_before);
    CHECK(readable(fd), "the descriptor stays readable while callbacks are ready");
    CHECK(pump_text(c, &r, "You said: budget 2"), "the rest arrives");
    CHECK(strstr(r.all_text, "You said: budget 0") < strstr(r.all_text, "You said: budget 2"), "in order");

    /* A burst: every echo and every completion comes through the descriptor, none stalls. */
    {
        completion burst = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};
        enum { BURST = 2000 };
        int before = r.bot_messages, refused = 0;
        for (int i = 0; i < BURST; i++) {
            char text[32];
            snprintf(text, sizeof text, "burst %d", i);
            refused += captivate_conversation_send_message_async(c, conv, text, NULL, on_complete, &burst) != CAPTIVATE_RESULT_OK;
        }
        CHECK(refused == 0, "%d sends of the burst refused", refused);
        /* Two thousand round trips: a minute's limit, for the runs under valgrind on a busy machine. */
        at_least echoes = {&r.bot_messages, before + BURST}, completions = {&burst.calls, BURST};
        CHECK(pump_for(c, &r, reached_count, &echoes, 60000) && pump_for(c, &r, reached_count, &completions, 60000),
              "a burst arrives whole through dispatch (%d echoes, %d completions)", r.bot_messages - before, burst.calls);
    }

    /* A blocking close returns at once; `closed` comes with the next dispatch. */
    CHECK_RC(captivate_client_close(c), CAPTIVATE_RESULT_OK);
    CHECK(pump_until(c, &r, &r.closed_states, 1), "closed arrives through dispatch");

    /* Freed with a call waiting: its completion and the userdata's release run on the freeing thread. */
    completion k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};
    CHECK_RC(captivate_client_send_raw_async(c, "x", NULL, "never_sent_by_the_hub", NULL, on_complete, &k), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    CHECK(k.calls == 1 && k.result == CAPTIVATE_RESULT_CLOSED, "pending call closed: %d %s", k.calls,
          captivate_result_name(k.result));
    CHECK(r.frees == 1, "userdata freed when free returns");
    CHECK(pthread_equal(r.cb_thread, pthread_self()) && r.cb_threads == 1, "every callback ran on this thread");
    CHECK_RC(captivate_client_dispatch(c, 0, NULL), CAPTIVATE_RESULT_INVALID_HANDLE);
    captivate_string_free(conv);

    /* Freed from inside its own callback, during a dispatch: teardown ends after that callback. */
    check_free_inside_callback(CAPTIVATE_CALLBACKS_POLLED, "poll-free-user");
    rec_destroy(&r);
}

int main(void) {
    URL = getenv("CAPTIVATE_URL");
    KEY = getenv("CAPTIVATE_API_KEY");
    KEY2 = getenv("CAPTIVATE_API_KEY_2");
    HTTP_URL = getenv("CAPTIVATE_HTTP_URL");
    if (!URL || !KEY || !KEY2 || !HTTP_URL) {
        fprintf(stderr, "CAPTIVATE_URL, CAPTIVATE_API_KEY, CAPTIVATE_API_KEY_2 and CAPTIVATE_HTTP_URL must name a running "
                        "hub (see scripts/with-sim.sh)\n");
        return 2;
    }
    test_version_and_codes();
    test_options_misuse();
    test_connection_errors();
    test_whole_conversation();
    test_async_forms();
    test_reentrancy();
    test_error_codes_provoked();
    test_options_by_name();
    test_each_event_once_in_one_order();
    test_reconnect_waits();
    test_logs();
    test_lazy_client_and_cycles();
    test_uploads_and_presigned_links();
    test_http_transport_and_link_refresh();
    test_list_across_keys();
    test_list_across_keys_carries_metadata();
    test_callbacks_on_the_library_thread();
    test_polled_callbacks();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
