/*
 * A whole conversation with the hub from C, printed readably: the greeting and its buttons,
 * a button choice, the hand-over to a live agent, a file uploaded and sent, metadata, the
 * transcript, the user's conversations listed across two API keys, and deletion.
 *
 * Build:  cc chat.c $(pkg-config --cflags --libs captivate) -lpthread
 * Run:    CAPTIVATE_URL=ws://127.0.0.1:PORT/dev CAPTIVATE_API_KEY=KEY [CAPTIVATE_API_KEY_2=KEY2] ./chat
 *         (defaults: the local hub on port 8080 with the key "test-key"; the listing across
 *         keys needs a second key the hub accepts)
 */
#define _POSIX_C_SOURCE 200809L
#include <captivate.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every event the callback has seen (kind and text), for the main thread to wait on. An
 * answer can arrive before the call that caused it returns, so waits look at everything seen
 * since a mark taken before the call, not at the latest event only. */
#define MAX_EVENTS 256
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static char seen_kind[MAX_EVENTS][32];
static char seen_text[MAX_EVENTS][512];
static int events_seen;

static void on_event(void *userdata, const captivate_event *event) {
    (void)userdata;
    const char *kind = captivate_event_kind(event);
    const char *text = captivate_event_text(event);
    if (strcmp(kind, "bot_message") == 0 || strcmp(kind, "livechat_message") == 0) {
        const char *who = kind[0] == 'b' ? "bot  " : "agent";
        if (text) {
            /* One line per text item. */
            const char *p = text;
            while (*p) {
                const char *nl = strchr(p, '\n');
                int n = nl ? (int)(nl - p) : (int)strlen(p);
                printf("  %s > %.*s\n", who, n, p);
                p = nl ? nl + 1 : p + n;
            }
        }
        /* The buttons the message offers: what they show (and send back when chosen). */
        size_t buttons = captivate_event_buttons_count(event);
        if (buttons > 0) {
            printf("          ");
            for (size_t i = 0; i < buttons; i++) printf("[%s] ", captivate_event_button_label(event, i));
            printf("\n");
        }
    } else if (strcmp(kind, "conversation_update") == 0) {
        const char *update = captivate_event_update(event);
        if (strcmp(update, "agent_connected") == 0)
            printf("  .... Sam joined the conversation\n");
        else if (strcmp(update, "agent_disconnected") == 0)
            printf("  .... the agent left the conversation\n");
    } else if (strcmp(kind, "state") == 0) {
        printf("  .... connection: %s\n", captivate_event_state_name(event));
    } else if (strcmp(kind, "error") == 0) {
        printf("  .... hub error: %s\n", captivate_event_json(event));
    }
    fflush(stdout);
    pthread_mutex_lock(&lock);
    if (events_seen < MAX_EVENTS) {
        snprintf(seen_kind[events_seen], sizeof seen_kind[0], "%s", kind);
        snprintf(seen_text[events_seen], sizeof seen_text[0], "%s", text ? text : "");
        events_seen++;
    }
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

/* How many events have been seen so far: a mark to wait from. */
static int mark(void) {
    pthread_mutex_lock(&lock);
    int n = events_seen;
    pthread_mutex_unlock(&lock);
    return n;
}

/* Waits (10 s at most) for an event of `kind` whose text contains `needle` (NULL: any), among
 * those seen since `from`. */
static int wait_for(int from, const char *kind, const char *needle) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&lock);
    for (int i = from;;) {
        for (; i < events_seen; i++) {
            if (strcmp(seen_kind[i], kind) == 0 && (!needle || strstr(seen_text[i], needle))) {
                pthread_mutex_unlock(&lock);
                return 1;
            }
        }
        if (pthread_cond_timedwait(&changed, &lock, &deadline) == ETIMEDOUT) {
            pthread_mutex_unlock(&lock);
            fprintf(stderr, "no %s event within 10 s\n", kind);
            return 0;
        }
    }
}

