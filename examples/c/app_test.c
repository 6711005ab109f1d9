/* A test of a chat flow against the local hub inside the process: no network, no real hub. */
#define _POSIX_C_SOURCE 200809L
#include <captivate.h>
#include <captivate_test.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t answered = PTHREAD_COND_INITIALIZER;
static char answer[256];

static void on_event(void *userdata, const captivate_event *ev) {
    (void)userdata;
    const char *text = captivate_event_text(ev);
    if (strcmp(captivate_event_kind(ev), "bot_message") == 0 && text) {
        pthread_mutex_lock(&lock);
        snprintf(answer, sizeof answer, "%s", text);
        pthread_cond_signal(&answered);
        pthread_mutex_unlock(&lock);
    }
}

#define EXPECT(cond)                                                                                     \
    do {                                                                                                 \
        if (!(cond)) {                                                                                   \
            fprintf(stderr, "FAILED: %s (%s)\n", #cond, captivate_last_error_message());                 \
            return 1;                                                                                    \
        }                                                                                                \
    } while (0)

int main(void) {
    /* The hub runs your bot's script: here, one regex rule and a fallback. */
    captivate_test_hub *hub = NULL;
    EXPECT(captivate_test_hub_start("{\"script\": {\"rules\": ["
                                    "  {\"when\": {\"regex\": \"^order (\\\\d+)$\"}, \"then\": [{\"bot\": \"Order {1} ships today.\"}]},"
                                    "  {\"then\": [{\"bot\": \"Sorry?\"}]}]}}",
                                    &hub) == CAPTIVATE_RESULT_OK);

    /* Your app connects as usual, given the hub's key and URL. */
    captivate_options *options = NULL;
    captivate_client *client = NULL;
    char *conversation = NULL;
    EXPECT(captivate_options_new(captivate_test_hub_api_key(hub), &options) == CAPTIVATE_RESULT_OK);
    EXPECT(captivate_options_set_endpoint(options, captivate_test_hub_url(hub)) == CAPTIVATE_RESULT_OK);
    EXPECT(captivate_client_connect(options, on_event, NULL, NULL, &client) == CAPTIVATE_RESULT_OK);
    captivate_options_free(options);
    EXPECT(captivate_client_start_conversation(client, "tester", "{\"start\": \"user-first\"}", 0, &conversation) ==
           CAPTIVATE_RESULT_OK);
    EXPECT(captivate_conversation_send_message(client, conversation, "order 7", NULL, 0, NULL) == CAPTIVATE_RESULT_OK);

    /* The bot's answer (10 s at most), then what the hub received from the app. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&lock);
    while (!answer[0] && pthread_cond_timedwait(&answered, &lock, &until) == 0) {}
    pthread_mutex_unlock(&lock);
    EXPECT(strcmp(answer, "Order 7 ships today.") == 0);
    char *frames = NULL;
    EXPECT(captivate_test_hub_received_json(hub, conversation, "user_message", &frames) == CAPTIVATE_RESULT_OK);
    EXPECT(strstr(frames, "\"order 7\"") != NULL);
    captivate_string_free(frames);

    captivate_string_free(conversation);
    captivate_client_free(client);
    captivate_test_hub_stop(hub);
    printf("ok: the bot said \"%s\"\n", answer);
    return 0;
}
