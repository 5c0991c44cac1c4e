/* chat.c - a conversation into a prompt's tokens, through the template's
 * family.
 *
 * C12 does not run Jinja. It recognises a template's family by signature,
 * as llama.cpp does (chat_detect.c), and renders the family in C (chat_fam.c,
 * chat_chatml.c); a family knows how to find its parameters (such as the
 * default system line) in the model's template text. A model whose template
 * matches no family C12 renders cannot chat (base models: use raw
 * completion). A family renders into tokens, not text (c12_tok_seq): its
 * markers are special tokens, and roles and contents are plain text whatever
 * they say. */
#include <string.h>

#include "base/c12_alloc.h"
#include "chat_impl.h"

int c12_chat_template_tools(const char *tmpl)
{
    return chat_family_tools(chat_detect(tmpl), tmpl);
}

const char *c12_chat_template_family(const char *tmpl) { return chat_detect(tmpl); }

int c12_chat_template_supported(const char *tmpl) { return chat_family_known(chat_detect(tmpl)); }

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
    const char *family = chat_detect(tmpl);
    if (!family) return c12_fail(err, C12_ERR_UNSUPPORTED, "chat template family not recognised");
    if (wants_tools(msgs, n, tools) && !chat_family_tools(family, tmpl))
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
    c12_rc rc = chat_family_render(family, tmpl, msgs, n, add_assistant, note && *note ? note : NULL, tools, &q,
                                   err);
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

c12_rc c12_model_set_chat_template(c12_model *m, const char *family, c12_err *err)
{
    if (!chat_family_known(family))
        return c12_fail(err, C12_ERR_UNSUPPORTED, "chat template family '%s' is not supported", family);
    char *copy = c12_strndup(family, strlen(family));
    if (!copy) return c12_fail(err, C12_ERR_NOMEM, "model: no memory");
    c12_free(m->chat_template);
    m->chat_template = copy;
    m->info.has_chat_template = 1;
    return C12_OK;
}
