/* chat.c - chat templates as table rows.
 *
 * C12 does not run Jinja. It recognises the template families its models use
 * and renders them in C; each family knows how to find its parameters (such as
 * the default system line) in the model's template text. A model whose
 * template matches no family cannot chat (base models: use raw completion).
 * A family renders into tokens, not text (c12_tok_seq): its markers are
 * special tokens, and roles and contents are plain text whatever they say. */
#include <string.h>

#include "base/c12_alloc.h"
#include "model.h"

/* tools: the tools to offer (NULL: none); only called with tools, calls
 * or tool messages when tools() says the template has the format. */
typedef struct chat_family {
    const char *name;
    int (*matches)(const char *tmpl);
    int (*tools)(const char *tmpl);
    c12_rc (*render)(const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant, const char *note,
                     const c12_chat_tools *tools, c12_tok_seq *out, c12_err *err);
} chat_family;

static c12_rc text(c12_tok_seq *q, const char *s, c12_err *err) { return c12_tok_seq_text(q, s, strlen(s), err); }

/* ---- ChatML: <|im_start|>role\ncontent<|im_end|>\n ---- */

static int chatml_matches(const char *tmpl) { return strstr(tmpl, "<|im_start|>") != NULL; }

/* The default system line is the text between "<|im_start|>system" plus a
 * newline (real, or the two characters \n inside a Jinja string) and the next
 * "<|im_end|>", at the first such place where that text is a literal: Qwen's
 * template also opens system turns whose content is Jinja code (a tools
 * preamble, messages[0]['content']), recognised by their quotes and braces.
 * *len = 0: none. */
static const char *chatml_default_system(const char *tmpl, size_t *len)
{
    static const char tag[] = "<|im_start|>system";
    *len = 0;
    for (const char *p = strstr(tmpl, tag); p; p = strstr(p, tag)) {
        p += strlen(tag);
        if (*p == '\n') p++;
        else if (p[0] == '\\' && p[1] == 'n') p += 2;
        else continue;
        const char *e = strstr(p, "<|im_end|>");
        if (!e) return NULL;
        if (strcspn(p, "'\"{}") < (size_t)(e - p)) continue;
        *len = (size_t)(e - p);
        return p;
    }
    return NULL;
}

/* One turn: the markers are the template's; role, content and a note at
 * its end (NULL: none) are text. */
static c12_rc chatml_turn(c12_tok_seq *q, const char *role, const char *content, size_t len, const char *note,
                          c12_err *err)
{
    c12_rc rc = c12_tok_seq_marker(q, "<|im_start|>", err);
    if (!rc) rc = text(q, role, err);
    if (!rc) rc = text(q, "\n", err);
    if (!rc) rc = c12_tok_seq_text(q, content, len, err);
    if (!rc && note && len) rc = text(q, "\n\n", err);
    if (!rc && note) rc = text(q, note, err);
    if (!rc) rc = c12_tok_seq_marker(q, "<|im_end|>", err);
    if (!rc) rc = text(q, "\n", err);
    return rc;
}

/* ---- ChatML with Qwen2.5's tool format (its template, rendered) ---- */

static int chatml_tools(const char *tmpl)
{
    return strstr(tmpl, "<tool_call>") && strstr(tmpl, "<tool_response>") && strstr(tmpl, "tool_calls");
}

/* Text of the template itself: its <tool_call> tags are the vocabulary's
 * special tokens where it has them (Qwen2.5's), text where not. */
static c12_rc tmpl_text(c12_tok_seq *q, const char *s, c12_err *err)
{
    static const char *const tags[] = {"<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"};
    while (*s) {
        const char *at = NULL, *tag = NULL;
        for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
            const char *p = strstr(s, tags[i]);
            if (p && (!at || p < at)) at = p, tag = tags[i];
        }
        if (!at) return text(q, s, err);
        c12_rc rc = c12_tok_seq_text(q, s, (size_t)(at - s), err);
        if (rc) return rc;
        c12_err e;
        rc = c12_tok_seq_marker(q, tag, &e); /* fails before adding anything */
        if (rc == C12_ERR_UNSUPPORTED) rc = text(q, tag, err); /* not a token of this vocabulary */
        else if (rc) return c12_fail(err, rc, "%s", e.msg);
        if (rc) return rc;
        s = at + strlen(tag);
    }
    return C12_OK;
}

#define TOOLS_HEAD "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" \
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
#define TOOLS_TAIL "\n</tools>\n\nFor each function call, return a json object with function name and arguments " \
    "within <tool_call></tool_call> XML tags:\n<tool_call>\n{{\"name\": <function-name>, \"arguments\": " \
    "<args-json-object>}}\n</tool_call>"

/* The system turn with tools: the system message (or the default line),
 * the note, then the tools' signatures. */
