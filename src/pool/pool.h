/* pool.h - the model pool and its request queue: the one owner of which
 * models are loaded, which slots are busy and who waits for what.
 *
 * A request acquires a slot of a model (c12_pool_acquire) and releases it
 * when done. Acquiring may load the model (concurrent first requests wait on
 * one load), may evict least-recently-used idle models to stay within the
 * memory budget (never a busy or pinned one), and otherwise waits in the
 * model's queue: FIFO within priority, bounded per model and overall, until
 * its deadline. keep_alive unloads idle models (c12_pool_tick). All of it is
 * behind one mutex; loads and unloads run outside it. */
#ifndef C12_POOL_H
#define C12_POOL_H

#include <stdint.h>

#include "base/c12_rc.h"
#include "config/config.h"
#include "pool/backend.h"

typedef struct c12_pool c12_pool;

typedef enum { C12_PRIO_HIGH = 0, C12_PRIO_NORMAL, C12_PRIO_LOW, C12_PRIO_COUNT } c12_prio;

typedef enum { C12_MODEL_UNLOADED = 0, C12_MODEL_LOADING, C12_MODEL_LOADED } c12_model_state;

typedef struct c12_pool_opts {
    const c12_backend *backend;
    uint64_t memory_budget; /* bytes; must be > 0 */
    /* Monotonic milliseconds (NULL: CLOCK_MONOTONIC); tests move time by hand. */
    int64_t (*now_ms)(void *ud);
    void *now_ud;
} c12_pool_opts;

/* A granted slot; fill by c12_pool_acquire, give back with c12_pool_release. */
typedef struct c12_lease {
    int model_idx;
    int slot;
    void *model; /* the backend's handle */
} c12_lease;

/* Which conversation a request continues, so that it takes the slot whose
 * keys and values hold the longest start of it (the prefix cache): prefix[k]
 * is a hash of its first k + 1 messages (the server's, choose.c). Only a
 * preference: any free slot serves, and the engine reuses what matches. */
typedef struct c12_pool_hint {
    const uint64_t *prefix;
    size_t n;
} c12_pool_hint;

/* cfg must outlive the pool. */
c12_rc c12_pool_new(const c12_config *cfg, const c12_pool_opts *opts, c12_pool **out, c12_err *err);
/* Unloads everything; no request may hold a lease. */
void c12_pool_free(c12_pool *p);

/* Wait for a slot of model `idx`. deadline_ms: absolute, on the pool's clock
 * (0 = none). Errors: C12_ERR_BUSY (queue full), C12_ERR_TIMEOUT (deadline
 * passed while queued), C12_ERR_CANCELLED (shutting down), C12_ERR_RANGE (the
 * model cannot fit in the budget at all), or the load's own error. */
c12_rc c12_pool_acquire(c12_pool *p, int idx, c12_prio prio, int64_t deadline_ms, c12_lease *out,
                        c12_err *err);
/* The same, preferring the free slot that served the conversation `hint`
 * continues (NULL: none). */
c12_rc c12_pool_acquire_hint(c12_pool *p, int idx, c12_prio prio, int64_t deadline_ms, const c12_pool_hint *hint,
                             c12_lease *out, c12_err *err);
void c12_pool_release(c12_pool *p, c12_lease *l);
/* Whether an error of c12_pool_acquire is the model's load failing (any but
 * the queue's own answers BUSY, TIMEOUT and CANCELLED, which another model
 * would not change). */
int c12_pool_load_failed(c12_rc rc);

/* Load health: a model whose last load failed less than this long ago (the
 * pool's clock) is cooling, and "auto" passes over it while a later
 * candidate remains, so that a corrupt file is not re-read (or re-hashed)
 * for every request. A successful load ends it. */
#define C12_POOL_LOAD_RETRY_MS 30000
int c12_pool_cooling(c12_pool *p, int idx);

/* Unload idle models whose keep_alive has passed; call about once a second. */
void c12_pool_tick(c12_pool *p);
/* Stop: queued and later acquires fail with C12_ERR_CANCELLED. */
void c12_pool_shutdown(c12_pool *p);
/* Wait until no slot is busy or timeout_ms passes; returns the busy count. */
int c12_pool_wait_idle(c12_pool *p, int64_t timeout_ms);

/* A snapshot for metrics (one lock). Counters count since the pool began. */
typedef struct c12_pool_model_stats {
    const char *id;          /* the model's configured id (lives as long as the config) */
    c12_model_state state;
    uint64_t bytes;          /* memory it takes now (its estimate while loading) */
    int busy, queued;        /* slots in use, requests waiting */
    uint64_t loads, load_failures;
    uint64_t evictions;      /* unloaded to make room within the budget */
    uint64_t idle_unloads;   /* unloaded by keep_alive */
    double load_s;           /* time spent in successful loads, seconds (the pool's clock) */
    int batched;             /* its slots share forward steps; batch holds their figures */
    c12_batcher_stats batch;
    int kv_known;            /* loaded, and its backend tells its KV cache's use (kv_usage) */
    int64_t kv_used, kv_capacity;
} c12_pool_model_stats;

typedef struct c12_pool_stats {
    uint64_t used_bytes, budget_bytes;
    int queued;              /* all models */
    size_t n_models;
} c12_pool_stats;

/* Fill *out and up to max models' stats (configuration order); returns how
 * many model entries were written. */
size_t c12_pool_get_stats(c12_pool *p, c12_pool_stats *out, c12_pool_model_stats *models, size_t max);

c12_model_state c12_pool_state(c12_pool *p, int idx);
/* The marginal cost of one more output token on model idx (c12_batcher_marginal);
 * 1 when it is not loaded or its slots do not share steps. */
double c12_pool_marginal(c12_pool *p, int idx);
uint64_t c12_pool_used_bytes(c12_pool *p);
int c12_pool_queued(c12_pool *p, int idx); /* -1: all models */
int64_t c12_pool_now(c12_pool *p);

#endif
