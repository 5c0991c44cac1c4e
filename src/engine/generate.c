/* generate.c - the generation loop: prefill, sample, decode, stream text.
 *
 * Text reaches the callback only in whole UTF-8 characters, and never a piece
 * that might be the start of a stop string: that tail is held back until it
 * either completes the stop string (and is dropped) or cannot (and is sent). */
#include <string.h>
#include <time.h>

#include "base/c12_clock.h"
#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "session.h"

#define PENDING_CAP (64 * 1024)

/* Length of the longest suffix of text[0..n) that is a proper prefix of a stop string. */
static size_t stop_prefix_tail(const char *text, size_t n, const char *const *stop)
{
    size_t best = 0;
    for (; stop && *stop; stop++) {
        size_t sl = strlen(*stop);
        if (!sl) continue; /* an empty stop string matches nothing */
        for (size_t k = sl > n ? n : sl - 1; k > best; k--)
            if (!memcmp(text + n - k, *stop, k)) {
                best = k;
                break;
            }
    }
    return best;
}

static const char *find_stop(const char *text, const char *const *stop)
{
    const char *first = NULL;
    for (; stop && *stop; stop++) {
        if (!**stop) continue;
        const char *p = strstr(text, *stop);
        if (p && (!first || p < first)) first = p;
    }
    return first;
}

typedef struct emitter {
    c12_buf pending;
    const char *const *stop;
    c12_text_cb cb;
    void *ud;
} emitter;

/* Returns 1 when generation must stop (stop string found or callback said so). */
static int emit(emitter *e, const char *text, size_t len, int *hit_stop)
{
    if (c12_buf_append(&e->pending, text, len)) return 1;
    const char *hit = find_stop(e->pending.data, e->stop);
    size_t send = hit ? (size_t)(hit - e->pending.data)
                      : e->pending.len - stop_prefix_tail(e->pending.data, e->pending.len, e->stop);
    int quit = 0;
    if (send && e->cb) quit = e->cb(e->ud, e->pending.data, send);
    memmove(e->pending.data, e->pending.data + send, e->pending.len - send + 1);
    e->pending.len -= send;
    if (hit) *hit_stop = 1;
    return quit || hit;
}

/* The token's log-probability and the top ones, with their texts (special
 * tokens' too), told to on_logprobs. Only asked for: a pass over the
 * vocabulary per token. */
static void tell_logprobs(const c12_session *s, const c12_gen_params *gp, int32_t tok, void *ud)
{
    c12_logprobs lp;
    c12_logprobs_fill(c12_session_logits(s), s->m->hp.n_vocab, tok, gp->top_logprobs, &lp);
    c12_token_logprob *all[1 + C12_TOP_LOGPROBS_MAX] = {&lp.chosen};
    for (int i = 0; i < lp.n_top; i++) all[1 + i] = &lp.top[i];
    for (int i = 0; i <= lp.n_top; i++)
        all[i]->len = c12_model_piece(s->m, all[i]->id, 1, all[i]->piece, sizeof all[i]->piece);
    gp->on_logprobs(ud, &lp);
}

/* Constrained decoding's state for one generation (c12_jsonc.h). */
typedef struct jsonout {
    c12_jsonc *jc;              /* NULL: unconstrained */
    const c12_jsonc_vocab *vocab;
    c12_jsonc_vocab *own;       /* built for this call (no index was given) */
    float *masked;              /* [n_vocab] the logits with refused tokens at -inf */
} jsonout;

static c12_rc jsonout_begin(const c12_session *s, const c12_gen_params *gp, jsonout *jo, c12_err *err)
{
    *jo = (jsonout){0};
    if (!gp->json) return C12_OK;
    c12_rc rc = C12_OK;
    if (!(jo->vocab = gp->json_vocab)) rc = c12_jsonc_vocab_new(s->m, &jo->own, err), jo->vocab = jo->own;
    if (!rc) rc = c12_jsonc_new(gp->json, &jo->jc, err);
    if (!rc && !(jo->masked = c12_malloc(sizeof *jo->masked * (size_t)s->m->hp.n_vocab)))
        rc = c12_fail(err, C12_ERR_NOMEM, "out of memory");
    return rc;
}

static void jsonout_end(jsonout *jo)
{
    c12_jsonc_free(jo->jc);
    c12_jsonc_vocab_free(jo->own);
    c12_free(jo->masked);
}

/* The logits to sample from: the model's, or with the tokens JSON refuses masked. */
static c12_rc next_logits(const c12_session *s, jsonout *jo, const float **out, c12_err *err)
{
    const float *l = c12_session_logits(s);
    if (!jo->jc) return *out = l, C12_OK;
    memcpy(jo->masked, l, sizeof *jo->masked * (size_t)s->m->hp.n_vocab);
    if (!c12_jsonc_mask(jo->vocab, jo->jc, jo->masked))
        return c12_fail(err, C12_ERR_INTERNAL, "constrained decoding: no token of the vocabulary continues the JSON");
    *out = jo->masked;
    return C12_OK;
}

