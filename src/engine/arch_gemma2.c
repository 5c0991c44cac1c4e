/* arch_gemma2.c - the gemma2 architecture (Gemma 2 2B/9B/27B).
 *
 * As llama.cpp builds it:
 *  - embeddings times sqrtf(n_embd); output always tied to them;
 *  - RMSNorm (GGUF weights already hold gemma's 1 + w); post-norms of the
 *    attention and feed-forward outputs before each residual add;
 *  - NEOX RoPE; q times 1/sqrt(head_dim) after RoPE (27B, 46 layers:
 *    1/sqrt(n_embd/n_head)); the attention then scales by 1;
 *  - attention scores soft-capped: cap * tanh(q.k / cap), cap =
 *    attn_logit_softcapping (50 when absent), before the softmax;
 *  - sliding-window attention (attention.sliding_window, 4096 when absent)
 *    on local layers: period 2 unless attention.sliding_window_pattern says,
 *    so even layers are local, odd ones global; rope.freq_base_swa
 *    (rope.freq_base when absent) on local layers;
 *  - GELU-gated feed-forward (ggml's fp16 GELU table);
 *  - final logits soft-capped: cap * tanh(logits / cap), cap =
 *    final_logit_softcapping (30 when absent). */
#include <math.h>

#include "model.h"

static c12_rc gemma2_load(c12_model *m, c12_err *err)
{
    m->hp.norm = C12_NORM_RMS;
    c12_rc rc = c12_load_llama_like(m, err);
    if (rc) return rc;
    c12_hparams *hp = &m->hp;
    const unsigned parts = C12_L_FFN_NORM | C12_L_POST_NORMS;
    if ((rc = c12_layers_check(m, parts, parts, err))) return rc;
    if (m->output.data != m->tok_embd.data)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "model: gemma2 with its own output.weight is not supported");
    if ((rc = c12_refuse_rope_scaling(m, err))) return rc;
    hp->rope = C12_ROPE_NEOX;
    hp->act = C12_ACT_GELU;
    hp->embd_scale = sqrtf((float)hp->n_embd);
    hp->q_scale = 1.0f / sqrtf((float)(hp->n_layer == 46 ? hp->n_embd / hp->n_head : hp->head_dim));
    hp->attn_scale = 1.0f;
    hp->attn_softcap = 50.0f;
    hp->final_softcap = 30.0f;
    hp->sliding_window = 4096;
    if ((rc = c12_hp_float(m, "attn_logit_softcapping", &hp->attn_softcap, 1, err)) ||
        (rc = c12_hp_float(m, "final_logit_softcapping", &hp->final_softcap, 1, err)) ||
        (rc = c12_hp_int(m, "attention.sliding_window", &hp->sliding_window, 1, err)) ||
        (rc = c12_hp_float(m, "rope.freq_base_swa", &hp->rope_base_local, 1, err)))
        return rc;
    if (hp->attn_softcap <= 0.0f || hp->final_softcap <= 0.0f || hp->sliding_window <= 0)
        return c12_fail(err, C12_ERR_FORMAT, "model: gemma2 soft-caps and window must be positive");
    if ((rc = c12_swa_layers(m, 2, err))) return rc;
    return c12_gelu_table_new(m, err);
}

const c12_arch c12_arch_gemma2 = {.name = "gemma2", .load = gemma2_load};
