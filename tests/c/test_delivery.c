/*
 * The delivery scenarios of tests/delivery/scenarios.json -- the table the Rust, Python and Node
 * runners read too -- run from C: each scenario for C gets a local hub of its own in the process
 * (captivate_test.h) with the scenario's script, and one client with the scenario's `client`
 * options (captivate_options_set_json); the steps run in order and `expect` is checked exactly
 * (each listener's recorded events, in order; the error kinds of named calls). The table reaches
 * C as build/c/delivery_scenarios.h, which tests/c/delivery_scenarios.py writes from it when
 * `make test-c` builds this program (it is not committed).
 *
 * How the table's words map to the C API:
 * - A listener. C has one listener form: the client's event callback (captivate_client_connect's
 *   `on_event`), which receives every event of the client and of its conversations, each once,
 *   in order, on the client's dispatch thread, from the connect on. A `callback` listener on a
 *   conversation is this program's own: the client's callback hands it the events whose
 *   captivate_event_conversation_id is that conversation's id (on "client": every event). As the
 *   table says of listeners, the events of a conversation that no listener of it heard are kept
 *   (here, by this program) and given to its first listener. `remove_after`: the listener takes
 *   itself off the list inside its own call, once it has recorded that many events.
 * - A `stream` listener, read only by `drain`: C has no such form, and no construct keeps a
 *   bounded backlog for a listener that falls behind. The client's callback listens from the
 *   connect on, and while it does the library keeps nothing for listeners not there yet
 *   (max_backlog bounds only that); what waits for the callback (on the dispatch thread or, in
 *   the polled mode, until captivate_client_dispatch) is kept whole and is never `lagged`. A
 *   stream listener's expectation and its `drain` are reported as not applicable (a line
 *   "n/a"); the rest of the scenario runs and is checked.
 * - What is recorded: bot_message and livechat_message as their text (captivate_event_text),
 *   a hub error as its `code` and a lagged event as its `missed` (from captivate_event_json).
 * - Conversations are named by their id in C (there is no conversation handle): `reopen` is
 *   captivate_client_attach of the id, and its `same` (a handle's identity) is not applicable.
 * - `call_sees` is captivate_conversation_get_metadata_async: its completion callback, on the
 *   client's dispatch thread (where the event callback runs too, one callback at a time), notes
 *   how many events the listener has recorded at that moment; the step waits for that
 *   completion and checks the count noted.
 * - A call's error kind: the `kind` of the completion's JSON when it has one, otherwise the name
 *   of the result code without CAPTIVATE_RESULT_, in lower case (CAPTIVATE_RESULT_WOULD_DEADLOCK:
 *   "would_deadlock").
 * - Waits are on a condition variable signalled by the callbacks, each bounded by the table's
 *   wait_limit_ms; the blocking calls are given that limit as their timeout.
 *
 * Prints a line per scenario ("ok", "FAIL", or why it is left out), one line per failed check,
 * and "N passed, N failed"; exits non-zero on any failure. Run plain, under valgrind and with
 * AddressSanitizer by `make test-c`.
 */
#define _POSIX_C_SOURCE 200809L
#include <captivate.h>
#include <captivate_test.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "delivery_scenarios.h"

/* The most conversations, listeners and calls one scenario names. */
#define MAX_NAMED 16

/* What a listener recorded of one event: its kind and its text (or error code, or number of
 * missed events, as JSON text). */
typedef struct {
    char *kind, *value;
} record;

typedef struct {
    record *items;
    size_t n, cap;
} records;

typedef struct {
    const char *name;
    char *id;
} conversation;

typedef struct run run;

typedef struct {
    const char *name;  /* NULL for the callback of blocking_call_in_callback */
    char *on;          /* a conversation's id; NULL: the client (every event) */
    long remove_after; /* -1: never */
    int removed;       /* took itself off the list (or made its blocking call) */
    int stream;        /* a stream listener: no form in C, records nothing */
    const char *blocking_as; /* the callback makes a blocking call, recorded under this name */
    records got;
} listener;

