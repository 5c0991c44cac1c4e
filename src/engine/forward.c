/* forward.c - one forward pass of a decoder-only transformer, top to bottom.
 *
 * For a batch of n tokens (a prompt chunk, or one token while decoding):
 *   x = embed(tokens)                       (gemma: * sqrt(n_embd))
 *   x += P[pos]                             (learned positions: gpt2)
 *   for each layer:
 *     h = norm(x) -> q, k, v = Wq h, Wk h, Wv h (+ biases: qwen2, gpt2...)
 *         norm: rmsnorm(x) * w, or layernorm(x) * w + b (gpt2, starcoder2, stablelm)
 *         Wq, Wk, Wv may be row views of one fused matrix (phi3, gpt2)
 *     per-head rmsnorm of q and k (gemma3, qwen3), rotary positions on the
 *     first n_rot dims of each head of q and k (none: gpt2; llama3 divides
 *     each pair's frequency by rope_freqs[i])
 *     append k, v to the cache; attend over the cache (causal; sliding
 *     window on local layers; scores soft-capped: gemma2),
 *     o = Wo attn (+ bias)  (post-norm: gemma2/3)
 *     x += o
 *     h = norm(x) -> f = Wdown(act(Wgate h) * (Wup h + b)) (+ b)  (post-norm: gemma2/3)
 *         or, without a gate (gpt2, starcoder2), f = Wdown gelu(Wup h + b) + b
 *     x += f
 *   logits = Wout norm(x)                   (soft-capped: gemma2)
 * Matrix products quantize the activations once to the weight's vec_dot_type
 * and run integer dot products (quant.h), split across the thread pool.
 *
 * A step may carry the tokens of several sequences (batched decoding,
 * batch.c): their rows are stacked, so each weight row is read once for all
 * of them; only the cache writes and attention look up each row's own
 * sequence (its KV cache and position). Every row's arithmetic is the same
 * as if it ran alone, so batched answers equal unbatched ones. */
#include <math.h>
#include <string.h>

#include "session.h"
#include "vecops.h"


static void rmsnorm(float *out, const float *x, const float *w, int n, float eps)
{
    double ss = 0.0;
    for (int i = 0; i < n; i++) ss += (double)(x[i] * x[i]);
    float scale = 1.0f / sqrtf((float)(ss / n) + eps);
    for (int i = 0; i < n; i++) out[i] = x[i] * scale * w[i];
}

/* LayerNorm as ggml_norm: the mean through a double sum; the variance of
 * x - mean summed 16 lanes at a time, each 16 reduced in AVX-512's tree
 * (8+8, 4+4, 2+2, 1+1) and added in double; then * w and + b, each rounded. */
static void layernorm(float *out, const float *x, const float *w, const float *b, int n, float eps)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += (double)x[i];
    const float mean = (float)sum / (float)n;
    double var = 0.0;
    int i = 0;
    for (; i + 15 < n; i += 16) {
        float l[16];
        for (int j = 0; j < 16; j++) {
            out[i + j] = x[i + j] - mean;
            l[j] = out[i + j] * out[i + j];
        }
        for (int w2 = 8; w2 >= 1; w2 /= 2)
            for (int j = 0; j < w2; j++) l[j] = l[j] + l[j + w2];
        var += (double)l[0];
    }
    for (; i < n; i++) {
        out[i] = x[i] - mean;
        var += (double)(out[i] * out[i]);
    }
    const float scale = 1.0f / sqrtf((float)(var / n) + eps);
    for (int k = 0; k < n; k++) {
        out[k] = out[k] * scale * w[k];
        if (b) out[k] += b[k];
    }
}

/* ---- per-token work (norms, RoPE, the cache, residuals): on the pool for a
 * prompt or a batched step's rows, here for one sequence's decode row (the
 * pool's round trip costs more than one row). With 4 smollm2-135m sequences
 * a step, their rows on the pool made `c12 bench -s 4` 3-5% faster than
 * with them here (the worker idled while this thread did them). ---- */

enum { ROWS_ON_POOL = 2 };

