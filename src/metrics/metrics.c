/* metrics.c - the request-path families and what a finished request adds to
 * them (see metrics.h; docs/metrics.md documents each family). */
#include <string.h>

#include "base/c12_alloc.h"
#include "metrics/metrics_impl.h"

/* Bucket bounds in seconds: a queue wait is short unless the pool is busy, a
 * first token comes after the prompt's prefill, a whole request after its
 * generation (minutes on a CPU for long answers). */
static const double QUEUE_BUCKETS[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
static const double TTFT_BUCKETS[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
static const double TOTAL_BUCKETS[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};

#define FAM(field, ...) C12_METRICS_FAM(c12_metrics, field, __VA_ARGS__)

static const c12_metrics_fam_def FAMILIES[] = {
    FAM(requests, "c12_requests_total", C12_METRIC_COUNTER,
        "Finished requests by model and status (ok, error, cancelled, timeout, rejected).",
        C12_LABELS("model", "status")),
    FAM(prompt_tokens, "c12_prompt_tokens_total", C12_METRIC_COUNTER,
        "Prompt tokens of finished requests.", C12_LABELS("model", "status")),
    FAM(completion_tokens, "c12_completion_tokens_total", C12_METRIC_COUNTER,
        "Generated tokens of finished requests.", C12_LABELS("model", "status")),
    FAM(energy, "c12_energy_joules_total", C12_METRIC_COUNTER,
        "Energy the requests used, joules (as metered for the ledger).", C12_LABELS("model")),
    FAM(co2, "c12_co2_grams_total", C12_METRIC_COUNTER,
        "Emissions of the requests, grams CO2e (energy x grid intensity x PUE).", C12_LABELS("model")),
    FAM(co2_cf, "c12_co2_counterfactual_grams_total", C12_METRIC_COUNTER,
        "What the same requests would have emitted on the strongest policy model, grams CO2e "
        "(its joules per token x the request's tokens, intensity and PUE); minus c12_co2_grams_total: CO2 saved.",
        C12_LABELS("model")),
    FAM(queue_wait, "c12_queue_wait_seconds", C12_METRIC_HISTOGRAM,
        "Time requests waited in the queue for a slot (rejected requests are left out).",
        C12_LABELS("model"), C12_HIST(QUEUE_BUCKETS)),
    FAM(ttft, "c12_time_to_first_token_seconds", C12_METRIC_HISTOGRAM,
        "Time from arrival to the first generated token (requests that generated one).",
        C12_LABELS("model"), C12_HIST(TTFT_BUCKETS)),
    FAM(duration, "c12_request_duration_seconds", C12_METRIC_HISTOGRAM,
        "Time from arrival to the end of the response.", C12_LABELS("model"), C12_HIST(TOTAL_BUCKETS)),
    FAM(priced, "c12_requests_by_carbon_provider_total", C12_METRIC_COUNTER,
        "Finished requests by the carbon provider whose reading priced them: the first of the chain with a "
        "fresh reading, or default (none had one: the documented 152 gCO2e/kWh).", C12_LABELS("provider")),
    FAM(route, "c12_route_decisions_total", C12_METRIC_COUNTER,
        "Routing decisions by the model chosen and the request's category.", C12_LABELS("model", "category")),
    FAM(cache_requests, "c12_cache_requests_total", C12_METRIC_COUNTER,
        "Deterministic requests and the response cache: hit, miss (generated, then stored) or bypass "
        "(x-c12-cache: no, cache-control: no-cache).", C12_LABELS("result")),
    FAM(co2_avoided, "c12_co2_avoided_by_cache_grams_total", C12_METRIC_COUNTER,
        "Emissions the cache's hits did not cause, grams CO2e (the first generation's energy at the hit's "
        "intensity and PUE).", C12_LABELS("model")),
    FAM(key_co2, "c12_key_co2_grams_total", C12_METRIC_COUNTER,
        "Emissions of the requests by API key: its name, key:<first 8 hex of its hash>, or none (no key); "
        "what the keys' carbon budgets count.", C12_LABELS("key")),
    FAM(limited, "c12_rate_limited_requests_total", C12_METRIC_COUNTER,
        "Requests a key's limits turned away (429), by key and limit: requests, tokens or carbon_budget.",
        C12_LABELS("key", "limit")),
    FAM(conns_open, "c12_connections_open", C12_METRIC_GAUGE,
        "Open client connections: waiting for their request head, or being served."),
    FAM(conns_refused, "c12_connections_refused_total", C12_METRIC_COUNTER,
        "Connections refused at once: reason per_client (server.max_connections_per_client, 429), total "
        "(server.max_connections, 503), waiting (too many heads awaited) or busy (no room to serve it).",
        C12_LABELS("reason")),
};

c12_rc c12_metrics_add_families(c12_metrics_registry *reg, void *base, const c12_metrics_fam_def *defs, size_t n,
                                c12_err *err)
{
    for (size_t i = 0; i < n; i++) {
        c12_metrics_family **dst = (c12_metrics_family **)((char *)base + defs[i].offset);
        c12_rc rc = c12_metrics_family_new(reg, &defs[i].desc, dst, err);
        if (rc) return rc;
    }
    return C12_OK;
}

c12_rc c12_metrics_new(const c12_metrics_opts *opts, c12_metrics **out, c12_err *err)
{
    size_t max_series = opts && opts->max_series ? opts->max_series : 256;
    c12_metrics *m = c12_calloc(1, sizeof *m);
    if (!m) return c12_fail(err, C12_ERR_NOMEM, "metrics: out of memory");
    c12_rc rc = c12_metrics_registry_new(max_series, &m->reg, err);
    if (!rc) rc = c12_metrics_add_families(m->reg, m, FAMILIES, C12_NB(FAMILIES), err);
    if (rc) {
        c12_metrics_free(m);
        return rc;
    }
    *out = m;
    return C12_OK;
}

void c12_metrics_free(c12_metrics *m)
{
    if (!m) return;
    c12_metrics_registry_free(m->reg);
    c12_free(m);
}

c12_metrics_registry *c12_metrics_get_registry(c12_metrics *m) { return m->reg; }

c12_rc c12_metrics_write(c12_metrics *m, c12_buf *out, c12_err *err)
{
    return c12_metrics_registry_write(m->reg, out, err);
}

/* A row field as a label value: "" would read as an absent label. */
static const char *or_none(const char *s) { return s && *s ? s : "none"; }

/* Unmetered quantities (negative, NaN) add nothing, but the series still
 * appears with the model's first request. */
static double nonneg(double v) { return v >= 0 ? v : 0; }

void c12_metrics_observe_request(c12_metrics *m, const c12_ledger_row *row)
{
    if (!m || !row) return;
    const char *ms[] = {or_none(row->model), or_none(row->status)};
    const char *mo[] = {ms[0]};
    c12_metrics_inc(m->requests, ms, 1);
    const char *prov[] = {or_none(row->intensity_provider)};
    c12_metrics_inc(m->priced, prov, 1);
    c12_metrics_inc(m->prompt_tokens, ms, nonneg((double)row->prompt_tokens));
    c12_metrics_inc(m->completion_tokens, ms, nonneg((double)row->completion_tokens));
    c12_metrics_inc(m->energy, mo, nonneg(row->energy_j));
    c12_metrics_inc(m->co2, mo, nonneg(row->co2_g));
    /* A rejected request never entered the queue; a request without a
     * generated token has no first token. */
    if (strcmp(row->status, "rejected")) c12_metrics_observe(m->queue_wait, mo, nonneg(row->queue_ms) / 1000);
    if (row->completion_tokens > 0) c12_metrics_observe(m->ttft, mo, nonneg(row->ttft_ms) / 1000);
    c12_metrics_observe(m->duration, mo, nonneg(row->total_ms) / 1000);
    if (row->cached) c12_metrics_inc(m->co2_avoided, mo, nonneg(row->saved_co2_g));
    const char *k[] = {or_none(row->api_key)}; /* labels from the configuration: a closed set */
    c12_metrics_inc(m->key_co2, k, nonneg(row->co2_g));
}

void c12_metrics_observe_limited(c12_metrics *m, const char *key, const char *limit)
{
    if (!m) return;
    const char *v[] = {or_none(key), or_none(limit)};
    c12_metrics_inc(m->limited, v, 1);
}

void c12_metrics_observe_cache(c12_metrics *m, const char *result)
{
    if (!m) return;
    const char *v[] = {or_none(result)};
    c12_metrics_inc(m->cache_requests, v, 1);
}

void c12_metrics_observe_counterfactual(c12_metrics *m, const char *model, double co2_g)
{
    if (!m) return;
    const char *v[] = {or_none(model)};
    c12_metrics_inc(m->co2_cf, v, nonneg(co2_g));
}

void c12_metrics_observe_route(c12_metrics *m, const char *model, const char *category)
{
    if (!m) return;
    const char *v[] = {or_none(model), or_none(category)};
    c12_metrics_inc(m->route, v, 1);
}

void c12_metrics_set_connections(c12_metrics *m, int open)
{
    if (m) c12_metrics_set(m->conns_open, NULL, open);
}

void c12_metrics_observe_refused(c12_metrics *m, const char *reason)
{
    if (!m) return;
    const char *v[] = {or_none(reason)};
    c12_metrics_inc(m->conns_refused, v, 1);
}
