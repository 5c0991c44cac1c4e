/* carbon_cache.h - readings kept fresh in the background; requests read.
 *
 * The cache builds one provider instance per entry of the configured chain.
 * The refresher (a pthread per provider, or c12_carbon_cache_tick driven by a
 * test) fetches each provider when its TTL (jittered) is due, backs off
 * exponentially after errors and honours Retry-After. c12_carbon_cache_now / _forecast never touch
 * the network: they walk the chain and answer from the first provider whose
 * reading is younger than max_staleness, saying which one and how old.
 *
 * "Now" comes from an injectable clock, so tests can drive TTLs, backoff and
 * staleness without sleeping. */
#ifndef C12_CARBON_CACHE_H
#define C12_CARBON_CACHE_H

#include "carbon/carbon.h"
#include "carbon/carbon_config.h"

typedef struct c12_carbon_cache c12_carbon_cache;

typedef struct c12_carbon_cache_opts {
    c12_carbon_clock_fn clock; /* NULL: the real UTC clock */
    void *clock_ctx;
    uint64_t seed;             /* for TTL jitter; 0: taken from the clock */
} c12_carbon_cache_opts;

/* Which provider answered, and how old its reading is. */
typedef struct c12_carbon_answer {
    c12_carbon_reading reading;
    int64_t age_ms;         /* now - reading.fetched_ms */
    size_t chain_pos;       /* 0: the first provider of the chain */
    char forecast_by[16];   /* forecasts: "provider" (its own) or "c12" (C12's forecaster) */
} c12_carbon_answer;

/* One provider's state, for `c12 carbon watch` and metrics. Never holds secrets. */
typedef struct c12_carbon_status {
    char provider[C12_CARBON_NAME_MAX];
    char type[24];
    char region[64];         /* the reading's region, else the configured one ("" if none) */
    int has_reading;
    double value;
    int64_t age_ms;
    unsigned errors;         /* consecutive failures */
    unsigned long fetches;   /* attempts */
    unsigned long failures;
    int64_t next_in_ms;      /* until the next attempt */
    char last_error[C12_ERR_MSG_MAX];
} c12_carbon_status;

/* Build the chain's providers from cfg (which may be freed afterwards). */
c12_rc c12_carbon_cache_new(const c12_carbon_config *cfg, const c12_carbon_cache_opts *opts,
                            c12_carbon_cache **out, c12_err *err);
/* Stops the refresher if running. */
void c12_carbon_cache_free(c12_carbon_cache *c);

/* One refresher step: fetch every provider that is due (blocking on the
 * network within the configured timeouts). Returns ms until the next one is due. */
int64_t c12_carbon_cache_tick(c12_carbon_cache *c);
/* One-shot (CLI): refresh in chain order until a provider answers. */
void c12_carbon_cache_prime(c12_carbon_cache *c);
/* The background refresher: one pthread per provider until stop. */
c12_rc c12_carbon_cache_start(c12_carbon_cache *c, c12_err *err);
void c12_carbon_cache_stop(c12_carbon_cache *c);

/* What C12 would use now. C12_ERR_NOT_FOUND (with every provider's reason)
 * when no provider has a fresh enough reading. Never blocks on I/O. */
c12_rc c12_carbon_cache_now(c12_carbon_cache *c, c12_carbon_answer *out, c12_err *err);
/* The forecast of the provider that answers now, from now to now + hours
 * (intervals that end after now). */
c12_rc c12_carbon_cache_forecast(c12_carbon_cache *c, int hours, c12_carbon_series *out,
                                 c12_carbon_answer *src, c12_err *err);
/* The readings the provider that answers now has had in the last `hours`
 * (its record: what it sent while C12 ran, and the past it knows, such as a
 * trace's last day), oldest first. NOT_FOUND when none. */
c12_rc c12_carbon_cache_history(c12_carbon_cache *c, int hours, c12_carbon_series *out, c12_carbon_answer *src,
                                c12_err *err);
/* Copy the state of up to max providers (chain order); returns how many. */
size_t c12_carbon_cache_status(c12_carbon_cache *c, c12_carbon_status *out, size_t max);

#endif
