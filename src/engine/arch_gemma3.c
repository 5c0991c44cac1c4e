/* arch_gemma3.c - the gemma3 architecture (Gemma 3 text models).
 *
 * As llama.cpp builds it (docs/engine.md, "gemma3", lists what the file does
 * not say):
 *  - embeddings times sqrtf(n_embd), rounded to float;
 *  - RMSNorm of each head of q and k, NEOX RoPE, then q times the attention
 *    scale (1/sqrt(head_dim)) before attention, which then scales by 1;
 *  - RMSNorm of the attention and feed-forward outputs before each residual
 *    add; GGUF norm weights already hold gemma's (1 + w);
 *  - GELU-gated feed-forward through ggml's fp16 GELU table;
 *  - sliding-window attention on local layers, full on global ones: layer il
 *    is local when il % P < P - 1 (P = attention.sliding_window_pattern, 6
 *    when absent), or as an array of that name says per layer;
 *  - RoPE base rope.freq_base on global layers, rope.freq_base_swa (10000
 *    when absent) on local ones;
 *  - tied output embeddings unless the file has output.weight. */
#include <math.h>

#include "model.h"

#define GEMMA3_SWA_PERIOD 6
#define GEMMA3_LOCAL_BASE 10000.0f

/* Keys llama.cpp honours for gemma3 that C12 does not implement: refuse them
 * rather than compute something else. */
static c12_rc refuse_unsupported(c12_model *m, c12_err *err)
{
    float cap = 0.0f, factor = 1.0f;
    c12_rc rc = c12_hp_float(m, "final_logit_softcapping", &cap, 1, err);
    if (!rc) rc = c12_hp_float(m, "rope.scaling.factor", &factor, 1, err);
    if (rc) return rc;
    if (cap != 0.0f)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "model: gemma3 logit soft-capping is not supported");
    if (factor != 1.0f && factor != 0.0f)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "model: gemma3 RoPE scaling is not supported");
    return C12_OK;
}

static c12_rc gemma3_load(c12_model *m, c12_err *err)
{
    c12_rc rc = c12_load_llama_like(m, err);
    const unsigned parts = C12_L_FFN_NORM | C12_L_QK_NORM | C12_L_POST_NORMS;
    if (!rc) rc = c12_layers_check(m, parts, parts, err);
    if (!rc) rc = refuse_unsupported(m, err);
    if (rc) return rc;
    c12_hparams *hp = &m->hp;
    hp->rope = C12_ROPE_NEOX;
    hp->act = C12_ACT_GELU;
    hp->embd_scale = sqrtf((float)hp->n_embd);
    /* gemma_pytorch's query_pre_attn_scalar: 27B (62 layers) uses
     * n_embd / n_head, the others head_dim; llama.cpp keys it on the size */
    int qpa = hp->n_layer == 62 ? hp->n_embd / hp->n_head : hp->head_dim;
    hp->q_scale = 1.0f / sqrtf((float)qpa);
    hp->attn_scale = 1.0f;
    hp->sliding_window = 0;
    if ((rc = c12_hp_int(m, "attention.sliding_window", &hp->sliding_window, 1, err))) return rc;
    hp->rope_base_local = GEMMA3_LOCAL_BASE;
    if ((rc = c12_hp_float(m, "rope.freq_base_swa", &hp->rope_base_local, 1, err))) return rc;
    if (hp->sliding_window > 0 && (rc = c12_swa_layers(m, GEMMA3_SWA_PERIOD, err))) return rc;
    return c12_gelu_table_new(m, err);
}

const c12_arch c12_arch_gemma3 = {.name = "gemma3", .load = gemma3_load};