static void each_row(c12_session *s, c12_range_fn fn, void *ctx, int n)
{
    const int64_t parts = 4 * (int64_t)c12_tpool_size(s->pool);
    if (n < ROWS_ON_POOL) fn(ctx, 0, 0, n);
    else c12_tpool_run_range(s->pool, fn, ctx, n, (n + parts - 1) / parts);
}

typedef struct norm_job {
    const c12_hparams *hp;
    float *out;
    const float *x, *w, *b;
    int d;
} norm_job;

static void norm_range(void *ctx, int ith, int64_t t0, int64_t t1)
{
    (void)ith;
    const norm_job *j = ctx;
    for (int64_t t = t0; t < t1; t++) {
        float *o = j->out + (size_t)t * j->d;
        if (j->hp->norm == C12_NORM_LAYER) {
            layernorm(o, j->x + (size_t)t * j->d, j->w, j->b, j->d, j->hp->norm_eps);
            continue;
        }
        rmsnorm(o, j->x + (size_t)t * j->d, j->w, j->d, j->hp->norm_eps);
        if (j->b)
            for (int i = 0; i < j->d; i++) o[i] += j->b[i];
    }
}

/* The model's norm of each of n rows of x (d wide) into out. */
static void norm_rows(c12_session *s, float *out, const float *x, const float *w, const float *b, int n_rows, int d)
{
    norm_job j = {.hp = &s->m->hp, .out = out, .x = x, .w = w, .b = b, .d = d};
    each_row(s, norm_range, &j, n_rows);
}

/* cap * tanh(x / cap), as ggml's scale, tanh, scale */
static float softcap(float x, float cap) { return tanhf(x * (1.0f / cap)) * cap; }

/* ---- matrix products: y[t] = W x[t] for up to 3 matrices sharing x ---- */

typedef struct matmul_job {
    const c12_weight *w[3];
    float *y[3];
    int n_w, n_tok;
    const void *xq;
    size_t xq_row;
    const float *xsc;    /* xq's scales for the tile kernels (c12_act_scales), or NULL */
    int64_t total_rows;
} matmul_job;

enum { MATMUL_TOKENS = 64 }; /* tokens per pass over a range's rows */

static void matmul_rows(void *ctx, int ith, int64_t r0, int64_t r1)
{
    matmul_job *j = ctx;
    /* a long prompt in blocks of tokens, the range's rows inside: a block's
     * activations stay in L2 while the rows pass over them (a wide matrix's
     * 256 tokens do not fit: 17% slower) */
    if (j->n_tok > MATMUL_TOKENS && (j->w[0]->tt->vec_dot_n || j->w[0]->tt->vec_dot_r8)) {
        matmul_job b = *j;
        for (int t0 = 0; t0 < j->n_tok; t0 += MATMUL_TOKENS) {
            b.n_tok = j->n_tok - t0 < MATMUL_TOKENS ? j->n_tok - t0 : MATMUL_TOKENS;
            b.xq = (const uint8_t *)j->xq + (size_t)t0 * j->xq_row;
            if (j->xsc) b.xsc = j->xsc + c12_act_scales_floats(j->w[0]->tt->vec_dot_type, (int)j->w[0]->cols, t0);
            for (int i = 0; i < j->n_w; i++) b.y[i] = j->y[i] + (size_t)t0 * j->w[i]->rows;
            matmul_rows(&b, ith, r0, r1);
        }
        return;
    }
    for (int64_t r = r0; r < r1; r++) {
        int64_t rr = r;
        int wi = 0;
        while (rr >= j->w[wi]->rows) rr -= j->w[wi++]->rows;
        const c12_weight *w = j->w[wi];
        const uint8_t *row = (const uint8_t *)w->data + (size_t)rr * w->row_bytes;
        if (w->tt->vec_dot_r8) { /* 8 repacked rows (rr is a multiple of 8: matmul) */
            w->tt->vec_dot_r8((int)w->cols, &j->y[wi][rr], (size_t)w->rows, row, j->xq, j->xq_row, j->n_tok);
            r += 7;
            continue;
        }
        /* the row unpacked once for all tokens; below the type's vec_dot_n_min
         * (a batched step's few sequences) dotted with each in turn, reading
         * it again from L1: the same results either way, bit for bit */
        if (w->tt->vec_dot_n && j->n_tok >= w->tt->vec_dot_n_min) {
            w->tt->vec_dot_n((int)w->cols, &j->y[wi][rr], (size_t)w->rows, row, j->xq, j->xq_row,
                             j->n_tok, j->xsc);
            continue;
        }
        for (int t = 0; t < j->n_tok; t++) {
            float s;
            w->tt->vec_dot((int)w->cols, &s, row, (const uint8_t *)j->xq + (size_t)t * j->xq_row);
            j->y[wi][(size_t)t * w->rows + rr] = s;
        }
    }
}

