/* backend_remote_body.c - what goes to a remote site (the request's JSON)
 * and what its refusals mean (backend_remote.h). */
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_json.h"
#include "pool/backend_remote.h"

/* The body is written straight out: a gateway in front of a site writes
 * thousands a second, and a jansson tree cost some thirty allocations and
 * a dump each. Only what the client sent and C12 passes on untouched
 * (tools, response_format, a message's tool fields) is dumped from its
 * tree. tests/pool/test_remote_body.c reads bodies back and checks them. */

static c12_rc put_str(c12_buf *b, const char *s) { return c12_json_put_string(b, s, strlen(s)); }

/* A message's tool fields as the client sent them (raw: its JSON, or NULL). */
static c12_rc tool_fields(c12_buf *b, json_t *raw)
{
    static const char *const KEYS[] = {"tool_calls", "tool_call_id", "name"};
    c12_rc rc = C12_OK;
    for (size_t k = 0; !rc && json_is_object(raw) && k < sizeof KEYS / sizeof *KEYS; k++) {
        json_t *v = json_object_get(raw, KEYS[k]);
        if (v) rc = c12_json_put_key(b, KEYS[k]);
        if (v && !rc) rc = c12_json_put_value(b, v);
    }
    return rc;
}

/* One message as {"role", "content", its tool fields}. */
static c12_rc message(c12_buf *b, const char *role, const char *content, json_t *raw)
{
    c12_rc rc = c12_buf_puts(b, "{\"role\":");
    if (!rc) rc = put_str(b, role);
    /* an assistant turn of calls alone: its content null or absent, as it came */
    json_t *c = json_object_get(raw, "content");
    int calls_alone = json_object_get(raw, "tool_calls") && (!c || json_is_null(c));
    if (!rc && (!calls_alone || c)) rc = c12_buf_puts(b, ",\"content\":");
    if (!rc && !calls_alone) rc = put_str(b, content);
    else if (!rc && c) rc = c12_buf_puts(b, "null");
    if (!rc) rc = tool_fields(b, raw);
    return rc ? rc : c12_buf_puts(b, "}");
}

/* The system turn with the policy's note closing it. */
static c12_rc noted_message(c12_buf *b, const c12_chat_msg *m, const char *note, json_t *raw)
{
    size_t n = strlen(m->content) + strlen(note) + 2;
    char *t = c12_malloc(n);
    if (!t) return C12_ERR_NOMEM;
    snprintf(t, n, "%s\n%s", m->content, note);
    c12_rc rc = message(b, m->role, t, raw);
    c12_free(t);
    return rc;
}

/* The chat's messages; the policy's note closes the system turn (or is
 * one, first), as the local template would render it. raw: the client's
 * messages array (NULL: none), one for one with r->messages. */
static c12_rc messages(c12_buf *b, const c12_backend_req *r, json_t *raw)
{
    const char *note = r->system_note && r->system_note[0] ? r->system_note : NULL;
    int system = 0;
    for (size_t i = 0; note && i < r->n_messages && !system; i++) system = !strcmp(r->messages[i].role, "system");
    c12_rc rc = c12_buf_puts(b, ",\"messages\":[");
    if (!rc && note && !system) rc = message(b, "system", note, NULL);
    for (size_t i = 0; !rc && i < r->n_messages; i++) {
        const c12_chat_msg *m = &r->messages[i];
        if ((note && !system) || i) rc = c12_buf_puts(b, ",");
        if (rc) break;
        json_t *mr = json_array_get(raw, i);
        int first_system = note && system && !strcmp(m->role, "system");
        rc = first_system ? noted_message(b, m, note, mr) : message(b, m->role, m->content, mr);
        if (first_system) note = NULL; /* the first system turn only */
    }
    return rc ? rc : c12_buf_puts(b, "]");
}

/* The request's response_format and (a chat's) tools, as the client sent them. */
static c12_rc passed_on(c12_buf *b, json_t *wire, int chat)
{
    static const char *const KEYS[] = {"response_format", "tools", "tool_choice", "parallel_tool_calls"};
    c12_rc rc = C12_OK;
    for (size_t k = 0; !rc && k < (chat ? sizeof KEYS / sizeof *KEYS : 1); k++) {
        json_t *v = json_object_get(wire, KEYS[k]);
        if (v && !json_is_null(v)) rc = c12_json_put_key(b, KEYS[k]);
        if (v && !json_is_null(v) && !rc) rc = c12_json_put_value(b, v);
    }
    return rc;
}

static c12_rc real(c12_buf *b, const char *k, double v)
{
    c12_rc rc = c12_json_put_key(b, k);
    return rc ? rc : c12_json_put_real(b, v);
}

static c12_rc sampling(c12_buf *b, const c12_backend_req *r)
{
    const c12_sampling *s = &r->gen.sampling;
    c12_rc rc = real(b, "temperature", s->temperature > 0 ? s->temperature : 0);
    if (!rc && s->top_p > 0 && s->top_p < 1) rc = real(b, "top_p", s->top_p);
    if (!rc && s->presence_penalty) rc = real(b, "presence_penalty", s->presence_penalty);
    if (!rc && s->frequency_penalty) rc = real(b, "frequency_penalty", s->frequency_penalty);
    if (!rc && s->seed) rc = c12_buf_printf(b, ",\"seed\":%llu", (unsigned long long)(s->seed & 0x7fffffffffffffffull));
    if (!rc && r->gen.max_tokens > 0) rc = c12_buf_printf(b, ",\"max_tokens\":%d", r->gen.max_tokens);
    /* not OpenAI's, but C12's, vLLM's and llama.cpp's servers take it */
    if (!rc && r->gen.ignore_eos) rc = c12_buf_puts(b, ",\"ignore_eos\":true");
    if (!rc && r->gen.stop) {
        rc = c12_buf_puts(b, ",\"stop\":[");
        for (const char *const *p = r->gen.stop; !rc && *p; p++) {
            if (p != r->gen.stop) rc = c12_buf_puts(b, ",");
            if (!rc) rc = put_str(b, *p);
        }
        if (!rc) rc = c12_buf_puts(b, "]");
    }
    return rc;
}

c12_rc c12_remote_body(const c12_remote_call *c, c12_buf *out, c12_err *err)
{
    const c12_backend_req *r = c->req;
    /* the site decodes to the format itself: C12's grammar is its engine's */
    json_t *wire = (json_t *)r->wire;
    if (!json_is_object(wire) && (r->tools || r->gen.json))
        return c12_fail(err, C12_ERR_INVALID, "Tools and response_format need the request's JSON to pass them on.");
    c12_rc rc = c12_buf_puts(out, "{\"model\":");
    if (!rc) rc = put_str(out, c->model);
    if (!rc) rc = c12_buf_puts(out, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}");
    if (!rc && r->messages) rc = messages(out, r, json_object_get(wire, "messages"));
    else if (!rc && !(rc = c12_json_put_key(out, "prompt"))) rc = put_str(out, r->prompt ? r->prompt : "");
    if (!rc && json_is_object(wire)) rc = passed_on(out, wire, r->messages != NULL);
    if (!rc) rc = sampling(out, r);
    if (!rc) rc = c12_buf_puts(out, "}");
    if (rc == C12_ERR_INVALID) return c12_fail(err, rc, "A sampling value is not a finite number.");
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