typedef struct {
    run *r;
    const char *as; /* NULL for the call of call_sees */
    int done;
    captivate_result result;
    char kind[64];
    int on_main_thread;
    const listener *sees; /* call_sees: the listener whose count its completion notes */
    size_t seen;          /* how many events `sees` had recorded when the completion ran */
} call;

/* An event of a conversation that no listener of it heard, for its first listener. */
typedef struct {
    char *conversation_id;
    record rec;
} kept;

struct run {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t main_thread;
    captivate_test_hub *hub;
    captivate_client *client;
    conversation conversations[MAX_NAMED];
    size_t n_conversations;
    listener listeners[MAX_NAMED];
    size_t n_listeners;
    call calls[MAX_NAMED];
    size_t n_calls;
    kept *kept;
    size_t n_kept, cap_kept;
    int connected, down; /* state events: `connected`, and any other state */
};

static int not_applicable;

/* ----- small helpers ----- */

static char *copy(const char *s) {
    return s ? strdup(s) : NULL;
}

/* `items` with room for one more than `n` items of `size` bytes (doubled when full; aborts
 * when memory runs out). */
static void *room_for_one(void *items, size_t n, size_t *cap, size_t size) {
    if (n < *cap) return items;
    size_t grown_cap = *cap ? *cap * 2 : 8;
    void *grown = realloc(items, grown_cap * size);
    if (!grown) abort();
    *cap = grown_cap;
    return grown;
}

static void records_push(records *rs, const char *kind, const char *value) {
    rs->items = room_for_one(rs->items, rs->n, &rs->cap, sizeof *rs->items);
    rs->items[rs->n].kind = copy(kind);
    rs->items[rs->n].value = copy(value);
    rs->n++;
}

static void records_free(records *rs) {
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->items[i].kind);
        free(rs->items[i].value);
    }
    free(rs->items);
    memset(rs, 0, sizeof *rs);
}

/* "[kind value, ...]" of what a listener recorded, for the messages of failed checks. */
static void records_describe(const records *rs, char *out, size_t size) {
    size_t used = (size_t)snprintf(out, size, "[");
    for (size_t i = 0; i < rs->n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s %s", i ? ", " : "", rs->items[i].kind, rs->items[i].value);
    if (used < size) snprintf(out + used, size - used, "]");
}

/* A copy (free() it) of the JSON text of the member `key` of the JSON object `json`; NULL when
 * it has none. Only the object's own members are looked at, never nested ones. */
static char *json_member(const char *json, const char *key) {
    if (!json || *json != '{') return NULL;
    size_t klen = strlen(key);
    const char *p = json + 1;
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\n' || *p == '\t' || *p == '\r') p++;
        if (*p != '"') return NULL;
        const char *key_end = json_end(p);
        int match = (size_t)(key_end - p) == klen + 2 && strncmp(p + 1, key, klen) == 0;
        p = key_end;
        while (*p == ' ' || *p == ':') p++;
        if (!*p) return NULL;
        const char *end = json_end(p);
        if (match) return strndup(p, (size_t)(end - p));
        p = end;
    }
}

/* `s` as a JSON string (free() it). */
static char *json_quote(const char *s) {
    char *out = malloc(strlen(s) * 6 + 3), *o = out;
    if (!out) abort();
    *o++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20) {
            o += sprintf(o, "\\u%04x", c);
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

/* The table's error kind of a failed call (see the top of the file). */
static void kind_of(captivate_result rc, const char *json, char *out, size_t size) {
    char *kind = json_member(json, "kind");
    if (kind && kind[0] == '"' && strlen(kind) >= 2) {
        snprintf(out, size, "%.*s", (int)strlen(kind) - 2, kind + 1);
        free(kind);
        return;
    }
    free(kind);
    const char *name = rc == CAPTIVATE_RESULT_OK ? "CAPTIVATE_RESULT_SUCCEEDED" : captivate_result_name(rc);
    const char *prefix = "CAPTIVATE_RESULT_";
    if (strncmp(name, prefix, strlen(prefix)) == 0) name += strlen(prefix);
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++) out[i] = (char)tolower((unsigned char)name[i]);
    out[i] = '\0';
}