/* Quantize n rows of x (each `cols` floats) to the weights' activation type. */
static void quantize_rows(c12_session *s, const c12_weight *w, const float *x, int n)
{
    const c12_type_traits *vt = c12_type(s->m->types, (uint32_t)w->tt->vec_dot_type);
    size_t row = c12_type_row_size(vt, w->cols);
    for (int t = 0; t < n; t++)
        vt->from_float(x + (size_t)t * w->cols, (uint8_t *)s->xq + (size_t)t * row, w->cols);
    s->xq_row = row;
}

/* The job's quantized rows' block scales for the tile kernels, laid out
 * once for all its matrices' rows (c12_act_scales) when one of them will
 * multiply them with vec_dot_n; else NULL. */
static const float *act_scales(c12_session *s, const matmul_job *j)
{
    const c12_weight *w = j->w[0];
    int tiled = 0;
    for (int i = 0; i < j->n_w; i++) tiled |= j->w[i]->tt->vec_dot_n && j->n_tok >= j->w[i]->tt->vec_dot_n_min;
    if (!tiled || !c12_act_scales_floats(w->tt->vec_dot_type, (int)w->cols, j->n_tok)) return NULL;
    c12_act_scales(w->tt->vec_dot_type, j->xq, j->xq_row, (int)w->cols, j->n_tok, s->xsc);
    return s->xsc;
}

/* Whether matmul's matrices must go one at a time: matrices sharing one
 * quantized input must share its activation type; and where one is repacked
 * (multiplied 8 rows at a time), each range of rows a thread takes must start
 * at a multiple of 8 rows of its matrix, so every matrix's rows must be. */
static int must_split(int n_w, const c12_weight *const w[3], int r8)
{
    int rows8 = 1, same = 1;
    for (int i = 0; i < n_w; i++) {
        rows8 &= w[i]->rows % 8 == 0;
        same &= w[i]->tt->vec_dot_type == w[0]->tt->vec_dot_type;
    }
    return n_w > 1 && (!same || (r8 && !rows8));
}

static void matmul(c12_session *s, int n, const float *x, int n_w, const c12_weight *w0, float *y0,
                   const c12_weight *w1, float *y1, const c12_weight *w2, float *y2)
{
    const c12_weight *const w[3] = {w0, w1, w2};
    int r8 = 0; /* a repacked matrix among them */
    for (int i = 0; i < n_w; i++) r8 |= w[i]->tt->vec_dot_r8 != NULL;
    if (must_split(n_w, w, r8)) {
        matmul(s, n, x, 1, w0, y0, NULL, NULL, NULL, NULL);
        matmul(s, n, x, 1, w1, y1, NULL, NULL, NULL, NULL);
        if (n_w > 2) matmul(s, n, x, 1, w2, y2, NULL, NULL, NULL, NULL);
        return;
    }
    matmul_job j = {.w = {w0, w1, w2}, .y = {y0, y1, y2}, .n_w = n_w, .n_tok = n};
    quantize_rows(s, w0, x, n);
    j.xq = s->xq;
    j.xq_row = s->xq_row;
    j.xsc = act_scales(s, &j);
    for (int i = 0; i < n_w; i++) j.total_rows += j.w[i]->rows;
    /* ~16 chunks per thread: small enough to even out, big enough that the
     * shared counter is touched rarely */
    int64_t chunk = j.total_rows / (16 * c12_tpool_size(s->pool));
    if (r8) chunk = chunk < 8 ? 8 : (chunk + 7) / 8 * 8; /* ranges start at multiples of 8 (must_split) */
    c12_tpool_run_range(s->pool, matmul_rows, &j, j.total_rows, chunk);
}

