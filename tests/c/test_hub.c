/*
 * Tests of the local hub in the process (captivate_test.h) from C, with libcaptivate clients:
 * a custom bot script followed by a conversation (greeting, a regex rule, the hand-over to a
 * named agent and the agent's lines), a dropped link the client survives, what the hub
 * received (by conversation and event type), speaking as the bot and the agent, faults, closes
 * and restarts, reset, TLS (but under valgrind), stop (the port no longer listens), the fault
 * proxy in front of the hub (a frame cut, latency, a reset, a restart, its counters), and the
 * codes of misuse (NULL, stopped hubs, no proxy). Needs no hub of its own. Prints one line per failed check and ends with
 * "N passed, N failed"; exits non-zero on any failure. Run plain, under valgrind and with
 * AddressSanitizer by `make test-c`.
 */
#define _POSIX_C_SOURCE 200809L
#include <captivate.h>
#include <captivate_test.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* The bot's script: a greeting, a regex rule with a named group, a hand-over to Ada, what Ada
 * says while she has the conversation, and a fallback. */
static const char *SCRIPT =
    "{\"greeting\": [{\"bot\": \"Welcome to Acme.\"}],"
    " \"rules\": ["
    "  {\"when\": {\"regex\": \"^order (?P<n>\\\\d+)$\"}, \"then\": [{\"bot\": \"Order {n} is on its way.\"}]},"
    "  {\"when\": {\"contains\": \"person\"},"
    "   \"then\": [{\"handover\": {\"agent\": \"Ada\"}}, {\"agent\": \"Ada here.\", \"after_ms\": 0}]},"
    "  {\"when\": {\"live\": true}, \"then\": [{\"agent\": \"{agent} got: {text}\", \"after_ms\": 0}]},"
    "  {\"then\": [{\"bot\": \"Pardon?\"}]}"
    " ]}";

/* ----- what a client saw: every event's kind and text, one line each, and its states ----- */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    char lines[16384]; /* "kind: text" per event with text, "update: NAME", "state: NAME" */
    int connected, disconnected, agent_connected, unknown, malformed;
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

static void rec_line(recorder *r, const char *what, const char *text) {
    size_t used = strlen(r->lines);
    if (used + 300 < sizeof r->lines) snprintf(r->lines + used, sizeof r->lines - used, "%s: %.256s\n", what, text);
}

static void on_event(void *userdata, const captivate_event *event) {
    recorder *r = userdata;
    const char *kind = captivate_event_kind(event);
    const char *text = captivate_event_text(event);
    const char *state = captivate_event_state_name(event);
    const char *update = captivate_event_update(event);
    pthread_mutex_lock(&r->lock);
    if (text) rec_line(r, kind, text);
    if (update) rec_line(r, "update", update);
    if (update && strcmp(update, "agent_connected") == 0) r->agent_connected++;
    if (state) {
        rec_line(r, "state", state);
        if (strcmp(state, "connected") == 0) r->connected++;
        if (strcmp(state, "disconnected") == 0) r->disconnected++;
    }
    if (strcmp(kind, "unknown") == 0) r->unknown++;
    if (strcmp(kind, "malformed") == 0) r->malformed++;
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
    while (*counter < want && ok) ok = pthread_cond_timedwait(&r->changed, &r->lock, &deadline) != ETIMEDOUT;
    ok = *counter >= want;
    pthread_mutex_unlock(&r->lock);
    return ok;
}

/* Waits up to 10 s until a line contains `needle`. */
static int wait_line(recorder *r, const char *needle) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&r->lock);
    int ok = 1;
    while (!strstr(r->lines, needle) && ok) ok = pthread_cond_timedwait(&r->changed, &r->lock, &deadline) != ETIMEDOUT;
    ok = strstr(r->lines, needle) != NULL;
    if (!ok) fprintf(stderr, "no \"%s\" in:\n%s", needle, r->lines);
    pthread_mutex_unlock(&r->lock);
    return ok;
}

/* A client of `hub`, configured from captivate_test_hub_client_options_json, reconnecting fast. */
static captivate_client *connect_to(captivate_test_hub *hub, recorder *r, unsigned request_timeout_ms) {
    char *hub_options = NULL;
    captivate_options *o = NULL;
    captivate_client *c = NULL;
    char extra[128];
    snprintf(extra, sizeof extra, "{\"reconnect\": {\"initial_delay_ms\": 20}, \"request_timeout_ms\": %u}", request_timeout_ms);
    CHECK_RC(captivate_test_hub_client_options_json(hub, &hub_options), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_new(captivate_test_hub_api_key(hub), &o), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_json(o, hub_options), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_options_set_json(o, extra), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_client_connect(o, on_event, r, NULL, &c), CAPTIVATE_RESULT_OK);
    captivate_options_free(o);
    captivate_string_free(hub_options);
    return c;
}

