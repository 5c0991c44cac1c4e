/* api_tools.c - OpenAI's tool fields of a chat request, checked and read
 * into what the chat template renders (c12_chat_tools, c12_chat_call):
 *
 *   tools: up to 128 {"type": "function", "function": {"name", "description",
 *     "parameters"}}, each rendered whole as the template's tojson does;
 *   tool_choice: "none", "auto" (the default with tools), "required", or
 *     {"type": "function", "function": {"name"}} naming one of the tools;
 *   parallel_tool_calls: a boolean (accepted; the model may make several);
 *   messages: an assistant's tool_calls [{"id", "type", "function": {"name",
 *     "arguments": a JSON string}}] (its arguments rendered as the object
 *     they hold, as llama.cpp and vLLM give them to the template), and
 *     "tool" messages with a tool_call_id. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_json.h"
#include "server/api_tools.h"

static json_t *field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_null(v) ? NULL : v;
}

static c12_rc bad(char *param, c12_err *err, const char *field_name, const char *what)
{
    if (param) snprintf(param, 64, "%.63s", field_name);
    return c12_fail(err, C12_ERR_INVALID, "'%s' %s", field_name, what);
}

/* OpenAI's rule for a function's name: 1-64 of a-z, A-Z, 0-9, _ and -. */
static int good_name(const json_t *v)
{
    if (!json_is_string(v)) return 0;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n < 1 || n > 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-') return 0;
    return 1;
}

/* Keep a rendered string (owned by r). */
static c12_rc keep(c12_api_req *r, char *s, c12_err *err)
{
    if (!s) return c12_fail(err, C12_ERR_NOMEM, "out of memory");
    char **v = c12_realloc(r->tool_text, (r->n_tool_text + 1) * sizeof *v);
    if (!v) {
        c12_free(s);
        return c12_fail(err, C12_ERR_NOMEM, "out of memory");
    }
    r->tool_text = v;
    v[r->n_tool_text++] = s;
    return C12_OK;
}

static c12_rc tojson_kept(c12_api_req *r, const json_t *v, const char **out, c12_err *err)
{
    char *s = NULL;
    c12_rc rc = c12_tool_tojson(v, &s, err);
    if (!rc) rc = keep(r, s, err);
    if (!rc) *out = s;
    return rc;
}

static c12_rc one_tool(json_t *t, size_t i, char *param, c12_err *err)
{
    char f[96]; /* the param it names is cut to 64 */
    json_t *fn = field(t, "function"), *type = field(t, "type");
    snprintf(f, sizeof f, "tools[%zu]", i);
    if (!json_is_object(t)) return bad(param, err, f, "must be an object");
    snprintf(f, sizeof f, "tools[%zu].type", i);
    if (!json_is_string(type) || strcmp(json_string_value(type), "function"))
        return bad(param, err, f, "must be \"function\"");
    snprintf(f, sizeof f, "tools[%zu].function", i);
    if (!json_is_object(fn)) return bad(param, err, f, "must be an object");
    snprintf(f, sizeof f, "tools[%zu].function.name", i);
    if (!good_name(field(fn, "name"))) return bad(param, err, f, "must be 1 to 64 of a-z, A-Z, 0-9, _ and -");
    snprintf(f, sizeof f, "tools[%zu].function.description", i);
    if (field(fn, "description") && !json_is_string(field(fn, "description")))
        return bad(param, err, f, "must be a string");
    snprintf(f, sizeof f, "tools[%zu].function.parameters", i);
    if (field(fn, "parameters") && !json_is_object(field(fn, "parameters")))
        return bad(param, err, f, "must be an object (a JSON schema)");
    return C12_OK;
}