/* ---- rotary position embedding ---- */

enum { ROPE_PAIRS_MAX = 512 }; /* n_rot / 2: head_dim is at most 1024 (arch.c) */

/* The angles of a position's n_rot / 2 pairs, cos and sin side by side in
 * cs: the same for every head of q and k, so made once per row */
static void rope_angles(float *cs, int n_rot, int pos, float base, const float *freq_div)
{
    float theta_scale = powf(base, -2.0f / (float)n_rot);
    float theta = (float)pos;
    for (int i = 0; i < n_rot / 2; i++) {
        /* llama3: pair i turns at theta / rope_freqs[i] */
        float th = freq_div ? theta / freq_div[i] : theta;
        cs[2 * i] = cosf(th);
        cs[2 * i + 1] = sinf(th);
        theta *= theta_scale;
    }
}

static void rope(float *v, int n_heads, int head_dim, int n_rot, c12_rope_kind kind, const float *cs)
{
    for (int h = 0; h < n_heads; h++) {
        float *x = v + (size_t)h * head_dim;
        for (int i = 0; i < n_rot / 2; i++) {
            float c = cs[2 * i], sn = cs[2 * i + 1];
            /* NORM rotates adjacent pairs, NEOX pairs i and i + n_rot/2 */
            int a = kind == C12_ROPE_NORM ? 2 * i : i;
            int b = kind == C12_ROPE_NORM ? 2 * i + 1 : i + n_rot / 2;
            float x0 = x[a], x1 = x[b];
            /* llama.cpp's x0*c - x1*s and x0*s + x1*c, as gcc fuses them */
            x[a] = fmaf(x0, c, -(x1 * sn));
            x[b] = fmaf(x0, sn, x1 * c);
        }
    }
}

/* ---- attention over the cache ----
 * As llama.cpp computes it without flash attention: q rounded to fp16 and
 * dotted with each cached k (fp16); scores scaled, softmax with its exp; the
 * weights rounded to fp16 and dotted with each row of the transposed V. The
 * dot products and the softmax are vecops.h's, in llama.cpp's order. */

typedef struct attn_job {
    c12_session *s;             /* the step's scratch and row map */
    const c12_fwd_seq *seqs;
    const c12_layer *L;
    int il;
} attn_job;

static void attn_head(attn_job *j, int t, int h, float *sc, float *qf)
{
    const c12_session *s = j->s;
    const c12_hparams *hp = &s->m->hp;
    const c12_vec_ops *vo = s->m->vops;
    const int hd = hp->head_dim, kvd = hp->n_head_kv * hd, g = h / (hp->n_head / hp->n_head_kv);
    const c12_session *kv = j->seqs[s->row_seq[t]].kv;
    const int pos = s->row_pos[t];
    int start = 0;
    if (j->L->is_swa && hp->sliding_window > 0 && pos - hp->sliding_window + 1 > 0)
        start = pos - hp->sliding_window + 1;
    const float *q = s->q + ((size_t)t * hp->n_head + h) * hd;
    vo->round_f16(hd, qf, q, 1.0f); /* q as fp16, once */
    const uint16_t *kc = kv->k_cache + (size_t)j->il * kv->ctx_pad * kvd + (size_t)g * hd;
    /* positions outside [start, pos] are masked: weight exactly 0 */
    const int n = (pos + 16) & ~15;
    float mx = -INFINITY;
    vo->dot_f16_rows(hd, kc + (size_t)start * kvd, (size_t)kvd, pos + 1 - start, qf, sc + start);
    for (int p = 0; p < n; p++) {
        if (p < start || p > pos) {
            sc[p] = -INFINITY;
            continue;
        }
        float qk = sc[p];
        if (hp->attn_softcap > 0.0f) qk = softcap(qk, hp->attn_softcap);
        sc[p] = qk * hp->attn_scale;
        if (sc[p] > mx) mx = sc[p];
    }
    const float inv = (float)(1.0 / vo->softmax_exp(n, sc, sc, mx));
    const int npad = (pos + 64) & ~63;
    /* the weights rounded to fp16, in place, once for every dimension */
    vo->round_f16(n, sc, sc, inv);
    for (int p = n; p < npad; p++) sc[p] = 0.0f;
    const uint16_t *vt = kv->v_cache + ((size_t)j->il * hp->n_head_kv + g) * hd * kv->ctx_pad;
    float *out = s->att_out + ((size_t)t * hp->n_head + h) * hd;
    vo->dot_f16_rows(npad, vt, (size_t)kv->ctx_pad, hd, sc, out);
}

