/* cache.c - the carbon cache's lifetime and its request side: answers come
 * from memory under a mutex, never from the network (see carbon_cache.h). */
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "carbon/carbon_cache_impl.h"
#include "carbon/carbon_http.h"

static void entries_free(c12_carbon_cache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        c12_carbon_entry *e = &c->e[i];
        if (e->ops && e->self) e->ops->destroy(e->self);
        c12_carbon_series_free(&e->forecast);
        c12_carbon_series_free(&e->record);
    }
    c->n = 0;
}

static c12_rc add_entry(c12_carbon_cache *c, const c12_carbon_config *cfg, size_t idx, int64_t now,
                        uint64_t seed, c12_err *err)
{
    const c12_carbon_provider_cfg *pc = &cfg->providers[idx];
    const c12_carbon_provider_ops *ops = c12_carbon_provider_find(cfg->table, pc->type);
    if (!ops)
        return c12_fail(err, C12_ERR_INVALID, "%s:%d: carbon.providers.%s: unknown type '%s'", cfg->source,
                        pc->line, pc->name, pc->type);
    c12_carbon_entry *e = &c->e[c->n];
    memset(e, 0, sizeof *e);
    e->cache = c;
    e->index = c->n;
    e->ops = ops;
    e->cfg = *pc;
    c12_carbon_series_init(&e->forecast);
    c12_carbon_series_init(&e->record);
    e->rng = seed + 0x9E3779B97F4A7C15ull * (c->n + 1); /* distinct, never 0 in practice */
    if (!e->rng) e->rng = 1;
    c12_rc rc = ops->create(pc, now, &e->self, err);
    if (rc) return rc;
    c->n++;
    return C12_OK;
}

c12_rc c12_carbon_cache_new(const c12_carbon_config *cfg, const c12_carbon_cache_opts *opts,
                            c12_carbon_cache **out, c12_err *err)
{
    if (cfg->n_chain == 0) return c12_fail(err, C12_ERR_INVALID, "%s: carbon.chain is empty", cfg->source);
    c12_carbon_http_init();
    c12_carbon_cache *c = c12_calloc(1, sizeof *c);
    if (!c) return c12_fail(err, C12_ERR_NOMEM, "carbon cache: out of memory");
    c->clock = opts && opts->clock ? opts->clock : c12_carbon_clock_real;
    c->clock_ctx = opts ? opts->clock_ctx : NULL;
    c->max_staleness_ms = cfg->max_staleness_ms;
    c->backoff_base_ms = cfg->backoff_base_ms;
    c->backoff_max_ms = cfg->backoff_max_ms;
    c->jitter = cfg->jitter;
    int64_t now = c->clock(c->clock_ctx);
    uint64_t seed = opts && opts->seed ? opts->seed : (uint64_t)now;
    c12_rc rc = C12_OK;
    for (size_t k = 0; k < cfg->n_chain && rc == C12_OK; k++) rc = add_entry(c, cfg, cfg->chain[k], now, seed, err);
    if (rc == C12_OK && pthread_mutex_init(&c->mu, NULL)) rc = c12_fail(err, C12_ERR_NOMEM, "carbon cache: mutex");
    if (rc == C12_OK && pthread_cond_init(&c->cv, NULL)) {
        pthread_mutex_destroy(&c->mu);
        rc = c12_fail(err, C12_ERR_NOMEM, "carbon cache: condition variable");
    }
    if (rc) {
        entries_free(c);
        c12_free(c);
        return rc;
    }
    *out = c;
    return C12_OK;
}

void c12_carbon_cache_free(c12_carbon_cache *c)
{
    if (!c) return;
    c12_carbon_cache_stop(c);
    entries_free(c);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    c12_free(c);
}

/* Index of the first fresh entry, or -1 (mutex held). */
static int pick(const c12_carbon_cache *c, int64_t now)
{
    for (size_t i = 0; i < c->n; i++) {
        const c12_carbon_entry *e = &c->e[i];
        if (e->has_reading && now - e->reading.fetched_ms <= c->max_staleness_ms) return (int)i;
    }
    return -1;
}

/* Why nothing answered: each provider's state, secrets already redacted. */
static c12_rc none_fresh(const c12_carbon_cache *c, int64_t now, c12_err *err)
{
    char why[C12_ERR_MSG_MAX] = "";
    for (size_t i = 0; i < c->n; i++) {
        const c12_carbon_entry *e = &c->e[i];
        size_t used = strlen(why);
        if (e->has_reading)
            snprintf(why + used, sizeof why - used, "%s%s: stale (%llds old)", i ? "; " : "", e->cfg.name,
                     (long long)((now - e->reading.fetched_ms) / 1000));
        else
            snprintf(why + used, sizeof why - used, "%s%s: %s", i ? "; " : "", e->cfg.name,
                     e->last_error[0] ? e->last_error : "no reading yet");
    }
    return c12_fail(err, C12_ERR_NOT_FOUND, "no fresh carbon reading (%s)", why);
}

