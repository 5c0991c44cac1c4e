/* carbon_cache_impl.h - the cache's insides, shared by cache.c (requests,
 * lifetime) and refresher.c (fetching, backoff, the threads). Internal. */
#ifndef C12_CARBON_CACHE_IMPL_H
#define C12_CARBON_CACHE_IMPL_H

#include <pthread.h>

#include "carbon/carbon_cache.h"

/* How far ahead C12's own forecast is computed, and how much of a
 * provider's own record of readings is kept for it. */
#define C12_CARBON_FORECAST_HOURS 48
#define C12_CARBON_RECORD_MS (14 * C12_CARBON_DAY_MS)

typedef struct c12_carbon_entry {
    struct c12_carbon_cache *cache; /* back to the owner, for its thread */
    size_t index;
    const c12_carbon_provider_ops *ops;
    void *self;
    c12_carbon_provider_cfg cfg;
    /* Written by the refresher under the cache's mutex; read by requests. */
    int has_reading;
    c12_carbon_reading reading;
    c12_carbon_series forecast;
    char forecast_by[16]; /* "provider" or "c12" */
    int64_t forecast_ms;  /* when forecast was made */
    c12_carbon_series record; /* past readings, for C12's forecaster */
    int64_t next_due_ms;
    int64_t forecast_due_ms;
    unsigned errors;
    unsigned long fetches;
    unsigned long failures;
    char last_error[C12_ERR_MSG_MAX];
    uint64_t rng;     /* xorshift state for jitter (this entry's refresher only) */
    pthread_t thread; /* its refresher, while the cache runs */
} c12_carbon_entry;

struct c12_carbon_cache {
    c12_carbon_entry e[C12_CARBON_MAX_PROVIDERS]; /* in chain order */
    size_t n;
    int64_t max_staleness_ms;
    int64_t backoff_base_ms;
    int64_t backoff_max_ms;
    double jitter;
    c12_carbon_clock_fn clock;
    void *clock_ctx;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t running; /* refresher threads started */
    int stop;
};

/* Fetch entry i now and record the outcome (refresher side). */
void c12_carbon_cache_refresh(c12_carbon_cache *c, size_t i);

#endif