static void attn_heads(void *ctx, int ith, int64_t i0, int64_t i1)
{
    attn_job *j = ctx;
    const c12_session *s = j->s;
    int n_head = s->m->hp.n_head;
    float *sc = s->scores + (size_t)ith * s->ctx_pad;
    float *qf = s->q_f32 + (size_t)ith * s->m->hp.head_dim;
    for (int64_t i = i0; i < i1; i++) attn_head(j, (int)(i / n_head), (int)(i % n_head), sc, qf);
}

/* ---- one layer ---- */

static void head_norm(float *v, int n_heads, int hd, const float *w, float eps)
{
    for (int h = 0; h < n_heads; h++) rmsnorm(v + (size_t)h * hd, v + (size_t)h * hd, w, hd, eps);
}

static void add_bias(float *y, const float *b, int n_tok, int dim)
{
    if (!b) return;
    for (int t = 0; t < n_tok; t++)
        for (int i = 0; i < dim; i++) y[(size_t)t * dim + i] += b[i];
}

/* rows t0..t1 of q and k normed (when the layer has it), rotated and
 * scaled; k and v into their sequences' caches as fp16 */
static void qk_rows(void *ctx, int ith, int64_t t0, int64_t t1)
{
    (void)ith;
    const attn_job *j = ctx;
    c12_session *s = j->s;
    const c12_hparams *hp = &s->m->hp;
    const c12_layer *L = j->L;
    const int qd = hp->n_head * hp->head_dim, kvd = hp->n_head_kv * hp->head_dim;
    const float base = L->is_swa ? hp->rope_base_local : hp->rope_base;
    float cs[2 * ROPE_PAIRS_MAX];
    for (int64_t t = t0; t < t1; t++) {
        float *q = s->q + (size_t)t * qd, *k = s->k + (size_t)t * kvd;
        c12_session *kv = j->seqs[s->row_seq[t]].kv;
        const int pos = s->row_pos[t];
        if (L->q_norm) head_norm(q, hp->n_head, hp->head_dim, L->q_norm, hp->norm_eps);
        if (L->k_norm) head_norm(k, hp->n_head_kv, hp->head_dim, L->k_norm, hp->norm_eps);
        if (hp->rope != C12_ROPE_NONE) {
            rope_angles(cs, hp->n_rot, pos, base, s->m->rope_freqs);
            rope(q, hp->n_head, hp->head_dim, hp->n_rot, hp->rope, cs);
            rope(k, hp->n_head_kv, hp->head_dim, hp->n_rot, hp->rope, cs);
        }
        if (hp->q_scale != 1.0f)
            for (int i = 0; i < qd; i++) q[i] *= hp->q_scale;
        uint16_t *kc = kv->k_cache + ((size_t)j->il * kv->ctx_pad + pos) * kvd;
        uint16_t *vt = kv->v_cache + (size_t)j->il * kvd * kv->ctx_pad + pos;
        for (int i = 0; i < kvd; i++) {
            kc[i] = c12_fp32_to_fp16(k[i]);
            vt[(size_t)i * kv->ctx_pad] = c12_fp32_to_fp16(s->v[(size_t)t * kvd + i]);
        }
    }
}

