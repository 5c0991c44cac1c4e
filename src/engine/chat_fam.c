/* chat_fam.c - the chat template families other than ChatML, as llama.cpp
 * renders them without Jinja (llm_chat_apply_template, 0.3.36), checked
 * against the expected outputs of its own tests (tests/golden/
 * chat_templates.jsonl). Each family is a short function over the messages:
 * T() writes the template's text (special-token texts in it become tokens),
 * C() a message's content (always plain text). The answer-length note joins
 * the system message, or becomes one (with_note). */
#include <ctype.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "chat_impl.h"

typedef struct out {
    c12_tok_seq *q;
    c12_err *err;
    c12_rc rc;
} out;

static void T(out *o, const char *s)
{
    if (!o->rc) o->rc = c12_tok_seq_tmpl(o->q, s, o->err);
}

static void Cn(out *o, const char *s, size_t n)
{
    if (!o->rc) o->rc = c12_tok_seq_text(o->q, s, n, o->err);
}

static void C(out *o, const char *s) { Cn(o, s, strlen(s)); }

/* llama.cpp's trim: leading and trailing isspace() bytes */
static void Ctrim(out *o, const char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    Cn(o, s, n);
}

static int is(const c12_chat_msg *m, const char *role) { return !strcmp(m->role, role); }

typedef void (*fam_fn)(out *o, const c12_chat_msg *m, size_t n, int add_assistant, int variant);

/* ---- [INST] families ---- */

enum { L2_PLAIN, L2_SYS, L2_SYS_BOS, L2_SYS_STRIP };

static void llama2(out *o, const c12_chat_msg *m, size_t n, int add_assistant, int v)
{
    (void)add_assistant;
    int inside = 1; /* the BOS before the first turn is the tokenizer's */
    T(o, "[INST] ");
    for (size_t i = 0; i < n; i++) {
        void (*content)(out *, const char *) = v == L2_SYS_STRIP ? Ctrim : C;
        if (!inside) {
            inside = 1;
            T(o, v == L2_SYS_BOS ? "<s>[INST] " : "[INST] ");
        }
        if (is(&m[i], "system")) {
            if (v != L2_PLAIN) T(o, "<<SYS>>\n");
            content(o, m[i].content);
            T(o, v != L2_PLAIN ? "\n<</SYS>>\n\n" : "\n");
        } else if (is(&m[i], "user")) {
            content(o, m[i].content);
            T(o, " [/INST]");
        } else {
            content(o, m[i].content);
            T(o, "</s>");
            inside = 0;
        }
    }
}

enum { MV1, MV3, MV3_TEKKEN };

static void mistral(out *o, const c12_chat_msg *m, size_t n, int add_assistant, int v)
{
    (void)add_assistant;
    const char *lead = v == MV1 ? " " : "", *trail = v == MV3_TEKKEN ? "" : " ";
    int inside = 0;
    for (size_t i = 0; i < n; i++) {
        if (!inside) {
            T(o, lead), T(o, "[INST]"), T(o, trail);
            inside = 1;
        }
        if (is(&m[i], "system")) {
            C(o, m[i].content), T(o, "\n\n");
        } else if (is(&m[i], "user")) {
            C(o, m[i].content), T(o, lead), T(o, "[/INST]");
        } else {
            T(o, trail);
            (v == MV3 ? Ctrim : C)(o, m[i].content);
            T(o, "</s>");
            inside = 0;
        }
    }
}

static void mistral_v7(out *o, const c12_chat_msg *m, size_t n, int add_assistant, int tekken)
{
    (void)add_assistant;
    const char *sp = tekken ? "" : " ";
    for (size_t i = 0; i < n; i++) {
        if (is(&m[i], "system")) T(o, "[SYSTEM_PROMPT]"), T(o, sp), C(o, m[i].content), T(o, "[/SYSTEM_PROMPT]");
        else if (is(&m[i], "user")) T(o, "[INST]"), T(o, sp), C(o, m[i].content), T(o, "[/INST]");
        else T(o, sp), C(o, m[i].content), T(o, "</s>");
    }
}

/* ---- role-tag families: <|role|> and friends ---- */

enum { PHI3, ZEPHYR, FALCON3 };

static void role_tags(out *o, const c12_chat_msg *m, size_t n, int add_assistant, int v)
{
    static const char *const end[] = {"<|end|>\n", "<|endoftext|>\n", "\n"};
    for (size_t i = 0; i < n; i++) {
        T(o, "<|"), T(o, m[i].role), T(o, "|>\n"); /* roles are validated words */
        C(o, m[i].content);
        T(o, end[v]);
    }
    if (add_assistant) T(o, "<|assistant|>\n");
}

static void phi4(out *o, const c12_chat_msg *m, size_t n, int add_assistant, int v)
{
    (void)v;
    for (size_t i = 0; i < n; i++)
        T(o, "<|im_start|>"), T(o, m[i].role), T(o, "<|im_sep|>"), C(o, m[i].content), T(o, "<|im_end|>");
    if (add_assistant) T(o, "<|im_start|>assistant<|im_sep|>");
}

