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
    /* KV cache, [n_layer][n_ctx][n_head_kv*head_dim]. Values are rounded to
     * fp16 precision (as llama.cpp's default f16 cache) but kept as f32 so
     * attention needs no conversion. */
    float *k_cache, *v_cache;
    /* scratch, sized for n_batch tokens */
    float *x, *xb, *xb2, *q, *k, *v, *att_out, *hb, *hb2;
    float *scores;        /* [n_threads][n_ctx] */
    float *logits;        /* [logits_rows][n_vocab] */
    int logits_rows;      /* n_batch with logits_all, else 1 */
    float *last_logits;   /* [n_vocab] */
    void *xq;             /* quantized activations [n_batch][xq_row] */
    size_t xq_row;
};

/* Run the model on tokens[0..n) at positions n_past.. (n <= n_batch); writes
 * logits for positions >= logits_from into s->logits (row 0 = logits_from). */
void c12_forward(c12_session *s, const int32_t *tokens, int n, int logits_from);

#endif
