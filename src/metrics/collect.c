/* collect.c - collectors that read the pool, the carbon cache and the ledger
 * at scrape time. They take one snapshot each (one lock of the pool or the cache) and
 * set their families from it, so a scrape never sees half of a change. */
#include <string.h>

#include "base/c12_alloc.h"
#include "metrics/metrics_impl.h"

/* Register `self`'s families and its collector; the registry owns `self`
 * (freed with it) from then on, the caller's allocation of it included:
 * self NULL is an allocation that failed. Families registered before a
 * failure stay in the registry (freed with it); they only show no samples. */
static c12_rc add_collector(c12_metrics *m, const char *name, void (*collect)(void *), void *self,
                            const c12_metrics_fam_def *defs, size_t n, c12_err *err)
{
    if (!self) return c12_fail(err, C12_ERR_NOMEM, "metrics: out of memory");
    c12_metrics_collector col = {name, collect, c12_free, self};
    c12_rc rc = c12_metrics_add_families(m->reg, self, defs, n, err);
    if (!rc) rc = c12_metrics_registry_add(m->reg, &col, err);
    if (rc) c12_free(self);
    return rc;
}

/* ---- the pool ---- */

typedef struct pool_col {
    c12_pool *pool;
    c12_metrics_family *loaded, *model_bytes, *busy, *queue, *used, *budget;
    c12_metrics_family *loads, *load_failures, *evictions, *load_s;
    c12_metrics_family *steps, *step_seqs, *step_rows, *step_cpu, *kv;
} pool_col;

#define PFAM(field, ...) C12_METRICS_FAM(pool_col, field, __VA_ARGS__)

static const c12_metrics_fam_def POOL_FAMILIES[] = {
    PFAM(loaded, "c12_model_loaded", C12_METRIC_GAUGE, "1 while the model is loaded, else 0.",
         C12_LABELS("model")),
    PFAM(model_bytes, "c12_model_memory_bytes", C12_METRIC_GAUGE,
         "Memory the model takes in the pool (mapped weights + KV caches), bytes.", C12_LABELS("model")),
    PFAM(busy, "c12_model_slots_busy", C12_METRIC_GAUGE, "Slots of the model generating now.",
         C12_LABELS("model")),
    PFAM(kv, "c12_kv_cache_usage_ratio", C12_METRIC_GAUGE,
         "Share of the loaded model's KV cache (its slots' contexts) holding tokens of the requests "
         "generating now, 0 to 1.",
         C12_LABELS("model")),
    PFAM(queue, "c12_queue_depth", C12_METRIC_GAUGE, "Requests waiting in the queue for the model.",
         C12_LABELS("model")),
    PFAM(used, "c12_memory_used_bytes", C12_METRIC_GAUGE, "Memory the loaded models take, bytes."),
    PFAM(budget, "c12_memory_budget_bytes", C12_METRIC_GAUGE, "The pool's memory budget, bytes."),
    PFAM(loads, "c12_model_loads_total", C12_METRIC_COUNTER, "Successful model loads.", C12_LABELS("model")),
    PFAM(load_failures, "c12_model_load_failures_total", C12_METRIC_COUNTER, "Model loads that failed.",
         C12_LABELS("model")),
    PFAM(evictions, "c12_model_evictions_total", C12_METRIC_COUNTER,
         "Models unloaded: reason budget (to make room for another) or keep_alive (idle).",
         C12_LABELS("model", "reason")),
    PFAM(load_s, "c12_model_load_seconds_total", C12_METRIC_COUNTER,
         "Time spent in successful loads, seconds (divide by c12_model_loads_total for the mean).",
         C12_LABELS("model")),
    PFAM(steps, "c12_engine_steps_total", C12_METRIC_COUNTER,
         "Forward steps the model's slots shared (batched decoding; models with slots > 1), since it loaded.",
         C12_LABELS("model")),
    PFAM(step_seqs, "c12_engine_step_sequences_total", C12_METRIC_COUNTER,
         "Sequences in those steps, summed (divide by c12_engine_steps_total for the mean batch).",
         C12_LABELS("model")),
    PFAM(step_rows, "c12_engine_step_tokens_total", C12_METRIC_COUNTER,
         "Tokens evaluated in those steps (decoded and prompt tokens).", C12_LABELS("model")),
    PFAM(step_cpu, "c12_engine_step_cpu_seconds_total", C12_METRIC_COUNTER,
         "CPU time of those steps, seconds, all of it charged to the requests in them.", C12_LABELS("model")),
};