static c12_rc read_tools(json_t *o, c12_api_req *r, char *param, c12_err *err)
{
    json_t *v = field(o, "tools"), *t;
    size_t i;
    if (!v) return C12_OK;
    if (!json_is_array(v) || json_array_size(v) > C12_API_MAX_TOOLS)
        return bad(param, err, "tools", "must be an array of up to 128 tools");
    const char **texts = json_array_size(v) ? c12_calloc(json_array_size(v), sizeof *texts) : NULL;
    /* the array of pointers is kept (freed) with the texts */
    if (json_array_size(v) && (!texts || keep(r, (char *)texts, err)))
        return c12_fail(err, C12_ERR_NOMEM, "out of memory");
    json_array_foreach(v, i, t) {
        c12_rc rc = one_tool(t, i, param, err);
        if (!rc) rc = tojson_kept(r, t, &texts[i], err);
        if (rc) return rc;
    }
    r->tools.tools = texts;
    r->tools.n = json_array_size(v);
    return C12_OK;
}

/* The tools' function named `name`, or NULL. */
static const char *tool_named(json_t *o, const char *name)
{
    json_t *t;
    size_t i;
    json_array_foreach(field(o, "tools"), i, t) {
        json_t *n = field(field(t, "function"), "name");
        if (!strcmp(json_string_value(n), name)) return json_string_value(n);
    }
    return NULL;
}

static c12_rc read_choice(json_t *o, c12_api_req *r, char *param, c12_err *err)
{
    json_t *v = field(o, "tool_choice");
    r->tool_choice = r->tools.n ? C12_TOOL_AUTO : C12_TOOL_NONE;
    if (!v) return C12_OK;
    static const char *const NAMES[] = {"none", "auto", "required"};
    for (int k = 0; json_is_string(v) && k < 3; k++)
        if (!strcmp(json_string_value(v), NAMES[k])) r->tool_choice = (c12_tool_choice)k;
    json_t *fn = json_is_object(v) ? field(v, "function") : NULL, *type = json_is_object(v) ? field(v, "type") : NULL;
    if (json_is_object(v)) {
        if (!json_is_string(type) || strcmp(json_string_value(type), "function") || !json_is_object(fn) ||
            !json_is_string(field(fn, "name")))
            return bad(param, err, "tool_choice", "must be {\"type\": \"function\", \"function\": {\"name\": ...}}");
        if (!(r->tools.name = tool_named(o, json_string_value(field(fn, "name")))))
            return bad(param, err, "tool_choice", "names a function that is not in 'tools'");
        r->tool_choice = C12_TOOL_NAMED;
    } else if (!json_is_string(v) || (strcmp(json_string_value(v), "none") && strcmp(json_string_value(v), "auto") &&
                                      strcmp(json_string_value(v), "required")))
        return bad(param, err, "tool_choice", "must be none, auto, required or a named function");
    if (r->tool_choice != C12_TOOL_NONE && !r->tools.n)
        return bad(param, err, "tool_choice", "needs 'tools'");
    r->tools.force = r->tool_choice == C12_TOOL_REQUIRED || r->tool_choice == C12_TOOL_NAMED;
    return C12_OK;
}

/* One call of an assistant's tool_calls; its arguments, a JSON string,
 * rendered as the value it holds (as itself when it holds none). */
static c12_rc one_call(json_t *c, size_t i, size_t k, c12_api_req *r, c12_chat_call *out, char *param, c12_err *err)
{
    char f[96]; /* the param it names is cut to 64 */
    json_t *fn = json_is_object(c) ? field(c, "function") : NULL, *args = field(fn, "arguments");
    snprintf(f, sizeof f, "messages[%zu].tool_calls[%zu]", i, k);
    if (!json_is_object(c) || !json_is_object(fn) || (field(c, "type") && !json_is_string(field(c, "type"))))
        return bad(param, err, f, "must be {\"id\", \"type\": \"function\", \"function\": {\"name\", \"arguments\"}}");
    snprintf(f, sizeof f, "messages[%zu].tool_calls[%zu].function.name", i, k);
    if (!json_is_string(field(fn, "name"))) return bad(param, err, f, "must be a string");
    snprintf(f, sizeof f, "messages[%zu].tool_calls[%zu].function.arguments", i, k);
    if (!json_is_string(args)) return bad(param, err, f, "must be a string (JSON)");
    json_t *parsed = NULL;
    c12_err e;
    if (c12_json_parse(json_string_value(args), json_string_length(args), JSON_DECODE_ANY, "arguments", &parsed, &e) ==
        C12_ERR_NOMEM)
        return c12_fail(err, C12_ERR_NOMEM, "out of memory");
    out->name = json_string_value(field(fn, "name"));
    c12_rc rc = tojson_kept(r, parsed ? parsed : args, &out->arguments, err);
    json_decref(parsed);
    return rc;
}

