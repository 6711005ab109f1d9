/* A test of a chat flow against the local hub inside the process: no network, no real hub. */
#define _POSIX_C_SOURCE 200809L
#include <captivate.h>
#include <captivate_test.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* What the app has seen: the last answer (the bot's or the agent's) and how often it connected. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static char answer[256];
static int connections;

static void on_event(void *userdata, const captivate_event *ev) {
    (void)userdata;
    const char *kind = captivate_event_kind(ev), *text = captivate_event_text(ev);
    const char *state = captivate_event_state_name(ev);
    pthread_mutex_lock(&lock);
    if ((strcmp(kind, "bot_message") == 0 || strcmp(kind, "livechat_message") == 0) && text) {
        snprintf(answer, sizeof answer, "%s", text);
    } else if (state && strcmp(state, "connected") == 0) {
        connections++;
    }
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

/* Sends `question` (unless NULL) and waits (10 s at most) for the answer `expected`. */
static int ask(captivate_client *client, const char *conversation, const char *question, const char *expected) {
    pthread_mutex_lock(&lock);
    answer[0] = '\0';
    pthread_mutex_unlock(&lock);
    if (question && captivate_conversation_send_message(client, conversation, question, NULL, 0, NULL) != CAPTIVATE_RESULT_OK) {
        return 0;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&lock);
    while (strcmp(answer, expected) != 0 && pthread_cond_timedwait(&changed, &lock, &until) == 0) {}
    int ok = strcmp(answer, expected) == 0;
    pthread_mutex_unlock(&lock);
    return ok;
}

/* Waits (10 s at most) until the client has connected `count` times. */
static int connected(int count) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&lock);
    while (connections < count && pthread_cond_timedwait(&changed, &lock, &until) == 0) {}
    int ok = connections >= count;
    pthread_mutex_unlock(&lock);
    return ok;
}

#define EXPECT(cond)                                                                                     \
    do {                                                                                                 \
        if (!(cond)) {                                                                                   \
            fprintf(stderr, "FAILED: %s (%s)\n", #cond, captivate_last_error_message());                 \
            return 1;                                                                                    \
        }                                                                                                \
    } while (0)

int main(void) {
    /* The hub runs your bot's script: an order rule, a hand-over to Ada, her lines, a fallback. */
    captivate_test_hub *hub = NULL;
    EXPECT(captivate_test_hub_start("{\"script\": {\"rules\": ["
                                    "  {\"when\": {\"live\": true}, \"then\": [{\"agent\": \"{agent}: noted.\"}]},"
                                    "  {\"when\": {\"regex\": \"^order (\\\\d+)$\"}, \"then\": [{\"bot\": \"Order {1} ships today.\"}]},"
                                    "  {\"when\": {\"contains\": \"person\"}, \"then\": ["
                                    "    {\"handover\": {\"agent\": \"Ada\"}}, {\"agent\": \"Ada here.\"}]},"
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
    EXPECT(connected(1));
    EXPECT(captivate_client_start_conversation(client, "tester", "{\"start\": \"user-first\"}", 0, &conversation) ==
           CAPTIVATE_RESULT_OK);

    /* The script's order rule, then the hand-over to a live agent. */
    EXPECT(ask(client, conversation, "order 7", "Order 7 ships today."));
    EXPECT(ask(client, conversation, "a person, please", "Ada here."));

    /* The link drops: the client reconnects by itself, and the agent is still there. */
    EXPECT(captivate_test_hub_drop(hub) == CAPTIVATE_RESULT_OK);
    EXPECT(connected(2));
    EXPECT(ask(client, conversation, "still there?", "Ada: noted."));

    /* What the hub received from the app: the three questions, in order. */
    char *frames = NULL;
    EXPECT(captivate_test_hub_received_json(hub, conversation, "user_message", &frames) == CAPTIVATE_RESULT_OK);
    const char *first = strstr(frames, "\"order 7\""), *last = strstr(frames, "\"still there?\"");
    EXPECT(first != NULL && last != NULL && first < last);
    captivate_string_free(frames);

    captivate_string_free(conversation);
    captivate_client_free(client);
    captivate_test_hub_stop(hub);
    printf("ok: the app followed the script across a hand-over and a dropped link\n");
    return 0;
}