/* x[t] += post_norm(o[t]) (the norm when the layer has one) */
typedef struct resid_job {
    c12_session *s;
    float *o;
    const float *post_norm;
} resid_job;

static void resid_range(void *ctx, int ith, int64_t t0, int64_t t1)
{
    (void)ith;
    const resid_job *j = ctx;
    const c12_hparams *hp = &j->s->m->hp;
    const int d = hp->n_embd;
    for (int64_t t = t0; t < t1; t++) {
        float *o = j->o + (size_t)t * d, *x = j->s->x + (size_t)t * d;
        if (j->post_norm) rmsnorm(o, o, j->post_norm, d, hp->norm_eps);
        for (int i = 0; i < d; i++) x[i] += o[i];
    }
}

static void residual(c12_session *s, float *o, const float *post_norm, int n)
{
    resid_job j = {.s = s, .o = o, .post_norm = post_norm};
    each_row(s, resid_range, &j, n);
}

static void attention_block(c12_session *s, const c12_fwd_seq *seqs, int il, int n)
{
    const c12_hparams *hp = &s->m->hp;
    const c12_layer *L = &s->m->layers[il];
    int d = hp->n_embd, qd = hp->n_head * hp->head_dim, kvd = hp->n_head_kv * hp->head_dim;
    norm_rows(s, s->xb, s->x, L->attn_norm, L->attn_norm_b, n, d);
    matmul(s, n, s->xb, 3, &L->wq, s->q, &L->wk, s->k, &L->wv, s->v);
    add_bias(s->q, L->bq, n, qd);
    add_bias(s->k, L->bk, n, kvd);
    add_bias(s->v, L->bv, n, kvd);
    attn_job j = {.s = s, .seqs = seqs, .L = L, .il = il};
    each_row(s, qk_rows, &j, n);
    c12_tpool_run_range(s->pool, attn_heads, &j, (int64_t)n * hp->n_head, 1);
    matmul(s, n, s->att_out, 1, &L->wo, s->xb2, NULL, NULL, NULL, NULL);
    add_bias(s->xb2, L->bo, n, d);
    residual(s, s->xb2, L->post_attn_norm, n);
}

/* hb[t] = act(hb[t]) * hb2[t], the gated feed-forward's activation */
static void gate_rows(void *ctx, int ith, int64_t t0, int64_t t1)
{
    (void)ith;
    const c12_session *s = ctx;
    const c12_hparams *hp = &s->m->hp;
    const int ff = hp->n_ff;
    for (int64_t t = t0; t < t1; t++) {
        float *g = s->hb + (size_t)t * ff, *u = s->hb2 + (size_t)t * ff;
        if (hp->act == C12_ACT_SILU) s->m->vops->swiglu(ff, g, g, u);
        else s->m->vops->geglu(ff, g, g, u, s->m->gelu_table);
    }
}

static void ffn_block(c12_session *s, int il, int n)
{
    const c12_hparams *hp = &s->m->hp;
    const c12_layer *L = &s->m->layers[il];
    int d = hp->n_embd, ff = hp->n_ff;
    norm_rows(s, s->xb, s->x, L->ffn_norm, L->ffn_norm_b, n, d);
    if (hp->ffn_seq) { /* no gate: hb = gelu(Wup h + b), ggml's table GELU */
        matmul(s, n, s->xb, 1, &L->w_up, s->hb, NULL, NULL, NULL, NULL);
        add_bias(s->hb, L->b_up, n, ff);
        const float *tab = s->m->gelu_table;
        for (size_t i = 0; i < (size_t)n * ff; i++) {
            float v = s->hb[i];
            s->hb[i] = v <= -10.0f ? 0.0f : v >= 10.0f ? v : tab[c12_fp32_to_fp16(v)];
        }
    } else {
        matmul(s, n, s->xb, 2, &L->w_gate, s->hb, &L->w_up, s->hb2, NULL, NULL);
        add_bias(s->hb2, L->b_up, n, ff);
        each_row(s, gate_rows, s, n);
    }
    matmul(s, n, s->hb, 1, &L->w_down, s->xb2, NULL, NULL, NULL, NULL);
    add_bias(s->xb2, L->b_down, n, d);
    residual(s, s->xb2, L->post_ffn_norm, n);
}

