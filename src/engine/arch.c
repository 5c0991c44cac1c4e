/* arch.c - the architecture table and the helpers architectures share. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "model.h"
#include "vecops.h"

extern const c12_arch c12_arch_llama;
extern const c12_arch c12_arch_qwen2;
extern const c12_arch c12_arch_gemma3;
extern const c12_arch c12_arch_qwen3;
extern const c12_arch c12_arch_phi3;
extern const c12_arch c12_arch_gpt2;
extern const c12_arch c12_arch_gemma2;
extern const c12_arch c12_arch_starcoder2;
extern const c12_arch c12_arch_stablelm;

static const c12_arch *const arch_table[] = {
    &c12_arch_llama, &c12_arch_qwen2, &c12_arch_gemma3, &c12_arch_qwen3,
    &c12_arch_phi3, &c12_arch_gpt2, &c12_arch_gemma2, &c12_arch_starcoder2,
    &c12_arch_stablelm,
};

const c12_arch *c12_arch_find(const char *name)
{
    for (size_t i = 0; i < sizeof arch_table / sizeof arch_table[0]; i++)
        if (!strcmp(arch_table[i]->name, name)) return arch_table[i];
    return NULL;
}

/* The tensor of that name, marked as used by the model. */
static const gguf_tensor *find_bound(c12_model *m, const char *name)
{
    const gguf_tensor *t = gguf_tensor_find(m->gguf, name);
    if (t && m->bound) m->bound[t - m->gguf->tensors] = 1;
    return t;
}

c12_rc c12_check_all_bound(const c12_model *m, c12_err *err)
{
    for (uint64_t i = 0; m->bound && i < m->gguf->n_tensors; i++)
        if (!m->bound[i]) {
            const gguf_str *n = &m->gguf->tensors[i].name;
            return c12_fail(err, C12_ERR_UNSUPPORTED, "model: tensor '%.*s' is not supported for %s",
                            (int)(n->n > 96 ? 96 : n->n), n->p, m->info.arch);
        }
    return C12_OK;
}

static unsigned layer_parts(const c12_layer *L)
{
    return (L->ffn_norm ? C12_L_FFN_NORM : 0) | (L->attn_norm_b || L->ffn_norm_b ? C12_L_NORM_BIAS : 0) |
           (L->bq || L->bk || L->bv ? C12_L_QKV_BIAS : 0) | (L->q_norm || L->k_norm ? C12_L_QK_NORM : 0) |
           (L->post_attn_norm || L->post_ffn_norm ? C12_L_POST_NORMS : 0) | (L->bo ? C12_L_OUT_BIAS : 0) |
           (L->b_up || L->b_down ? C12_L_FFN_BIAS : 0);
}

c12_rc c12_layers_check(const c12_model *m, unsigned allowed, unsigned required, c12_err *err)
{
    static const char *const names[] = {"a feed-forward norm", "norm biases", "Q/K/V biases",
                                        "per-head Q/K norms", "post-norms", "an attention output bias",
                                        "feed-forward biases"};
    for (int il = 0; il < m->hp.n_layer; il++) {
        unsigned has = layer_parts(&m->layers[il]);
        for (unsigned b = 0; b < sizeof names / sizeof names[0]; b++) {
            if ((required >> b & 1u) && !(has >> b & 1u))
                return c12_fail(err, C12_ERR_FORMAT, "model: %s layer %d lacks %s", m->info.arch, il,
                                names[b]);
            if ((has >> b & 1u) && !(allowed >> b & 1u))
                return c12_fail(err, C12_ERR_UNSUPPORTED, "model: %s with %s (layer %d) is not supported",
                                m->info.arch, names[b], il);
        }
        /* a part's tensors come in full sets (both norms, all three biases) */
        const c12_layer *L = &m->layers[il];
        if ((!L->bq != !L->bk) || (!L->bk != !L->bv) || (!L->q_norm != !L->k_norm) ||
            (!L->post_attn_norm != !L->post_ffn_norm) || (!L->b_up != !L->b_down) ||
            (L->attn_norm_b && L->ffn_norm && !L->ffn_norm_b))
            return c12_fail(err, C12_ERR_UNSUPPORTED, "model: %s layer %d has an incomplete set of "
                            "biases or norms", m->info.arch, il);
    }
    return C12_OK;
}

