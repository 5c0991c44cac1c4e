/* session.h - a session's state, shared by session.c and forward.c. */
#ifndef C12_SESSION_H
#define C12_SESSION_H

#include "model.h"
#include "tpool.h"

struct c12_session {
    c12_model *m;
    c12_tpool *pool;
    int n_ctx, n_batch, n_past;
    int32_t *tokens;      /* [n_ctx] ids whose K/V are cached */
    /* KV cache in fp16, as llama.cpp's default cache type. K is
     * [n_layer][n_ctx][n_head_kv*head_dim]; V is stored transposed,
     * [n_layer][n_head_kv][head_dim][ctx_pad], so that weighting V by the
     * softmax is a dot product over positions, summed in llama.cpp's order.
     * ctx_pad rounds n_ctx up to 64, the dot product's step. */
    uint16_t *k_cache, *v_cache;
    int ctx_pad;
    /* scratch, sized for n_batch tokens */
    float *x, *xb, *xb2, *q, *k, *v, *att_out, *hb, *hb2;
    float *scores;        /* [n_threads][ctx_pad] attention weights */
    uint16_t *half_scratch; /* [n_threads][ctx_pad + head_dim]: fp16 weights and q */
    float *logits;        /* [logits_rows][n_vocab] */
    int logits_rows;      /* n_batch with logits_all, else 1 */
    float *last_logits;   /* [n_vocab] */
    void *xq;             /* quantized activations [n_batch][xq_row] */
    size_t xq_row;
    int (*abort)(void *ud); /* asked before each chunk decode evaluates (NULL: never) */
    void *abort_ud;
};

/* Run the model on tokens[0..n) at positions n_past.. (n <= n_batch); writes
 * logits for positions >= logits_from into s->logits (row 0 = logits_from). */
void c12_forward(c12_session *s, const int32_t *tokens, int n, int logits_from);

#endif