static void llama3(out *o, const c12_chat_msg *m, size_t n, int add_assistant, int v)
{
    (void)v;
    for (size_t i = 0; i < n; i++) {
        T(o, "<|start_header_id|>"), T(o, m[i].role), T(o, "<|end_header_id|>\n\n");
        Ctrim(o, m[i].content);
        T(o, "<|eot_id|>");
    }
    if (add_assistant) T(o, "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

static void monarch(out *o, const c12_chat_msg *m, size_t n, int add_assistant, int v)
{
    (void)v;
    for (size_t i = 0; i < n; i++) {
        if (i) T(o, "<s>"); /* the first message's BOS is the tokenizer's */
        T(o, m[i].role), T(o, "\n"), C(o, m[i].content), T(o, "</s>\n");
    }
    if (add_assistant) T(o, "<s>assistant\n");
}

static void command_r(out *o, const c12_chat_msg *m, size_t n, int add_assistant, int v)
{
    (void)v;
    for (size_t i = 0; i < n; i++) {
        const char *tag = is(&m[i], "system") ? "<|SYSTEM_TOKEN|>" : is(&m[i], "user") ? "<|USER_TOKEN|>"
                          : is(&m[i], "assistant") ? "<|CHATBOT_TOKEN|>" : NULL;
        if (!tag) continue;
        T(o, "<|START_OF_TURN_TOKEN|>"), T(o, tag), Ctrim(o, m[i].content), T(o, "<|END_OF_TURN_TOKEN|>");
    }
    if (add_assistant) T(o, "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>");
}

/* ---- families without a system role: it joins the next user turn ---- */

static void gemma(out *o, const c12_chat_msg *m, size_t n, int add_assistant, int v)
{
    (void)v;
    const c12_chat_msg *sys = NULL; /* llama.cpp joins several; the API sends one */
    for (size_t i = 0; i < n; i++) {
        if (is(&m[i], "system")) {
            sys = &m[i];
            continue;
        }
        int model = is(&m[i], "assistant");
        T(o, "<start_of_turn>"), T(o, model ? "model" : m[i].role), T(o, "\n");
        if (sys && !model) Ctrim(o, sys->content), T(o, "\n\n"), sys = NULL;
        Ctrim(o, m[i].content);
        T(o, "<end_of_turn>\n");
    }
    if (add_assistant) T(o, "<start_of_turn>model\n");
}

static void orion(out *o, const c12_chat_msg *m, size_t n, int add_assistant, int v)
{
    (void)add_assistant, (void)v;
    const c12_chat_msg *sys = NULL;
    for (size_t i = 0; i < n; i++) {
        if (is(&m[i], "system")) {
            sys = &m[i];
        } else if (is(&m[i], "user")) {
            T(o, "Human: ");
            if (sys) C(o, sys->content), T(o, "\n\n"), sys = NULL;
            C(o, m[i].content), T(o, "\n\nAssistant: </s>");
        } else {
            C(o, m[i].content), T(o, "</s>");
        }
    }
}

/* ---- plain-text role prefixes ---- */

static void openchat(out *o, const c12_chat_msg *m, size_t n, int add_assistant, int v)
{
    (void)v;
    for (size_t i = 0; i < n; i++) {
        if (!is(&m[i], "system")) {
            char role[16] = {0};
            strncpy(role, m[i].role, sizeof role - 1);
            role[0] = (char)toupper((unsigned char)role[0]);
            T(o, "GPT4 Correct "), T(o, role), T(o, ": ");
        }
        C(o, m[i].content), T(o, "<|end_of_turn|>");
    }
    if (add_assistant) T(o, "GPT4 Correct Assistant:");
}

static void vicuna(out *o, const c12_chat_msg *m, size_t n, int add_assistant, int orca)
{
    for (size_t i = 0; i < n; i++) {
        if (is(&m[i], "system")) {
            if (orca) T(o, "SYSTEM: ");
            C(o, m[i].content), T(o, orca ? "\n" : "\n\n");
        } else if (is(&m[i], "user")) {
            T(o, "USER: "), C(o, m[i].content), T(o, "\n");
        } else if (is(&m[i], "assistant")) {
            T(o, "ASSISTANT: "), C(o, m[i].content), T(o, "</s>\n");
        }
    }
    if (add_assistant) T(o, "ASSISTANT:");
}

enum { DS_CODER, DS_V2, DS_V3 };
#define DS_EOS "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"

static void deepseek(out *o, const c12_chat_msg *m, size_t n, int add_assistant, int v)
{
    static const char *const user[] = {"### Instruction:\n", "User: ", "<\xef\xbd\x9cUser\xef\xbd\x9c>"};
    static const char *const user_end[] = {"\n", "\n\n", ""};
    static const char *const asst[] = {"### Response:\n", "Assistant: ", "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>"};
    static const char *const asst_end[] = {"\n<|EOT|>\n", DS_EOS, DS_EOS};
    static const char *const prompt[] = {"### Response:\n", "Assistant:", "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>"};
    for (size_t i = 0; i < n; i++) {
        if (is(&m[i], "system")) C(o, m[i].content), T(o, v == DS_CODER ? "" : "\n\n");
        else if (is(&m[i], "user")) T(o, user[v]), C(o, m[i].content), T(o, user_end[v]);
        else if (is(&m[i], "assistant")) T(o, asst[v]), C(o, m[i].content), T(o, asst_end[v]);
    }
    if (add_assistant) T(o, prompt[v]);
}

/* ---- the table ---- */

/* fn and variant: a family of this file; full: one with a file of its own
 * (ChatML: the template's default system line, a tool format). */
typedef struct fam_row {
    const char *name;
    fam_fn fn;
    int variant;
    chat_render_fn full;
    int (*tools)(const char *tmpl);
} fam_row;

#define F(name, fn, variant) {name, fn, variant, NULL, NULL}
static const fam_row k_rows[] = {
    {"chatml", NULL, 0, chat_render_chatml, chat_chatml_tools},
    F("llama2", llama2, L2_PLAIN),           F("llama2-sys", llama2, L2_SYS),
    F("llama2-sys-bos", llama2, L2_SYS_BOS), F("llama2-sys-strip", llama2, L2_SYS_STRIP),
    F("mistral-v1", mistral, MV1),           F("mistral-v3", mistral, MV3),
    F("mistral-v3-tekken", mistral, MV3_TEKKEN),
    F("mistral-v7", mistral_v7, 0),          F("mistral-v7-tekken", mistral_v7, 1),
    F("phi3", role_tags, PHI3),              F("zephyr", role_tags, ZEPHYR),
    F("falcon3", role_tags, FALCON3),        F("phi4", phi4, 0),
    F("llama3", llama3, 0),                  F("monarch", monarch, 0),
    F("command-r", command_r, 0),            F("gemma", gemma, 0),
    F("orion", orion, 0),                    F("openchat", openchat, 0),
    F("vicuna", vicuna, 0),                  F("vicuna-orca", vicuna, 1),
    F("deepseek", deepseek, DS_CODER),       F("deepseek2", deepseek, DS_V2),
    F("deepseek3", deepseek, DS_V3),
};
#undef F

/* The note joins the system message ("\n\n" between), or is one. */
static c12_rc render_row(const fam_row *r, const c12_chat_msg *msgs, size_t n, int add_assistant,
                         const char *note, c12_tok_seq *q, c12_err *err)
{
    out o = {q, err, C12_OK};
    if (!note) {
        r->fn(&o, msgs, n, add_assistant, r->variant);
        return o.rc;
    }
    int has_sys = n && is(&msgs[0], "system");
    c12_chat_msg *m = c12_malloc((n + 1) * sizeof *m);
    char *joined = NULL;
    if (m && has_sys) {
        size_t a = strlen(msgs[0].content), b = strlen(note);
        if ((joined = c12_malloc(a + b + 3))) {
            memcpy(joined, msgs[0].content, a);
            memcpy(joined + a, a ? "\n\n" : "", a ? 2 : 0);
            memcpy(joined + a + (a ? 2 : 0), note, b + 1);
        }
    }
    if (!m || (has_sys && !joined)) {
        c12_free(m);
        return c12_fail(err, C12_ERR_NOMEM, "chat: out of memory");
    }
    size_t k = 0;
    if (!has_sys) m[k++] = (c12_chat_msg){.role = "system", .content = note};
    memcpy(m + k, msgs, n * sizeof *m);
    if (has_sys) m[0].content = joined;
    r->fn(&o, m, n + k, add_assistant, r->variant);
    c12_free(joined);
    c12_free(m);
    return o.rc;
}

static const fam_row *row_named(const char *name)
{
    for (size_t i = 0; name && i < sizeof k_rows / sizeof k_rows[0]; i++)
        if (!strcmp(k_rows[i].name, name)) return &k_rows[i];
    return NULL;
}

int chat_family_tools(const char *family, const char *tmpl)
{
    const fam_row *r = row_named(family);
    return r && r->tools && r->tools(tmpl);
}

int chat_family_known(const char *family) { return row_named(family) != NULL; }

c12_rc chat_family_render(const char *family, const char *tmpl, const c12_chat_msg *msgs, size_t n,
                          int add_assistant, const char *note, const c12_chat_tools *tools, c12_tok_seq *q,
                          c12_err *err)
{
    const fam_row *r = row_named(family);
    if (!r) return c12_fail(err, C12_ERR_UNSUPPORTED, "chat template family '%s' is not supported", family);
    if (r->full) return r->full(tmpl, msgs, n, add_assistant, note, tools, q, err);
    return render_row(r, msgs, n, add_assistant, note, q, err);
}