static void pool_collect(void *self)
{
    pool_col *pc = self;
    c12_pool_model_stats ms[C12_CFG_MAX_MODELS];
    c12_pool_stats st;
    size_t n = c12_pool_get_stats(pc->pool, &st, ms, C12_CFG_MAX_MODELS);
    c12_metrics_set(pc->used, NULL, (double)st.used_bytes);
    c12_metrics_set(pc->budget, NULL, (double)st.budget_bytes);
    for (size_t i = 0; i < n; i++) {
        const c12_pool_model_stats *m = &ms[i];
        const char *l[] = {m->id};
        c12_metrics_set(pc->loaded, l, m->state == C12_MODEL_LOADED);
        c12_metrics_set(pc->model_bytes, l, m->state == C12_MODEL_LOADED ? (double)m->bytes : 0);
        c12_metrics_set(pc->busy, l, m->busy);
        c12_metrics_set(pc->queue, l, m->queued);
        c12_metrics_set(pc->loads, l, (double)m->loads);
        c12_metrics_set(pc->load_failures, l, (double)m->load_failures);
        c12_metrics_set(pc->load_s, l, m->load_s);
        const char *budget[] = {m->id, "budget"}, *idle[] = {m->id, "keep_alive"};
        c12_metrics_set(pc->evictions, budget, (double)m->evictions);
        c12_metrics_set(pc->evictions, idle, (double)m->idle_unloads);
        if (m->kv_known && m->kv_capacity > 0) c12_metrics_set(pc->kv, l, (double)m->kv_used / (double)m->kv_capacity);
        if (!m->batched) continue;
        c12_metrics_set(pc->steps, l, (double)m->batch.steps);
        c12_metrics_set(pc->step_seqs, l, (double)m->batch.seqs);
        c12_metrics_set(pc->step_rows, l, (double)m->batch.rows);
        c12_metrics_set(pc->step_cpu, l, m->batch.cpu_ns * 1e-9);
    }
}

c12_rc c12_metrics_add_pool(c12_metrics *m, c12_pool *pool, c12_err *err)
{
    pool_col *pc = c12_calloc(1, sizeof *pc);
    if (pc) pc->pool = pool;
    return add_collector(m, "pool", pool_collect, pc, POOL_FAMILIES, C12_NB(POOL_FAMILIES), err);
}

/* ---- the fleet's sites ---- */

typedef struct fleet_col {
    c12_fleet *fleet;
    c12_metrics_family *state, *in_flight, *max_conc, *intensity, *ttft, *tps, *requests, *failures, *retries;
    c12_metrics_family *probes_failed, *queue;
} fleet_col;

#define FFAM(field, ...) C12_METRICS_FAM(fleet_col, field, __VA_ARGS__)

static const c12_metrics_fam_def FLEET_FAMILIES[] = {
    FFAM(state, "c12_site_breaker_state", C12_METRIC_GAUGE,
         "The site's circuit breaker: 0 closed (serving), 1 open (skipped), 2 half-open (one trial).",
         C12_LABELS("site")),
    FFAM(in_flight, "c12_site_in_flight", C12_METRIC_GAUGE, "Requests at the site now.", C12_LABELS("site")),
    FFAM(max_conc, "c12_site_max_concurrent", C12_METRIC_GAUGE, "The site's max_concurrent.", C12_LABELS("site")),
    FFAM(intensity, "c12_site_carbon_intensity_grams_per_kwh", C12_METRIC_GAUGE,
         "The site's grid carbon intensity now, gCO2e/kWh (sites with a reading).", C12_LABELS("site", "region")),
    FFAM(ttft, "c12_site_ttft_seconds", C12_METRIC_GAUGE,
         "EWMA of the site's time to first token, seconds (sites with a reply).", C12_LABELS("site")),
    FFAM(tps, "c12_site_tokens_per_second", C12_METRIC_GAUGE,
         "EWMA of the site's tokens per second after the first (sites with a reply).", C12_LABELS("site")),
    FFAM(requests, "c12_site_requests_total", C12_METRIC_COUNTER, "Requests sent to the site (retries too).",
         C12_LABELS("site")),
    FFAM(failures, "c12_site_failures_total", C12_METRIC_COUNTER,
         "Requests and probes the site failed (network, its 5xx or 429, a timeout, a cut stream).", C12_LABELS("site")),
    FFAM(retries, "c12_site_retries_total", C12_METRIC_COUNTER,
         "Requests the site took after another site failed before the first token.", C12_LABELS("site")),
    FFAM(probes_failed, "c12_site_probe_failures_total", C12_METRIC_COUNTER,
         "Probes (GET <url>/models) the site failed.", C12_LABELS("site")),
    FFAM(queue, "c12_site_upstream_queue", C12_METRIC_GAUGE,
         "Requests waiting in the site's own queue, from its Prometheus metrics (sites that export one).",
         C12_LABELS("site")),
};

