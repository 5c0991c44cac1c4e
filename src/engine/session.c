/* session.c - a session: KV cache, scratch buffers, and decoding in batches. */
#include <string.h>

#include "base/c12_alloc.h"
#include "session.h"

#define DEFAULT_CTX_CAP 4096
#define DEFAULT_BATCH 64

int c12_session_n_ctx(const c12_session *s) { return s->n_ctx; }
int c12_session_n_past(const c12_session *s) { return s->n_past; }
const float *c12_session_logits(const c12_session *s) { return s->last_logits; }
int64_t c12_session_worker_cpu_ns(const c12_session *s)
{
    return c12_tpool_worker_cpu_ns(s->pool) + atomic_load(&s->charged_ns);
}

size_t c12_session_kv_bytes(const c12_session *s)
{
    const c12_hparams *hp = &s->m->hp;
    return 2 * sizeof(uint16_t) * (size_t)hp->n_layer * s->ctx_pad * hp->n_head_kv * hp->head_dim;
}

void c12_session_free(c12_session *s)
{
    if (!s) return;
    c12_tpool_free(s->pool);
    float **bufs[] = {&s->x, &s->xb, &s->xb2, &s->q, &s->k, &s->v,
                      &s->att_out, &s->hb, &s->hb2, &s->scores, &s->q_f32, &s->logits, &s->last_logits};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) c12_free(*bufs[i]);
    c12_free(s->xq);
    c12_free(s->xsc);
    c12_free(s->k_cache);
    c12_free(s->v_cache);
    c12_free(s->tokens);
    c12_free(s->row_seq);
    c12_free(s->row_pos);
    c12_free(s);
}

static int alloc_floats(float **p, size_t n)
{
    *p = c12_calloc(n, sizeof(float));
    return *p != NULL;
}

static c12_rc alloc_buffers(c12_session *s, const c12_session_params *p, int n_threads)
{
    const c12_hparams *hp = &s->m->hp;
    size_t B = (size_t)s->n_batch, d = (size_t)hp->n_embd;
    size_t qd = (size_t)hp->n_head * hp->head_dim, kvd = (size_t)hp->n_head_kv * hp->head_dim;
    size_t kv = (size_t)hp->n_layer * s->ctx_pad * kvd;
    size_t maxcols = d > (size_t)hp->n_ff ? d : (size_t)hp->n_ff;
    if (qd > maxcols) maxcols = qd;
    size_t nl = p->logits_all ? B : p->n_seq_max > 0 ? (size_t)p->n_seq_max : 1;
    s->logits_rows = (int)nl;
    if (p->n_seq_max > 0) kv = 1; /* a step's workspace: the sequences bring their caches */
    /* zeroed: attention reads whole 64-position steps of V */
    s->k_cache = c12_calloc(kv, sizeof(uint16_t));
    s->v_cache = c12_calloc(kv, sizeof(uint16_t));
    int ok = s->k_cache && s->v_cache && alloc_floats(&s->x, B * d) && alloc_floats(&s->xb, B * (d > qd ? d : qd)) &&
             alloc_floats(&s->xb2, B * d) && alloc_floats(&s->q, B * qd) &&
             alloc_floats(&s->k, B * kvd) && alloc_floats(&s->v, B * kvd) &&
             alloc_floats(&s->att_out, B * qd) && alloc_floats(&s->hb, B * hp->n_ff) &&
             alloc_floats(&s->hb2, B * hp->n_ff) &&
             alloc_floats(&s->scores, (size_t)n_threads * s->ctx_pad) &&
             alloc_floats(&s->q_f32, (size_t)n_threads * hp->head_dim) &&
             alloc_floats(&s->logits, nl * hp->n_vocab) &&
             alloc_floats(&s->last_logits, (size_t)hp->n_vocab);
    /* activations quantize to at most 4 bytes per element (f32) plus headers */
    s->xq = ok ? c12_malloc(B * (maxcols * 4 + 256)) : NULL;
    s->xsc = ok ? c12_malloc(c12_act_scales_floats(C12_TYPE_Q8_1, (int)maxcols, (int)B) * sizeof(float)) : NULL;
    s->tokens = ok ? c12_calloc((size_t)s->n_ctx, sizeof(int32_t)) : NULL;
    s->row_seq = ok ? c12_calloc(B, sizeof(int)) : NULL;
    s->row_pos = ok ? c12_calloc(B, sizeof(int)) : NULL;
    return s->xq && s->xsc && s->tokens && s->row_seq && s->row_pos ? C12_OK : C12_ERR_NOMEM;
}