static int check(captivate_result r, const char *what) {
    if (r != CAPTIVATE_RESULT_OK) {
        fprintf(stderr, "%s failed: %s: %s\n", what, captivate_result_name(r), captivate_last_error_message());
        return 0;
    }
    return 1;
}

static int say(captivate_client *client, const char *conversation, const char *text) {
    char *id = NULL;
    printf("  you   > %s\n", text);
    if (!check(captivate_conversation_send_message(client, conversation, text, NULL, 0, &id), "send")) return 0;
    captivate_string_free(id);
    return 1;
}

/* Copies the string field `key` of a JSON text (the first one; escapes kept) to `out`. */
static const char *json_field(const char *json, const char *key, char *out, size_t size) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *at = json ? strstr(json, pattern) : NULL;
    out[0] = '\0';
    if (at) {
        at += strlen(pattern);
        size_t n = 0;
        while (at[n] && at[n] != '"') n += at[n] == '\\' && at[n + 1] ? 2 : 1;
        snprintf(out, size, "%.*s", (int)n, at);
    }
    return out;
}

/* Uploads a small file through the file-to-text service and sends it in a message. */
static int send_file(captivate_client *client, const char *conversation) {
    const char *notes = "Order #1234: two items, shipped on Monday.";
    char *file = NULL, text[256];
    if (!check(captivate_conversation_upload_file(client, conversation, (const uint8_t *)notes, strlen(notes),
                                                  "{\"filename\": \"order-notes.txt\"}", 0, &file),
               "upload"))
        return 0;
    /* Its storage.fileKey names the API key: print it nowhere. */
    printf("  file  : order-notes.txt uploaded and stored behind a presigned link\n");
    printf("          extracted text: \"%s\"\n", json_field(strstr(file, "\"textContent\""), "text", text, sizeof text));
    printf("  you   > Here are my order notes. [order-notes.txt]\n");
    /* The file object goes into the message as it is. */
    int ok = check(captivate_conversation_send_message(client, conversation, "Here are my order notes.", file, 0, NULL),
                   "send the file");
    captivate_string_free(file);
    return ok;
}

/* Lists the user's conversations across two API keys: each comes back on the client of its
 * own key (client_index into the array given). */
static int list_across(captivate_client *first, const char *url, const char *ca, const char *key2) {
    captivate_options *options = NULL;
    captivate_client *second = NULL;
    char *conversation = NULL, *json = NULL;
    int ok = check(captivate_options_new(key2, &options), "options") &&
             check(captivate_options_set_endpoint(options, url), "endpoint") &&
             (!ca || check(captivate_options_set_ca_file(options, ca), "ca file")) &&
             check(captivate_client_connect(options, NULL, NULL, NULL, &second), "connect with the second key");
    captivate_options_free(options);
    ok = ok && check(captivate_client_start_conversation(second, "demo-user", "{\"start\": \"user-first\"}", 0,
                                                          &conversation),
                     "start with the second key");
    captivate_client *clients[2] = {first, second};
    if (ok && check(captivate_list_across(clients, 2, "demo-user", NULL, 0, &json), "list across keys")) {
        printf("  demo-user's conversations across both keys:\n");
        for (const char *p = json; (p = strstr(p, "{\"client_index\":")) != NULL; p++) {
            char id[256];
            printf("    %s (key %d)\n", json_field(p, "conversation_id", id, sizeof id), atoi(p + 16) + 1);
        }
        captivate_string_free(json);
    } else {
        ok = 0;
    }
    if (conversation) check(captivate_conversation_delete(second, conversation, true, 0), "delete");
    captivate_string_free(conversation);
    captivate_client_free(second);
    return ok;
}

/* The library's warnings and errors, on stderr. Called from the library's threads. */
static void on_log(void *userdata, int level, const char *target, const char *message) {
    (void)userdata;
    fprintf(stderr, "  [%s] %s: %s\n", level == CAPTIVATE_LOG_LEVEL_ERROR ? "error" : "warn", target, message);
}

