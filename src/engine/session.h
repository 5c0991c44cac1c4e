/* session.h - a session's state, shared by session.c and forward.c. */
#ifndef C12_SESSION_H
#define C12_SESSION_H

#include <stdatomic.h>

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
    float *scores;        /* [n_threads][ctx_pad] attention scores, then weights (rounded to fp16) */
    float *q_f32;         /* [n_threads][head_dim]: a head's q rounded to fp16, as floats */
    float *logits;        /* [logits_rows][n_vocab] */
    int logits_rows;      /* n_batch with logits_all, else 1 */
    float *last_logits;   /* [n_vocab] */
    void *xq;             /* quantized activations [n_batch][xq_row] */
    size_t xq_row;
    float *xsc;           /* their block scales for the tile kernels (c12_act_scales) */
    int *row_seq, *row_pos; /* [n_batch] each row's sequence in the step, and position */
    c12_batcher *batcher; /* NULL: forward passes of its own; else shared steps (batch.c) */
    /* CPU time of shared steps charged to this session, less what its
     * caller's thread spent leading steps for others (batch.c) */
    atomic_llong charged_ns;
    int (*abort)(void *ud); /* asked before each chunk decode evaluates (NULL: never) */
    void *abort_ud;
};

/* One sequence's part of a step: its tokens at positions kv->n_past.., and
 * the logits wanted from row logits_from on (into kv->logits). */
typedef struct c12_fwd_seq {
    c12_session *kv;
    const int32_t *tokens;
    int n, logits_from;
} c12_fwd_seq;

/* Run the model on tokens[0..n) at positions n_past.. (n <= n_batch); writes
 * logits for positions >= logits_from into s->logits (row 0 = logits_from). */
void c12_forward(c12_session *s, const int32_t *tokens, int n, int logits_from);
/* One step over several sequences of the same model, in s's scratch and
 * threads (the rows together <= s->n_batch, logits rows <= s->logits_rows);
 * each sequence's K/V, tokens and logits go to its own session. */
void c12_forward_seqs(c12_session *s, const c12_fwd_seq *seqs, int n_seq);

/* batch.c, for session.c and generate.c: */
/* The most prompt tokens s may put into one step now. */
int c12_batcher_chunk(c12_batcher *b, const c12_session *s);
/* Evaluate tokens[0..n) of s (logits of the last one) in the next shared
 * step; `left`: the tokens of this call still to evaluate, these included. */
void c12_batcher_forward(c12_batcher *b, c12_session *s, const int32_t *tokens, int n, int left);
/* A whole prompt of s runs in steps of its own (chunked prefill off). */
int c12_batcher_hold(c12_batcher *b, c12_session *s);
void c12_batcher_release(c12_batcher *b, c12_session *s);

#endif
