/* arch_qwen2.c - the qwen2 architecture (Qwen2 / Qwen2.5, Qwen2.5-Coder).
 *
 * The llama block with three differences, all visible in forward.c's flags:
 *  - Q, K and V have biases (blk.N.attn_{q,k,v}.bias), added after the
 *    matrix products and before RoPE;
 *  - RoPE rotates the pairs (i, i + n_rot/2) ("NEOX"): GGUF stores qwen2's
 *    Q/K weights unpermuted, unlike llama's;
 *  - grouped-query attention with few KV heads (2 for the 1.5B), and a large
 *    rope base from the metadata (1e6 for Qwen2.5).
 * The output matrix is separate in the larger files and tied to the
 * embeddings in the small ones; c12_load_llama_like handles both. llama.cpp
 * also accepts an output bias, which no Qwen2 GGUF we know has: refused
 * (model.c refuses every tensor no loader bound). */
#include "model.h"

static c12_rc qwen2_load(c12_model *m, c12_err *err)
{
    m->hp.norm = C12_NORM_RMS;
    c12_rc rc = c12_load_llama_like(m, err);
    if (rc) return rc;
    m->hp.rope = C12_ROPE_NEOX;
    m->hp.act = C12_ACT_SILU;
    if (m->hp.n_rot != m->hp.head_dim)
        return c12_fail(err, C12_ERR_FORMAT, "model: qwen2 rotates whole heads (rope dims %d != %d)",
                        m->hp.n_rot, m->hp.head_dim);
    if ((rc = c12_refuse_rope_scaling(m, err))) return rc;
    return c12_layers_check(m, C12_L_FFN_NORM | C12_L_QKV_BIAS, C12_L_FFN_NORM, err);
}

const c12_arch c12_arch_qwen2 = {.name = "qwen2", .load = qwen2_load};