static c12_rc tools_system(c12_tok_seq *q, const char *sys, size_t len, const char *note, const c12_chat_tools *t,
                           c12_err *err)
{
    c12_rc rc = c12_tok_seq_marker(q, "<|im_start|>", err);
    if (!rc) rc = text(q, "system\n", err);
    if (!rc) rc = c12_tok_seq_text(q, sys, len, err);
    if (!rc && note && len) rc = text(q, "\n\n", err);
    if (!rc && note) rc = text(q, note, err);
    if (!rc) rc = tmpl_text(q, TOOLS_HEAD, err);
    for (size_t i = 0; i < t->n && !rc; i++) {
        rc = text(q, "\n", err);
        if (!rc) rc = text(q, t->tools[i], err);
    }
    if (!rc) rc = tmpl_text(q, TOOLS_TAIL, err);
    if (!rc) rc = c12_tok_seq_marker(q, "<|im_end|>", err);
    if (!rc) rc = text(q, "\n", err);
    return rc;
}

/* An assistant turn that called tools: its text (if any), then each call. */
static c12_rc calls_turn(c12_tok_seq *q, const c12_chat_msg *m, c12_err *err)
{
    c12_rc rc = c12_tok_seq_marker(q, "<|im_start|>", err);
    if (!rc) rc = text(q, "assistant", err);
    if (!rc && *m->content) rc = text(q, "\n", err);
    if (!rc && *m->content) rc = text(q, m->content, err);
    for (size_t i = 0; i < m->n_calls && !rc; i++) {
        rc = tmpl_text(q, "\n<tool_call>\n{\"name\": \"", err);
        if (!rc) rc = text(q, m->calls[i].name, err);
        if (!rc) rc = text(q, "\", \"arguments\": ", err);
        if (!rc) rc = text(q, m->calls[i].arguments, err);
        if (!rc) rc = tmpl_text(q, "}\n</tool_call>", err);
    }
    if (!rc) rc = c12_tok_seq_marker(q, "<|im_end|>", err);
    if (!rc) rc = text(q, "\n", err);
    return rc;
}

/* A tool's result; consecutive ones share one user turn. */
static c12_rc tool_result(c12_tok_seq *q, const c12_chat_msg *msgs, size_t n, size_t i, c12_err *err)
{
    c12_rc rc = C12_OK;
    if (i == 0 || strcmp(msgs[i - 1].role, "tool")) {
        rc = c12_tok_seq_marker(q, "<|im_start|>", err);
        if (!rc) rc = text(q, "user", err);
    }
    if (!rc) rc = tmpl_text(q, "\n<tool_response>\n", err);
    if (!rc) rc = text(q, msgs[i].content, err);
    if (!rc) rc = tmpl_text(q, "\n</tool_response>", err);
    if (!rc && (i + 1 == n || strcmp(msgs[i + 1].role, "tool"))) {
        rc = c12_tok_seq_marker(q, "<|im_end|>", err);
        if (!rc) rc = text(q, "\n", err);
    }
    return rc;
}

/* The assistant's turn opened; a forced call opens it with the call's
 * start (and the function's name), which the model continues. */
static c12_rc open_assistant(c12_tok_seq *q, const c12_chat_tools *t, c12_err *err)
{
    c12_rc rc = c12_tok_seq_marker(q, "<|im_start|>", err);
    if (!rc) rc = text(q, "assistant\n", err);
    if (!rc && t && t->force) rc = tmpl_text(q, "<tool_call>\n{\"name\": \"", err);
    if (!rc && t && t->force && t->name) rc = text(q, t->name, err);
    return rc;
}

/* The note goes at the end of the system turn: the request's own, else the
 * template's default line (kept, so that a note changes nothing else). */
static c12_rc chatml_render(const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant,
                            const char *note, const c12_chat_tools *tools, c12_tok_seq *q, c12_err *err)
{
    c12_rc rc = C12_OK;
    size_t sys_len;
    const char *sys = chatml_default_system(tmpl, &sys_len);
    int has_system = n > 0 && !strcmp(msgs[0].role, "system");
    if (tools && tools->n)
        rc = has_system ? tools_system(q, msgs[0].content, strlen(msgs[0].content), note, tools, err)
                        : tools_system(q, sys ? sys : "", sys_len, note, tools, err);
    else if (!has_system && (sys_len || note))
        rc = chatml_turn(q, "system", sys ? sys : "", sys_len, note, err);
    for (size_t i = 0; i < n && !rc; i++) {
        if (i == 0 && has_system && tools && tools->n) continue; /* in the tools' system turn */
        if (!strcmp(msgs[i].role, "tool")) rc = tool_result(q, msgs, n, i, err);
        else if (msgs[i].n_calls) rc = calls_turn(q, &msgs[i], err);
        else
            rc = chatml_turn(q, msgs[i].role, msgs[i].content, strlen(msgs[i].content),
                             i == 0 && has_system ? note : NULL, err);
    }
    if (!rc && add_assistant) rc = open_assistant(q, tools, err);
    return rc;
}

