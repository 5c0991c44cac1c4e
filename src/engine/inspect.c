/* inspect.c - what a GGUF file is, and whether C12 can run it
 * (`c12 models inspect`). The metadata and tensor list are read from the
 * file; the verdict is a real load's (c12_model_load), so "why not" is the
 * error a server would give: the architecture, a tensor type, the
 * vocabulary or its pre-tokenizer. */
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "c12_engine.h"
#include "gguf.h"
#include "model.h"
#include "quant.h"

/* ggml's type numbers and names (ggml.h); "" for numbers it retired. */
static const char *const k_type_names[] = {
    "F32", "F16", "Q4_0", "Q4_1", "", "", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K",
    "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S",
    "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16", "", "", "", "TQ1_0", "TQ2_0", "",
    "", "", "MXFP4",
};

const char *c12_ggml_type_name(uint32_t type)
{
    if (type < sizeof k_type_names / sizeof k_type_names[0] && k_type_names[type][0])
        return k_type_names[type];
    return "unknown";
}

static void arch_int(const gguf_file *g, const char *arch, const char *key, int *out)
{
    char k[96];
    uint64_t v;
    snprintf(k, sizeof k, "%s.%s", arch, key);
    *out = gguf_get_u64(g, k, &v, NULL) == C12_OK && v < (1u << 31) ? (int)v : -1;
}

static void count_types(const gguf_file *g, c12_model_report *r)
{
    const c12_type_traits *types = c12_types(C12_ISA_SCALAR);
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const gguf_tensor *t = &g->tensors[i];
        uint64_t n = 1;
        for (uint32_t d = 0; d < t->n_dims; d++) n *= (uint64_t)t->ne[d];
        r->n_params += n;
        size_t k = 0;
        while (k < r->n_types && r->types[k].type != t->type) k++;
        if (k == r->n_types) {
            if (k == C12_REPORT_MAX_TYPES) continue;
            r->n_types++;
            r->types[k].type = t->type;
            const c12_type_traits *tt = c12_type(types, t->type);
            r->types[k].supported = tt && tt->vec_dot;
        }
        r->types[k].n_tensors++;
    }
}

static void read_meta(const gguf_file *g, c12_model_report *r)
{
    gguf_get_cstr(g, "general.architecture", r->arch, sizeof r->arch, NULL);
    gguf_get_cstr(g, "general.name", r->name, sizeof r->name, NULL);
    gguf_get_cstr(g, "tokenizer.ggml.model", r->tok_model, sizeof r->tok_model, NULL);
    gguf_get_cstr(g, "tokenizer.ggml.pre", r->tok_pre, sizeof r->tok_pre, NULL);
    arch_int(g, r->arch, "context_length", &r->n_ctx_train);
    arch_int(g, r->arch, "block_count", &r->n_layer);
    arch_int(g, r->arch, "embedding_length", &r->n_embd);
    arch_int(g, r->arch, "attention.head_count", &r->n_head);
    arch_int(g, r->arch, "attention.head_count_kv", &r->n_head_kv);
    const gguf_kv *toks = gguf_find(g, "tokenizer.ggml.tokens");
    r->n_vocab = toks && toks->type == GGUF_T_ARRAY && toks->arr_n < (1u << 31) ? (int)toks->arr_n : -1;
    r->file_bytes = g->size;
}

static void chat(const gguf_file *g, c12_model_report *r)
{
    gguf_str s = {0};
    if (gguf_get_str(g, "tokenizer.chat_template", &s, NULL) != C12_OK) return;
    r->has_template = 1;
    char *tmpl = c12_strndup(s.p, (size_t)s.n);
    if (!tmpl) return; /* the family stays unknown */
    const char *f = c12_chat_template_family(tmpl);
    snprintf(r->chat_family, sizeof r->chat_family, "%s", f ? f : "");
    r->chat_supported = c12_chat_template_supported(tmpl);
    r->chat_tools = c12_chat_template_tools(tmpl);
    c12_free(tmpl);
}

c12_rc c12_model_inspect(const char *path, c12_model_report *out, c12_err *err)
{
    gguf_file *g = NULL;
    c12_rc rc = gguf_open(path, &g, err);
    if (rc) return rc;
    c12_model_report r;
    memset(&r, 0, sizeof r);
    read_meta(g, &r);
    count_types(g, &r);
    chat(g, &r);
    gguf_close(g);
    c12_model *m = NULL;
    c12_err e;
    if (c12_model_load(path, &m, &e) == C12_OK) {
        r.runnable = 1;
        c12_model_free(m);
    } else {
        snprintf(r.why, sizeof r.why, "%s", e.msg);
    }
    *out = r;
    return C12_OK;
}
