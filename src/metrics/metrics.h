/* metrics.h - the gateway's Prometheus metrics (GET /metrics; docs/metrics.md
 * lists every family).
 *
 * c12_metrics owns a registry (registry.h) with the request-path families:
 * requests, tokens, energy and CO2 by model, latency histograms, routing
 * decisions. The server calls c12_metrics_observe_request once per finished
 * request with its ledger row, and c12_metrics_observe_route once per routing
 * decision; neither allocates after a label set is first seen, and neither
 * fails (a failed update is counted in c12_metrics_dropped_total).
 *
 * What other modules own is read at scrape time by collectors: the pool
 * (loaded models, memory, loads, evictions, queue depth) and the carbon cache
 * (intensity, errors, reading age). */
#ifndef C12_METRICS_H
#define C12_METRICS_H

#include "base/c12_buf.h"
#include "base/c12_rc.h"
#include "batch/bstore.h"
#include "cache/cache.h"
#include "carbon/carbon_cache.h"
#include "ledger/ledger.h"
#include "metrics/registry.h"
#include "pool/fleet.h"
#include "pool/pool.h"

typedef struct c12_metrics c12_metrics;

typedef struct c12_metrics_opts {
    size_t max_series; /* label sets per family; 0: 256 */
} c12_metrics_opts;

/* opts may be NULL (the defaults). */
c12_rc c12_metrics_new(const c12_metrics_opts *opts, c12_metrics **out, c12_err *err);
/* Frees the collectors too; nothing may update or scrape concurrently. */
void c12_metrics_free(c12_metrics *m);

/* One finished request (any status). Thread-safe. m may be NULL (no metrics). */
void c12_metrics_observe_request(c12_metrics *m, const c12_ledger_row *row);
/* What a finished request would have emitted on the strongest model (grams;
 * labelled by the model that served). */
void c12_metrics_observe_counterfactual(c12_metrics *m, const char *model, double co2_g);
/* One routing decision: the model chosen for a request of this category. */
void c12_metrics_observe_route(c12_metrics *m, const char *model, const char *category);

/* A request a key's limit turned away (limit: "requests", "tokens",
 * "carbon_budget"); key is the key's label (a closed set: the configured
 * keys'). */
void c12_metrics_observe_limited(c12_metrics *m, const char *key, const char *limit);
/* A cacheable request's result: "hit", "miss" or "bypass". */
void c12_metrics_observe_cache(c12_metrics *m, const char *result);
/* The server's open connections now, and one it refused at once (reason:
 * "per_client", "total", "waiting", "busy"; src/server/conns.h). */
void c12_metrics_set_connections(c12_metrics *m, int open);
void c12_metrics_observe_refused(c12_metrics *m, const char *reason);
/* Read the response cache at scrape time (cache must outlive m). */
c12_rc c12_metrics_add_cache(c12_metrics *m, c12_cache *cache, c12_err *err);
/* Batches by status, lines pending, time deferred and CO2 avoided, read
 * from the batch store at scrape time. */
c12_rc c12_metrics_add_batches(c12_metrics *m, c12_bstore *store, c12_err *err);
/* Read the pool at scrape time (pool must outlive m). */
c12_rc c12_metrics_add_pool(c12_metrics *m, c12_pool *pool, c12_err *err);
/* Read the fleet's sites at scrape time (fleet must outlive m). */
c12_rc c12_metrics_add_fleet(c12_metrics *m, c12_fleet *fleet, c12_err *err);
/* Read the carbon cache at scrape time (cache must outlive m). */
c12_rc c12_metrics_add_carbon(c12_metrics *m, c12_carbon_cache *cache, c12_err *err);
/* Read the ledger's counters at scrape time (ledger must outlive m). */
c12_rc c12_metrics_add_ledger(c12_metrics *m, c12_ledger *ledger, c12_err *err);
/* The registry, for modules that bring their own families and collectors. */
c12_metrics_registry *c12_metrics_get_registry(c12_metrics *m);

/* The exposition text (Content-Type C12_METRICS_CONTENT_TYPE), appended to out. */
c12_rc c12_metrics_write(c12_metrics *m, c12_buf *out, c12_err *err);

#endif
