/* route_msgs.c - the one reader of an OpenAI messages array, for the
 * server's request bodies (src/server/api_req.c) and `c12 route
 * --messages` alike:
 *
 *   - 1 to C12_ROUTE_MSGS_MAX objects;
 *   - role: system, user, assistant or tool (a tool's result); developer
 *     (OpenAI's newer name of system) reads as system;
 *   - content: a string, or an array of {"type": "text", "text": string}
 *     parts, concatenated as the chat template will see them; null (or
 *     absent, with tool_calls) only in an assistant turn, read as "".
 *
 * A refusal is C12_ERR_INVALID naming the field, e.g. messages[2].role.
 * The roles are the static names above; the texts live in one block. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_json.h"
#include "base/c12_alloc.h"
#include "route/route.h"

static const char *const ROLES[] = {"system", "user", "assistant", "developer", "tool", NULL};

static c12_rc refuse(char *param, c12_err *err, const char *field, const char *what)
{
    if (param) snprintf(param, C12_ROUTE_PARAM_MAX, "%s", field);
    return c12_fail(err, C12_ERR_INVALID, "'%s' %s", field, what);
}

/* The role's index in ROLES, or -1. */
static int role_of(const json_t *m)
{
    const json_t *r = json_object_get(m, "role");
    int k = 0;
    if (!json_is_string(r)) return -1;
    while (ROLES[k] && strcmp(ROLES[k], json_string_value(r))) k++;
    return ROLES[k] ? k : -1;
}

/* The bytes of a content value (checked), written to dst when not NULL. */
static size_t content_text(const json_t *c, char *dst)
{
    size_t k = 0, i;
    const json_t *part;
    if (json_is_string(c)) {
        if (dst) memcpy(dst, json_string_value(c), json_string_length(c));
        return json_string_length(c);
    }
    json_array_foreach(c, i, part) {
        const json_t *t = json_object_get(part, "text");
        if (dst) memcpy(dst + k, json_string_value(t), json_string_length(t));
        k += json_string_length(t);
    }
    return k;
}

static int text_part(const json_t *part)
{
    const json_t *type = json_object_get(part, "type"), *text = json_object_get(part, "text");
    return json_is_object(part) && json_is_string(type) && !strcmp(json_string_value(type), "text") &&
           json_is_string(text);
}

static c12_rc check_content(const json_t *c, int role, char *param, c12_err *err, const char *field)
{
    size_t i;
    const json_t *part;
    if (!c) return refuse(param, err, field, "is required");
    if (json_is_string(c) || (json_is_null(c) && role == 2)) return C12_OK;
    if (!json_is_array(c)) return refuse(param, err, field, "must be a string or an array of text parts");
    json_array_foreach(c, i, part) {
        if (!text_part(part))
            return refuse(param, err, field, "must be an array of {\"type\": \"text\", \"text\": string} parts");
    }
    return C12_OK;
}

/* Every message checked; *bytes: the texts' size with a NUL each. */
static c12_rc check(const json_t *arr, size_t *bytes, char *param, c12_err *err)
{
    size_t i, total = 0;
    const json_t *m;
    char field[C12_ROUTE_PARAM_MAX];
    if (!arr) return refuse(param, err, "messages", "is required");
    if (!json_is_array(arr)) return refuse(param, err, "messages", "must be an array");
    if (json_array_size(arr) == 0 || json_array_size(arr) > C12_ROUTE_MSGS_MAX)
        return refuse(param, err, "messages", "must have 1 to 1024 messages");
    json_array_foreach(arr, i, m) {
        snprintf(field, sizeof field, "messages[%zu]", i);
        if (!json_is_object(m)) return refuse(param, err, field, "must be an object");
        int role = role_of(m);
        snprintf(field, sizeof field, "messages[%zu].role", i);
        if (!json_is_string(json_object_get(m, "role"))) return refuse(param, err, field, "must be a string");
        if (role < 0) return refuse(param, err, field, "must be one of system, user, assistant, tool");
        const json_t *c = json_object_get(m, "content");
        snprintf(field, sizeof field, "messages[%zu].content", i);
        /* an assistant turn that called tools may leave its content out */
        int calls = role == 2 && json_array_size(json_object_get(m, "tool_calls"));
        c12_rc rc = !c && calls ? C12_OK : check_content(c, role, param, err, field);
        if (rc) return rc;
        total += (json_is_null(c) ? 0 : content_text(c, NULL)) + 1;
    }
    *bytes = total;
    return C12_OK;
}

c12_rc c12_route_msgs_read(const json_t *arr, c12_route_msgs *out, char *param, c12_err *err)
{
    size_t bytes = 0, k = 0, i;
    c12_rc rc = check(arr, &bytes, param, err);
    if (rc) return rc;
    size_t n = json_array_size(arr);
    c12_route_msg *msgs = c12_calloc(n, sizeof *msgs);
    char *store = c12_malloc(bytes);
    if (!msgs || !store) {
        c12_free(msgs);
        c12_free(store);
        return c12_fail(err, C12_ERR_NOMEM, "out of memory");
    }
    const json_t *m;
    json_array_foreach(arr, i, m) {
        const json_t *c = json_object_get(m, "content");
        int role = role_of(m);
        size_t len = json_is_null(c) ? 0 : content_text(c, store + k);
        store[k + len] = '\0';
        msgs[i] = (c12_route_msg){.role = ROLES[role == 3 ? 0 : role], .text = store + k, .len = len};
        k += len + 1;
    }
    *out = (c12_route_msgs){.msgs = msgs, .n = n, .store = store};
    return C12_OK;
}

c12_rc c12_route_msgs_parse(const char *json, size_t len, c12_route_msgs *out, c12_err *err)
{
    json_t *root = NULL;
    c12_rc rc = c12_json_parse(json, len, 0, "messages", &root, err);
    if (rc) return rc;
    const json_t *arr = json_is_object(root) ? json_object_get(root, "messages") : root;
    rc = c12_route_msgs_read(arr, out, NULL, err);
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
