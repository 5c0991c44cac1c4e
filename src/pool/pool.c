/* pool.c - model pool and request queue (see pool.h). One mutex guards all
 * state; a condition variable is broadcast on every change (slot freed,
 * model loaded or unloaded, shutdown) and each waiter re-checks whether it
 * is now first in line for its model. Loads run outside the mutex with the
 * model marked LOADING, so others queue behind the one load (pool_load.c). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/c12_clock.h"
#include "base/c12_alloc.h"
#include "pool/pool_impl.h"

static int64_t mono_ms(void *ud)
{
    (void)ud;
    return c12_clock_ms();
}

int64_t c12_pool_now(c12_pool *p) { return p->opts.now_ms(p->opts.now_ud); }

c12_rc c12_pool_new(const c12_config *cfg, const c12_pool_opts *opts, c12_pool **out, c12_err *err)
{
    if (!opts->backend || !opts->memory_budget)
        return c12_fail(err, C12_ERR_INVALID, "pool: a backend and a memory budget are required");
    c12_pool *p = c12_calloc(1, sizeof *p);
    if (!p) return c12_fail(err, C12_ERR_NOMEM, "pool: out of memory");
    p->cfg = cfg;
    p->opts = *opts;
    if (!p->opts.now_ms) p->opts.now_ms = mono_ms;
    p->n_models = (int)cfg->n_models;
    p->models = c12_calloc(cfg->n_models, sizeof *p->models);
    int ok = p->models != NULL;
    for (int i = 0; ok && i < p->n_models; i++) {
        p->models[i].cfg = &cfg->models[i];
        ok = (p->models[i].busy = c12_calloc((size_t)cfg->models[i].slots, 1)) != NULL &&
             (p->models[i].keys = c12_calloc((size_t)cfg->models[i].slots, sizeof(slot_key))) != NULL;
    }
    if (!ok) {
        c12_pool_free(p);
        return c12_fail(err, C12_ERR_NOMEM, "pool: out of memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    *out = p;
    return C12_OK;
}

void c12_pool_free(c12_pool *p)
{
    if (!p) return;
    for (int i = 0; p->models && i < p->n_models; i++) {
        entry *e = &p->models[i];
        if (e->state == C12_MODEL_LOADED) c12_backend_unload(p->opts.backend, e->model);
        c12_free(e->busy);
        c12_free(e->keys);
    }
    if (p->models) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
    }
    c12_free(p->models);
    c12_free(p);
}

/* Whether w is first in line for its model: FIFO within priority. */
static int is_head(const c12_pool *p, const waiter *w)
{
    for (const waiter *o = p->queue; o; o = o->next)
        if (o != w && o->idx == w->idx && (o->prio < w->prio || (o->prio == w->prio && o->seq < w->seq)))
            return 0;
    return 1;
}

static void dequeue(c12_pool *p, waiter *w)
{
    for (waiter **pp = &p->queue; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            p->n_queued--;
            p->models[w->idx].n_queued--;
            return;
        }
}


static int free_slot(const entry *e)
{
    const unsigned char *f = memchr(e->busy, 0, (size_t)e->cfg->slots);
    return f ? (int)(f - e->busy) : -1;
}

/* Which free slot a request takes: the one whose last conversation the
 * request continues (the longest), else the one used longest ago, so that
 * other conversations' prefixes stay for their next turns. A model served
 * only by other servers keeps no conversation here: its slots are permits
 * (as many as its sites' max_concurrent, 1024 in bench-gateway), and the
 * first free one will do, without a walk over all of them under the
 * pool's lock. */
static int pick_slot(const entry *e, const c12_pool_hint *h)
{
    if (c12_model_remote(e->cfg)) return free_slot(e);
    int best = -1;
    for (int s = 0; s < e->cfg->slots; s++) {
        if (e->busy[s]) continue;
        const slot_key *k = &e->keys[s];
        int match = h && k->n && k->n <= h->n && h->prefix[k->n - 1] == k->key;
        const slot_key *b = best >= 0 ? &e->keys[best] : NULL;
        int b_match = b && h && b->n && b->n <= h->n && h->prefix[b->n - 1] == b->key;
        if (best < 0 || (match && (!b_match || k->n > b->n)) || (!match && !b_match && k->used_ms < b->used_ms))
            best = s;
    }
    return best;
}

