/* backend_remote_body.c - what goes to a remote site (the request's JSON)
 * and what its refusals mean (backend_remote.h). */
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_json.h"
#include "pool/backend_remote.h"

/* A message's tool fields as the client sent them (raw: its JSON, or NULL). */
static int tool_fields(json_t *o, json_t *raw)
{
    static const char *const KEYS[] = {"tool_calls", "tool_call_id", "name"};
    int bad = 0;
    for (size_t k = 0; json_is_object(raw) && k < sizeof KEYS / sizeof *KEYS; k++) {
        json_t *v = json_object_get(raw, KEYS[k]);
        if (v) bad |= json_object_set(o, KEYS[k], v);
    }
    /* an assistant turn of calls alone: its content null or absent, as it came */
    json_t *c = json_object_get(raw, "content");
    if (json_object_get(raw, "tool_calls") && !c) bad |= json_object_del(o, "content");
    else if (json_object_get(raw, "tool_calls") && json_is_null(c)) bad |= json_object_set_new(o, "content", json_null());
    return bad;
}

/* The chat's messages; the policy's note closes the system turn (or is
 * one, first), as the local template would render it. raw: the client's
 * messages array (NULL: none), one for one with r->messages. */
static json_t *messages(const c12_backend_req *r, json_t *raw)
{
    json_t *a = json_array();
    int noted = !r->system_note || !r->system_note[0];
    for (size_t i = 0; a && i < r->n_messages; i++) {
        const c12_chat_msg *m = &r->messages[i];
        json_t *o;
        if (!noted && !strcmp(m->role, "system")) {
            size_t n = strlen(m->content) + strlen(r->system_note) + 2;
            char *t = c12_malloc(n);
            if (t) snprintf(t, n, "%s\n%s", m->content, r->system_note);
            o = t ? json_pack("{s:s, s:s}", "role", m->role, "content", t) : NULL;
            c12_free(t);
            noted = 1;
        } else
            o = json_pack("{s:s, s:s}", "role", m->role, "content", m->content);
        if (o && tool_fields(o, json_array_get(raw, i))) json_decref(o), o = NULL;
        if (!o || json_array_append_new(a, o)) return json_decref(a), NULL;
    }
    if (a && !noted && json_array_insert_new(a, 0, json_pack("{s:s, s:s}", "role", "system", "content", r->system_note)))
        return json_decref(a), NULL;
    return a;
}

/* The request's response_format and (a chat's) tools, as the client sent them. */
static int passed_on(json_t *b, json_t *wire, int chat)
{
    static const char *const KEYS[] = {"response_format", "tools", "tool_choice", "parallel_tool_calls"};
    int bad = 0;
    for (size_t k = 0; k < (chat ? sizeof KEYS / sizeof *KEYS : 1); k++) {
        json_t *v = json_object_get(wire, KEYS[k]);
        if (v && !json_is_null(v)) bad |= json_object_set(b, KEYS[k], v);
    }
    return bad;
}

static int sampling(json_t *b, const c12_backend_req *r)
{
    const c12_sampling *s = &r->gen.sampling;
    int bad = json_object_set_new(b, "temperature", json_real(s->temperature > 0 ? s->temperature : 0));
    if (s->top_p > 0 && s->top_p < 1) bad |= json_object_set_new(b, "top_p", json_real(s->top_p));
    if (s->presence_penalty) bad |= json_object_set_new(b, "presence_penalty", json_real(s->presence_penalty));
    if (s->frequency_penalty) bad |= json_object_set_new(b, "frequency_penalty", json_real(s->frequency_penalty));
    if (s->seed) bad |= json_object_set_new(b, "seed", json_integer((json_int_t)(s->seed & 0x7fffffffffffffffull)));
    if (r->gen.max_tokens > 0) bad |= json_object_set_new(b, "max_tokens", json_integer(r->gen.max_tokens));
    /* not OpenAI's, but C12's, vLLM's and llama.cpp's servers take it */
    if (r->gen.ignore_eos) bad |= json_object_set_new(b, "ignore_eos", json_true());
    if (r->gen.stop) {
        json_t *st = json_array();
        for (const char *const *p = r->gen.stop; st && *p; p++) json_array_append_new(st, json_string(*p));
        bad |= !st || json_object_set_new(b, "stop", st);
    }
    return bad;
}

c12_rc c12_remote_body(const c12_remote_call *c, c12_buf *out, c12_err *err)
{
    const c12_backend_req *r = c->req;
    /* the site decodes to the format itself: C12's grammar is its engine's */
    json_t *wire = (json_t *)r->wire;
    if (!json_is_object(wire) && (r->tools || r->gen.json))
        return c12_fail(err, C12_ERR_INVALID, "Tools and response_format need the request's JSON to pass them on.");
    json_t *b = json_pack("{s:s, s:b, s:{s:b}}", "model", c->model, "stream", 1, "stream_options", "include_usage", 1);
    int bad = !b;
    if (!bad && r->messages) bad = json_object_set_new(b, "messages", messages(r, json_object_get(wire, "messages")));
    if (!bad && json_is_object(wire)) bad = passed_on(b, wire, r->messages != NULL);
    else if (!bad) bad = json_object_set_new(b, "prompt", json_string(r->prompt ? r->prompt : ""));
    if (!bad) bad = sampling(b, r);
    char *text = bad ? NULL : json_dumps(b, JSON_COMPACT);
    json_decref(b);
    c12_rc rc = text ? c12_buf_puts(out, text) : C12_ERR_NOMEM;
    c12_free(text);
    return rc ? c12_fail(err, C12_ERR_NOMEM, "Out of memory.") : C12_OK;
}

/* The message of OpenAI's error shape, or the start of the body. */
static void error_message(const char *body, size_t n, char *msg, size_t cap, char *code, size_t ccap)
{
    json_t *j = NULL;
    c12_err e;
    snprintf(msg, cap, "%.*s", (int)(n > 200 ? 200 : n), body ? body : "");
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20) *p = ' ';
    code[0] = '\0';
    if (!body || c12_json_parse_untrusted(body, n, 0, "upstream error", &j, &e)) return;
    json_t *o = json_object_get(j, "error");
    const char *m = json_string_value(json_is_object(o) ? json_object_get(o, "message") : o);
    const char *c = json_string_value(json_object_get(o, "code"));
    if (m) snprintf(msg, cap, "%s", m);
    if (c) snprintf(code, ccap, "%s", c);
    json_decref(j);
}

c12_rc c12_remote_http_error(const c12_site_cfg *site, int status, const char *body, size_t n, int *retryable,
                             c12_err *err)
{
    char msg[300], code[64];
    error_message(body, n, msg, sizeof msg, code, sizeof code);
    /* the request's own fault: another site would say the same */
    *retryable = !(status == 400 || status == 413 || status == 422);
    if (status == 400 && strstr(code, "context_length"))
        return c12_fail(err, C12_ERR_RANGE, "%s", msg);
    if (!*retryable) return c12_fail(err, C12_ERR_INVALID, "%s", msg);
    if (status == 429) return c12_fail(err, C12_ERR_BUSY, "site %s is busy (429): %s", site->name, msg);
    return c12_fail(err, C12_ERR_NETWORK, "site %s answered %d: %s", site->name, status, msg);
}