static void fill_answer(const c12_carbon_cache *c, int i, int64_t now, c12_carbon_answer *out)
{
    const c12_carbon_entry *e = &c->e[i];
    out->reading = e->reading;
    out->age_ms = now - e->reading.fetched_ms;
    out->chain_pos = (size_t)i;
    snprintf(out->forecast_by, sizeof out->forecast_by, "%s", e->forecast_by);
}

c12_rc c12_carbon_cache_now(c12_carbon_cache *c, c12_carbon_answer *out, c12_err *err)
{
    pthread_mutex_lock(&c->mu);
    int64_t now = c->clock(c->clock_ctx);
    int i = pick(c, now);
    c12_rc rc = i < 0 ? none_fresh(c, now, err) : C12_OK;
    if (rc == C12_OK) fill_answer(c, i, now, out);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* Copy the intervals of the answering provider's `which` series that overlap
 * [now + lo_h, now + hi_h) hours: its forecast, or its record of readings. */
static c12_rc answering_window(c12_carbon_cache *c, int forecast, int lo_h, int hi_h, c12_carbon_series *out,
                               c12_carbon_answer *src, c12_err *err)
{
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    pthread_mutex_lock(&c->mu);
    int64_t now = c->clock(c->clock_ctx);
    int64_t lo = now + lo_h * C12_CARBON_HOUR_MS, hi = now + hi_h * C12_CARBON_HOUR_MS;
    int i = pick(c, now);
    c12_rc rc = i < 0 ? none_fresh(c, now, err) : C12_OK;
    const c12_carbon_series *from = i < 0 ? NULL : forecast ? &c->e[i].forecast : &c->e[i].record;
    for (size_t k = 0; rc == C12_OK && k < from->n; k++) {
        const c12_carbon_point *p = &from->pts[k];
        if (p->to_ms <= lo || p->from_ms >= hi) continue;
        if (c12_carbon_series_push(&s, p->from_ms, p->to_ms, p->value))
            rc = c12_fail(err, C12_ERR_NOMEM, "carbon: out of memory");
    }
    if (rc == C12_OK && s.n == 0)
        rc = c12_fail(err, C12_ERR_NOT_FOUND, "%s has no %s yet", c->e[i].cfg.name, forecast ? "forecast" : "record");
    if (rc == C12_OK && src) fill_answer(c, i, now, src);
    pthread_mutex_unlock(&c->mu);
    if (rc) {
        c12_carbon_series_free(&s);
        return rc;
    }
    c12_carbon_series_free(out);
    *out = s;
    return C12_OK;
}

c12_rc c12_carbon_cache_forecast(c12_carbon_cache *c, int hours, c12_carbon_series *out,
                                 c12_carbon_answer *src, c12_err *err)
{
    return answering_window(c, 1, 0, hours, out, src, err);
}

c12_rc c12_carbon_cache_history(c12_carbon_cache *c, int hours, c12_carbon_series *out, c12_carbon_answer *src,
                                c12_err *err)
{
    return answering_window(c, 0, -hours, 0, out, src, err);
}

size_t c12_carbon_cache_status(c12_carbon_cache *c, c12_carbon_status *out, size_t max)
{
    pthread_mutex_lock(&c->mu);
    int64_t now = c->clock(c->clock_ctx);
    size_t n = c->n < max ? c->n : max;
    for (size_t i = 0; i < n; i++) {
        const c12_carbon_entry *e = &c->e[i];
        c12_carbon_status *s = &out[i];
        memset(s, 0, sizeof *s);
        snprintf(s->provider, sizeof s->provider, "%s", e->cfg.name);
        snprintf(s->type, sizeof s->type, "%s", e->cfg.type);
        snprintf(s->region, sizeof s->region, "%s",
                 e->has_reading && e->reading.region[0] ? e->reading.region : e->cfg.region);
        s->has_reading = e->has_reading;
        s->value = e->reading.value;
        s->age_ms = e->has_reading ? now - e->reading.fetched_ms : -1;
        s->errors = e->errors;
        s->fetches = e->fetches;
        s->failures = e->failures;
        s->next_in_ms = e->next_due_ms - now;
        snprintf(s->last_error, sizeof s->last_error, "%s", e->last_error);
    }
    pthread_mutex_unlock(&c->mu);
    return n;
}