/* What a listener records of an event (its kind and a copy, to free(), of its value), or NULL
 * when it records nothing of this kind. */
static char *recorded_value(const captivate_event *event, const char *kind) {
    if (strcmp(kind, "bot_message") == 0 || strcmp(kind, "livechat_message") == 0) {
        const char *text = captivate_event_text(event);
        return copy(text ? text : "");
    }
    if (strcmp(kind, "error") == 0) return json_member(captivate_event_json(event), "code");
    if (strcmp(kind, "lagged") == 0) return json_member(captivate_event_json(event), "missed");
    return NULL;
}

/* ----- the client's callbacks ----- */

/* Records an event for a listener; it takes itself off the list once it has `remove_after`. */
static void listener_take(listener *l, const char *kind, const char *value) {
    records_push(&l->got, kind, value);
    if (l->remove_after >= 0 && (long)l->got.n >= l->remove_after) l->removed = 1;
}

/* Outcome of a call; under the lock. A call of call_sees notes its listener's count. */
static void call_done(run *r, call *c, captivate_result result, const char *json) {
    if (c->sees) c->seen = c->sees->got.n;
    c->done = 1;
    c->result = result;
    kind_of(result, json, c->kind, sizeof c->kind);
    c->on_main_thread = pthread_equal(pthread_self(), r->main_thread);
    pthread_cond_broadcast(&r->changed);
}

static call *call_named(run *r, const char *as) {
    for (size_t i = 0; i < r->n_calls; i++)
        if (r->calls[i].as && strcmp(r->calls[i].as, as) == 0) return &r->calls[i];
    return NULL;
}

/* The client's event callback: hands each event to the listeners of its conversation (and of
 * the client), keeps it when its conversation has none, counts state changes. */
static void on_event(void *userdata, const captivate_event *event) {
    run *r = userdata;
    const char *kind = captivate_event_kind(event);
    const char *id = captivate_event_conversation_id(event);
    const char *state = captivate_event_state_name(event);
    char *value = recorded_value(event, kind);
    listener *blocking = NULL;
    pthread_mutex_lock(&r->lock);
    if (state) {
        if (strcmp(state, "connected") == 0)
            r->connected++;
        else
            r->down++;
    }
    int heard = 0;
    for (size_t i = 0; i < r->n_listeners; i++) {
        listener *l = &r->listeners[i];
        if (l->stream || l->removed) continue;
        if (l->on && (!id || strcmp(l->on, id) != 0)) continue;
        if (l->on) heard = 1;
        if (l->blocking_as) {
            l->removed = 1;
            blocking = l;
        } else if (value) {
            listener_take(l, kind, value);
        }
    }
    if (id && !heard && value) {
        r->kept = room_for_one(r->kept, r->n_kept, &r->cap_kept, sizeof *r->kept);
        r->kept[r->n_kept].conversation_id = copy(id);
        r->kept[r->n_kept].rec.kind = copy(kind);
        r->kept[r->n_kept].rec.value = value;
        r->n_kept++;
        value = NULL;
    }
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    free(value);
    if (blocking) {
        /* A blocking call from inside the callback, outside the lock (were it to block, the
         * waits of the main thread would still run out). */
        char *json = NULL;
        captivate_result rc = captivate_conversation_get_metadata(r->client, blocking->on, DELIVERY_WAIT_LIMIT_MS, &json);
        captivate_string_free(json);
        pthread_mutex_lock(&r->lock);
        call *c = call_named(r, blocking->blocking_as);
        if (c) call_done(r, c, rc, NULL);
        pthread_mutex_unlock(&r->lock);
    }
}

