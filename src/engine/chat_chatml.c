/* chat_chatml.c - ChatML, and Qwen2.5's tool format inside it.
 *
 * Rendered as the model's own Jinja template renders it (the catalogue's
 * Qwen2.5 and SmolLM2 templates, token for token; tests/golden): a default
 * system line the template writes when the conversation has none, and the
 * tools, calls and results in Qwen2.5's format. */
#include <string.h>

#include "chat_impl.h"

/* ---- ChatML: <|im_start|>role\ncontent<|im_end|>\n ---- */

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
    if (!rc) rc = chat_text(q, role, err);
    if (!rc) rc = chat_text(q, "\n", err);
    if (!rc) rc = c12_tok_seq_text(q, content, len, err);
    if (!rc && note && len) rc = chat_text(q, "\n\n", err);
    if (!rc && note) rc = chat_text(q, note, err);
    if (!rc) rc = c12_tok_seq_marker(q, "<|im_end|>", err);
    if (!rc) rc = chat_text(q, "\n", err);
    return rc;
}

/* ---- ChatML with Qwen2.5's tool format (its template, rendered) ---- */

int chat_chatml_tools(const char *tmpl)
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
        if (!at) return chat_text(q, s, err);
        c12_rc rc = c12_tok_seq_text(q, s, (size_t)(at - s), err);
        if (rc) return rc;
        c12_err e;
        rc = c12_tok_seq_marker(q, tag, &e); /* fails before adding anything */
        if (rc == C12_ERR_UNSUPPORTED) rc = chat_text(q, tag, err); /* not a token of this vocabulary */
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
    if (!rc) rc = chat_text(q, "system\n", err);
    if (!rc) rc = c12_tok_seq_text(q, sys, len, err);
    if (!rc && note && len) rc = chat_text(q, "\n\n", err);
    if (!rc && note) rc = chat_text(q, note, err);
    if (!rc) rc = tmpl_text(q, TOOLS_HEAD, err);
    for (size_t i = 0; i < t->n && !rc; i++) {
        rc = chat_text(q, "\n", err);
        if (!rc) rc = chat_text(q, t->tools[i], err);
    }
    if (!rc) rc = tmpl_text(q, TOOLS_TAIL, err);
    if (!rc) rc = c12_tok_seq_marker(q, "<|im_end|>", err);
    if (!rc) rc = chat_text(q, "\n", err);
    return rc;
}

/* An assistant turn that called tools: its text (if any), then each call. */
static c12_rc calls_turn(c12_tok_seq *q, const c12_chat_msg *m, c12_err *err)
{
    c12_rc rc = c12_tok_seq_marker(q, "<|im_start|>", err);
    if (!rc) rc = chat_text(q, "assistant", err);
    if (!rc && *m->content) rc = chat_text(q, "\n", err);
    if (!rc && *m->content) rc = chat_text(q, m->content, err);
    for (size_t i = 0; i < m->n_calls && !rc; i++) {
        rc = tmpl_text(q, "\n<tool_call>\n{\"name\": \"", err);
        if (!rc) rc = chat_text(q, m->calls[i].name, err);
        if (!rc) rc = chat_text(q, "\", \"arguments\": ", err);
        if (!rc) rc = chat_text(q, m->calls[i].arguments, err);
        if (!rc) rc = tmpl_text(q, "}\n</tool_call>", err);
    }
    if (!rc) rc = c12_tok_seq_marker(q, "<|im_end|>", err);
    if (!rc) rc = chat_text(q, "\n", err);
    return rc;
}

/* A tool's result; consecutive ones share one user turn. */
static c12_rc tool_result(c12_tok_seq *q, const c12_chat_msg *msgs, size_t n, size_t i, c12_err *err)
{
    c12_rc rc = C12_OK;
    if (i == 0 || strcmp(msgs[i - 1].role, "tool")) {
        rc = c12_tok_seq_marker(q, "<|im_start|>", err);
        if (!rc) rc = chat_text(q, "user", err);
    }
    if (!rc) rc = tmpl_text(q, "\n<tool_response>\n", err);
    if (!rc) rc = chat_text(q, msgs[i].content, err);
    if (!rc) rc = tmpl_text(q, "\n</tool_response>", err);
    if (!rc && (i + 1 == n || strcmp(msgs[i + 1].role, "tool"))) {
        rc = c12_tok_seq_marker(q, "<|im_end|>", err);
        if (!rc) rc = chat_text(q, "\n", err);
    }
    return rc;
}

/* The assistant's turn opened; a forced call opens it with the call's
 * start (and the function's name), which the model continues. */
static c12_rc open_assistant(c12_tok_seq *q, const c12_chat_tools *t, c12_err *err)
{
    c12_rc rc = c12_tok_seq_marker(q, "<|im_start|>", err);
    if (!rc) rc = chat_text(q, "assistant\n", err);
    if (!rc && t && t->force) rc = tmpl_text(q, "<tool_call>\n{\"name\": \"", err);
    if (!rc && t && t->force && t->name) rc = chat_text(q, t->name, err);
    return rc;
}

/* The note goes at the end of the system turn: the request's own, else the
 * template's default line (kept, so that a note changes nothing else). */
c12_rc chat_render_chatml(const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant,
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