/* How many elements the JSON array `json` has (0 for NULL or not an array). */
static int json_count(const char *json) {
    if (!json || *json != '[') return 0;
    int n = 0;
    const char *p = json + 1;
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\n') p++;
        if (!*p || *p == ']') return n;
        p = json_end(p);
        n++;
    }
}

/* The number of frames the hub received (narrowed as captivate_test_hub_received_json does). */
static int received_count(captivate_test_hub *hub, const char *conversation, const char *type) {
    char *json = NULL;
    if (captivate_test_hub_received_json(hub, conversation, type, &json) != CAPTIVATE_RESULT_OK) return -1;
    int n = json_count(json);
    captivate_string_free(json);
    return n;
}

/* Whether something accepts TCP connections on 127.0.0.1:port. */
static int listening(unsigned short port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    close(fd);
    return ok;
}

/* The whole number of the field `"key":N` of `json`; -1 when there is none. */
static long json_number(const char *json, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = json ? strstr(json, pattern) : NULL;
    return at ? strtol(at + strlen(pattern), NULL, 10) : -1;
}

/* A field of the fault proxy's counters (captivate_test_hub_proxy_stats_json); -1 on failure. */
static long proxy_stat(captivate_test_hub *hub, const char *key) {
    char *json = NULL;
    if (captivate_test_hub_proxy_stats_json(hub, &json) != CAPTIVATE_RESULT_OK) return -1;
    long n = json_number(json, key);
    captivate_string_free(json);
    return n;
}