static size_t count_calls(json_t *msgs)
{
    size_t i, n = 0;
    json_t *m;
    json_array_foreach(msgs, i, m) {
        json_t *tc = field(m, "tool_calls");
        if (json_is_array(tc)) n += json_array_size(tc);
    }
    return n;
}

static c12_rc read_history(json_t *o, c12_api_req *r, char *param, c12_err *err)
{
    json_t *msgs = field(o, "messages"), *m;
    size_t i, used = 0, total = count_calls(msgs);
    if (total && !(r->calls = c12_calloc(total, sizeof *r->calls)))
        return c12_fail(err, C12_ERR_NOMEM, "out of memory");
    json_array_foreach(msgs, i, m) {
        char f[96];
        json_t *tc = field(m, "tool_calls"), *c;
        size_t k;
        if (!strcmp(r->messages[i].role, "tool")) {
            r->tool_use = 1;
            snprintf(f, sizeof f, "messages[%zu].tool_call_id", i);
            if (!json_is_string(field(m, "tool_call_id"))) return bad(param, err, f, "must be a string");
        }
        if (!tc) continue;
        snprintf(f, sizeof f, "messages[%zu].tool_calls", i);
        if (strcmp(r->messages[i].role, "assistant") || !json_is_array(tc))
            return bad(param, err, f, "must be an array, in an assistant message");
        r->messages[i].calls = r->calls + used;
        json_array_foreach(tc, k, c) {
            c12_rc rc = one_call(c, i, k, r, &r->calls[used++], param, err);
            if (rc) return rc;
        }
        r->messages[i].n_calls = json_array_size(tc);
        r->tool_use |= r->messages[i].n_calls > 0;
    }
    return C12_OK;
}

c12_rc c12_api_tools_read(json_t *o, c12_api_req *r, char *param, c12_err *err)
{
    if (r->kind == C12_API_COMPLETION) {
        if (field(o, "tools") || field(o, "tool_choice"))
            return bad(param, err, field(o, "tools") ? "tools" : "tool_choice",
                       "is not supported by /v1/completions (use /v1/chat/completions)");
        return C12_OK;
    }
    c12_rc rc = read_tools(o, r, param, err);
    if (!rc) rc = read_choice(o, r, param, err);
    if (!rc && field(o, "parallel_tool_calls") && !json_is_boolean(field(o, "parallel_tool_calls")))
        rc = bad(param, err, "parallel_tool_calls", "must be a boolean");
    if (!rc) rc = read_history(o, r, param, err);
    r->tool_use |= r->tools.n > 0;
    return rc;
}

void c12_api_tools_free(c12_api_req *r)
{
    for (size_t i = 0; i < r->n_tool_text; i++) c12_free(r->tool_text[i]);
    c12_free(r->tool_text);
    c12_free(r->calls);
    r->tool_text = NULL;
    r->calls = NULL;
    r->n_tool_text = 0;
}

const char *c12_api_tools_prefill(const c12_api_req *r, char *buf, size_t cap)
{
    if (!r->tools.force) return "";
    snprintf(buf, cap, "%s\n{\"name\": \"%s", "<tool_call>", r->tools.name ? r->tools.name : "");
    return buf;
}
