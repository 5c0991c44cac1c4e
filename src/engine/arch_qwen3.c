/* arch_qwen3.c - the qwen3 architecture (Qwen3 dense models).
 *
 * As llama.cpp builds it: the llama block without biases, with
 *  - RMSNorm of each head of q and k (attn_q_norm / attn_k_norm, head_dim
 *    wide) before RoPE;
 *  - NEOX RoPE over whole heads;
 *  - a head width (attention.key_length) whose product with the head count
 *    need not be the hidden size (Qwen3-0.6B: 16 x 128 = 2048 vs 1024), so
 *    Wq is n_embd -> n_head*head_dim and Wo back;
 *  - scores scaled by 1/sqrt(head_dim). */
#include "model.h"

static c12_rc qwen3_load(c12_model *m, c12_err *err)
{
    m->hp.norm = C12_NORM_RMS;
    c12_rc rc = c12_load_llama_like(m, err);
    if (rc) return rc;
    m->hp.rope = C12_ROPE_NEOX;
    m->hp.act = C12_ACT_SILU;
    if (m->hp.n_rot != m->hp.head_dim)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "model: qwen3 with partial RoPE (%d of %d) is not supported",
                        m->hp.n_rot, m->hp.head_dim);
    if ((rc = c12_refuse_rope_scaling(m, err))) return rc;
    const unsigned parts = C12_L_FFN_NORM | C12_L_QK_NORM;
    return c12_layers_check(m, parts, parts, err);
}

const c12_arch c12_arch_qwen3 = {.name = "qwen3", .load = qwen3_load};