/* Wait on the condition variable until the deadline, at most 200 ms at a
 * time so that an injected clock is noticed too. 1 when the deadline passed. */
static int wait_step(c12_pool *p, int64_t deadline)
{
    int64_t wait = 200;
    if (deadline) {
        int64_t left = deadline - c12_pool_now(p);
        if (left <= 0) return 1;
        if (left < wait) wait = left;
    }
    struct timespec ts = c12_clock_deadline(CLOCK_REALTIME, wait);
    pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    return 0;
}

static c12_rc admit(c12_pool *p, int idx, c12_err *err)
{
    const c12_config *c = p->cfg;
    if (p->shutting_down) return c12_fail(err, C12_ERR_CANCELLED, "the server is shutting down");
    if (p->n_queued >= c->queue_max_total || p->models[idx].n_queued >= c->queue_max_per_model)
        return c12_fail(err, C12_ERR_BUSY, "the queue is full (%d waiting, %d for %s); retry later",
                        p->n_queued, p->models[idx].n_queued, p->models[idx].cfg->id);
    return C12_OK;
}

c12_rc c12_pool_acquire(c12_pool *p, int idx, c12_prio prio, int64_t deadline_ms, c12_lease *out,
                        c12_err *err)
{
    return c12_pool_acquire_hint(p, idx, prio, deadline_ms, NULL, out, err);
}