static void fleet_collect(void *self)
{
    fleet_col *fc = self;
    c12_fleet_site_stats st[C12_CFG_MAX_SITES];
    size_t n = c12_fleet_stats(fc->fleet, st, C12_CFG_MAX_SITES);
    for (size_t i = 0; i < n; i++) {
        const c12_fleet_site_stats *s = &st[i];
        const char *l[] = {s->name}, *lr[] = {s->name, s->region};
        c12_metrics_set(fc->state, l, s->state == C12_SITE_OPEN ? 1 : s->state == C12_SITE_HALF_OPEN ? 2 : 0);
        c12_metrics_set(fc->in_flight, l, s->in_flight);
        c12_metrics_set(fc->max_conc, l, s->max_concurrent);
        if (s->intensity == s->intensity) c12_metrics_set(fc->intensity, lr, s->intensity); /* not NAN */
        if (s->ttft_s > 0) c12_metrics_set(fc->ttft, l, s->ttft_s);
        if (s->tokens_per_s > 0) c12_metrics_set(fc->tps, l, s->tokens_per_s);
        c12_metrics_set(fc->requests, l, (double)s->requests);
        c12_metrics_set(fc->failures, l, (double)s->failures);
        c12_metrics_set(fc->retries, l, (double)s->retries);
        c12_metrics_set(fc->probes_failed, l, (double)s->probes_failed);
        if (s->queue >= 0) c12_metrics_set(fc->queue, l, s->queue);
    }
}

c12_rc c12_metrics_add_fleet(c12_metrics *m, c12_fleet *fleet, c12_err *err)
{
    fleet_col *fc = c12_calloc(1, sizeof *fc);
    if (fc) fc->fleet = fleet;
    return add_collector(m, "fleet", fleet_collect, fc, FLEET_FAMILIES, C12_NB(FLEET_FAMILIES), err);
}

/* ---- the carbon cache ---- */

typedef struct carbon_col {
    c12_carbon_cache *cache;
    c12_metrics_family *intensity, *age, *errors, *fetches;
} carbon_col;

#define CFAM(field, ...) C12_METRICS_FAM(carbon_col, field, __VA_ARGS__)

static const c12_metrics_fam_def CARBON_FAMILIES[] = {
    CFAM(intensity, "c12_carbon_intensity_grams_per_kwh", C12_METRIC_GAUGE,
         "The provider's latest grid carbon intensity, gCO2e/kWh (providers with a reading).",
         C12_LABELS("provider", "region")),
    CFAM(age, "c12_carbon_reading_age_seconds", C12_METRIC_GAUGE,
         "Seconds since the provider's latest reading was fetched (providers with a reading).",
         C12_LABELS("provider")),
    CFAM(errors, "c12_carbon_provider_errors_total", C12_METRIC_COUNTER, "Failed fetches from the provider.",
         C12_LABELS("provider")),
    CFAM(fetches, "c12_carbon_provider_fetches_total", C12_METRIC_COUNTER,
         "Fetch attempts to the provider, failed ones included.", C12_LABELS("provider")),
};

static void carbon_collect(void *self)
{
    carbon_col *cc = self;
    c12_carbon_status st[C12_CARBON_MAX_PROVIDERS];
    size_t n = c12_carbon_cache_status(cc->cache, st, C12_CARBON_MAX_PROVIDERS);
    for (size_t i = 0; i < n; i++) {
        const char *p[] = {st[i].provider}, *pr[] = {st[i].provider, st[i].region};
        c12_metrics_set(cc->errors, p, (double)st[i].failures);
        c12_metrics_set(cc->fetches, p, (double)st[i].fetches);
        if (!st[i].has_reading) continue;
        c12_metrics_set(cc->intensity, pr, st[i].value);
        c12_metrics_set(cc->age, p, st[i].age_ms / 1000.0);
    }
}

c12_rc c12_metrics_add_carbon(c12_metrics *m, c12_carbon_cache *cache, c12_err *err)
{
    carbon_col *cc = c12_calloc(1, sizeof *cc);
    if (cc) cc->cache = cache;
    return add_collector(m, "carbon", carbon_collect, cc, CARBON_FAMILIES, C12_NB(CARBON_FAMILIES), err);
}

/* ---- the ledger ---- */

typedef struct ledger_col {
    c12_ledger *ledger;
    c12_metrics_family *accepted, *committed, *dropped, *errors, *queued;
} ledger_col;

#define LFAM(field, ...) C12_METRICS_FAM(ledger_col, field, __VA_ARGS__)

