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
    if (c12_model_remote(&s->cfg->models[idx])) return 0; /* tools are not passed to sites yet */
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
        json_t *content = blank(c.content.data) ? json_null() : c12_json_text(c.content.data, c.content.len);
        msg = json_pack("{s:s, s:o, s:O}", "role", "assistant", "content", content, "tool_calls", c.calls);
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
