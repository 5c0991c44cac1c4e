/* arch_stablelm.c - the stablelm architecture (StableLM 2 1.6B, Zephyr,
 * StableLM 3B 4E1T).
 *
 * As llama.cpp builds it:
 *  - LayerNorm with weight and bias (attention.layer_norm_epsilon);
 *  - separate Q, K, V with optional biases, no attention output bias;
 *  - partial rotary: NEOX RoPE on the first rope.dimension_count dims of
 *    each head (a quarter, 16 of 64, in StableLM 2); the rest pass through;
 *  - a SwiGLU feed-forward; a separate output matrix (required).
 * Not implemented, refused: the 12B's per-head LayerNorms of q and k
 * (attn_q_norm / attn_k_norm), and files without ffn_norm (llama.cpp then
 * feeds the attention's norm to the feed-forward: a parallel residual). */
#include "model.h"

static c12_rc stablelm_load(c12_model *m, c12_err *err)
{
    m->hp.norm = C12_NORM_LAYER;
    c12_rc rc = c12_load_llama_like(m, err);
    if (rc) return rc;
    c12_hparams *hp = &m->hp;
    hp->rope = C12_ROPE_NEOX;
    hp->act = C12_ACT_SILU;
    if ((rc = c12_refuse_rope_scaling(m, err))) return rc;
    if (!m->output_norm_b) return c12_fail(err, C12_ERR_FORMAT, "model: stablelm lacks output_norm.bias");
    if (m->output.data == m->tok_embd.data)
        return c12_fail(err, C12_ERR_FORMAT, "model: stablelm needs output.weight");
    for (int il = 0; il < hp->n_layer; il++)
        if (!m->layers[il].ffn_norm)
            return c12_fail(err, C12_ERR_UNSUPPORTED, "model: stablelm without ffn_norm (parallel residual) "
                            "is not supported");
    if (m->layers[0].q_norm || m->layers[0].k_norm)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "model: stablelm per-head LayerNorms of q and k are not "
                        "supported");
    return c12_layers_check(m, C12_L_FFN_NORM | C12_L_NORM_BIAS | C12_L_QKV_BIAS,
                            C12_L_FFN_NORM | C12_L_NORM_BIAS, err);
}

const c12_arch c12_arch_stablelm = {.name = "stablelm", .load = stablelm_load};