static const c12_metrics_fam_def LEDGER_FAMILIES[] = {
    LFAM(accepted, "c12_ledger_rows_accepted_total", C12_METRIC_COUNTER, "Ledger rows queued for the writer."),
    LFAM(committed, "c12_ledger_rows_committed_total", C12_METRIC_COUNTER, "Ledger rows committed to the store."),
    LFAM(dropped, "c12_ledger_rows_dropped_total", C12_METRIC_COUNTER,
         "Ledger rows refused because the queue stayed full: never written (each one logged)."),
    LFAM(errors, "c12_ledger_commit_errors_total", C12_METRIC_COUNTER,
         "Failed ledger transactions (their rows stay queued and are retried)."),
    LFAM(queued, "c12_ledger_queue_rows", C12_METRIC_GAUGE, "Ledger rows accepted and not committed yet (queued, or in the batch being committed)."),
};

static void ledger_collect(void *self)
{
    ledger_col *lc = self;
    c12_ledger_stats st;
    c12_ledger_get_stats(lc->ledger, &st);
    c12_metrics_set(lc->accepted, NULL, (double)st.accepted);
    c12_metrics_set(lc->committed, NULL, (double)st.committed);
    c12_metrics_set(lc->dropped, NULL, (double)st.refused);
    c12_metrics_set(lc->errors, NULL, (double)st.commit_errors);
    c12_metrics_set(lc->queued, NULL, (double)st.queued);
}

c12_rc c12_metrics_add_ledger(c12_metrics *m, c12_ledger *ledger, c12_err *err)
{
    ledger_col *lc = c12_calloc(1, sizeof *lc);
    if (lc) lc->ledger = ledger;
    return add_collector(m, "ledger", ledger_collect, lc, LEDGER_FAMILIES, C12_NB(LEDGER_FAMILIES), err);
}

/* ---- the response cache ---- */

typedef struct cache_col {
    c12_cache *cache;
    c12_metrics_family *entries, *bytes;
} cache_col;

#define RFAM(field, ...) C12_METRICS_FAM(cache_col, field, __VA_ARGS__)

static const c12_metrics_fam_def CACHE_FAMILIES[] = {
    RFAM(entries, "c12_cache_entries", C12_METRIC_GAUGE, "Answers held in the response cache."),
    RFAM(bytes, "c12_cache_bytes", C12_METRIC_GAUGE, "Text the response cache holds, bytes."),
};

static void cache_collect(void *self)
{
    cache_col *cc = self;
    c12_cache_stats st;
    c12_cache_get_stats(cc->cache, &st);
    c12_metrics_set(cc->entries, NULL, (double)st.entries);
    c12_metrics_set(cc->bytes, NULL, (double)st.bytes);
}

/* ---- batches ---- */

typedef struct batch_col {
    c12_bstore *store;
    c12_metrics_family *batches, *pending, *deferred, *avoided;
} batch_col;

#define BFAM(field, ...) C12_METRICS_FAM(batch_col, field, __VA_ARGS__)

static const c12_metrics_fam_def BATCH_FAMILIES[] = {
    BFAM(batches, "c12_batches", C12_METRIC_GAUGE, "Batches by status.", C12_LABELS("status")),
    BFAM(pending, "c12_batch_lines_pending", C12_METRIC_GAUGE, "Lines of unfinished batches not answered yet."),
    BFAM(deferred, "c12_batch_deferred_seconds_total", C12_METRIC_COUNTER,
         "Time batches have waited for cleaner power, seconds (all batches together)."),
    BFAM(avoided, "c12_batch_co2_avoided_grams", C12_METRIC_GAUGE,
         "Finished batches: CO2e running each at its submission would have emitted, less what it did, grams."),
};

static void batch_collect(void *self)
{
    batch_col *bc = self;
    c12_bstore_stats st;
    c12_err err;
    if (c12_bstore_get_stats(bc->store, &st, &err)) return; /* the last values stand */
    for (int k = 0; k < C12_BATCH_STATUSES; k++) {
        const char *v[] = {c12_batch_status_name((c12_batch_status)k)};
        c12_metrics_set(bc->batches, v, (double)st.by_status[k]);
    }
    c12_metrics_set(bc->pending, NULL, (double)st.lines_pending);
    c12_metrics_set(bc->deferred, NULL, st.deferred_s);
    c12_metrics_set(bc->avoided, NULL, st.co2_avoided_g);
}

c12_rc c12_metrics_add_batches(c12_metrics *m, c12_bstore *store, c12_err *err)
{
    batch_col *bc = c12_calloc(1, sizeof *bc);
    if (bc) bc->store = store;
    return add_collector(m, "batches", batch_collect, bc, BATCH_FAMILIES, C12_NB(BATCH_FAMILIES), err);
}

c12_rc c12_metrics_add_cache(c12_metrics *m, c12_cache *cache, c12_err *err)
{
    cache_col *cc = c12_calloc(1, sizeof *cc);
    if (cc) cc->cache = cache;
    return add_collector(m, "cache", cache_collect, cc, CACHE_FAMILIES, C12_NB(CACHE_FAMILIES), err);
}
