/* arch_phi3.c - the phi3 architecture (Phi-3 / Phi-3.5 / Phi-4 mini).
 *
 * As llama.cpp builds it:
 *  - one fused QKV matrix (attn_qkv: rows [q | k | v]), bound as three row
 *    views (arch.c), so the shared forward pass sees Wq, Wk, Wv;
 *  - one fused gate-up matrix (ffn_up, 2*n_ff rows: gate first, then up,
 *    ggml_swiglu's halves), bound as two views: f = Wdown(silu(g) * u);
 *  - NEOX RoPE; q times 1/sqrt(head_dim) after RoPE, before fp16 (the
 *    attention itself then scales by 1);
 *  - RMSNorm (an optional bias on the norms is added after the weight);
 *  - the 128k models' "longrope" factors (rope_factors_long/short) are not
 *    implemented: those tensors are refused (model.c), as is RoPE scaling;
 *  - a sliding window in the metadata is ignored, as llama.cpp does. */
#include <math.h>

#include "model.h"

static c12_rc phi3_load(c12_model *m, c12_err *err)
{
    m->hp.norm = C12_NORM_RMS;
    c12_rc rc = c12_load_llama_like(m, err);
    if (rc) return rc;
    c12_hparams *hp = &m->hp;
    hp->rope = C12_ROPE_NEOX;
    hp->act = C12_ACT_SILU;
    hp->q_scale = 1.0f / sqrtf((float)hp->head_dim);
    hp->attn_scale = 1.0f;
    if ((rc = c12_refuse_rope_scaling(m, err))) return rc;
    return c12_layers_check(m, C12_L_FFN_NORM | C12_L_NORM_BIAS, C12_L_FFN_NORM, err);
}

const c12_arch c12_arch_phi3 = {.name = "phi3", .load = phi3_load};