int main(void) {
    const char *url = getenv("CAPTIVATE_URL");
    const char *key = getenv("CAPTIVATE_API_KEY");
    if (!url) url = "ws://127.0.0.1:8080/dev";
    if (!key) key = "test-key";

    printf("== C (libcaptivate %s): connecting to %s\n", captivate_version(), url);
    captivate_set_log_callback(CAPTIVATE_LOG_LEVEL_WARN, on_log, NULL);
    captivate_options *options = NULL;
    captivate_client *client = NULL;
    char *conversation = NULL, *json = NULL;
    int ok = check(captivate_options_new(key, &options), "options") &&
             check(captivate_options_set_endpoint(options, url), "endpoint") &&
             /* Any option of the schema by name (captivate_options_schema_json lists them). */
             check(captivate_options_set_json(options, "{\"request_timeout_ms\": 5000, \"reconnect\": {\"max_delay_ms\": 10000}}"),
                   "options by name");
    const char *ca = getenv("CAPTIVATE_CA_FILE");
    if (ok && ca) ok = check(captivate_options_set_ca_file(options, ca), "ca file");
    if (ok) ok = check(captivate_client_connect(options, on_event, NULL, NULL, &client), "connect");
    captivate_options_free(options);
    if (!ok) return 1;

    int m = mark();
    ok = check(captivate_client_start_conversation(
                   client, "demo-user",
                   "{\"user_basic_info\": {\"firstName\": \"Ada\", \"email\": \"ada@example.com\"},"
                   " \"metadata\": {\"channel\": \"c-demo\"}}",
                   0, &conversation),
               "start");
    if (ok) {
        printf("  conversation %s\n", conversation);
        ok = wait_for(m, "bot_message", "Captivate Bot");
    }
    m = mark();
    ok = ok && say(client, conversation, "Hello there!") && wait_for(m, "bot_message", "You said");
    m = mark();
    if (ok) {
        printf("  you   > (chooses [Chat to Agent])\n");
        char *id = NULL;
        ok = check(captivate_conversation_send_message(client, conversation, "Chat to Agent", NULL, 0, &id), "send");
        captivate_string_free(id);
    }
    ok = ok && wait_for(m, "livechat_message", NULL);
    m = mark();
    ok = ok && say(client, conversation, "My order #1234 has not arrived.") && wait_for(m, "livechat_message", "Sam here");
    m = mark();
    ok = ok && say(client, conversation, "bye") && wait_for(m, "conversation_update", NULL);
    m = mark();
    ok = ok && send_file(client, conversation) && wait_for(m, "bot_message", "received 1 file");
    ok = ok && check(captivate_conversation_set_metadata(client, conversation, "{\"plan\": \"gold\"}", NULL, 0), "metadata");
    ok = ok && check(captivate_conversation_set_private_metadata(client, conversation, "{\"crm_id\": \"C-981\"}", 0), "private");
    ok = ok && check(captivate_conversation_set_time_to_live(client, conversation, 30, 0), "ttl");
    if (ok && check(captivate_conversation_get_metadata(client, conversation, 0, &json), "get metadata")) {
        printf("  metadata: %s\n", json);
        captivate_string_free(json);
        json = NULL;
    }
    if (ok && check(captivate_conversation_get_transcript(client, conversation, 0, &json), "transcript")) {
        int entries = 0;
        for (const char *p = json; (p = strstr(p, "\"chatbot_name\":")) != NULL; p++) entries++;
        printf("  transcript: %d entries\n", entries);
        captivate_string_free(json);
    }
    const char *key2 = getenv("CAPTIVATE_API_KEY_2");
    if (ok && key2)
        ok = list_across(client, url, ca, key2);
    else if (ok)
        printf("  (set CAPTIVATE_API_KEY_2 to list conversations across two keys)\n");
    ok = ok && check(captivate_conversation_delete(client, conversation, false, 0), "delete");
    if (ok) printf("  conversation deleted\n");
    captivate_string_free(conversation);
    captivate_client_close(client);
    captivate_client_free(client);
    printf("  closed\n");
    return ok ? 0 : 1;
}