/* The completion of a non-blocking call (`call`). */
static void on_done(void *userdata, captivate_result result, const char *json) {
    call *c = userdata;
    pthread_mutex_lock(&c->r->lock);
    call_done(c->r, c, result, json);
    pthread_mutex_unlock(&c->r->lock);
}

/* ----- waiting, bounded by the table's wait_limit_ms ----- */

typedef int (*condition)(run *r, const void *arg);

/* Waits until `holds` (checked under the lock) or the table's limit; returns whether it holds. */
static int wait_for(run *r, condition holds, const void *arg) {
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += DELIVERY_WAIT_LIMIT_MS / 1000;
    deadline.tv_nsec += (long)(DELIVERY_WAIT_LIMIT_MS % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->lock);
    int ok;
    while (!(ok = holds(r, arg)))
        if (pthread_cond_timedwait(&r->changed, &r->lock, &deadline) == ETIMEDOUT) {
            ok = holds(r, arg);
            break;
        }
    pthread_mutex_unlock(&r->lock);
    return ok;
}

typedef struct {
    const listener *l;
    long count;
} count_arg;

static int has_count(run *r, const void *arg) {
    (void)r;
    const count_arg *a = arg;
    return (long)a->l->got.n >= a->count;
}

static int is_done(run *r, const void *arg) {
    (void)r;
    return ((const call *)arg)->done;
}

typedef struct {
    int connected, down;
} states_arg;

/* Down since, and connected again. */
static int back_again(run *r, const void *arg) {
    const states_arg *a = arg;
    return r->down > a->down && r->connected > a->connected;
}

/* ----- the steps ----- */

static const char *conversation_id(run *r, const char *name) {
    for (size_t i = 0; i < r->n_conversations; i++)
        if (strcmp(r->conversations[i].name, name) == 0) return r->conversations[i].id;
    CHECK(0, "no conversation named %s", name);
    return NULL;
}

static listener *listener_named(run *r, const char *name) {
    for (size_t i = 0; i < r->n_listeners; i++)
        if (r->listeners[i].name && strcmp(r->listeners[i].name, name) == 0) return &r->listeners[i];
    return NULL;
}

static void name_conversation(run *r, const char *name, const char *id) {
    if (r->n_conversations == MAX_NAMED) abort();
    r->conversations[r->n_conversations].name = name;
    r->conversations[r->n_conversations].id = copy(id);
    r->n_conversations++;
}

static call *add_call(run *r, const char *as) {
    if (r->n_calls == MAX_NAMED) abort();
    call *c = &r->calls[r->n_calls++];
    memset(c, 0, sizeof *c);
    c->r = r;
    c->as = as;
    return c;
}

/* Adds a listener (a stream listener records nothing); a callback listener on a conversation
 * first gets the events kept for it. Under the lock. */
static listener *add_listener(run *r, const char *name, const char *on, long remove_after, const char *blocking_as,
                              int stream) {
    if (r->n_listeners == MAX_NAMED) abort();
    listener *l = &r->listeners[r->n_listeners++];
    memset(l, 0, sizeof *l);
    l->name = name;
    l->on = copy(on);
    l->remove_after = remove_after;
    l->blocking_as = blocking_as;
    l->stream = stream;
    if (!on || stream) return l;
    size_t keep = 0;
    for (size_t i = 0; i < r->n_kept; i++) {
        kept *k = &r->kept[i];
        if (strcmp(k->conversation_id, on) == 0) {
            if (!l->removed && !l->blocking_as) listener_take(l, k->rec.kind, k->rec.value);
            free(k->conversation_id);
            free(k->rec.kind);
            free(k->rec.value);
        } else {
            r->kept[keep++] = *k;
        }
    }
    r->n_kept = keep;
    return l;
}

