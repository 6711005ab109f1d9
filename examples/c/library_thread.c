/*
 * Callbacks on the library's own thread (CAPTIVATE_CALLBACKS_LIBRARY_THREAD): each event
 * reaches the callback the moment the library has read it, with no hop to another thread --
 * the lowest latency and CPU, for code that reacts at once and hands longer work elsewhere.
 * Such a callback must not block: here it answers with the non-blocking forms only, and the
 * main thread waits for the outcome on a condition variable.
 *
 * The program picks the first button of the bot's greeting as soon as it arrives, then waits
 * for the bot's answer to it.
 *
 * Build:  cc library_thread.c $(pkg-config --cflags --libs captivate) -lpthread
 * Run:    CAPTIVATE_URL=ws://127.0.0.1:PORT/dev CAPTIVATE_API_KEY=KEY ./library_thread
 *         (defaults: the local hub on port 8080 with the key "test-key")
 */
#define _POSIX_C_SOURCE 200809L
#include <captivate.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static captivate_client *client;
static int chose, answered;

static void on_sent(void *userdata, captivate_result r, const char *json) {
    (void)userdata;
    if (r != CAPTIVATE_RESULT_OK) fprintf(stderr, "the choice was not sent: %s %s\n", captivate_result_name(r), json);
}

static void on_event(void *userdata, const captivate_event *event) {
    (void)userdata;
    if (strcmp(captivate_event_kind(event), "bot_message") != 0) return;
    const char *text = captivate_event_text(event);
    printf("  bot   > %s\n", text ? text : "");
    pthread_mutex_lock(&lock);
    if (!chose && captivate_event_buttons_count(event) > 0) {
        /* React at once, without blocking: the non-blocking form; its outcome comes back here too. */
        const char *label = captivate_event_button_label(event, 0);
        const char *value = captivate_event_button_value(event, 0);
        printf("  you   > [%s]\n", label);
        captivate_result r = captivate_conversation_send_message_async(
            client, captivate_event_conversation_id(event), value, NULL, on_sent, NULL);
        chose = r == CAPTIVATE_RESULT_OK ? 1 : -1;
    } else if (chose == 1) {
        answered = 1;
    }
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    fflush(stdout);
}

int main(void) {
    const char *url = getenv("CAPTIVATE_URL");
    const char *key = getenv("CAPTIVATE_API_KEY");
    if (!url) url = "ws://127.0.0.1:8080/dev";
    if (!key) key = "test-key";
    printf("== C, callbacks on the library's own thread: %s\n", url);

    captivate_options *options = NULL;
    char *conversation = NULL;
    if (captivate_options_new(key, &options) != CAPTIVATE_RESULT_OK ||
        captivate_options_set_endpoint(options, url) != CAPTIVATE_RESULT_OK ||
        captivate_options_set_callbacks(options, CAPTIVATE_CALLBACKS_LIBRARY_THREAD) != CAPTIVATE_RESULT_OK ||
        captivate_client_connect(options, on_event, NULL, NULL, &client) != CAPTIVATE_RESULT_OK ||
        /* Bot-first: the bot greets with buttons. */
        captivate_client_start_conversation(client, "fast-user", NULL, 0, &conversation) != CAPTIVATE_RESULT_OK) {
        fprintf(stderr, "setup failed: %s\n", captivate_last_error_message());
        return 1;
    }
    captivate_options_free(options);

    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&lock);
    while (!answered && chose >= 0)
        if (pthread_cond_timedwait(&changed, &lock, &deadline) == ETIMEDOUT) break;
    int ok = answered;
    pthread_mutex_unlock(&lock);
    if (!ok) fprintf(stderr, "no answer to the choice within 10 s\n");

    captivate_conversation_delete(client, conversation, true, 0);
    captivate_string_free(conversation);
    captivate_client_free(client);
    printf("== done\n");
    return ok ? 0 : 1;
}
