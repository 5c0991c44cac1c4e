/* arch_gpt2.c - the gpt2 architecture (GPT-2 and its fine-tunes).
 *
 * As llama.cpp builds it:
 *  - learned absolute positions: x = tok_embd[id] + position_embd[pos], and
 *    no RoPE; so a session may not exceed context_length (session.c);
 *  - LayerNorm with weight and bias (attention.layer_norm_epsilon);
 *  - fused QKV with bias (attn_qkv: rows [q | k | v], views as in phi3);
 *  - attention output with bias; scores scaled by 1/sqrt(head_dim);
 *  - a sequential feed-forward: f = Wdown gelu(Wup h + b_up) + b_down, with
 *    ggml's fp16-table GELU;
 *  - the final LayerNorm with bias; output tied unless output.weight. */
#include "model.h"

static c12_rc gpt2_load(c12_model *m, c12_err *err)
{
    m->hp.norm = C12_NORM_LAYER;
    m->hp.ffn_seq = 1;
    c12_rc rc = c12_load_llama_like(m, err);
    if (rc) return rc;
    c12_hparams *hp = &m->hp;
    hp->rope = C12_ROPE_NONE;
    hp->act = C12_ACT_GELU;
    if ((rc = c12_bind_weight(m, &m->pos_embd, "position_embd.weight", hp->n_embd, hp->n_ctx_train, 0, err)))
        return rc;
    if (!m->output_norm_b) return c12_fail(err, C12_ERR_FORMAT, "model: gpt2 lacks output_norm.bias");
    const unsigned parts = C12_L_FFN_NORM | C12_L_NORM_BIAS | C12_L_QKV_BIAS | C12_L_OUT_BIAS | C12_L_FFN_BIAS;
    if ((rc = c12_layers_check(m, parts, parts, err))) return rc;
    return c12_gelu_table_new(m, err);
}

const c12_arch c12_arch_gpt2 = {.name = "gpt2", .load = gpt2_load};