c12_rc c12_session_new(c12_model *m, const c12_session_params *p, c12_session **out,
                       c12_err *err)
{
    c12_session_params dp = {0};
    if (!p) p = &dp;
    int n_ctx = p->n_ctx > 0 ? p->n_ctx : m->hp.n_ctx_train;
    if (p->n_ctx <= 0 && n_ctx > DEFAULT_CTX_CAP) n_ctx = DEFAULT_CTX_CAP;
    if (n_ctx > m->hp.n_ctx_train)
        return c12_fail(err, C12_ERR_RANGE, "context %d is larger than the model's %d", n_ctx,
                        m->hp.n_ctx_train);
    c12_session *s = c12_calloc(1, sizeof *s);
    if (!s) return c12_fail(err, C12_ERR_NOMEM, "session: no memory");
    s->m = m;
    s->n_ctx = n_ctx;
    s->ctx_pad = (n_ctx + 63) & ~63;
    s->n_batch = p->n_batch > 0 ? p->n_batch : DEFAULT_BATCH;
    if (s->n_batch > n_ctx) s->n_batch = n_ctx;
    c12_rc rc = c12_tpool_new(p->n_threads, &s->pool, err);
    if (rc) {
        c12_free(s);
        return rc;
    }
    if (alloc_buffers(s, p, c12_tpool_size(s->pool))) {
        c12_session_free(s);
        return c12_fail(err, C12_ERR_NOMEM, "session: no memory for a %d-token context", n_ctx);
    }
    *out = s;
    return C12_OK;
}

void c12_session_truncate(c12_session *s, int n_keep)
{
    if (n_keep < 0) n_keep = 0;
    if (n_keep < s->n_past) s->n_past = n_keep;
}

void c12_session_set_abort(c12_session *s, int (*abort)(void *ud), void *ud)
{
    s->abort = abort;
    s->abort_ud = ud;
}

c12_rc c12_session_decode(c12_session *s, const int32_t *tokens, int n, int logits_from,
                          float *logits, c12_err *err)
{
    int nv = s->m->hp.n_vocab;
    if (n <= 0) return c12_fail(err, C12_ERR_INVALID, "decode: no tokens");
    if (n > s->n_ctx - s->n_past)
        return c12_fail(err, C12_ERR_RANGE,
                        "the prompt needs %d tokens but the context holds %d (%d in use)",
                        s->n_past + n, s->n_ctx, s->n_past);
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= nv)
            return c12_fail(err, C12_ERR_INVALID, "decode: token id %d out of range", tokens[i]);
    if (logits && logits_from < n && s->logits_rows < s->n_batch)
        return c12_fail(err, C12_ERR_INVALID, "decode: session keeps only the last logits");
    /* shared steps give the last position's logits only: asking for more runs alone */
    c12_batcher *bt = logits ? NULL : s->batcher;
    int held = bt && n > 1 && c12_batcher_hold(bt, s);
    c12_rc rc = C12_OK;
    for (int i = 0; i < n;) {
        if (s->abort && s->abort(s->abort_ud)) {
            rc = c12_fail(err, C12_ERR_CANCELLED, "cancelled after %d of %d tokens", i, n);
            break;
        }
        int cap = bt ? c12_batcher_chunk(bt, s) : s->n_batch;
        int b = n - i < cap ? n - i : cap;
        int from = b - 1; /* by default only the last position's logits */
        if (logits && logits_from < i + b) from = logits_from > i ? logits_from - i : 0;
        if (bt) c12_batcher_forward(bt, s, tokens + i, b, n - i);
        else c12_forward(s, tokens + i, b, from);
        if (logits && logits_from < i + b)
            memcpy(logits + (size_t)(i + from - logits_from) * nv, s->logits,
                   sizeof(float) * (size_t)(b - from) * nv);
        memcpy(s->last_logits, s->logits + (size_t)(b - 1 - from) * nv, sizeof(float) * nv);
        i += b;
    }
    if (held) c12_batcher_release(bt, s);
    return rc;
}

c12_rc c12_session_prefill(c12_session *s, const int32_t *tokens, int n, int *n_reused,
                           c12_err *err)
{
    if (n <= 0) return c12_fail(err, C12_ERR_INVALID, "prefill: empty prompt");
    int keep = 0;
    while (keep < s->n_past && keep < n && s->tokens[keep] == tokens[keep]) keep++;
    /* always evaluate at least the last token, so its logits are fresh */
    if (keep == n) keep = n - 1;
    c12_session_truncate(s, keep);
    c12_rc rc = c12_session_decode(s, tokens + keep, n - keep, n, NULL, err);
    if (!rc && n_reused) *n_reused = keep;
    return rc;
}