static void note(const delivery_scenario *s, const char *fmt, const char *what) {
    not_applicable++;
    printf("n/a  %s: ", s->name);
    printf(fmt, what);
    printf("\n");
}

static const char *STREAM_NOTE =
    "listener \"%s\" (form stream): C has no stream form, nor any listener that keeps a bounded "
    "backlog when it falls behind. Its one listener form, the client's event callback, listens from "
    "the connect on, and while it does the library keeps nothing for listeners not there yet "
    "(max_backlog bounds only that); what waits for the callback (on the dispatch thread, or "
    "until captivate_client_dispatch in the polled mode) is kept whole and never lagged. Its "
    "expectation and its drain are not checked; the rest of the scenario is";

/* Whether a step has the field it needs (a string; NEED_NUMBER: a number, not -1). */
#define NEED_WHERE(has, field)                                                         \
    do {                                                                               \
        CHECK(has, "step %s: no `%s`", delivery_op_names[st->op], field);              \
        if (!(has)) return 0;                                                          \
    } while (0)
#define NEED(field) NEED_WHERE(st->field != NULL, #field)
#define NEED_NUMBER(field) NEED_WHERE(st->field >= 0, #field)

/* Runs one step; returns 0 when the scenario cannot go on. */
static int step(run *r, const delivery_scenario *s, const delivery_step *st) {
    int failed_before = failed;
    const char *id = NULL;
    if (st->conversation && st->op != DELIVERY_START) {
        id = conversation_id(r, st->conversation);
        if (!id) return 0;
    }
    switch (st->op) {
    case DELIVERY_START: {
        NEED(conversation);
        char options[64], user[64];
        char *started = NULL;
        snprintf(options, sizeof options, "{\"start\": \"%s\"}", st->mode ? st->mode : "bot-first");
        snprintf(user, sizeof user, "user-%s", st->conversation);
        CHECK_RC(captivate_client_start_conversation(r->client, user, options, DELIVERY_WAIT_LIMIT_MS, &started),
                 CAPTIVATE_RESULT_OK);
        if (started) name_conversation(r, st->conversation, started);
        captivate_string_free(started);
        break;
    }
    case DELIVERY_LISTEN: {
        NEED(listener);
        NEED(on);
        NEED(form);
        const char *on = NULL;
        if (strcmp(st->on, "client") != 0) {
            on = conversation_id(r, st->on);
            if (!on) return 0;
        }
        int stream = strcmp(st->form, "stream") == 0;
        if (!stream && strcmp(st->form, "callback") != 0) {
            CHECK(0, "listener %s: unknown form %s", st->listener, st->form);
            return 0;
        }
        if (stream) note(s, STREAM_NOTE, st->listener);
        pthread_mutex_lock(&r->lock);
        add_listener(r, st->listener, on, st->remove_after, NULL, stream);
        pthread_mutex_unlock(&r->lock);
        break;
    }
    case DELIVERY_SAY:
        NEED(conversation);
        NEED(text);
        CHECK_RC(captivate_conversation_send_message(r->client, id, st->text, NULL, DELIVERY_WAIT_LIMIT_MS, NULL),
                 CAPTIVATE_RESULT_OK);
        break;
    case DELIVERY_BOT: {
        NEED(conversation);
        NEED(text);
        char *content = json_quote(st->text);
        CHECK_RC(captivate_test_hub_bot_says(r->hub, id, content, true), CAPTIVATE_RESULT_OK);
        free(content);
        break;
    }
    case DELIVERY_SYNC: {
        NEED(conversation);
        char *json = NULL;
        CHECK_RC(captivate_conversation_get_metadata(r->client, id, DELIVERY_WAIT_LIMIT_MS, &json), CAPTIVATE_RESULT_OK);
        captivate_string_free(json);
        break;
    }
    case DELIVERY_WAIT_COUNT: {
        NEED(listener);
        NEED_NUMBER(count);
        listener *l = listener_named(r, st->listener);
        CHECK(l && !l->stream, "no callback listener named %s", st->listener);
        if (!l || l->stream) return 0;
        count_arg a = {l, st->count};
        if (!wait_for(r, has_count, &a)) {
            char got[1024];
            pthread_mutex_lock(&r->lock);
            records_describe(&l->got, got, sizeof got);
            pthread_mutex_unlock(&r->lock);
            CHECK(0, "listener %s: not %ld events within %d ms; it has %s", st->listener, st->count,
                  DELIVERY_WAIT_LIMIT_MS, got);
        }
        break;
    }
    case DELIVERY_DRAIN: {
        NEED(listener);
        listener *l = listener_named(r, st->listener);
        CHECK(l && l->stream, "no stream listener named %s", st->listener);
        /* The stream listener was reported as not applicable when added. */
        break;
    }
    case DELIVERY_DROP: {
        states_arg before;
        pthread_mutex_lock(&r->lock);
        before.connected = r->connected;
        before.down = r->down;
        pthread_mutex_unlock(&r->lock);
        CHECK_RC(captivate_test_hub_drop(r->hub), CAPTIVATE_RESULT_OK);
        CHECK(wait_for(r, back_again, &before), "the client lost its connection and was connected again within %d ms",
              DELIVERY_WAIT_LIMIT_MS);
        captivate_state state = -1;
        CHECK_RC(captivate_client_state(r->client, &state), CAPTIVATE_RESULT_OK);
        CHECK(state == CAPTIVATE_STATE_CONNECTED, "connected again (state %d)", (int)state);
        break;
    }
    case DELIVERY_FAULTS:
        NEED(faults);
        CHECK_RC(captivate_test_hub_set_faults(r->hub, st->faults), CAPTIVATE_RESULT_OK);
        break;
    case DELIVERY_CALL: {
        NEED(call);
        NEED(conversation);
        NEED(as);
        if (strcmp(st->call, "get_metadata") != 0) {
            CHECK(0, "unknown call %s", st->call);
            return 0;
        }
        pthread_mutex_lock(&r->lock);
        call *c = add_call(r, st->as);
        pthread_mutex_unlock(&r->lock);
        CHECK_RC(captivate_conversation_get_metadata_async(r->client, id, on_done, c), CAPTIVATE_RESULT_OK);
        break;
    }
    case DELIVERY_CLOSE:
        CHECK_RC(captivate_client_close(r->client), CAPTIVATE_RESULT_OK);
        break;
    case DELIVERY_CALL_FAILS: {
        NEED(as);
        NEED(error);
        pthread_mutex_lock(&r->lock);
        call *c = call_named(r, st->as);
        pthread_mutex_unlock(&r->lock);
        CHECK(c != NULL, "no call named %s", st->as);
        if (!c) return 0;
        if (!wait_for(r, is_done, c)) {
            CHECK(0, "call %s: still waiting after %d ms", st->as, DELIVERY_WAIT_LIMIT_MS);
            break;
        }
        CHECK(c->result != CAPTIVATE_RESULT_OK && strcmp(c->kind, st->error) == 0, "call %s: got %s (%s), want %s",
              st->as, c->kind, captivate_result_name(c->result), st->error);
        break;
    }
    case DELIVERY_CALL_SEES: {
        NEED(call);
        NEED(conversation);
        NEED(listener);
        NEED_NUMBER(count);
        if (strcmp(st->call, "get_metadata") != 0) {
            CHECK(0, "unknown call %s", st->call);
            return 0;
        }
        listener *l = listener_named(r, st->listener);
        CHECK(l && !l->stream, "no callback listener named %s", st->listener);
        if (!l || l->stream) return 0;
        /* The completion callback notes the listener's count (call_done), on the thread that
         * runs the callbacks: what the listener had been given by the time the outcome came. */
        pthread_mutex_lock(&r->lock);
        call *c = add_call(r, NULL);
        c->sees = l;
        pthread_mutex_unlock(&r->lock);
        captivate_result rc = captivate_conversation_get_metadata_async(r->client, id, on_done, c);
        CHECK_RC(rc, CAPTIVATE_RESULT_OK);
        if (rc != CAPTIVATE_RESULT_OK) return 0;
        if (!wait_for(r, is_done, c)) {
            CHECK(0, "call_sees %s on %s: no outcome within %d ms", st->call, st->conversation, DELIVERY_WAIT_LIMIT_MS);
            break;
        }
        char got[1024];
        pthread_mutex_lock(&r->lock);
        records_describe(&l->got, got, sizeof got);
        pthread_mutex_unlock(&r->lock);
        CHECK(c->result == CAPTIVATE_RESULT_OK, "call_sees %s on %s: got %s (%s), want success", st->call,
              st->conversation, c->kind, captivate_result_name(c->result));
        CHECK((long)c->seen == st->count,
              "call_sees %s on %s: listener %s had recorded %zu events when the completion callback ran, want %ld "
              "(it has %s now)",
              st->call, st->conversation, st->listener, c->seen, st->count, got);
        break;
    }
    case DELIVERY_DELETE:
        NEED(conversation);
        CHECK_RC(captivate_conversation_delete(r->client, id, false, DELIVERY_WAIT_LIMIT_MS), CAPTIVATE_RESULT_OK);
        break;
    case DELIVERY_REOPEN:
        NEED(conversation);
        NEED(as);
        CHECK_RC(captivate_client_attach(r->client, id), CAPTIVATE_RESULT_OK);
        name_conversation(r, st->as, id);
        if (st->same >= 0)
            note(s,
                 "reopen \"%s\": `same` is not checked: C names a conversation by its id and has no "
                 "conversation handle whose identity could differ (the id is attached again)",
                 st->as);
        break;
    case DELIVERY_BLOCKING_CALL_IN_CALLBACK: {
        NEED(conversation);
        NEED(as);
        pthread_mutex_lock(&r->lock);
        add_call(r, st->as);
        add_listener(r, NULL, id, -1, st->as, 0);
        pthread_mutex_unlock(&r->lock);
        break;
    }
    }
    return failed == failed_before;
}