c12_rc c12_swa_layers(c12_model *m, int default_period, c12_err *err)
{
    c12_hparams *hp = &m->hp;
    char key[128];
    snprintf(key, sizeof key, "%s.attention.sliding_window_pattern", m->info.arch);
    const gguf_kv *kv = gguf_find(m->gguf, key);
    if (kv && kv->type == GGUF_T_ARRAY) {
        if (kv->arr_type != GGUF_T_BOOL || kv->arr_n != (uint64_t)hp->n_layer)
            return c12_fail(err, C12_ERR_FORMAT,
                            "model: sliding_window_pattern must be %d booleans", hp->n_layer);
        for (int il = 0; il < hp->n_layer; il++)
            m->layers[il].is_swa = ((const uint8_t *)kv->arr_data)[il] != 0;
        return C12_OK;
    }
    hp->swa_period = default_period;
    c12_rc rc = c12_hp_int(m, "attention.sliding_window_pattern", &hp->swa_period, 1, err);
    if (rc) return rc;
    /* period 0: every layer local, as llama.cpp's set_swa_pattern */
    for (int il = 0; il < hp->n_layer; il++)
        m->layers[il].is_swa =
            hp->swa_period == 0 || il % hp->swa_period < hp->swa_period - 1;
    return C12_OK;
}

c12_rc c12_gelu_table_new(c12_model *m, c12_err *err)
{
    m->gelu_table = c12_malloc(sizeof(float) * C12_GELU_TABLE_N);
    if (!m->gelu_table) return c12_fail(err, C12_ERR_NOMEM, "model: no memory for GELU table");
    c12_gelu_table_fill(m->gelu_table);
    return C12_OK;
}

c12_weight c12_weight_rows(const c12_weight *w, int64_t r0, int64_t n)
{
    c12_weight v = *w;
    v.data = (const uint8_t *)w->data + (size_t)r0 * w->row_bytes;
    v.rows = n;
    return v;
}

c12_rc c12_refuse_rope_scaling(c12_model *m, c12_err *err)
{
    char key[128], type[32] = "";
    snprintf(key, sizeof key, "%s.rope.scaling.type", m->info.arch);
    c12_rc rc = gguf_get_cstr(m->gguf, key, type, sizeof type, err);
    if (rc && rc != C12_ERR_NOT_FOUND) return rc;
    float factor = 1.0f;
    if ((rc = c12_hp_float(m, "rope.scaling.factor", &factor, 1, err))) return rc;
    if ((type[0] && strcmp(type, "none")) || (factor != 1.0f && factor != 0.0f))
        return c12_fail(err, C12_ERR_UNSUPPORTED, "model: RoPE scaling ('%s', factor %g) is not supported",
                        type[0] ? type : "linear", (double)factor);
    return C12_OK;
}

