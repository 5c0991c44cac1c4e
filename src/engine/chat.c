/* chat.c - chat templates as table rows.
 *
 * C12 does not run Jinja. It recognises the template families its models use
 * and renders them in C; each family knows how to find its parameters (such as
 * the default system line) in the model's template text. A model whose
 * template matches no family cannot chat (base models: use raw completion). */
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "model.h"

typedef struct chat_family {
    const char *name;
    int (*matches)(const char *tmpl);
    c12_rc (*render)(const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant, const char *note,
                     c12_buf *out);
} chat_family;

/* ---- ChatML: <|im_start|>role\ncontent<|im_end|>\n ---- */

static int chatml_matches(const char *tmpl) { return strstr(tmpl, "<|im_start|>") != NULL; }

/* The default system line is the text between "<|im_start|>system" plus a
 * newline (real, or the two characters \n inside a Jinja string) and the next
 * "<|im_end|>", at the first such place where that text is a literal: Qwen's
 * template also opens system turns whose content is Jinja code (a tools
 * preamble, messages[0]['content']), recognised by their quotes and braces. */
static c12_rc chatml_default_system(const char *tmpl, c12_buf *sys)
{
    static const char tag[] = "<|im_start|>system";
    for (const char *p = strstr(tmpl, tag); p; p = strstr(p, tag)) {
        p += strlen(tag);
        if (*p == '\n') p++;
        else if (p[0] == '\\' && p[1] == 'n') p += 2;
        else continue;
        const char *e = strstr(p, "<|im_end|>");
        if (!e) return C12_OK;
        const size_t len = (size_t)(e - p);
        if (strcspn(p, "'\"{}") >= len) return c12_buf_append(sys, p, len);
    }
    return C12_OK;
}

static c12_rc chatml_turn(c12_buf *out, const char *role, const char *content, const char *note)
{
    c12_rc rc = c12_buf_printf(out, "<|im_start|>%s\n", role);
    if (!rc) rc = c12_buf_puts(out, content);
    if (!rc && note) rc = c12_buf_printf(out, "%s%s", *content ? "\n\n" : "", note);
    if (!rc) rc = c12_buf_puts(out, "<|im_end|>\n");
    return rc;
}

/* The note goes at the end of the system turn: the request's own, else the
 * template's default line (kept, so that a note changes nothing else). */
static c12_rc chatml_render(const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant,
                            const char *note, c12_buf *out)
{
    c12_rc rc = C12_OK;
    int has_system = n > 0 && !strcmp(msgs[0].role, "system");
    if (!has_system) {
        c12_buf sys;
        c12_buf_init(&sys, 0);
        rc = chatml_default_system(tmpl, &sys);
        if (!rc && (sys.len || note)) rc = chatml_turn(out, "system", sys.len ? sys.data : "", note);
        c12_buf_free(&sys);
    }
    for (size_t i = 0; i < n && !rc; i++)
        rc = chatml_turn(out, msgs[i].role, msgs[i].content, i == 0 && has_system ? note : NULL);
    if (!rc && add_assistant) rc = c12_buf_puts(out, "<|im_start|>assistant\n");
    return rc;
}

static const chat_family families[] = {
    {"chatml", chatml_matches, chatml_render},
};

c12_rc c12_model_chat_prompt(const c12_model *m, const c12_chat_msg *msgs, size_t n,
                             int add_assistant, char **out, c12_err *err)
{
    return c12_model_chat_prompt_note(m, msgs, n, add_assistant, NULL, out, err);
}

c12_rc c12_model_chat_prompt_note(const c12_model *m, const c12_chat_msg *msgs, size_t n, int add_assistant,
                                  const char *note, char **out, c12_err *err)
{
    if (!m->chat_template)
        return c12_fail(err, C12_ERR_INVALID, /* the request's fault: it asked a base model to chat */
                        "model '%s' has no chat template (a base model): use a raw completion",
                        m->info.name);
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        if (!families[f].matches(m->chat_template)) continue;
        for (size_t i = 0; i < n; i++)
            if (!msgs[i].role || !msgs[i].content)
                return c12_fail(err, C12_ERR_INVALID, "chat: message %zu lacks role or content", i);
        c12_buf b;
        c12_buf_init(&b, 0);
        c12_rc rc = families[f].render(m->chat_template, msgs, n, add_assistant, note && *note ? note : NULL, &b);
        if (rc) {
            c12_buf_free(&b);
            return c12_fail(err, rc, "chat: cannot render the prompt");
        }
        *out = c12_buf_take(&b);
        return *out ? C12_OK : c12_fail(err, C12_ERR_NOMEM, "chat: no memory");
    }
    return c12_fail(err, C12_ERR_UNSUPPORTED, "model '%s': chat template family not recognised",
                    m->info.name);
}
