/*
 * A conversation driven from the application's own event loop, with no thread of its own for
 * the library: the client's callbacks are polled (CAPTIVATE_CALLBACKS_POLLED). The loop waits
 * on the client's descriptor with poll(2) -- epoll, libuv, GLib or Qt would watch it the same
 * way -- and captivate_client_dispatch runs the ready callbacks right here, on this thread.
 * Everything is non-blocking: each step starts the next from a callback.
 *
 * Build:  cc event_loop.c $(pkg-config --cflags --libs captivate)
 * Run:    CAPTIVATE_URL=ws://127.0.0.1:PORT/dev CAPTIVATE_API_KEY=KEY ./event_loop
 *         (defaults: the local hub on port 8080 with the key "test-key")
 */
#define _POSIX_C_SOURCE 200809L
#include <captivate.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The application's state: touched only on this thread, so no locks. */
static struct {
    captivate_client *client;
    char conversation[256];
    int sent, done, failed;
} app;

static void fail(const char *what, captivate_result r, const char *json) {
    fprintf(stderr, "%s failed: %s %s\n", what, captivate_result_name(r), json ? json : "");
    app.failed = app.done = 1;
}

static void on_sent(void *userdata, captivate_result r, const char *json) {
    (void)userdata;
    if (r != CAPTIVATE_RESULT_OK) fail("send", r, json);
}

static void on_started(void *userdata, captivate_result r, const char *json) {
    (void)userdata;
    const char *id = json ? strstr(json, "\"conversation_id\":\"") : NULL;
    if (r != CAPTIVATE_RESULT_OK || !id) {
        fail("start", r, json);
        return;
    }
    id += strlen("\"conversation_id\":\"");
    snprintf(app.conversation, sizeof app.conversation, "%.*s", (int)strcspn(id, "\""), id);
    printf("  .... conversation %s\n  you   > Hello from an event loop\n", app.conversation);
    captivate_result sr = captivate_conversation_send_message_async(app.client, app.conversation,
                                                                     "Hello from an event loop", NULL, on_sent, NULL);
    if (sr != CAPTIVATE_RESULT_OK) fail("send", sr, captivate_last_error_message());
    app.sent = 1;
}

static void on_event(void *userdata, const captivate_event *event) {
    (void)userdata;
    const char *kind = captivate_event_kind(event);
    if (strcmp(kind, "state") == 0) {
        const char *state = captivate_event_state_name(event);
        printf("  .... connection: %s\n", state);
        if (strcmp(state, "connected") == 0 && !app.conversation[0]) {
            captivate_result r = captivate_client_start_conversation_async(app.client, "loop-user",
                                                                           "{\"start\": \"user-first\"}", on_started, NULL);
            if (r != CAPTIVATE_RESULT_OK) fail("start", r, captivate_last_error_message());
        } else if (strcmp(state, "closed") == 0 || strcmp(state, "failed") == 0) {
            app.done = 1;
        }
    } else if (strcmp(kind, "bot_message") == 0) {
        const char *text = captivate_event_text(event);
        printf("  bot   > %s\n", text ? text : "");
        /* The bot answered our message: the conversation is over. */
        if (app.sent && text && strstr(text, "Hello from an event loop")) captivate_client_close_async(app.client);
    }
    fflush(stdout);
}

int main(void) {
    const char *url = getenv("CAPTIVATE_URL");
    const char *key = getenv("CAPTIVATE_API_KEY");
    if (!url) url = "ws://127.0.0.1:8080/dev";
    if (!key) key = "test-key";
    printf("== C, callbacks on the application's event loop: %s\n", url);

    captivate_options *options = NULL;
    int fd = -1;
    if (captivate_options_new(key, &options) != CAPTIVATE_RESULT_OK ||
        captivate_options_set_endpoint(options, url) != CAPTIVATE_RESULT_OK ||
        captivate_options_set_callbacks(options, CAPTIVATE_CALLBACKS_POLLED) != CAPTIVATE_RESULT_OK ||
        /* Connects in the background: the loop below sees the state change to `connected`. */
        captivate_client_new(options, on_event, NULL, NULL, &app.client) != CAPTIVATE_RESULT_OK ||
        captivate_client_fd(app.client, &fd) != CAPTIVATE_RESULT_OK) {
        fprintf(stderr, "setup failed: %s\n", captivate_last_error_message());
        return 1;
    }
    captivate_options_free(options);

    /* The event loop: other descriptors (a UI, a serial port, ...) would sit beside this one. */
    while (!app.done) {
        struct pollfd watched = {fd, POLLIN, 0};
        int n = poll(&watched, 1, 15000);
        if (n == 0) {
            fprintf(stderr, "nothing happened for 15 s\n");
            app.failed = 1;
            break;
        }
        if (n > 0 && captivate_client_dispatch(app.client, 0, NULL) != CAPTIVATE_RESULT_OK) {
            fprintf(stderr, "dispatch failed: %s\n", captivate_last_error_message());
            app.failed = 1;
            break;
        }
    }
    captivate_client_free(app.client);
    printf("== done\n");
    return app.failed;
}
