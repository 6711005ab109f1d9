/*
 * What the C tests share: the checks (CHECK, CHECK_RC and their counts) and just enough JSON
 * reading for them. Included by tests/c/test_captivate.c and tests/c/test_hub.c, after
 * <captivate.h> and the C library's headers.
 */
#ifndef CAPTIVATE_TESTS_CHECK_H
#define CAPTIVATE_TESTS_CHECK_H

static int passed, failed;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        if (cond) {                                                       \
            passed++;                                                     \
        } else {                                                          \
            failed++;                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);          \
            fprintf(stderr, __VA_ARGS__);                                 \
            fprintf(stderr, "\n");                                        \
        }                                                                 \
    } while (0)

#define CHECK_RC(expr, want)                                                                        \
    do {                                                                                            \
        captivate_result rc_ = (expr);                                                              \
        CHECK(rc_ == (want), "%s: got %s (%s), want %s", #expr, captivate_result_name(rc_),         \
              captivate_last_error_message(), captivate_result_name(want));                         \
    } while (0)

/* ----- reading JSON answers (just enough for the checks) ----- */

/* Where the JSON value that starts at `p` ends (just after it). */
static inline const char *json_end(const char *p) {
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && p[1]) p++;
        return *p ? p + 1 : p;
    }
    if (*p != '{' && *p != '[') {
        while (*p && *p != ',' && *p != '}' && *p != ']') p++;
        return p;
    }
    int depth = 0;
    for (; *p; p++) {
        if (*p == '"') {
            p = json_end(p) - 1;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            if (--depth == 0) return p + 1;
        }
    }
    return p;
}

/* A copy (free() it) of the last element of the JSON array that starts at `array` whose text
 * contains `needle`; NULL when none does. */
static inline char *json_element_with(const char *array, const char *needle) {
    char *found = NULL;
    if (!array || *array != '[') return NULL;
    const char *p = array + 1;
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\n') p++;
        if (!*p || *p == ']') break;
        const char *end = json_end(p);
        char *element = strndup(p, (size_t)(end - p));
        if (element && strstr(element, needle)) {
            free(found);
            found = element;
        } else {
            free(element);
        }
        p = end;
    }
    return found;
}

/* Copies the value of the first string field `"key":"..."` of `json` (escapes kept) to `out`;
 * returns 1 when there is one. */
static inline int json_string(const char *json, const char *key, char *out, size_t size) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *at = json ? strstr(json, pattern) : NULL;
    out[0] = '\0';
    if (!at) return 0;
    at += strlen(pattern) - 1;
    const char *end = json_end(at);
    snprintf(out, size, "%.*s", (int)(end - at - 2), at + 1);
    return 1;
}

#endif
