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

typedef struct chat_family {
    const char *name;
    int (*matches)(const char *tmpl);
    c12_rc (*render)(const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant, const char *note,
                     c12_tok_seq *out, c12_err *err);
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

/* The note goes at the end of the system turn: the request's own, else the
 * template's default line (kept, so that a note changes nothing else). */
static c12_rc chatml_render(const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant,
                            const char *note, c12_tok_seq *q, c12_err *err)
{
    c12_rc rc = C12_OK;
    size_t sys_len;
    const char *sys = chatml_default_system(tmpl, &sys_len);
    int has_system = n > 0 && !strcmp(msgs[0].role, "system");
    if (!has_system && (sys_len || note)) rc = chatml_turn(q, "system", sys ? sys : "", sys_len, note, err);
    for (size_t i = 0; i < n && !rc; i++)
        rc = chatml_turn(q, msgs[i].role, msgs[i].content, strlen(msgs[i].content), i == 0 && has_system ? note : NULL,
                         err);
    if (!rc && add_assistant) rc = c12_tok_seq_marker(q, "<|im_start|>", err);
    if (!rc && add_assistant) rc = text(q, "assistant\n", err);
    return rc;
}

static const chat_family families[] = {
    {"chatml", chatml_matches, chatml_render},
};

c12_rc c12_chat_tokens(const c12_tok *t, const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant,
                       int32_t **out, size_t *n_out, c12_err *err)
{
    return c12_chat_tokens_note(t, tmpl, msgs, n, add_assistant, NULL, out, n_out, err);
}

c12_rc c12_chat_tokens_note(const c12_tok *t, const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant,
                            const char *note, int32_t **out, size_t *n_out, c12_err *err)
{
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        if (!families[f].matches(tmpl)) continue;
        for (size_t i = 0; i < n; i++)
            if (!msgs[i].role || !msgs[i].content)
                return c12_fail(err, C12_ERR_INVALID, "chat: message %zu lacks role or content", i);
        c12_tok_seq q;
        c12_tok_seq_init(&q, t);
        c12_rc rc = families[f].render(tmpl, msgs, n, add_assistant, note && *note ? note : NULL, &q, err);
        if (rc) {
            c12_tok_seq_free(&q);
            return rc;
        }
        return c12_tok_seq_take(&q, 1, out, n_out, err);
    }
    return c12_fail(err, C12_ERR_UNSUPPORTED, "chat template family not recognised");
}

c12_rc c12_model_chat_tokens(const c12_model *m, const c12_chat_msg *msgs, size_t n, int add_assistant,
                             int32_t **out, size_t *n_out, c12_err *err)
{
    return c12_model_chat_tokens_note(m, msgs, n, add_assistant, NULL, out, n_out, err);
}

c12_rc c12_model_chat_tokens_note(const c12_model *m, const c12_chat_msg *msgs, size_t n, int add_assistant,
                                  const char *note, int32_t **out, size_t *n_out, c12_err *err)
{
    if (!m->chat_template)
        return c12_fail(err, C12_ERR_INVALID, /* the request's fault: it asked a base model to chat */
                        "model '%s' has no chat template (a base model): use a raw completion",
                        m->info.name);
    c12_err e;
    c12_rc rc = c12_chat_tokens_note(m->tok, m->chat_template, msgs, n, add_assistant, note, out, n_out, &e);
    if (rc == C12_ERR_UNSUPPORTED) return c12_fail(err, rc, "model '%s': %s", m->info.name, e.msg);
    if (rc) return c12_fail(err, rc, "%s", e.msg);
    return C12_OK;
}