/* ----- a scenario ----- */

static void check_expectations(run *r, const delivery_scenario *s) {
    for (size_t i = 0; i < s->n_expect; i++) {
        const delivery_expect *e = &s->expect[i];
        listener *l = listener_named(r, e->listener);
        if (!l) {
            CHECK(0, "%s: no listener %s", s->name, e->listener);
            continue;
        }
        if (l->stream) continue; /* reported when it was added */
        int same = l->got.n == e->count;
        for (size_t j = 0; same && j < e->count; j++)
            same = strcmp(l->got.items[j].kind, e->records[j].kind) == 0 &&
                   strcmp(l->got.items[j].value, e->records[j].value) == 0;
        char got[1024], want[1024];
        size_t used = (size_t)snprintf(want, sizeof want, "[");
        for (size_t j = 0; j < e->count && used < sizeof want; j++)
            used += (size_t)snprintf(want + used, sizeof want - used, "%s%s %s", j ? ", " : "", e->records[j].kind,
                                     e->records[j].value);
        if (used < sizeof want) snprintf(want + used, sizeof want - used, "]");
        records_describe(&l->got, got, sizeof got);
        CHECK(same, "%s: listener %s recorded %s, want %s", s->name, e->listener, got, want);
    }
}

static void check_calls(run *r, const delivery_scenario *s) {
    for (size_t i = 0; i < s->n_calls; i++) {
        const delivery_call *want = &s->calls[i];
        pthread_mutex_lock(&r->lock);
        call *c = call_named(r, want->as);
        pthread_mutex_unlock(&r->lock);
        if (!c) {
            CHECK(0, "%s: no call %s", s->name, want->as);
            continue;
        }
        if (!wait_for(r, is_done, c)) {
            CHECK(0, "%s: call %s has no outcome within %d ms", s->name, want->as, DELIVERY_WAIT_LIMIT_MS);
            continue;
        }
        CHECK(strcmp(c->kind, want->error) == 0, "%s: call %s: got %s (%s), want %s", s->name, want->as, c->kind,
              captivate_result_name(c->result), want->error);
        CHECK(!c->on_main_thread, "%s: call %s: made on the main thread, not in a callback", s->name, want->as);
    }
}

