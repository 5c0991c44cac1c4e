/* model.c - loading a GGUF model: map, pick the architecture from the table,
 * bind weights, build the tokenizer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "model.h"
#include "vecops.h"

/* The CPU's best kernels, or a lower level named by C12_ISA (scalar, avx2,
 * avx512) for comparisons and benchmarks. */
static c12_isa pick_isa(void)
{
    c12_isa best = c12_isa_detect();
    const char *want = getenv("C12_ISA");
    for (int i = 0; want && i <= (int)best; i++)
        if (!strcmp(want, c12_isa_name((c12_isa)i))) return (c12_isa)i;
    return best;
}

static c12_rc read_identity(c12_model *m, c12_err *err)
{
    c12_rc rc = gguf_get_cstr(m->gguf, "general.architecture", m->info.arch,
                              sizeof m->info.arch, err);
    if (rc) return rc;
    if (gguf_get_cstr(m->gguf, "general.name", m->info.name, sizeof m->info.name, NULL))
        snprintf(m->info.name, sizeof m->info.name, "%s", m->info.arch);
    gguf_str tmpl = {0};
    if (gguf_get_str(m->gguf, "tokenizer.chat_template", &tmpl, NULL) == C12_OK) {
        m->chat_template = c12_strndup(tmpl.p, (size_t)tmpl.n);
        if (!m->chat_template) return c12_fail(err, C12_ERR_NOMEM, "model: no memory");
    }
    return C12_OK;
}

static void fill_info(c12_model *m)
{
    const c12_hparams *hp = &m->hp;
    c12_model_info *in = &m->info;
    in->n_vocab = hp->n_vocab;
    in->n_embd = hp->n_embd;
    in->n_layer = hp->n_layer;
    in->n_head = hp->n_head;
    in->n_head_kv = hp->n_head_kv;
    in->head_dim = hp->head_dim;
    in->n_ff = hp->n_ff;
    in->n_ctx_train = hp->n_ctx_train;
    in->has_chat_template = m->chat_template != NULL;
    in->mapped_bytes = m->gguf->size;
}

static c12_rc load_parts(c12_model *m, c12_err *err)
{
    c12_rc rc = read_identity(m, err);
    if (rc) return rc;
    const c12_arch *arch = c12_arch_find(m->info.arch);
    if (!arch)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "model: architecture '%s' is not supported",
                        m->info.arch);
    m->bound = c12_calloc(m->gguf->n_tensors ? m->gguf->n_tensors : 1, 1);
    if (!m->bound) return c12_fail(err, C12_ERR_NOMEM, "model: no memory");
    if ((rc = arch->load(m, err))) return rc;
    /* a tensor no loader took would be ignored: refuse the file instead */
    if ((rc = c12_check_all_bound(m, err))) return rc;
    if ((rc = c12_model_repack(m, err))) return rc;
    if ((rc = c12_tok_from_gguf(m->gguf, &m->tok, err))) return rc;
    if (c12_tok_n_vocab(m->tok) != m->hp.n_vocab)
        return c12_fail(err, C12_ERR_FORMAT, "model: vocabulary has %d tokens, embeddings %d",
                        c12_tok_n_vocab(m->tok), m->hp.n_vocab);
    fill_info(m);
    return C12_OK;
}

c12_rc c12_model_load(const char *path, c12_model **out, c12_err *err)
{
    c12_model *m = c12_calloc(1, sizeof *m);
    if (!m) return c12_fail(err, C12_ERR_NOMEM, "model: no memory");
    c12_isa isa = pick_isa();
    m->types = c12_types(isa);
    m->vops = c12_vec_ops_for(isa);
    c12_rc rc = gguf_open(path, &m->gguf, err);
    if (!rc) rc = load_parts(m, err);
    if (!rc && gguf_damaged(m->gguf)) rc = c12_fail(err, C12_ERR_IO, "%s: the file shrank while it was loaded", path);
    if (rc) {
        c12_model_free(m);
        return rc;
    }
    *out = m;
    return C12_OK;
}

void c12_model_free(c12_model *m)
{
    if (!m) return;
    c12_tok_free(m->tok);
    c12_free(m->layers);
    c12_free(m->chat_template);
    c12_free(m->gelu_table);
    c12_model_repacked_free(m);
    c12_free(m->bound);
    gguf_close(m->gguf);
    c12_free(m);
}

const c12_model_info *c12_model_get_info(const c12_model *m) { return &m->info; }

int c12_model_file_damaged(const c12_model *m) { return gguf_damaged(m->gguf); }

c12_rc c12_model_tokenize(const c12_model *m, const char *text, size_t len, int add_special,
                          int parse_special, int32_t **out, size_t *n_out, c12_err *err)
{
    return c12_tok_encode(m->tok, text, len, add_special, parse_special, out, n_out, err);
}

size_t c12_model_piece(const c12_model *m, int32_t id, int special, char *buf, size_t cap)
{
    return c12_tok_piece(m->tok, id, special, buf, cap);
}

int c12_model_is_eog(const c12_model *m, int32_t id) { return c12_tok_is_eog(m->tok, id); }
int32_t c12_model_bos(const c12_model *m) { return c12_tok_bos(m->tok); }
int c12_model_add_bos(const c12_model *m) { return c12_tok_add_bos(m->tok); }