/* Token `tok` at position `pos` into row r of x (embedding, scaled, plus
 * the learned position). */
static void embed_row(c12_session *s, int32_t tok, int r, int pos)
{
    const c12_model *m = s->m;
    const int d = m->hp.n_embd;
    float *x = s->x + (size_t)r * d;
    m->tok_embd.tt->to_float((const uint8_t *)m->tok_embd.data + (size_t)tok * m->tok_embd.row_bytes, x, d);
    if (m->hp.embd_scale != 1.0f)
        for (int i = 0; i < d; i++) x[i] *= m->hp.embd_scale;
    if (m->pos_embd.data) { /* learned positions (n_ctx <= n_ctx_train: session.c) */
        float *p = s->xb;
        m->pos_embd.tt->to_float((const uint8_t *)m->pos_embd.data + (size_t)pos * m->pos_embd.row_bytes, p, d);
        for (int i = 0; i < d; i++) x[i] += p[i];
    }
}

/* The logits of each sequence's rows from its logits_from on: one matrix
 * product over those rows (gathered when several sequences share the step),
 * then each sequence's rows into its own session's logits. */
static void output_logits(c12_session *s, const c12_fwd_seq *seqs, int n_seq)
{
    const c12_model *m = s->m;
    const size_t d = (size_t)m->hp.n_embd, nv = (size_t)m->hp.n_vocab;
    const float *src = s->xb;
    int rows = 0, row0 = 0;
    for (int i = 0; i < n_seq; row0 += seqs[i++].n) {
        int from = seqs[i].logits_from, k = seqs[i].n - from;
        if (k <= 0) continue;
        if (n_seq == 1) src = s->xb + (size_t)from * d; /* already contiguous */
        else memcpy(s->xb2 + rows * d, s->xb + (size_t)(row0 + from) * d, sizeof(float) * d * (size_t)k);
        rows += k;
    }
    if (!rows) return;
    matmul(s, rows, n_seq == 1 ? src : s->xb2, 1, &m->output, s->logits, NULL, NULL, NULL, NULL);
    if (m->hp.final_softcap > 0.0f)
        for (size_t i = 0; i < (size_t)rows * nv; i++) s->logits[i] = softcap(s->logits[i], m->hp.final_softcap);
    rows = 0;
    for (int i = 0; i < n_seq; i++) {
        int k = seqs[i].n - seqs[i].logits_from;
        if (k <= 0) continue;
        if (seqs[i].kv != s) memcpy(seqs[i].kv->logits, s->logits + rows * nv, sizeof(float) * nv * (size_t)k);
        rows += k;
    }
}

void c12_forward_seqs(c12_session *s, const c12_fwd_seq *seqs, int n_seq)
{
    const c12_hparams *hp = &s->m->hp;
    int n = 0;
    for (int i = 0; i < n_seq; i++)
        for (int t = 0; t < seqs[i].n; t++, n++) {
            s->row_seq[n] = i;
            s->row_pos[n] = seqs[i].kv->n_past + t;
            embed_row(s, seqs[i].tokens[t], n, s->row_pos[n]);
        }
    for (int il = 0; il < hp->n_layer; il++) {
        attention_block(s, seqs, il, n);
        ffn_block(s, il, n);
    }
    for (int i = 0; i < n_seq; i++) {
        c12_session *kv = seqs[i].kv;
        memcpy(kv->tokens + kv->n_past, seqs[i].tokens, sizeof(int32_t) * (size_t)seqs[i].n);
        kv->n_past += seqs[i].n;
    }
    norm_rows(s, s->xb, s->x, s->m->output_norm, s->m->output_norm_b, n, hp->n_embd);
    output_logits(s, seqs, n_seq);
}

void c12_forward(c12_session *s, const int32_t *tokens, int n, int logits_from)
{
    c12_fwd_seq one = {.kv = s, .tokens = tokens, .n = n, .logits_from = logits_from};
    c12_forward_seqs(s, &one, 1);
}