static const chat_family families[] = {
    {"chatml", chatml_matches, chatml_tools, chatml_render},
};

static const chat_family *family_of(const char *tmpl)
{
    for (size_t f = 0; tmpl && f < sizeof families / sizeof families[0]; f++)
        if (families[f].matches(tmpl)) return &families[f];
    return NULL;
}

int c12_chat_template_tools(const char *tmpl)
{
    const chat_family *f = family_of(tmpl);
    return f && f->tools && f->tools(tmpl);
}

/* Whether rendering needs the tool format: tools offered, or a history
 * with calls or tools' results. */
static int wants_tools(const c12_chat_msg *msgs, size_t n, const c12_chat_tools *tools)
{
    if (tools && (tools->n || tools->force)) return 1;
    for (size_t i = 0; i < n; i++)
        if (msgs[i].n_calls || (msgs[i].role && !strcmp(msgs[i].role, "tool"))) return 1;
    return 0;
}

c12_rc c12_chat_tokens(const c12_tok *t, const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant,
                       int32_t **out, size_t *n_out, c12_err *err)
{
    return c12_chat_tokens_note(t, tmpl, msgs, n, add_assistant, NULL, out, n_out, err);
}

c12_rc c12_chat_tokens_tools(const c12_tok *t, const char *tmpl, const c12_chat_msg *msgs, size_t n,
                             int add_assistant, const char *note, const c12_chat_tools *tools, int32_t **out,
                             size_t *n_out, c12_err *err)
{
    const chat_family *f = family_of(tmpl);
    if (!f) return c12_fail(err, C12_ERR_UNSUPPORTED, "chat template family not recognised");
    if (wants_tools(msgs, n, tools) && !(f->tools && f->tools(tmpl)))
        return c12_fail(err, C12_ERR_UNSUPPORTED, "its chat template has no tool-call format");
    for (size_t i = 0; i < n; i++) {
        if (!msgs[i].role || !msgs[i].content)
            return c12_fail(err, C12_ERR_INVALID, "chat: message %zu lacks role or content", i);
        for (size_t k = 0; k < msgs[i].n_calls; k++)
            if (!msgs[i].calls[k].name || !msgs[i].calls[k].arguments)
                return c12_fail(err, C12_ERR_INVALID, "chat: message %zu: tool call %zu lacks name or arguments", i, k);
    }
    c12_tok_seq q;
    c12_tok_seq_init(&q, t);
    c12_rc rc = f->render(tmpl, msgs, n, add_assistant, note && *note ? note : NULL, tools, &q, err);
    if (rc) {
        c12_tok_seq_free(&q);
        return rc;
    }
    return c12_tok_seq_take(&q, 1, out, n_out, err);
}

c12_rc c12_chat_tokens_note(const c12_tok *t, const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant,
                            const char *note, int32_t **out, size_t *n_out, c12_err *err)
{
    return c12_chat_tokens_tools(t, tmpl, msgs, n, add_assistant, note, NULL, out, n_out, err);
}

c12_rc c12_model_chat_tokens(const c12_model *m, const c12_chat_msg *msgs, size_t n, int add_assistant,
                             int32_t **out, size_t *n_out, c12_err *err)
{
    return c12_model_chat_tokens_note(m, msgs, n, add_assistant, NULL, out, n_out, err);
}

c12_rc c12_model_chat_tokens_note(const c12_model *m, const c12_chat_msg *msgs, size_t n, int add_assistant,
                                  const char *note, int32_t **out, size_t *n_out, c12_err *err)
{
    return c12_model_chat_tokens_tools(m, msgs, n, add_assistant, note, NULL, out, n_out, err);
}

c12_rc c12_model_chat_tokens_tools(const c12_model *m, const c12_chat_msg *msgs, size_t n, int add_assistant,
                                   const char *note, const c12_chat_tools *tools, int32_t **out, size_t *n_out,
                                   c12_err *err)
{
    if (!m->chat_template)
        return c12_fail(err, C12_ERR_INVALID, /* the request's fault: it asked a base model to chat */
                        "model '%s' has no chat template (a base model): use a raw completion",
                        m->info.name);
    c12_err e;
    c12_rc rc = c12_chat_tokens_tools(m->tok, m->chat_template, msgs, n, add_assistant, note, tools, out, n_out, &e);
    if (rc == C12_ERR_UNSUPPORTED) return c12_fail(err, rc, "model '%s': %s", m->info.name, e.msg);
    if (rc) return c12_fail(err, rc, "%s", e.msg);
    return C12_OK;
}
