/* sse.c - an upstream's streamed reply, parsed incrementally (sse.h). */
#include <stdio.h>
#include <string.h>

#include "base/c12_json.h"
#include "pool/sse.h"
#include "pool/sse_fields.h"

#define DATA_MAX (4u << 20) /* one event's data lines together */

void c12_sse_init(c12_sse *p, int (*text)(void *ud, const char *s, size_t n), void *ud)
{
    memset(p, 0, sizeof *p);
    c12_buf_init(&p->line, C12_SSE_LINE_MAX);
    c12_buf_init(&p->data, DATA_MAX);
    c12_buf_init(&p->scratch, DATA_MAX);
    p->text = text;
    p->ud = ud;
}

void c12_sse_free(c12_sse *p)
{
    c12_buf_free(&p->line);
    c12_buf_free(&p->data);
    c12_buf_free(&p->scratch);
}

static void copy_str(const c12_sse_str *v, char *dst, size_t cap)
{
    if (v->is) snprintf(dst, cap, "%.*s", (int)(v->n < cap ? v->n : cap - 1), v->s);
}

static void copy_json_str(json_t *j, char *dst, size_t cap)
{
    const char *s = json_string_value(j);
    if (s) snprintf(dst, cap, "%s", s);
}

/* ---- the fields of a chunk read from jansson's tree ---- */

static c12_sse_str str_of(json_t *j)
{
    return json_is_string(j) ? (c12_sse_str){.is = 1, .s = json_string_value(j), .n = json_string_length(j)}
                             : (c12_sse_str){0};
}

static void c12_of(json_t *c, c12_sse_c12 *k)
{
    json_t *e = json_object_get(c, "energy_j");
    k->obj = json_is_object(c);
    k->num = json_is_number(e);
    k->energy_j = json_number_value(e);
    k->method = str_of(json_object_get(c, "energy_method"));
}

static void fields_of(json_t *j, c12_sse_fields *f)
{
    *f = (c12_sse_fields){0};
    json_t *u = json_object_get(j, "usage"), *pt = json_object_get(u, "prompt_tokens"),
           *ct = json_object_get(u, "completion_tokens");
    f->usage_obj = json_is_object(u);
    f->tokens_int = json_is_integer(pt) && json_is_integer(ct);
    f->prompt_tokens = json_integer_value(pt);
    f->completion_tokens = json_integer_value(ct);
    c12_of(json_object_get(u, "c12"), &f->usage_c12);
    c12_of(json_object_get(j, "c12"), &f->top_c12);
    json_t *ch = json_array_get(json_object_get(j, "choices"), 0);
    json_t *d = json_object_get(ch, "delta"), *m = json_object_get(ch, "message");
    f->choice_obj = json_is_object(ch);
    f->finish = str_of(json_object_get(ch, "finish_reason"));
    f->delta_obj = json_is_object(d);
    f->message_obj = json_is_object(m);
    f->delta_content = str_of(json_object_get(d, "content"));
    f->message_content = str_of(json_object_get(m, "content"));
    f->text = str_of(json_object_get(ch, "text"));
}

/* ---- what the fields say, however they were read ---- */

/* A C12 upstream's figures: usage.c12, or the finish chunk's "c12". */
static void take_c12(c12_sse *p, const c12_sse_c12 *k)
{
    if (!k->obj || !k->num || k->energy_j < 0) return;
    p->usage.have_energy = 1;
    p->usage.energy_j = k->energy_j;
    copy_str(&k->method, p->usage.energy_method, sizeof p->usage.energy_method);
}

/* Usage, finish and text; 1: the chunk has a choice (its tool calls are
 * next). */
static int take_fields(c12_sse *p, const c12_sse_fields *f, c12_rc *rc, c12_err *err)
{
    *rc = C12_OK;
    if (f->usage_obj && f->tokens_int) {
        p->usage.have = 1;
        p->usage.prompt_tokens = f->prompt_tokens;
        p->usage.completion_tokens = f->completion_tokens;
        take_c12(p, &f->usage_c12);
    }
    take_c12(p, &f->top_c12);
    if (!f->choice_obj) return 0; /* the usage chunk has none */
    copy_str(&f->finish, p->finish, sizeof p->finish);
    const c12_sse_str *t = f->delta_obj ? &f->delta_content : f->message_obj ? &f->message_content : &f->text;
    if (t->is && t->n) {
        p->n_text++;
        if (p->text && p->text(p->ud, t->s, t->n)) *rc = c12_fail(err, C12_ERR_CANCELLED, "the reply was stopped");
    }
    return 1;
}

static void take_error(c12_sse *p, json_t *e)
{
    p->error = 1;
    snprintf(p->error_msg, sizeof p->error_msg, "the upstream sent an error");
    if (json_is_object(e)) {
        copy_json_str(json_object_get(e, "message"), p->error_msg, sizeof p->error_msg);
        copy_json_str(json_object_get(e, "code"), p->error_code, sizeof p->error_code);
        if (!p->error_code[0]) copy_json_str(json_object_get(e, "type"), p->error_code, sizeof p->error_code);
    } else
        copy_json_str(e, p->error_msg, sizeof p->error_msg);
}

