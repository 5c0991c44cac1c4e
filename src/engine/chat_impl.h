/* chat_impl.h - what the chat template files share (engine-internal).
 *
 * A family renders a conversation into tokens (c12_tok_seq): the template's
 * own text through c12_tok_seq_tmpl (its special-token texts become those
 * tokens), roles and message contents through chat_text (always plain text,
 * whatever they say). */
#ifndef C12_CHAT_IMPL_H
#define C12_CHAT_IMPL_H

#include <string.h>

#include "model.h"

/* note: text for the end of the system turn, or NULL; tools: the tools to
 * offer (NULL: none), passed only to a family with a tool format. */
typedef c12_rc (*chat_render_fn)(const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant,
                                 const char *note, const c12_chat_tools *tools, c12_tok_seq *q, c12_err *err);

static inline c12_rc chat_text(c12_tok_seq *q, const char *s, c12_err *err)
{
    return c12_tok_seq_text(q, s, strlen(s), err);
}

/* chat_chatml.c */
int chat_chatml_tools(const char *tmpl);
c12_rc chat_render_chatml(const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant, const char *note,
                          const c12_chat_tools *tools, c12_tok_seq *q, c12_err *err);

/* chat_fam.c: the families C12 renders, by llama.cpp's names for them. */
int chat_family_known(const char *family);
/* 1 when the family has a tool format and this template (its text) uses it. */
int chat_family_tools(const char *family, const char *tmpl);
/* C12_ERR_UNSUPPORTED, naming it, for a family C12 does not render. */
c12_rc chat_family_render(const char *family, const char *tmpl, const c12_chat_msg *msgs, size_t n,
                          int add_assistant, const char *note, const c12_chat_tools *tools, c12_tok_seq *q,
                          c12_err *err);

/* chat_detect.c: the family name llama.cpp's signature checks give a
 * template's text (a family's own name is itself), or NULL. */
const char *chat_detect(const char *tmpl);

#endif
