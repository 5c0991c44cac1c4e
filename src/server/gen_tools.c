/* gen_tools.c - a chat request's tool calls on the way out: which served
 * models can render tools (their template, read from the file's
 * vocabulary, or the family their configuration names), and the model's output read for calls (tool_parse.c) into
 * OpenAI's shapes: the message's "tool_calls" and content, or a stream's
 * delta.tool_calls. When tool_choice forced a call, the prompt opened it
 * (c12_api_tools_prefill): the output is read with that opening before it. */
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "server/api_tools.h"
#include "server/gen.h"

#define MAX_HELD (4u << 20) /* a reply's bytes at most (api_gen.c's cap) */

int c12_gen_tools_can(c12_server *s, int idx)
{
    const c12_tok *t;
    c12_err err;
    /* a site renders the tools itself: its own template decides */
    if (c12_model_remote(&s->cfg->models[idx])) return 1;
    const char *family = s->cfg->models[idx].chat_template;
    if (family[0]) return c12_chat_template_tools(family); /* a family named in the configuration */
    /* an unreadable file: the load will say why; the template decides then */
    if (c12_vocabs_get(&s->vocabs, s->cfg, (size_t)idx, &t, &err)) return 1;
    return c12_tok_chat_tools(t);
}

int c12_gen_tools_on(const c12_gen_job *job)
{
    return job->q.kind == C12_API_CHAT && job->q.tool_choice != C12_TOOL_NONE && job->q.tools.n;
}

json_t *c12_gen_tools_call(const c12_gen_job *job, int index, const char *name, const char *args, int delta)
{
    char id[80];
    const char *dash = strchr(job->id, '-');
    snprintf(id, sizeof id, "call_%s_%d", dash ? dash + 1 : job->id, index);
    json_t *c = json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", id, "type", "function", "function", "name", name,
                          "arguments", args);
    if (c && delta) json_object_set_new(c, "index", json_integer(index));
    return c;
}

c12_rc c12_gen_tools_begin(c12_gen_job *job, c12_toolp *p, const c12_toolp_cbs *cb, c12_err *err)
{
    char buf[128];
    const char *pre = c12_api_tools_prefill(&job->q, buf, sizeof buf);
    c12_toolp_init(p, MAX_HELD);
    return c12_toolp_feed(p, pre, strlen(pre), cb, err);
}

/* The plain reply's pieces. */
typedef struct collect {
    const c12_gen_job *job;
    c12_buf content;
    json_t *calls;
} collect;

static int on_content(void *ud, const char *s, size_t n)
{
    collect *c = ud;
    return c12_buf_append(&c->content, s, n) != C12_OK;
}

static int on_call(void *ud, int index, const char *name, const char *args)
{
    collect *c = ud;
    return json_array_append_new(c->calls, c12_gen_tools_call(c->job, index, name, args, 0));
}

static int blank(const char *s)
{
    for (; s && *s; s++)
        if (!strchr(" \t\r\n", *s)) return 0;
    return 1;
}

/* The message of a reply that called: the calls, and its content (null
 * when only whitespace); calls is taken. */
static json_t *called_message(const char *content, size_t n, json_t *calls)
{
    json_t *c = blank(content) ? json_null() : c12_json_text(content, n);
    return json_pack("{s:s, s:o, s:o}", "role", "assistant", "content", c, "tool_calls", calls);
}

json_t *c12_gen_tools_piece(const c12_tool_frag *f)
{
    json_t *fn = json_object(), *e = json_pack("{s:i}", "index", f->index);
    int bad = !fn || !e;
    if (!bad && f->id) bad = json_object_set_new(e, "id", json_string(f->id)) ||
                             json_object_set_new(e, "type", json_string("function"));
    if (!bad && f->name) bad = json_object_set_new(fn, "name", json_string(f->name));
    if (!bad && f->args) bad = json_object_set_new(fn, "arguments", c12_json_text(f->args, f->args_len));
    if (!bad && json_object_size(fn)) bad = json_object_set(e, "function", fn);
    json_decref(fn);
    if (bad) json_decref(e);
    return bad ? NULL : e;
}

int c12_gen_tools_merge(json_t **calls, const c12_tool_frag *f)
{
    if (!*calls && !(*calls = json_array())) return 1;
    if (f->index < 0 || (size_t)f->index > json_array_size(*calls)) return 1; /* calls come in order */
    if ((size_t)f->index == json_array_size(*calls) &&
        json_array_append_new(*calls, json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", "", "type", "function", "function",
                                                "name", "", "arguments", "")))
        return 1;
    json_t *c = json_array_get(*calls, (size_t)f->index), *fn = json_object_get(c, "function");
    int bad = !c || !fn;
    if (!bad && f->id) bad = json_object_set_new(c, "id", json_string(f->id));
    if (!bad && f->name) bad = json_object_set_new(fn, "name", json_string(f->name));
    if (!bad && f->args && f->args_len) {
        const char *had = json_string_value(json_object_get(fn, "arguments"));
        c12_buf b;
        c12_buf_init(&b, MAX_HELD);
        bad = c12_buf_puts(&b, had ? had : "") || c12_buf_append(&b, f->args, f->args_len) ||
              json_object_set_new(fn, "arguments", c12_json_text(b.data, b.len));
        c12_buf_free(&b);
    }
    return bad;
}

json_t *c12_gen_tools_site_message(const char *text, json_t *calls, int *called)
{
    *called = json_array_size(calls) > 0;
    if (*called) return called_message(text, strlen(text), json_incref(calls));
    return json_pack("{s:s, s:o}", "role", "assistant", "content", c12_json_text(text, strlen(text)));
}

json_t *c12_gen_tools_message(const c12_gen_job *job, const char *text, int *called)
{
    collect c = {.job = job, .calls = json_array()};
    c12_buf_init(&c.content, MAX_HELD);
    c12_buf_puts(&c.content, "");
    c12_toolp p;
    c12_toolp_cbs cb = {on_content, on_call, &c};
    c12_err err;
    c12_rc rc = c.calls ? c12_gen_tools_begin((c12_gen_job *)job, &p, &cb, &err) : C12_ERR_NOMEM;
    if (c.calls) {
        if (!rc) rc = c12_toolp_feed(&p, text, strlen(text), &cb, &err);
        if (!rc) rc = c12_toolp_end(&p, &cb, &err);
        c12_toolp_free(&p);
    }
    json_t *msg = NULL;
    if (!rc && c.content.data && json_array_size(c.calls)) {
        *called = 1;
        msg = called_message(c.content.data, c.content.len, json_incref(c.calls));
    } else if (!rc) { /* no call made: the output as it was (with a forced call's opening) */
        char buf[128];
        c12_buf raw;
        c12_buf_init(&raw, 0);
        c12_buf_puts(&raw, c12_api_tools_prefill(&job->q, buf, sizeof buf));
        c12_buf_puts(&raw, text);
        *called = 0;
        msg = raw.data ? json_pack("{s:s, s:o}", "role", "assistant", "content", c12_json_text(raw.data, raw.len))
                       : NULL;
        c12_buf_free(&raw);
    }
    json_decref(c.calls);
    c12_buf_free(&c.content);
    return msg;
}
