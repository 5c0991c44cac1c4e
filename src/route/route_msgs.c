/* route_msgs.c - an OpenAI-style messages array, read from JSON, as
 * c12_route_msg rows (c12 route --messages; the fuzz target). Not on the
 * request path: the server hands the analyser the messages it has parsed. */
#include <jansson.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "route/route.h"

/* content: a string, or an array of parts of which the {"type":"text"} ones
 * count (joined by newlines). Returns the bytes it needs, writing them to dst
 * when dst is not NULL. */
static size_t content_text(const json_t *c, char *dst)
{
    if (json_is_string(c)) {
        size_t n = json_string_length(c);
        if (dst) memcpy(dst, json_string_value(c), n);
        return n;
    }
    size_t k = 0, i;
    const json_t *part;
    json_array_foreach(c, i, part) {
        const json_t *t = json_object_get(part, "text");
        if (!json_is_string(t)) continue;
        if (k && dst) dst[k] = '\n';
        if (k) k++;
        size_t n = json_string_length(t);
        if (dst) memcpy(dst + k, json_string_value(t), n);
        k += n;
    }
    return k;
}

static c12_rc check(const json_t *arr, size_t *bytes, c12_err *err)
{
    size_t i, total = 0;
    const json_t *m;
    if (!json_is_array(arr)) return c12_fail(err, C12_ERR_FORMAT, "messages: expected an array");
    if (json_array_size(arr) == 0 || json_array_size(arr) > C12_ROUTE_MSGS_MAX)
        return c12_fail(err, C12_ERR_FORMAT, "messages: expected 1 to %d messages", C12_ROUTE_MSGS_MAX);
    json_array_foreach(arr, i, m) {
        const json_t *role = json_object_get(m, "role"), *c = json_object_get(m, "content");
        if (!json_is_object(m) || !json_is_string(role))
            return c12_fail(err, C12_ERR_FORMAT, "messages[%zu]: expected an object with a string \"role\"", i);
        if (c && !json_is_null(c) && !json_is_string(c) && !json_is_array(c))
            return c12_fail(err, C12_ERR_FORMAT, "messages[%zu].content: expected a string or an array", i);
        total += json_string_length(role) + 1 + (c ? content_text(c, NULL) : 0) + 1;
    }
    *bytes = total;
    return C12_OK;
}

static c12_rc fill(const json_t *arr, size_t bytes, c12_route_msgs *out, c12_err *err)
{
    size_t n = json_array_size(arr), i;
    c12_route_msg *msgs = c12_calloc(n, sizeof *msgs);
    char *store = c12_malloc(bytes ? bytes : 1);
    if (!msgs || !store) {
        c12_free(msgs);
        c12_free(store);
        return c12_fail(err, C12_ERR_NOMEM, "messages: out of memory");
    }
    size_t k = 0;
    const json_t *m;
    json_array_foreach(arr, i, m) {
        const json_t *role = json_object_get(m, "role"), *c = json_object_get(m, "content");
        size_t rn = json_string_length(role);
        memcpy(store + k, json_string_value(role), rn);
        store[k + rn] = '\0';
        msgs[i].role = store + k;
        k += rn + 1;
        size_t tn = c ? content_text(c, store + k) : 0;
        store[k + tn] = '\0';
        msgs[i].text = store + k;
        msgs[i].len = tn;
        k += tn + 1;
    }
    out->msgs = msgs;
    out->n = n;
    out->store = store;
    return C12_OK;
}

c12_rc c12_route_msgs_parse(const char *json, size_t len, c12_route_msgs *out, c12_err *err)
{
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root)
        return c12_fail(err, C12_ERR_FORMAT, "messages: malformed JSON at line %d column %d: %s", je.line, je.column,
                        je.text);
    const json_t *arr = json_is_object(root) ? json_object_get(root, "messages") : root;
    size_t bytes = 0;
    c12_rc rc = check(arr, &bytes, err);
    if (!rc) rc = fill(arr, bytes, out, err);
    json_decref(root);
    return rc;
}

void c12_route_msgs_free(c12_route_msgs *m)
{
    if (!m) return;
    c12_free(m->msgs);
    c12_free(m->store);
    memset(m, 0, sizeof *m);
}