c12_rc c12_bind_weight(c12_model *m, c12_weight *w, const char *name, int64_t cols, int64_t rows,
                       int optional, c12_err *err)
{
    const gguf_tensor *t = find_bound(m, name);
    if (!t) {
        if (optional) return C12_OK;
        return c12_fail(err, C12_ERR_FORMAT, "model: tensor '%s' is missing", name);
    }
    if (t->n_dims > 2 || t->ne[0] != cols || t->ne[1] != rows)
        return c12_fail(err, C12_ERR_FORMAT, "model: tensor '%s' is %lldx%lld, expected %lldx%lld",
                        name, (long long)t->ne[0], (long long)t->ne[1], (long long)cols,
                        (long long)rows);
    /* the token embeddings are only read by rows in llama.cpp (even when tied
     * to the output): never repacked there */
    const c12_type_traits *tt = strcmp(name, "token_embd.weight")
                                    ? c12_type_for_matmul(m->types, t->type, rows)
                                    : c12_type(m->types, t->type);
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
    const gguf_tensor *t = find_bound(m, name);
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
    const char *eps = hp->norm == C12_NORM_LAYER ? "attention.layer_norm_epsilon"
                                                 : "attention.layer_norm_rms_epsilon";
    if ((rc = c12_hp_float(m, eps, &hp->norm_eps, 0, err))) return rc;
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

/* Q, K and V: three matrices, or one fused [q | k | v] (attn_qkv) split into
 * row views; a fused bias is split the same way. */
static c12_rc bind_qkv(c12_model *m, c12_layer *L, int il, int64_t q, int64_t kv, c12_err *err)
{
    const int64_t d = m->hp.n_embd;
    char n[96];
    c12_rc rc;
    snprintf(n, sizeof n, "blk.%d.attn_qkv.weight", il);
    if (!gguf_tensor_find(m->gguf, n)) {
        const char *nm[3] = {"q", "k", "v"};
        c12_weight *w[3] = {&L->wq, &L->wk, &L->wv};
        const float **b[3] = {&L->bq, &L->bk, &L->bv};
        for (int i = 0; i < 3; i++) {
            snprintf(n, sizeof n, "blk.%d.attn_%s.weight", il, nm[i]);
            if ((rc = c12_bind_weight(m, w[i], n, d, i ? kv : q, 0, err))) return rc;
            snprintf(n, sizeof n, "blk.%d.attn_%s.bias", il, nm[i]);
            if ((rc = c12_bind_vec(m, b[i], n, i ? kv : q, 1, err))) return rc;
        }
        return C12_OK;
    }
    c12_weight qkv;
    if ((rc = c12_bind_weight(m, &qkv, n, d, q + 2 * kv, 0, err))) return rc;
    L->wq = c12_weight_rows(&qkv, 0, q);
    L->wk = c12_weight_rows(&qkv, q, kv);
    L->wv = c12_weight_rows(&qkv, q + kv, kv);
    const float *b = NULL;
    snprintf(n, sizeof n, "blk.%d.attn_qkv.bias", il);
    if ((rc = c12_bind_vec(m, &b, n, q + 2 * kv, 1, err))) return rc;
    if (b) L->bq = b, L->bk = b + q, L->bv = b + q + kv;
    return C12_OK;
}

/* The feed-forward: gate and up (or one fused [gate | up] ffn_up of 2*n_ff
 * rows, phi3), or up alone when hp->ffn_seq; down. */
static c12_rc bind_ffn(c12_model *m, c12_layer *L, int il, c12_err *err)
{
    const int64_t d = m->hp.n_embd, ff = m->hp.n_ff;
    char n[96];
    c12_rc rc;
    snprintf(n, sizeof n, "blk.%d.ffn_gate.weight", il);
    int fused = !m->hp.ffn_seq && !gguf_tensor_find(m->gguf, n);
    if (!m->hp.ffn_seq && !fused && (rc = c12_bind_weight(m, &L->w_gate, n, d, ff, 0, err))) return rc;
    snprintf(n, sizeof n, "blk.%d.ffn_up.weight", il);
    if (fused) {
        c12_weight gu;
        if ((rc = c12_bind_weight(m, &gu, n, d, 2 * ff, 0, err))) return rc;
        L->w_gate = c12_weight_rows(&gu, 0, ff);
        L->w_up = c12_weight_rows(&gu, ff, ff);
    } else if ((rc = c12_bind_weight(m, &L->w_up, n, d, ff, 0, err))) {
        return rc;
    }
    snprintf(n, sizeof n, "blk.%d.ffn_down.weight", il);
    return c12_bind_weight(m, &L->w_down, n, ff, d, 0, err);
}

static c12_rc bind_layer(c12_model *m, int il, c12_err *err)
{
    const c12_hparams *hp = &m->hp;
    c12_layer *L = &m->layers[il];
    int64_t d = hp->n_embd, q = (int64_t)hp->n_head * hp->head_dim,
            kv = (int64_t)hp->n_head_kv * hp->head_dim, ff = hp->n_ff;
    char n[96];
    c12_rc rc;
    if ((rc = bind_qkv(m, L, il, q, kv, err)) || (rc = bind_ffn(m, L, il, err))) return rc;
    snprintf(n, sizeof n, "blk.%d.attn_output.weight", il);
    if ((rc = c12_bind_weight(m, &L->wo, n, q, d, 0, err))) return rc;
#define V(field, nm, len, opt)                                               \
    snprintf(n, sizeof n, "blk.%d." nm, il);                                 \
    if ((rc = c12_bind_vec(m, &L->field, n, len, opt, err))) return rc;
    V(attn_norm, "attn_norm.weight", d, 0) V(ffn_norm, "ffn_norm.weight", d, 1)
    V(attn_norm_b, "attn_norm.bias", d, 1) V(ffn_norm_b, "ffn_norm.bias", d, 1)
    V(bo, "attn_output.bias", d, 1) V(b_up, "ffn_up.bias", ff, 1) V(b_down, "ffn_down.bias", d, 1)
    V(q_norm, "attn_q_norm.weight", hp->head_dim, 1) V(k_norm, "attn_k_norm.weight", hp->head_dim, 1)
    V(post_attn_norm, "post_attention_norm.weight", d, 1)
    V(post_ffn_norm, "post_ffw_norm.weight", d, 1)
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
    if ((rc = c12_bind_vec(m, &m->output_norm, "output_norm.weight", hp->n_embd, 0, err)) ||
        (rc = c12_bind_vec(m, &m->output_norm_b, "output_norm.bias", hp->n_embd, 1, err)))
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