static void run_scenario(const delivery_scenario *s) {
    int failed_before = failed;
    run r;
    memset(&r, 0, sizeof r);
    pthread_mutex_init(&r.lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&r.changed, &attr);
    pthread_condattr_destroy(&attr);
    r.main_thread = pthread_self();

    size_t size = strlen(s->script) + 32;
    char *hub_options = malloc(size);
    if (!hub_options) abort();
    snprintf(hub_options, size, "{\"script\": %s}", s->script);
    CHECK_RC(captivate_test_hub_start(hub_options, &r.hub), CAPTIVATE_RESULT_OK);
    free(hub_options);
    if (r.hub) {
        char *client_options = NULL;
        captivate_options *o = NULL;
        CHECK_RC(captivate_test_hub_client_options_json(r.hub, &client_options), CAPTIVATE_RESULT_OK);
        CHECK_RC(captivate_options_new(captivate_test_hub_api_key(r.hub), &o), CAPTIVATE_RESULT_OK);
        CHECK_RC(captivate_options_set_json(o, client_options), CAPTIVATE_RESULT_OK);
        CHECK_RC(captivate_options_set_json(o, s->client), CAPTIVATE_RESULT_OK);
        CHECK_RC(captivate_client_connect(o, on_event, &r, NULL, &r.client), CAPTIVATE_RESULT_OK);
        captivate_options_free(o);
        captivate_string_free(client_options);
    }
    if (r.client) {
        for (size_t i = 0; i < s->n_steps; i++) {
            if (!step(&r, s, &s->steps[i])) {
                fprintf(stderr, "     %s: stopped at step %zu (%s)\n", s->name, i, delivery_op_names[s->steps[i].op]);
                break;
            }
        }
        check_calls(&r, s);
        /* No callback runs once it returns: what the listeners recorded is final. */
        CHECK_RC(captivate_client_free(r.client), CAPTIVATE_RESULT_OK);
        check_expectations(&r, s);
    }
    CHECK_RC(captivate_test_hub_stop(r.hub), CAPTIVATE_RESULT_OK);

    for (size_t i = 0; i < r.n_conversations; i++) free(r.conversations[i].id);
    for (size_t i = 0; i < r.n_listeners; i++) {
        free(r.listeners[i].on);
        records_free(&r.listeners[i].got);
    }
    for (size_t i = 0; i < r.n_kept; i++) {
        free(r.kept[i].conversation_id);
        free(r.kept[i].rec.kind);
        free(r.kept[i].rec.value);
    }
    free(r.kept);
    pthread_mutex_destroy(&r.lock);
    pthread_cond_destroy(&r.changed);
    printf("%s %s: %s\n", failed == failed_before ? "ok  " : "FAIL", s->name, s->why);
}

int main(void) {
    for (size_t i = 0; i < DELIVERY_SCENARIO_COUNT; i++) run_scenario(&delivery_scenarios[i]);
    for (const delivery_elsewhere *e = delivery_elsewhere_list; e->name; e++)
        printf("skip %s: only %s (%s)\n", e->name, e->only, e->why_only);
    printf("%d passed, %d failed (%d not applicable in C, noted above)\n", passed, failed, not_applicable);
    return failed == 0 ? 0 : 1;
}