c12_rc c12_pool_acquire_hint(c12_pool *p, int idx, c12_prio prio, int64_t deadline_ms, const c12_pool_hint *hint,
                             c12_lease *out, c12_err *err)
{
    if (idx < 0 || idx >= p->n_models) return c12_fail(err, C12_ERR_INVALID, "pool: no model %d", idx);
    entry *e = &p->models[idx];
    pthread_mutex_lock(&p->mu);
    c12_rc rc = C12_OK;
    waiter w = {idx, prio, 0, NULL};
    /* Served at once when nobody is ahead: it never counts against the queue. */
    int ahead = e->n_queued > 0;
    if (!p->shutting_down && !ahead && e->state == C12_MODEL_LOADED && free_slot(e) >= 0) goto grant;
    /* The first request for an unloaded model loads it now: it is not
     * waiting behind anyone, so the queue bounds do not refuse it. */
    if (!(!ahead && e->state == C12_MODEL_UNLOADED) && (rc = admit(p, idx, err))) goto out;
    w.seq = p->seq++;
    w.next = p->queue;
    p->queue = &w;
    p->n_queued++;
    e->n_queued++;
    for (;;) {
        if (p->shutting_down) {
            rc = c12_fail(err, C12_ERR_CANCELLED, "the server is shutting down");
            break;
        }
        if (is_head(p, &w)) {
            if (e->state == C12_MODEL_LOADED && free_slot(e) >= 0) break;
            if (e->state == C12_MODEL_UNLOADED) {
                int no_room = 0;
                if ((rc = c12_pool_load_entry(p, e, &no_room, err))) break;
                if (!no_room) continue; /* loaded: take a slot */
            }
        }
        if (wait_step(p, deadline_ms)) {
            rc = c12_fail(err, C12_ERR_TIMEOUT, "the request's deadline passed while it waited for %s%s",
                          e->cfg->id, e->state == C12_MODEL_LOADED ? "" : " to load");
            break;
        }
    }
    dequeue(p, &w);
    pthread_cond_broadcast(&p->cv); /* the next in line may go now */
    if (rc) goto out;
grant:;
    int s = pick_slot(e, hint);
    e->busy[s] = 1;
    e->n_busy++;
    e->last_used = c12_pool_now(p);
    e->keys[s] = hint && hint->n ? (slot_key){hint->prefix[hint->n - 1], (uint32_t)hint->n, e->last_used}
                                 : (slot_key){0, 0, e->last_used};
    out->model_idx = idx;
    out->slot = s;
    out->model = e->model;
out:
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* Unload a model idle for its keep_alive (0: at once; < 0: never) at `now`;
 * 1 when it went. */
static int unload_idle(c12_pool *p, entry *e, int64_t now)
{
    long ka = e->cfg->keep_alive_s;
    if (e->state != C12_MODEL_LOADED || e->n_busy || e->n_queued || e->cfg->pinned || ka < 0 ||
        now - e->last_used < (int64_t)ka * 1000)
        return 0;
    c12_pool_unload_entry(p, e);
    e->idle_unloads++;
    return 1;
}

void c12_pool_release(c12_pool *p, c12_lease *l)
{
    pthread_mutex_lock(&p->mu);
    entry *e = &p->models[l->model_idx];
    e->busy[l->slot] = 0;
    e->n_busy--;
    e->last_used = c12_pool_now(p);
    if (!e->n_busy && e->state == C12_MODEL_LOADED && c12_backend_stale(p->opts.backend, e->model)) {
        /* its file changed under it: the next request loads it afresh */
        fprintf(stderr, "c12 pool: unloading %s: its file changed on disk while it was loaded\n", e->cfg->id);
        c12_pool_unload_entry(p, e);
    }
    unload_idle(p, e, e->last_used); /* keep_alive 0 */
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void c12_pool_tick(c12_pool *p)
{
    pthread_mutex_lock(&p->mu);
    int64_t now = c12_pool_now(p);
    for (int i = 0; i < p->n_models; i++) {
        entry *e = &p->models[i];
        if (!unload_idle(p, e, now)) continue;
        fprintf(stderr, "c12 pool: unloading %s (idle %ld s)\n", e->cfg->id, e->cfg->keep_alive_s);
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
}

void c12_pool_shutdown(c12_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->shutting_down = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

int c12_pool_wait_idle(c12_pool *p, int64_t timeout_ms)
{
    int64_t deadline = c12_pool_now(p) + timeout_ms;
    pthread_mutex_lock(&p->mu);
    int busy;
    for (;;) {
        busy = 0;
        for (int i = 0; i < p->n_models; i++) busy += p->models[i].n_busy;
        if (!busy || wait_step(p, deadline)) break;
    }
    pthread_mutex_unlock(&p->mu);
    return busy;
}

c12_model_state c12_pool_state(c12_pool *p, int idx)
{
    pthread_mutex_lock(&p->mu);
    c12_model_state s = p->models[idx].state;
    pthread_mutex_unlock(&p->mu);
    return s;
}

double c12_pool_marginal(c12_pool *p, int idx)
{
    c12_batcher_stats st;
    pthread_mutex_lock(&p->mu);
    const entry *e = &p->models[idx];
    int batched = e->state == C12_MODEL_LOADED && c12_backend_batch_stats(p->opts.backend, e->model, &st);
    pthread_mutex_unlock(&p->mu);
    return batched ? c12_batcher_marginal(&st) : 1.0;
}


uint64_t c12_pool_used_bytes(c12_pool *p)
{
    pthread_mutex_lock(&p->mu);
    uint64_t u = p->used;
    pthread_mutex_unlock(&p->mu);
    return u;
}

int c12_pool_queued(c12_pool *p, int idx)
{
    pthread_mutex_lock(&p->mu);
    int n = idx < 0 ? p->n_queued : p->models[idx].n_queued;
    pthread_mutex_unlock(&p->mu);
    return n;
}

size_t c12_pool_get_stats(c12_pool *p, c12_pool_stats *out, c12_pool_model_stats *models, size_t max)
{
    pthread_mutex_lock(&p->mu);
    out->used_bytes = p->used;
    out->budget_bytes = p->opts.memory_budget;
    out->queued = p->n_queued;
    out->n_models = (size_t)p->n_models;
    size_t n = out->n_models < max ? out->n_models : max;
    for (size_t i = 0; i < n; i++) {
        const entry *e = &p->models[i];
        models[i] = (c12_pool_model_stats){.id = e->cfg->id, .state = e->state, .bytes = e->bytes, .busy = e->n_busy,
                                           .queued = e->n_queued, .loads = e->loads, .load_failures = e->load_failures,
                                           .evictions = e->evictions, .idle_unloads = e->idle_unloads,
                                           .load_s = e->load_ms / 1000.0};
        if (e->state != C12_MODEL_LOADED) continue;
        models[i].batched = c12_backend_batch_stats(p->opts.backend, e->model, &models[i].batch);
        models[i].kv_known =
            c12_backend_kv_usage(p->opts.backend, e->model, &models[i].kv_used, &models[i].kv_capacity);
    }
    pthread_mutex_unlock(&p->mu);
    return n;
}
