/* pool_impl.h - the pool's state, shared by its two halves: pool.c (the
 * queue, slots and keep_alive) and pool_load.c (loading, eviction and load
 * health). Everything here is guarded by the pool's mutex. */
#ifndef C12_POOL_IMPL_H
#define C12_POOL_IMPL_H

#include <pthread.h>

#include "pool/pool.h"

typedef struct waiter {
    int idx;
    c12_prio prio;
    uint64_t seq;
    struct waiter *next;
} waiter;

/* What a slot's keys and values hold after its last request: that request's
 * conversation (c12_pool_hint's last prefix hash and its length), and when. */
typedef struct slot_key {
    uint64_t key;
    uint32_t n;      /* 0: nothing known */
    int64_t used_ms;
} slot_key;

typedef struct entry {
    const c12_model_cfg *cfg;
    c12_model_state state;
    void *model;
    uint64_t bytes;   /* what it takes loaded (its estimate while LOADING) */
    unsigned char *busy; /* per slot */
    slot_key *keys;      /* per slot */
    int n_busy;
    int n_queued;
    int64_t last_used;
    uint64_t loads, load_failures, evictions, idle_unloads; /* for c12_pool_get_stats */
    int64_t load_ms;
    int64_t cooling_until;    /* the last load failed: cooling until then (pool clock; 0: it did not) */
} entry;

struct c12_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const c12_config *cfg;
    c12_pool_opts opts;
    entry *models;
    int n_models;
    waiter *queue; /* unordered; first in line is found by (prio, seq) */
    int n_queued;
    uint64_t seq;
    uint64_t used;
    int shutting_down;
};

/* The head waiter of an unloaded model loads it (mutex held; let go during
 * the load): C12_OK when loaded or when it cannot fit yet (*no_room; keep
 * waiting for a slot to free), else the error, which marks the model
 * cooling (c12_pool_cooling). */
c12_rc c12_pool_load_entry(c12_pool *p, entry *e, int *no_room, c12_err *err);
/* Unload one model (mutex held; the backend's unload only unmaps and frees). */
void c12_pool_unload_entry(c12_pool *p, entry *e);

#endif
