/* fleet.h - the sites a model may be served from, and the backend that
 * sends each request to one (issue 15). Every model goes through the
 * fleet's backend: a local model to the engine in this process
 * (backend_local.c), a model served by `sites:` to the site the ranking
 * puts first (fleet_rank.c), moving on to the next when one fails before
 * its first token (once per site, within the request's deadline).
 *
 * Each site has its own carbon chain (a carbon cache of its own), a
 * circuit breaker (opened after breaker_failures consecutive failures,
 * half-open after breaker_backoff_s, which doubles while it keeps failing,
 * to 60 s), a prober (GET <url>/models every probe_interval_s, and its
 * Prometheus metrics for its own queue), the count of its requests in
 * flight, and EWMAs of its time to first token and
 * tokens/s measured from its replies (fleet_health.c). */
#ifndef C12_FLEET_H
#define C12_FLEET_H

#include "pool/backend.h"

typedef struct c12_fleet c12_fleet;

/* Options for tests: the clock (monotonic ms; NULL: c12_clock_ms) and no
 * background threads (no prober, no carbon refreshers). */
typedef struct c12_fleet_opts {
    int64_t (*now_ms)(void *ud);
    void *now_ud;
    int no_threads;
    /* This process's carbon (the server's chain), which prices `local`
     * beside other sites; NULL: unknown (local is then ranked last of
     * those it ties with). Must outlive the fleet. */
    struct c12_carbon_cache *local_carbon;
} c12_fleet_opts;

/* cfg must outlive the fleet. Builds every site's carbon cache and starts
 * the prober; opts may be NULL. */
c12_rc c12_fleet_new(const c12_config *cfg, const c12_fleet_opts *opts, c12_fleet **out, c12_err *err);
void c12_fleet_free(c12_fleet *f);
/* The backend to give the pool and the server (valid while f lives). */
const c12_backend *c12_fleet_backend(const c12_fleet *f);

typedef enum { C12_SITE_CLOSED = 0, C12_SITE_OPEN, C12_SITE_HALF_OPEN } c12_site_state;

/* One site as metrics and the dashboard show it. */
typedef struct c12_fleet_site_stats {
    const char *name, *region, *url; /* live as long as the config */
    c12_site_state state;
    int reachable;              /* at its last probe: 1 answered, 0 did not, -1 not probed yet */
    int in_flight, max_concurrent;
    double intensity;           /* gCO2e/kWh now (NAN: unknown) */
    char provider[32];          /* the provider of that reading ("" unknown) */
    double ttft_s, tokens_per_s; /* EWMAs (0: not measured yet) */
    uint64_t requests, failures, retries, probes_failed;
    double queue;               /* its own queue at the last scrape (-1: unknown) */
} c12_fleet_site_stats;

size_t c12_fleet_stats(c12_fleet *f, c12_fleet_site_stats *out, size_t max);
const char *c12_site_state_name(c12_site_state s);

#endif
