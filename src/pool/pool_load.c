/* pool_load.c - the pool's loading half: sizing a model through the
 * backend, evicting least-recently-used idle models to make room within the
 * budget, loading outside the mutex, and load health (a failed load cools
 * the model for C12_POOL_LOAD_RETRY_MS). */
#include <stdio.h>
#include <string.h>

#include "pool/pool_impl.h"

void c12_pool_unload_entry(c12_pool *p, entry *e)
{
    c12_backend_unload(p->opts.backend, e->model);
    memset(e->keys, 0, sizeof *e->keys * (size_t)e->cfg->slots); /* their keys and values went too */
    e->model = NULL;
    e->state = C12_MODEL_UNLOADED;
    p->used -= e->bytes;
    e->bytes = 0;
}

/* The least recently used model that may go: loaded, idle, not pinned, not `keep`. */
static entry *lru_idle(c12_pool *p, const entry *keep)
{
    entry *best = NULL;
    for (int i = 0; i < p->n_models; i++) {
        entry *e = &p->models[i];
        if (e == keep || e->state != C12_MODEL_LOADED || e->n_busy || e->cfg->pinned) continue;
        if (!best || e->last_used < best->last_used) best = e;
    }
    return best;
}

/* Make room for `need` bytes by evicting LRU idle models; 1 if it fits now. */
static int make_room(c12_pool *p, const entry *for_e, uint64_t need)
{
    while (p->used + need > p->opts.memory_budget) {
        entry *v = lru_idle(p, for_e);
        if (!v) return 0;
        fprintf(stderr, "c12 pool: evicting %s (%.1f MB) to load %s\n", v->cfg->id, v->bytes / 1e6,
                for_e->cfg->id);
        c12_pool_unload_entry(p, v);
        v->evictions++;
    }
    return 1;
}

/* Size the model, make room for it and load it (the mutex is let go
 * during the load); *no_room when it cannot fit yet. */
static c12_rc load_sized(c12_pool *p, entry *e, int *no_room, c12_err *err)
{
    uint64_t need = 0;
    c12_rc rc = c12_backend_estimate(p->opts.backend, e->cfg, &need, err);
    if (rc) return rc;
    if (need > p->opts.memory_budget)
        return c12_fail(err, C12_ERR_RANGE, "model %s needs about %.1f MB, more than the whole memory "
                        "budget (%.1f MB)", e->cfg->id, need / 1e6, p->opts.memory_budget / 1e6);
    if (!make_room(p, e, need)) {
        *no_room = 1;
        return C12_OK;
    }
    e->state = C12_MODEL_LOADING;
    e->bytes = need;
    p->used += need;
    pthread_mutex_unlock(&p->mu);
    void *model = NULL;
    uint64_t bytes = 0;
    int64_t t0 = c12_pool_now(p);
    rc = c12_backend_load(p->opts.backend, e->cfg, &model, &bytes, err);
    int64_t took = c12_pool_now(p) - t0;
    pthread_mutex_lock(&p->mu);
    p->used -= need;
    e->bytes = 0;
    e->state = rc ? C12_MODEL_UNLOADED : C12_MODEL_LOADED;
    if (rc) e->load_failures++;
    if (!rc) {
        e->loads++;
        e->load_ms += took;
        e->model = model;
        e->bytes = bytes;
        e->last_used = c12_pool_now(p);
        p->used += bytes;
        make_room(p, e, 0); /* the estimate may have been low */
    }
    pthread_cond_broadcast(&p->cv);
    return rc;
}

/* A load, and the model's load health after it (pool_impl.h). */
c12_rc c12_pool_load_entry(c12_pool *p, entry *e, int *no_room, c12_err *err)
{
    c12_rc rc = load_sized(p, e, no_room, err);
    if (rc) e->cooling_until = c12_pool_now(p) + C12_POOL_LOAD_RETRY_MS;
    else if (!*no_room) e->cooling_until = 0;
    return rc;
}

int c12_pool_cooling(c12_pool *p, int idx)
{
    pthread_mutex_lock(&p->mu);
    int cooling = c12_pool_now(p) < p->models[idx].cooling_until;
    pthread_mutex_unlock(&p->mu);
    return cooling;
}

int c12_pool_load_failed(c12_rc rc)
{
    return rc != C12_OK && rc != C12_ERR_BUSY && rc != C12_ERR_TIMEOUT && rc != C12_ERR_CANCELLED;
}
