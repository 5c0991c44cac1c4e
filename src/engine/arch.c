/* arch.c - the architecture table and the helpers architectures share. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "model.h"

extern const c12_arch c12_arch_llama;
extern const c12_arch c12_arch_qwen2;
extern const c12_arch c12_arch_gemma3;

static const c12_arch *const arch_table[] = {
    &c12_arch_llama,
    &c12_arch_qwen2,
    &c12_arch_gemma3,
};

const c12_arch *c12_arch_find(const char *name)
{
    for (size_t i = 0; i < sizeof arch_table / sizeof arch_table[0]; i++)
        if (!strcmp(arch_table[i]->name, name)) return arch_table[i];
    return NULL;
}

c12_rc c12_bind_weight(c12_model *m, c12_weight *w, const char *name, int64_t cols, int64_t rows,
                       int optional, c12_err *err)
{
    const gguf_tensor *t = gguf_tensor_find(m->gguf, name);
    if (!t) {
        if (optional) return C12_OK;
        return c12_fail(err, C12_ERR_FORMAT, "model: tensor '%s' is missing", name);
    }
    if (t->n_dims > 2 || t->ne[0] != cols || t->ne[1] != rows)
        return c12_fail(err, C12_ERR_FORMAT, "model: tensor '%s' is %lldx%lld, expected %lldx%lld",
                        name, (long long)t->ne[0], (long long)t->ne[1], (long long)cols,
                        (long long)rows);
    const c12_type_traits *tt = c12_type(m->types, t->type);
    if (!tt || !tt->vec_dot)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "model: tensor '%s' has unsupported type %u",
                        name, t->type);
    w->data = t->data;
    w->tt = tt;
    w->rows = rows;
    w->cols = cols;
    w->row_bytes = c12_type_row_size(tt, cols);
    return C12_OK;
}

c12_rc c12_bind_vec(c12_model *m, const float **v, const char *name, int64_t n, int optional,
                    c12_err *err)
{
    const gguf_tensor *t = gguf_tensor_find(m->gguf, name);
    if (!t) {
        if (optional) return C12_OK;
        return c12_fail(err, C12_ERR_FORMAT, "model: tensor '%s' is missing", name);
    }
    if (t->type != C12_TYPE_F32 || t->n_dims != 1 || t->ne[0] != n)
        return c12_fail(err, C12_ERR_FORMAT, "model: tensor '%s' must be F32[%lld]", name,
                        (long long)n);
    *v = t->data;
    return C12_OK;
}

static c12_rc hp_key(c12_model *m, const char *suffix, char *key, size_t cap)
{
    snprintf(key, cap, "%s.%s", m->info.arch, suffix);
    return C12_OK;
}

c12_rc c12_hp_int(c12_model *m, const char *suffix, int *out, int optional, c12_err *err)
{
    char key[128];
    hp_key(m, suffix, key, sizeof key);
    uint64_t v;
    c12_rc rc = gguf_get_u64(m->gguf, key, &v, err);
    if (rc == C12_ERR_NOT_FOUND && optional) return C12_OK;
    if (rc) return rc;
    if (v > (1u << 30)) return c12_fail(err, C12_ERR_FORMAT, "model: %s = %llu is too large", key,
                                         (unsigned long long)v);
    *out = (int)v;
    return C12_OK;
}

c12_rc c12_hp_float(c12_model *m, const char *suffix, float *out, int optional, c12_err *err)
{
    char key[128];
    hp_key(m, suffix, key, sizeof key);
    double v;
    c12_rc rc = gguf_get_f64(m->gguf, key, &v, err);
    if (rc == C12_ERR_NOT_FOUND && optional) return C12_OK;
    if (rc) return rc;
    *out = (float)v;
    return C12_OK;
}

static c12_rc load_hparams(c12_model *m, c12_err *err)
{
    c12_hparams *hp = &m->hp;
    c12_rc rc;
    if ((rc = c12_hp_int(m, "block_count", &hp->n_layer, 0, err))) return rc;
    if ((rc = c12_hp_int(m, "embedding_length", &hp->n_embd, 0, err))) return rc;
    if ((rc = c12_hp_int(m, "feed_forward_length", &hp->n_ff, 0, err))) return rc;
    if ((rc = c12_hp_int(m, "attention.head_count", &hp->n_head, 0, err))) return rc;
    hp->n_head_kv = hp->n_head;
    if ((rc = c12_hp_int(m, "attention.head_count_kv", &hp->n_head_kv, 1, err))) return rc;
    if ((rc = c12_hp_int(m, "context_length", &hp->n_ctx_train, 0, err))) return rc;
    if ((rc = c12_hp_float(m, "attention.layer_norm_rms_epsilon", &hp->norm_eps, 0, err)))
        return rc;
    hp->rope_base = 10000.0f;
    if ((rc = c12_hp_float(m, "rope.freq_base", &hp->rope_base, 1, err))) return rc;
    hp->rope_base_local = hp->rope_base;
    if (hp->n_layer <= 0 || hp->n_embd <= 0 || hp->n_head <= 0 || hp->n_head_kv <= 0 ||
        hp->n_head % hp->n_head_kv || hp->n_ff <= 0 || hp->n_ctx_train <= 0)
        return c12_fail(err, C12_ERR_FORMAT, "model: inconsistent hyper-parameters");
    hp->head_dim = hp->n_embd / hp->n_head;
    if ((rc = c12_hp_int(m, "attention.key_length", &hp->head_dim, 1, err))) return rc;
    hp->n_rot = hp->head_dim;
    if ((rc = c12_hp_int(m, "rope.dimension_count", &hp->n_rot, 1, err))) return rc;
    if (hp->head_dim <= 0 || hp->head_dim > 1024 || hp->n_rot > hp->head_dim || hp->n_rot % 2)
        return c12_fail(err, C12_ERR_FORMAT, "model: bad head size %d / rope dims %d",
                        hp->head_dim, hp->n_rot);
    hp->rope_scale = 1.0f;
    hp->embd_scale = 1.0f;
    hp->attn_scale = 1.0f / sqrtf((float)hp->head_dim);
    hp->q_scale = 1.0f;
    return C12_OK;
}

static c12_rc bind_layer(c12_model *m, int il, c12_err *err)
{
    const c12_hparams *hp = &m->hp;
    c12_layer *L = &m->layers[il];
    int64_t d = hp->n_embd, q = (int64_t)hp->n_head * hp->head_dim,
            kv = (int64_t)hp->n_head_kv * hp->head_dim, ff = hp->n_ff;
    char n[96];
    c12_rc rc;
#define W(field, nm, c, r)                                                   \
    snprintf(n, sizeof n, "blk.%d." nm ".weight", il);                       \
    if ((rc = c12_bind_weight(m, &L->field, n, c, r, 0, err))) return rc;
#define V(field, nm, len, opt)                                               \
    snprintf(n, sizeof n, "blk.%d." nm, il);                                 \
    if ((rc = c12_bind_vec(m, &L->field, n, len, opt, err))) return rc;
    W(wq, "attn_q", d, q) W(wk, "attn_k", d, kv) W(wv, "attn_v", d, kv) W(wo, "attn_output", q, d)
    W(w_gate, "ffn_gate", d, ff) W(w_up, "ffn_up", d, ff) W(w_down, "ffn_down", ff, d)
    V(attn_norm, "attn_norm.weight", d, 0) V(ffn_norm, "ffn_norm.weight", d, 1)
    V(bq, "attn_q.bias", q, 1) V(bk, "attn_k.bias", kv, 1) V(bv, "attn_v.bias", kv, 1)
    V(q_norm, "attn_q_norm.weight", hp->head_dim, 1) V(k_norm, "attn_k_norm.weight", hp->head_dim, 1)
    V(post_attn_norm, "post_attention_norm.weight", d, 1)
    V(post_ffn_norm, "post_ffw_norm.weight", d, 1)
#undef W
#undef V
    return C12_OK;
}

c12_rc c12_load_llama_like(c12_model *m, c12_err *err)
{
    c12_rc rc = load_hparams(m, err);
    if (rc) return rc;
    c12_hparams *hp = &m->hp;
    const gguf_tensor *te = gguf_tensor_find(m->gguf, "token_embd.weight");
    if (!te || te->n_dims != 2)
        return c12_fail(err, C12_ERR_FORMAT, "model: tensor 'token_embd.weight' is missing");
    hp->n_vocab = (int)te->ne[1];
    if ((rc = c12_bind_weight(m, &m->tok_embd, "token_embd.weight", hp->n_embd, hp->n_vocab, 0,
                              err)))
        return rc;
    if ((rc = c12_bind_vec(m, &m->output_norm, "output_norm.weight", hp->n_embd, 0, err)))
        return rc;
    m->output = m->tok_embd; /* tied unless the file has its own output matrix */
    if ((rc = c12_bind_weight(m, &m->output, "output.weight", hp->n_embd, hp->n_vocab, 1, err)))
        return rc;
    m->layers = c12_calloc((size_t)hp->n_layer, sizeof *m->layers);
    if (!m->layers) return c12_fail(err, C12_ERR_NOMEM, "model: no memory for layers");
    for (int il = 0; il < hp->n_layer; il++)
        if ((rc = bind_layer(m, il, err))) return rc;
    return C12_OK;
}