/* The current value of one of a recorder's counters. */
static int counted(recorder *r, int *counter) {
    pthread_mutex_lock(&r->lock);
    int n = *counter;
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* Milliseconds of CLOCK_MONOTONIC. */
static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ----- tests ----- */

static void test_misuse(void) {
    captivate_test_hub *hub = NULL;
    char *json = NULL;
    size_t n = 0;
    uint16_t port = 0;
    CHECK_RC(captivate_test_hub_start(NULL, NULL), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_start("{not json", &hub), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_test_hub_start("[1]", &hub), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_test_hub_start("{\"api_kee\": \"x\"}", &hub), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(captivate_last_error_message(), "api_kee") != NULL, "the unknown option is named: %s",
          captivate_last_error_message());
    CHECK_RC(captivate_test_hub_start("{\"script\": {\"rules\": [{\"wen\": {}}]}}", &hub), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_test_hub_start("{\"port\": 70000}", &hub), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_test_hub_start("{\"api_key\": \"\xc3\x28\"}", &hub), CAPTIVATE_RESULT_INVALID_UTF8);
    CHECK(hub == NULL, "nothing is started on failure");

    /* A NULL hub: NULL_POINTER from every call, NULL from the lent strings; stop accepts it. */
    CHECK(captivate_test_hub_url(NULL) == NULL, "no URL for NULL");
    CHECK(strstr(captivate_last_error_message(), "NULL") != NULL, "the reason: %s", captivate_last_error_message());
    CHECK(captivate_test_hub_api_key(NULL) == NULL && captivate_test_hub_http_url(NULL) == NULL, "no strings for NULL");
    CHECK_RC(captivate_test_hub_stop(NULL), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_test_hub_port(NULL, &port), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_client_options_json(NULL, &json), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_set_script(NULL, NULL), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_set_faults(NULL, "{}"), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_drop(NULL), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_close_connections(NULL, 1000, NULL), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_restart(NULL, 10), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_push(NULL, "{}"), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_bot_says(NULL, "c", "\"x\"", true), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_agent_says(NULL, "c", "\"x\"", true), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_update(NULL, "c", "{\"type\": \"x\"}"), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_received_json(NULL, NULL, NULL, &json), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_conversations_json(NULL, &json), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_files_json(NULL, &json), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_expire_files(NULL, NULL, &n), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_reset(NULL), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK(captivate_test_hub_proxy_url(NULL) == NULL, "no proxy URL for NULL");
    CHECK_RC(captivate_test_hub_set_proxy_faults(NULL, "{}"), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_proxy_faults_json(NULL, &json), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_proxy_reset(NULL, &n), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_proxy_truncate(NULL, &n), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_proxy_restart(NULL, 10), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_proxy_stats_json(NULL, &json), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK(json == NULL, "nothing written on failure");
    /* A handle never made. */
    captivate_test_hub *bogus = (captivate_test_hub *)(uintptr_t)0x8;
    CHECK_RC(captivate_test_hub_drop(bogus), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_test_hub_stop(bogus), CAPTIVATE_RESULT_INVALID_HANDLE);
}

static void test_a_conversation_follows_the_script(void) {
    char options[2048];
    snprintf(options, sizeof options, "{\"api_key\": \"acme-test-key\", \"agent_delay_ms\": 10, \"script\": %s}", SCRIPT);
    captivate_test_hub *hub = NULL;
    CHECK_RC(captivate_test_hub_start(options, &hub), CAPTIVATE_RESULT_OK);
    if (!hub) return;
    const char *url = captivate_test_hub_url(hub), *key = captivate_test_hub_api_key(hub);
    const char *http = captivate_test_hub_http_url(hub);
    CHECK(url && strncmp(url, "ws://127.0.0.1:", 15) == 0 && !strstr(url, "acme-test-key"), "the URL, without the key: %s",
          url ? url : "(null)");
    CHECK(key && strcmp(key, "acme-test-key") == 0, "the key");
    CHECK(http && strncmp(http, "http://127.0.0.1:", 17) == 0, "the HTTP base: %s", http ? http : "(null)");
    uint16_t port = 0;
    CHECK_RC(captivate_test_hub_port(hub, &port), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_test_hub_port(hub, NULL), CAPTIVATE_RESULT_NULL_POINTER);
    char where[64];
    snprintf(where, sizeof where, ":%u/", (unsigned)port);
    CHECK(port > 0 && url && strstr(url, where), "the port %u is the URL's", (unsigned)port);
    char *json = NULL;
    CHECK_RC(captivate_test_hub_script_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && strstr(json, "Welcome to Acme."), "the script in force");
    captivate_string_free(json);

    recorder r;
    rec_init(&r);
    captivate_client *c = connect_to(hub, &r, 3000);
    char *conv = NULL;
    CHECK_RC(captivate_client_start_conversation(c, "u1", "{\"start\": \"user-first\"}", 0, &conv), CAPTIVATE_RESULT_OK);
    if (!conv) goto out;

    /* The greeting, then the regex rule with its named group. */
    CHECK_RC(captivate_conversation_send_message(c, conv, "order 42", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_line(&r, "bot_message: Welcome to Acme."), "the greeting");
    CHECK(wait_line(&r, "bot_message: Order 42 is on its way."), "the regex rule");

    /* The link drops; the client comes back by itself and the script goes on. */
    size_t accepted = 0, later = 0, live = 0;
    CHECK_RC(captivate_test_hub_connections_accepted(hub, &accepted), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_test_hub_live_connections(hub, &live), CAPTIVATE_RESULT_OK);
    CHECK(accepted == 1 && live == 1, "one connection (%zu accepted, %zu live)", accepted, live);
    CHECK_RC(captivate_test_hub_drop(hub), CAPTIVATE_RESULT_OK);
    CHECK(wait_count(&r, &r.disconnected, 1), "the client saw the drop");
    CHECK(wait_count(&r, &r.connected, 2), "and came back");
    CHECK_RC(captivate_test_hub_connections_accepted(hub, &later), CAPTIVATE_RESULT_OK);
    CHECK(later == 2, "a second handshake (%zu)", later);

    /* The hand-over to a named agent, and the agent's lines. */
    CHECK_RC(captivate_conversation_send_message(c, conv, "a person please", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_count(&r, &r.agent_connected, 1), "the agent joined");
    CHECK(wait_line(&r, "livechat_message: Ada here."), "the agent's first line");
    CHECK_RC(captivate_conversation_send_message(c, conv, "thanks", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_line(&r, "livechat_message: Ada got: thanks"), "the agent's rule, with {agent} and {text}");
    CHECK_RC(captivate_test_hub_conversations_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && strstr(json, conv) && strstr(json, "\"agent\":\"Ada\"") && strstr(json, "\"live\":true"),
          "the hub's conversation: %s", json ? json : "(null)");
    captivate_string_free(json);

    /* Speaking as the bot and the agent, and an update. */
    CHECK_RC(captivate_test_hub_bot_says(hub, conv, "[\"From the test.\", {\"type\": \"cards\", \"cards\": []}]", true),
             CAPTIVATE_RESULT_OK);
    CHECK(wait_line(&r, "bot_message: From the test."), "the bot said it");
    CHECK_RC(captivate_test_hub_agent_says(hub, conv, "\"Ada, from the test.\"", true), CAPTIVATE_RESULT_OK);
    CHECK(wait_line(&r, "livechat_message: Ada, from the test."), "the agent said it");
    CHECK_RC(captivate_test_hub_update(hub, conv, "{\"type\": \"livechatAgentDisconnected\", \"data\": {}}"), CAPTIVATE_RESULT_OK);
    CHECK(wait_line(&r, "update: agent_disconnected"), "the update arrived");
    CHECK_RC(captivate_test_hub_bot_says(hub, "nope", "\"x\"", true), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(captivate_last_error_message(), "nope") != NULL, "names the conversation: %s", captivate_last_error_message());
    CHECK_RC(captivate_test_hub_bot_says(hub, conv, "5", true), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_test_hub_bot_says(hub, conv, "\"unclosed", true), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_test_hub_bot_says(hub, conv, NULL, true), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_update(hub, conv, "{\"data\": {}}"), CAPTIVATE_RESULT_INVALID_ARGUMENT);

    /* What the hub received: by conversation and by event type. */
    CHECK_RC(captivate_test_hub_received_json(hub, conv, "user_message", &json), CAPTIVATE_RESULT_OK);
    CHECK(json_count(json) == 3 && strstr(json, "order 42") && strstr(json, "a person please") && strstr(json, "thanks"),
          "the conversation's user messages: %s", json ? json : "(null)");
    captivate_string_free(json);
    CHECK(received_count(hub, conv, "no_such_event") == 0, "no frame of another type");
    CHECK(received_count(hub, "someone-else", NULL) == 0, "no frame of another conversation");
    CHECK(received_count(hub, NULL, "user_message") == 3, "the same three across conversations");
    CHECK(received_count(hub, NULL, NULL) > 3, "everything: the conversation's start too");
    CHECK_RC(captivate_test_hub_received_json(hub, NULL, NULL, NULL), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_requests_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && json[0] == '[', "the HTTP requests: %s", json ? json : "(null)");
    captivate_string_free(json);

    /* Another script, in force at once; NULL puts the usual flow back. */
    CHECK_RC(captivate_test_hub_set_script(hub, "{\"rules\": [{\"then\": [{\"bot\": \"Scripted again: {text}\"}]}]}"),
             CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_conversation_send_message(c, conv, "once more", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_line(&r, "bot_message: Scripted again: once more"), "the new script answers");
    CHECK_RC(captivate_test_hub_set_script(hub, "{\"rules\": [{\"then\": [{\"bot\": 5}]}]}"), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_test_hub_set_script(hub, "[]"), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_test_hub_set_script(hub, NULL), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_test_hub_script_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && strstr(json, "Captivate Bot"), "the usual flow again");
    captivate_string_free(json);

    /* Faults: a hub that never answers a metadata request; then none. */
    CHECK_RC(captivate_test_hub_set_faults(hub, "{\"never_answer\": [\"metadata_request\"]}"), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_test_hub_faults_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && strstr(json, "\"never_answer\":[\"metadata_request\"]"), "the faults in force: %s", json ? json : "(null)");
    captivate_string_free(json);
    json = NULL;
    CHECK_RC(captivate_conversation_get_metadata(c, conv, 300, &json), CAPTIVATE_RESULT_TIMEOUT);
    CHECK_RC(captivate_test_hub_set_faults(hub, "{\"never_answr\": true}"), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_test_hub_set_faults(hub, NULL), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_conversation_send_message(c, conv, "back", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_line(&r, "I got \"back\""), "answered again without faults");

    /* Frames the protocol does not know, and text that is not JSON. */
    CHECK_RC(captivate_test_hub_push(hub, "{\"event\": {\"event_type\": \"mystery_event\", \"event_payload\": {}}}"),
             CAPTIVATE_RESULT_OK);
    CHECK(wait_count(&r, &r.unknown, 1), "an unknown event");
    CHECK_RC(captivate_test_hub_push_text(hub, "{not json"), CAPTIVATE_RESULT_OK);
    CHECK(wait_count(&r, &r.malformed, 1), "a malformed frame");
    CHECK_RC(captivate_test_hub_push(hub, "{oops"), CAPTIVATE_RESULT_INVALID_JSON);

    /* A close frame, then a restart: the client comes back each time. */
    CHECK_RC(captivate_test_hub_close_connections(hub, 4000, "going away"), CAPTIVATE_RESULT_OK);
    CHECK(wait_count(&r, &r.connected, 3), "back after a close frame");
    CHECK_RC(captivate_test_hub_restart(hub, 100), CAPTIVATE_RESULT_OK);
    CHECK(wait_count(&r, &r.connected, 4), "back after a restart");
    uint16_t same = 0;
    CHECK_RC(captivate_test_hub_port(hub, &same), CAPTIVATE_RESULT_OK);
    CHECK(same == port, "the same port after a restart");
    CHECK_RC(captivate_conversation_send_message(c, conv, "still here", NULL, 0, NULL), CAPTIVATE_RESULT_OK);

    /* Files: none stored; expiring them all touches none. */
    size_t expired = 7;
    CHECK_RC(captivate_test_hub_files_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && strcmp(json, "[]") == 0, "no files: %s", json ? json : "(null)");
    captivate_string_free(json);
    CHECK_RC(captivate_test_hub_expire_files(hub, NULL, &expired), CAPTIVATE_RESULT_OK);
    CHECK(expired == 0, "none expired (%zu)", expired);
    CHECK_RC(captivate_test_hub_expire_files(hub, "no-such-key", NULL), CAPTIVATE_RESULT_OK);

    /* Reset: the hub forgets, the connection stays. */
    CHECK_RC(captivate_test_hub_set_faults(hub, "{\"reply_delay_ms\": 5}"), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_test_hub_reset(hub), CAPTIVATE_RESULT_OK);
    CHECK(received_count(hub, NULL, NULL) == 0, "no frames after a reset");
    CHECK_RC(captivate_test_hub_conversations_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && strcmp(json, "[]") == 0, "no conversations after a reset: %s", json ? json : "(null)");
    captivate_string_free(json);
    CHECK_RC(captivate_test_hub_faults_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && !strstr(json, "\"reply_delay_ms\":5"), "no faults after a reset: %s", json ? json : "(null)");
    captivate_string_free(json);
    CHECK_RC(captivate_test_hub_script_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && strstr(json, "Welcome to Acme."), "the first script again after a reset");
    captivate_string_free(json);
    CHECK_RC(captivate_test_hub_live_connections(hub, &live), CAPTIVATE_RESULT_OK);
    CHECK(live == 1, "the connection stays (%zu)", live);

out:
    /* Stop: the port no longer listens, the client sees the link drop, the handle is dead. */
    CHECK(listening(port) == 1, "listening before the stop");
    pthread_mutex_lock(&r.lock);
    int drops = r.disconnected;
    pthread_mutex_unlock(&r.lock);
    CHECK_RC(captivate_test_hub_stop(hub), CAPTIVATE_RESULT_OK);
    CHECK(listening(port) == 0, "port %u no longer listens", (unsigned)port);
    CHECK(wait_count(&r, &r.disconnected, drops + 1), "the client saw the hub go");
    CHECK_RC(captivate_test_hub_stop(hub), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK(captivate_test_hub_url(hub) == NULL, "no URL once stopped");
    CHECK(strstr(captivate_last_error_message(), "not valid") != NULL, "the reason: %s", captivate_last_error_message());
    CHECK_RC(captivate_test_hub_drop(hub), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_test_hub_received_json(hub, NULL, NULL, &json), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_test_hub_set_script(hub, NULL), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_test_hub_reset(hub), CAPTIVATE_RESULT_INVALID_HANDLE);
    captivate_string_free(conv);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    rec_destroy(&r);
}

/* With TLS: a wss:// URL and the certificate to trust, in the client's options. */
static void test_tls(void) {
    captivate_test_hub *hub = NULL;
    CHECK_RC(captivate_test_hub_start("{\"tls\": true}", &hub), CAPTIVATE_RESULT_OK);
    if (!hub) return;
    const char *url = captivate_test_hub_url(hub);
    CHECK(url && strncmp(url, "wss://localhost:", 16) == 0, "a wss:// URL: %s", url ? url : "(null)");
    CHECK(strcmp(captivate_test_hub_api_key(hub), "test-key") == 0, "the default key");
    char *json = NULL;
    CHECK_RC(captivate_test_hub_client_options_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && strstr(json, "\"ca_pem\":\"-----BEGIN CERTIFICATE-----"), "the certificate to trust");
    captivate_string_free(json);
    recorder r;
    rec_init(&r);
    captivate_client *c = connect_to(hub, &r, 3000);
    char *conv = NULL;
    CHECK_RC(captivate_client_start_conversation(c, "tls-user", NULL, 0, &conv), CAPTIVATE_RESULT_OK);
    CHECK(wait_line(&r, "Captivate Bot"), "the usual greeting over TLS");
    captivate_string_free(conv);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_test_hub_stop(hub), CAPTIVATE_RESULT_OK);
    rec_destroy(&r);
}

/* The fault proxy in front of the hub: the client connects through it (the URLs of
 * captivate_test_hub_client_options_json), survives a frame cut in the middle, latency, a reset
 * and a restart of the proxy alone, and the conversation goes on; its faults and counters. */
static void test_the_fault_proxy(void) {
    captivate_test_hub *hub = NULL;
    CHECK_RC(captivate_test_hub_start("{\"proxy\": true, \"agentDelayMs\": 5,"
                                      " \"script\": {\"rules\": [{\"then\": [{\"bot\": \"You said: {text}\"}]}]}}",
                                      &hub),
             CAPTIVATE_RESULT_OK);
    if (!hub) return;
    const char *direct = captivate_test_hub_url(hub), *through = captivate_test_hub_proxy_url(hub);
    CHECK(through && strncmp(through, "ws://127.0.0.1:", 15) == 0 && strcmp(through, direct) != 0,
          "the proxy's URL (%s), not the hub's (%s)", through ? through : "(null)", direct);
    CHECK(through == captivate_test_hub_proxy_url(hub), "the same lent string each time");
    unsigned short proxy_port = through ? (unsigned short)strtoul(through + 15, NULL, 10) : 0;
    uint16_t hub_port = 0;
    CHECK_RC(captivate_test_hub_port(hub, &hub_port), CAPTIVATE_RESULT_OK);
    CHECK(proxy_port > 0 && proxy_port != hub_port, "the proxy has a port of its own (%u, the hub %u)",
          (unsigned)proxy_port, (unsigned)hub_port);
    char *json = NULL;
    char url[256];
    CHECK_RC(captivate_test_hub_client_options_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json_string(json, "url", url, sizeof url) && through && strcmp(url, through) == 0,
          "clients are sent through the proxy: %s", json ? json : "(null)");
    captivate_string_free(json);
    json = NULL;
    CHECK_RC(captivate_test_hub_proxy_faults_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json && strstr(json, "\"latency_ms\":0") && strstr(json, "\"blackhole\":false"), "no faults at first: %s",
          json ? json : "(null)");
    captivate_string_free(json);

    recorder r;
    rec_init(&r);
    captivate_client *c = connect_to(hub, &r, 5000);
    char *conv = NULL;
    CHECK_RC(captivate_client_start_conversation(c, "through-the-proxy", "{\"start\": \"user-first\"}", 0, &conv),
             CAPTIVATE_RESULT_OK);
    if (!conv) goto out;
    CHECK_RC(captivate_conversation_send_message(c, conv, "one", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_line(&r, "bot_message: You said: one"), "an answer through the proxy");
    CHECK(proxy_stat(hub, "accepted") == 1 && proxy_stat(hub, "live") == 1, "one connection through the proxy");
    CHECK(proxy_stat(hub, "bytes_up") > 0 && proxy_stat(hub, "bytes_down") > 0, "bytes both ways");

    /* A frame cut in the middle: the client sees the link drop, comes back, and goes on. */
    int connected = counted(&r, &r.connected), disconnected = counted(&r, &r.disconnected);
    size_t armed = 0;
    CHECK_RC(captivate_test_hub_proxy_truncate(hub, &armed), CAPTIVATE_RESULT_OK);
    CHECK(armed == 1, "one connection armed (%zu)", armed);
    CHECK_RC(captivate_test_hub_bot_says(hub, conv, "\"this frame is cut\"", true), CAPTIVATE_RESULT_OK);
    CHECK(wait_count(&r, &r.disconnected, disconnected + 1), "the client saw the cut");
    CHECK(wait_count(&r, &r.connected, connected + 1), "and came back");
    CHECK(proxy_stat(hub, "truncated") == 1 && proxy_stat(hub, "accepted") == 2, "one cut, a second connection");
    CHECK_RC(captivate_conversation_send_message(c, conv, "two", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_line(&r, "bot_message: You said: two"), "the conversation goes on after the cut");
    CHECK_RC(captivate_test_hub_proxy_truncate(hub, NULL), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_test_hub_bot_says(hub, conv, "\"cut again\"", true), CAPTIVATE_RESULT_OK);
    CHECK(wait_count(&r, &r.connected, connected + 2), "back after a second cut (no count asked for)");

    /* Faults by name and type; latency (a lower bound only: 30 ms each way). */
    CHECK_RC(captivate_test_hub_set_proxy_faults(hub, "{\"latency\": 5}"), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(captivate_last_error_message(), "latency") != NULL, "names the fault: %s", captivate_last_error_message());
    CHECK_RC(captivate_test_hub_set_proxy_faults(hub, "{\"latency_ms\": \"5\"}"), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_test_hub_set_proxy_faults(hub, "{\"blackhole\": 1}"), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_test_hub_set_proxy_faults(hub, "{\"bandwidth_bps\": -1}"), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_test_hub_set_proxy_faults(hub, "[30]"), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_test_hub_set_proxy_faults(hub, "{oops"), CAPTIVATE_RESULT_INVALID_JSON);
    CHECK_RC(captivate_test_hub_proxy_faults_json(hub, NULL), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_proxy_stats_json(hub, NULL), CAPTIVATE_RESULT_NULL_POINTER);
    CHECK_RC(captivate_test_hub_set_proxy_faults(hub, "{\"latencyMs\": 30, \"bandwidth_bps\": 1000000}"), CAPTIVATE_RESULT_OK);
    json = NULL;
    CHECK_RC(captivate_test_hub_proxy_faults_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json_number(json, "latency_ms") == 30 && json_number(json, "bandwidth_bps") == 1000000, "the faults in force: %s",
          json ? json : "(null)");
    captivate_string_free(json);
    long long asked = now_ms();
    CHECK_RC(captivate_conversation_send_message(c, conv, "three", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_line(&r, "bot_message: You said: three"), "an answer with latency");
    long long took = now_ms() - asked;
    CHECK(took >= 60, "30 ms each way (%lld ms)", took);
    CHECK_RC(captivate_test_hub_set_proxy_faults(hub, NULL), CAPTIVATE_RESULT_OK);
    json = NULL;
    CHECK_RC(captivate_test_hub_proxy_faults_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json_number(json, "latency_ms") == 0 && json_number(json, "bandwidth_bps") == 0, "none again: %s",
          json ? json : "(null)");
    captivate_string_free(json);

    /* A reset (a TCP RST): the client comes back. */
    connected = counted(&r, &r.connected);
    size_t reset = 0;
    CHECK_RC(captivate_test_hub_proxy_reset(hub, &reset), CAPTIVATE_RESULT_OK);
    CHECK(reset == 1, "one connection reset (%zu)", reset);
    CHECK(wait_count(&r, &r.connected, connected + 1), "back after a reset");
    CHECK(proxy_stat(hub, "resets") >= 1, "the reset is counted");
    CHECK_RC(captivate_conversation_send_message(c, conv, "four", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_line(&r, "bot_message: You said: four"), "the conversation goes on after a reset");

    /* A restart of the proxy alone: it refuses when the call returns, the hub keeps listening. */
    connected = counted(&r, &r.connected);
    CHECK_RC(captivate_test_hub_proxy_restart(hub, 500), CAPTIVATE_RESULT_OK);
    CHECK(listening(proxy_port) == 0, "the proxy refuses during a restart");
    CHECK(listening(hub_port) == 1, "the hub still listens");
    CHECK(wait_count(&r, &r.connected, connected + 1), "back after the proxy's restart");
    CHECK(through && captivate_test_hub_proxy_url(hub) == through, "the same URL after a restart");
    CHECK_RC(captivate_conversation_send_message(c, conv, "five", NULL, 0, NULL), CAPTIVATE_RESULT_OK);
    CHECK(wait_line(&r, "bot_message: You said: five"), "the conversation goes on after a restart");

    /* The counters, all told. */
    json = NULL;
    CHECK_RC(captivate_test_hub_proxy_stats_json(hub, &json), CAPTIVATE_RESULT_OK);
    CHECK(json_number(json, "accepted") >= 5 && json_number(json, "live") == 1 && json_number(json, "truncated") == 2 &&
              json_number(json, "resets") >= 1 && json_number(json, "bytes_up") > 0 && json_number(json, "bytes_down") > 0,
          "the proxy's counters: %s", json ? json : "(null)");
    captivate_string_free(json);
    CHECK(received_count(hub, conv, "user_message") == 5, "the hub received every message once");

out:
    captivate_string_free(conv);
    CHECK_RC(captivate_client_free(c), CAPTIVATE_RESULT_OK);
    /* Stopped: the lent URL is gone and every proxy call says so. */
    CHECK_RC(captivate_test_hub_stop(hub), CAPTIVATE_RESULT_OK);
    CHECK(proxy_port == 0 || listening(proxy_port) == 0, "the proxy's port no longer listens");
    CHECK(captivate_test_hub_proxy_url(hub) == NULL, "no proxy URL once stopped");
    CHECK(strstr(captivate_last_error_message(), "not valid") != NULL, "the reason: %s", captivate_last_error_message());
    size_t n = 0;
    json = NULL;
    CHECK_RC(captivate_test_hub_set_proxy_faults(hub, NULL), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_test_hub_proxy_faults_json(hub, &json), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_test_hub_proxy_reset(hub, &n), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_test_hub_proxy_truncate(hub, &n), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_test_hub_proxy_restart(hub, 10), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK_RC(captivate_test_hub_proxy_stats_json(hub, &json), CAPTIVATE_RESULT_INVALID_HANDLE);
    CHECK(json == NULL, "nothing written for a stopped hub");
    rec_destroy(&r);
}

/* A hub started without the proxy: every proxy call is INVALID_ARGUMENT, and says why. */
static void test_no_proxy(void) {
    captivate_test_hub *hub = NULL;
    CHECK_RC(captivate_test_hub_start("{\"proxy\": false}", &hub), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_test_hub_start("{\"proxy\": 1}", &hub), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_test_hub_start("{\"log\": \"yes\"}", &hub), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    if (!hub) return;
    CHECK(captivate_test_hub_proxy_url(hub) == NULL, "no proxy URL without the proxy");
    CHECK(strstr(captivate_last_error_message(), "no fault proxy") != NULL, "the reason: %s", captivate_last_error_message());
    char *json = NULL;
    size_t n = 7;
    CHECK_RC(captivate_test_hub_set_proxy_faults(hub, "{\"latency_ms\": 5}"), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(captivate_last_error_message(), "no fault proxy") != NULL, "the reason: %s", captivate_last_error_message());
    CHECK_RC(captivate_test_hub_proxy_faults_json(hub, &json), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_test_hub_proxy_reset(hub, &n), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_test_hub_proxy_truncate(hub, &n), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_test_hub_proxy_restart(hub, 10), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(captivate_test_hub_proxy_stats_json(hub, &json), CAPTIVATE_RESULT_INVALID_ARGUMENT);
    CHECK(json == NULL && n == 7, "nothing written without the proxy");
    CHECK(captivate_test_hub_url(hub) != NULL, "the hub itself is fine");
    CHECK_RC(captivate_test_hub_client_options_json(hub, &json), CAPTIVATE_RESULT_OK);
    char url[256];
    CHECK(json_string(json, "url", url, sizeof url) && strcmp(url, captivate_test_hub_url(hub)) == 0,
          "clients go to the hub itself: %s", json ? json : "(null)");
    captivate_string_free(json);
    CHECK_RC(captivate_test_hub_stop(hub), CAPTIVATE_RESULT_OK);
}

/* Two hubs at once, each with its own port and key. */
static void test_two_hubs(void) {
    captivate_test_hub *a = NULL, *b = NULL;
    CHECK_RC(captivate_test_hub_start("{\"api_key\": \"a\"}", &a), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_test_hub_start("{\"apiKey\": \"b\", \"extraApiKeys\": [\"b2\"]}", &b), CAPTIVATE_RESULT_OK);
    if (a && b) {
        CHECK(strcmp(captivate_test_hub_url(a), captivate_test_hub_url(b)) != 0, "two URLs");
        CHECK(strcmp(captivate_test_hub_api_key(b), "b") == 0, "camelCase options");
    }
    CHECK_RC(captivate_test_hub_stop(a), CAPTIVATE_RESULT_OK);
    CHECK_RC(captivate_test_hub_stop(b), CAPTIVATE_RESULT_OK);
}

int main(void) {
    test_misuse();
    test_a_conversation_follows_the_script();
    /* Under valgrind the TLS case is left out (CAPTIVATE_TEST_HUB_NO_TLS, set by `make test-c`):
     * memcheck takes ring's AES-GCM assembly for reads of uninitialised memory, and glibc's
     * resolver keeps a per-thread buffer for `localhost`. ASan runs it. */
    if (!getenv("CAPTIVATE_TEST_HUB_NO_TLS")) test_tls();
    test_two_hubs();
    test_the_fault_proxy();
    test_no_proxy();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
