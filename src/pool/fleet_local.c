/* fleet_local.c - `local` beside other sites (fleet_impl.h): a request the
 * ranking sends here runs on a free slot of the engine in this process,
 * and a failure before its first text moves it on to the next site as a
 * site's failure does. The model is loaded here when a request first goes
 * local, not before: a model whose requests all go to sites takes no time
 * to load (its memory is kept for it in the pool all the same). Its replies' timing feeds the EWMAs the ranking
 * reads for `local`'s latency. */
#include <math.h>
#include <stdio.h>

#include "base/c12_clock.h"
#include "pool/fleet_impl.h"

/* The request's callbacks (they share one ud) behind a note of its first
 * text: after it the request cannot move to another site. */
typedef struct watched {
    const c12_backend_req *req;
    c12_text_cb cb;
    void *ud;
    int64_t t0_ns, first_ns;
} watched;

static int w_text(void *ud, const char *text, size_t len)
{
    watched *w = ud;
    if (!w->first_ns) w->first_ns = c12_clock_ns();
    return w->cb ? w->cb(w->ud, text, len) : 0;
}

static void w_token(void *ud, int32_t id)
{
    const watched *w = ud;
    if (w->req->gen.on_token) w->req->gen.on_token(w->ud, id);
}

static int w_cancelled(void *ud)
{
    const watched *w = ud;
    return w->req->gen.cancelled && w->req->gen.cancelled(w->ud);
}

static void w_logprobs(void *ud, const c12_logprobs *lp)
{
    const watched *w = ud;
    w->req->gen.on_logprobs(w->ud, lp);
}

/* A free engine slot, taken (mutex held); -1: none. */
static int claim(c12_local_site *ls)
{
    for (int i = 0; i < ls->slots; i++)
        if (!ls->used[i]) {
            ls->used[i] = 1;
            ls->busy++;
            return i;
        }
    return -1;
}

static void release(c12_fleet *f, c12_fleet_handle *h, int slot)
{
    pthread_mutex_lock(&f->mu);
    h->ls.used[slot] = 0;
    h->ls.busy--;
    pthread_mutex_unlock(&f->mu);
}

/* The engine's model, loaded by the first request that goes local (the
 * pool counted its memory when it took the model: fleet.c's load). */
static c12_rc ensure_loaded(c12_fleet_handle *h, c12_err *err)
{
    uint64_t bytes;
    pthread_mutex_lock(&h->load_mu);
    c12_rc rc = h->local ? C12_OK : c12_backend_local_ops.load(NULL, &h->local_cfg, &h->local, &bytes, err);
    pthread_mutex_unlock(&h->load_mu);
    return rc;
}

/* The engine's reply into local's EWMAs (mutex held): its decode_s covers
 * every generated token, the first included. */
static void observe(c12_local_site *ls, const c12_backend_result *r, double ttft_s)
{
    c12_speed_observe(&ls->ttft_s, &ls->tps, ttft_s,
                      r->n_completion > 1 && r->decode_s > 0 ? r->n_completion / r->decode_s : 0);
}

int c12_fleet_try_local(c12_fleet *f, c12_fleet_handle *h, const c12_backend_req *req, c12_text_cb cb, void *ud,
                        const char *reason, c12_rc *rc, c12_backend_result *res, c12_err *err)
{
    pthread_mutex_lock(&f->mu);
    int slot = claim(&h->ls);
    pthread_mutex_unlock(&f->mu);
    if (slot < 0) return -1;
    if ((*rc = ensure_loaded(h, err))) {
        release(f, h, slot);
        fprintf(stderr, "c12 fleet: local could not load %s: %s\n", h->m->id, err->msg);
        return 0;
    }
    /* the request's own price (this process's reading) stands: NAN */
    c12_backend_site here = {.name = "local", .region = "", .intensity = NAN, .provider = "", .reason = reason};
    if (req->on_site) req->on_site(ud, &here);
    void *local = c12_fleet_engine(h); /* set once, before this request's turn */
    watched w = {.req = req, .cb = cb, .ud = ud, .t0_ns = c12_clock_ns()};
    c12_backend_req r = *req;
    r.gen.on_token = w_token;
    r.gen.cancelled = w_cancelled;
    r.gen.on_logprobs = req->gen.on_logprobs ? w_logprobs : NULL;
    r.on_site = NULL;
    c12_err e;
    *rc = c12_backend_local_ops.generate(NULL, local, slot, &r, w_text, &w, res, &e);
    if (!*rc && w.first_ns) {
        pthread_mutex_lock(&f->mu);
        observe(&h->ls, res, (double)(w.first_ns - w.t0_ns) / 1e9);
        pthread_mutex_unlock(&f->mu);
    }
    release(f, h, slot);
    if (*rc) *err = e;
    /* the request's own fault (a prompt over the context, a bad request) or
     * its caller's cancel would be the same elsewhere */
    if (!*rc || w.first_ns || *rc == C12_ERR_CANCELLED || *rc == C12_ERR_RANGE || *rc == C12_ERR_INVALID) return 1;
    fprintf(stderr, "c12 fleet: local failed before its first token: %s\n", e.msg);
    return 0;
}
