/* arch_llama.c - the llama architecture (SmolLM2, TinyLlama, Llama 2/3,
 * Mistral 7B and friends).
 *
 * RMSNorm, rotary embeddings on adjacent pairs (GGUF's llama Q/K weights are
 * stored permuted so that "normal" RoPE applies), grouped-query attention,
 * SwiGLU feed-forward, tied or separate output matrix. As llama.cpp loads it:
 *  - Llama 3.1+ files carry rope_freqs.weight, n_rot/2 divisors of each
 *    pair's frequency (the "llama3" RoPE scaling, precomputed by the
 *    converter): pair i turns at pos * base^(-2i/n_rot) / rope_freqs[i];
 *  - optional biases on Q/K/V, the attention output, and up/down;
 *  - linear or YaRN RoPE scaling (rope.scaling.*) is not implemented: refused. */
#include "model.h"

static c12_rc llama_load(c12_model *m, c12_err *err)
{
    m->hp.norm = C12_NORM_RMS;
    c12_rc rc = c12_load_llama_like(m, err);
    if (rc) return rc;
    m->hp.rope = C12_ROPE_NORM;
    m->hp.act = C12_ACT_SILU;
    if (m->hp.n_rot != m->hp.head_dim)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "model: llama with partial RoPE (%d of %d) is not supported",
                        m->hp.n_rot, m->hp.head_dim);
    if ((rc = c12_refuse_rope_scaling(m, err))) return rc;
    /* one tensor shared by every layer (llama.cpp duplicates it per layer) */
    if ((rc = c12_bind_vec(m, &m->rope_freqs, "rope_freqs.weight", m->hp.n_rot / 2, 1, err))) return rc;
    return c12_layers_check(m, C12_L_FFN_NORM | C12_L_QKV_BIAS | C12_L_OUT_BIAS | C12_L_FFN_BIAS,
                            C12_L_FFN_NORM, err);
}

const c12_arch c12_arch_llama = {.name = "llama", .load = llama_load};