/* The pieces of tool calls in a delta or message (calls: its tool_calls). */
static c12_rc take_calls(c12_sse *p, json_t *calls, c12_err *err)
{
    size_t i;
    json_t *c;
    if (!p->tool || !json_is_array(calls) || !json_array_size(calls)) return C12_OK;
    p->n_text++; /* a token, roughly, as a text chunk is */
    json_array_foreach(calls, i, c) {
        if (!json_is_object(c)) return c12_fail(err, C12_ERR_FORMAT, "upstream: a tool call is not a JSON object");
        json_t *ix = json_object_get(c, "index"), *fn = json_object_get(c, "function");
        json_t *args = json_object_get(fn, "arguments");
        if ((ix && !json_is_integer(ix)) || json_integer_value(ix) < 0 || json_integer_value(ix) > 4096)
            return c12_fail(err, C12_ERR_FORMAT, "upstream: a tool call's index is not a small integer");
        c12_tool_frag f = {.index = ix ? (int)json_integer_value(ix) : (int)i,
                           .id = json_string_value(json_object_get(c, "id")),
                           .name = json_string_value(json_object_get(fn, "name")),
                           .args = json_string_value(args), .args_len = json_string_length(args)};
        if (p->tool(p->ud, &f)) return c12_fail(err, C12_ERR_CANCELLED, "the reply was stopped");
    }
    return C12_OK;
}

/* One chunk object (jansson's tree): its text out, its finish and usage
 * kept, its tool calls out. */
static c12_rc take_chunk(c12_sse *p, json_t *j, c12_err *err)
{
    if (!json_is_object(j)) return c12_fail(err, C12_ERR_FORMAT, "upstream: a chunk is not a JSON object");
    if (json_object_get(j, "error")) {
        take_error(p, json_object_get(j, "error"));
        return C12_OK;
    }
    c12_sse_fields f;
    c12_rc rc;
    fields_of(j, &f);
    if (!take_fields(p, &f, &rc, err) || rc) return rc;
    json_t *ch = json_array_get(json_object_get(j, "choices"), 0);
    json_t *d = json_object_get(ch, "delta"), *m = json_object_get(ch, "message");
    return take_calls(p, json_object_get(json_is_object(d) ? d : m, "tool_calls"), err);
}

/* One event's JSON: scanned (sse_scan.c), or jansson's tree when the
 * scanner leaves it (tool calls, an error, anything unusual). */
static c12_rc take_event(c12_sse *p, const char *d, size_t n, c12_err *err)
{
    c12_sse_fields f;
    c12_rc rc;
    if (!p->no_scan && c12_sse_scan(d, n, &p->scratch, &f)) {
        take_fields(p, &f, &rc, err);
        return rc;
    }
    json_t *j = NULL;
    rc = c12_json_parse_untrusted(d, n, 0, "upstream event", &j, err);
    if (!rc) rc = take_chunk(p, j, err);
    json_decref(j);
    return rc;
}

static c12_rc dispatch(c12_sse *p, c12_err *err)
{
    if (!p->data.len) return C12_OK;
    c12_rc rc = C12_OK;
    const char *d = p->data.data;
    size_t n = p->data.len - 1; /* without the last '\n' */
    if (n == 6 && !memcmp(d, "[DONE]", 6)) p->done = 1;
    else
        rc = take_event(p, d, n, err);
    c12_buf_reset(&p->data);
    return rc;
}

/* One line (without its end): a field of the event, or its end. */
static c12_rc line(c12_sse *p, const char *s, size_t n, c12_err *err)
{
    if (n && s[n - 1] == '\r') n--;
    if (!n) return dispatch(p, err);
    const char *v = NULL;
    if (n >= 5 && !memcmp(s, "data:", 5)) v = s + 5;
    else if (n >= 6 && !memcmp(s, "error:", 6)) v = s + 6; /* llama.cpp's server, some versions */
    if (!v) return C12_OK; /* event:, id:, retry:, a comment */
    size_t vn = n - (size_t)(v - s);
    if (vn && *v == ' ') v++, vn--;
    c12_rc rc = c12_buf_append(&p->data, v, vn);
    if (!rc) rc = c12_buf_append(&p->data, "\n", 1);
    if (rc == C12_ERR_RANGE) return c12_fail(err, rc, "upstream: an event over %u bytes", DATA_MAX);
    return rc ? c12_fail(err, rc, "upstream: out of memory") : C12_OK;
}

c12_rc c12_sse_feed(c12_sse *p, const char *buf, size_t n, c12_err *err)
{
    while (n && !p->done) {
        const char *nl = memchr(buf, '\n', n);
        size_t take = nl ? (size_t)(nl - buf) : n;
        c12_rc rc = c12_buf_append(&p->line, buf, take);
        if (rc == C12_ERR_RANGE) return c12_fail(err, rc, "upstream: a line over %u bytes", C12_SSE_LINE_MAX);
        if (rc) return c12_fail(err, rc, "upstream: out of memory");
        if (!nl) return C12_OK;
        rc = line(p, p->line.data ? p->line.data : "", p->line.len, err);
        c12_buf_reset(&p->line);
        if (rc) return rc;
        buf += take + 1;
        n -= take + 1;
    }
    return C12_OK;
}

c12_rc c12_sse_whole(c12_sse *p, const char *body, size_t n, c12_err *err)
{
    json_t *j = NULL;
    c12_rc rc = c12_json_parse_untrusted(body, n, 0, "upstream reply", &j, err);
    if (!rc) rc = take_chunk(p, j, err);
    json_decref(j);
    if (!rc) p->done = 1;
    return rc;
}
