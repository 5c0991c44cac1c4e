/* arch_starcoder2.c - the starcoder2 architecture (StarCoder2 3B/7B/15B).
 *
 * As llama.cpp builds it:
 *  - LayerNorm with weight and bias (attention.layer_norm_epsilon);
 *  - separate Q, K, V with biases (optional in llama.cpp), grouped-query
 *    attention, NEOX RoPE over whole heads, scores scaled by 1/sqrt(head_dim);
 *  - attention output with bias;
 *  - a sequential feed-forward with biases: f = Wdown gelu(Wup h + b) + b
 *    (ggml's fp16-table GELU);
 *  - the final LayerNorm with bias; output tied unless output.weight. */
#include "model.h"

static c12_rc starcoder2_load(c12_model *m, c12_err *err)
{
    m->hp.norm = C12_NORM_LAYER;
    m->hp.ffn_seq = 1;
    c12_rc rc = c12_load_llama_like(m, err);
    if (rc) return rc;
    c12_hparams *hp = &m->hp;
    hp->rope = C12_ROPE_NEOX;
    hp->act = C12_ACT_GELU;
    if (hp->n_rot != hp->head_dim)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "model: starcoder2 with partial RoPE (%d of %d) is not supported",
                        hp->n_rot, hp->head_dim);
    if ((rc = c12_refuse_rope_scaling(m, err))) return rc;
    if (!m->output_norm_b) return c12_fail(err, C12_ERR_FORMAT, "model: starcoder2 lacks output_norm.bias");
    const unsigned need = C12_L_FFN_NORM | C12_L_NORM_BIAS | C12_L_OUT_BIAS | C12_L_FFN_BIAS;
    if ((rc = c12_layers_check(m, need | C12_L_QKV_BIAS, need, err))) return rc;
    return c12_gelu_table_new(m, err);
}

const c12_arch c12_arch_starcoder2 = {.name = "starcoder2", .load = starcoder2_load};