/* The chosen token's bytes into the automaton (the mask allowed them). */
static c12_rc json_feed(const c12_session *s, jsonout *jo, int32_t tok, c12_err *err)
{
    char b[512];
    size_t n = c12_model_piece(s->m, tok, 0, b, sizeof b);
    if (!jo->jc || (n <= sizeof b && c12_jsonc_feed(jo->jc, b, n))) return C12_OK;
    return c12_fail(err, C12_ERR_INTERNAL, "constrained decoding: token %d was allowed but refused", (int)tok);
}

static c12_rc run_loop(c12_session *s, const c12_gen_params *gp, c12_sampler *smp, emitter *e, jsonout *jo,
                       c12_gen_result *res, c12_err *err)
{
    c12_detok dt;
    c12_detok_init(&dt, s->m->tok);
    char piece[256];
    int hit_stop = 0;
    double t0 = c12_clock_s();
    res->finish = C12_FINISH_LENGTH;
    for (;;) {
        if (gp->max_tokens > 0 && res->n_completion >= gp->max_tokens) break;
        const float *logits = NULL;
        c12_rc lrc = next_logits(s, jo, &logits, err);
        if (lrc) return lrc;
        int32_t tok = c12_sampler_sample(smp, logits);
        if (tok < 0)
            return c12_fail(err, C12_ERR_INTEGRITY, "the model computed no finite logit (NaN): its weights are "
                            "damaged (a corrupt model file?)");
        if (gp->on_token) gp->on_token(e->ud, tok);
        if ((!gp->ignore_eos || jo->jc) && c12_model_is_eog(s->m, tok)) { /* JSON: allowed only once complete */
            res->finish = C12_FINISH_STOP;
            break;
        }
        if (gp->on_logprobs) tell_logprobs(s, gp, tok, e->ud);
        if ((lrc = json_feed(s, jo, tok, err))) return lrc;
        c12_sampler_accept(smp, tok);
        res->n_completion++;
        size_t n = c12_detok_push(&dt, tok, piece, sizeof piece);
        if (n && emit(e, piece, n, &hit_stop)) {
            res->finish = hit_stop ? C12_FINISH_STOP : C12_FINISH_CANCELLED;
            break;
        }
        if (gp->max_tokens > 0 && res->n_completion >= gp->max_tokens) break;
        if (s->n_past >= s->n_ctx) break;
        c12_rc rc = c12_session_decode(s, &tok, 1, 1, NULL, err);
        if (rc == C12_ERR_CANCELLED) {
            res->finish = C12_FINISH_CANCELLED;
            break;
        }
        if (rc) return rc;
    }
    if (res->finish != C12_FINISH_CANCELLED && !hit_stop) {
        size_t n = c12_detok_flush(&dt, piece, sizeof piece);
        if (n) emit(e, piece, n, &hit_stop);
        if (e->pending.len && e->cb) e->cb(e->ud, e->pending.data, e->pending.len);
    }
    res->decode_s = c12_clock_s() - t0;
    return C12_OK;
}

static c12_rc generate(c12_session *s, const int32_t *prompt, int n_prompt, const c12_gen_params *gp,
                       c12_text_cb cb, void *ud, c12_gen_result *res, c12_err *err)
{
    c12_gen_result r = {.n_prompt = n_prompt};
    double t0 = c12_clock_s();
    c12_rc rc = c12_session_prefill(s, prompt, n_prompt, &r.n_cached, err);
    if (rc) return rc;
    r.prefill_s = c12_clock_s() - t0;
    c12_sampler *smp;
    if ((rc = c12_sampler_new(&gp->sampling, s->m->hp.n_vocab, &smp, err))) return rc;
    for (int i = 0; i < n_prompt; i++) c12_sampler_accept(smp, prompt[i]);
    emitter e = {.stop = gp->stop, .cb = cb, .ud = ud};
    c12_buf_init(&e.pending, PENDING_CAP);
    jsonout jo;
    rc = jsonout_begin(s, gp, &jo, err);
    if (!rc) rc = run_loop(s, gp, smp, &e, &jo, &r, err);
    jsonout_end(&jo);
    c12_buf_free(&e.pending);
    c12_sampler_free(smp);
    if (rc) return rc;
    *res = r;
    return C12_OK;
}

c12_rc c12_generate(c12_session *s, const int32_t *prompt, int n_prompt, const c12_gen_params *gp,
                    c12_text_cb cb, void *ud, c12_gen_result *res, c12_err *err)
{
    if (n_prompt >= s->n_ctx)
        return c12_fail(err, C12_ERR_RANGE,
                        "the prompt has %d tokens but the context holds %d", n_prompt, s->n_ctx);
    c12_session_set_abort(s, gp->cancelled, ud); /* asked between chunks and tokens */
    if (s->batcher) c12_batcher_enter(s->batcher);
    c12_rc rc = generate(s, prompt, n_prompt, gp, cb, ud, res, err);
    if (s->batcher) c12_batcher_leave(s->batcher);
    c12_session_set_abort(s, NULL, NULL);
    return rc;
}
