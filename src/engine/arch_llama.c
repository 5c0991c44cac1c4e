/* arch_llama.c - the llama architecture (SmolLM2 and friends).
 *
 * RMSNorm, rotary embeddings on adjacent pairs (GGUF's llama Q/K weights are
 * stored permuted so that "normal" RoPE applies), grouped-query attention,
 * SwiGLU feed-forward, tied or separate output matrix. */
#include "model.h"

static c12_rc llama_load(c12_model *m, c12_err *err)
{
    c12_rc rc = c12_load_llama_like(m, err);
    if (rc) return rc;
    m->hp.rope = C12_ROPE_NORM;
    m->hp.act = C12_ACT_SILU;
    for (int il = 0; il < m->hp.n_layer; il++)
        if (!m->layers[il].ffn_norm)
            return c12_fail(err, C12_ERR_FORMAT, "model: blk.%d.ffn_norm.weight is missing", il);
    return C12_OK;
}

const c12_arch c12_arch_llama = {.name = "llama", .load = llama_load};
