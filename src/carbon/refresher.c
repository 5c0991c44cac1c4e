/* refresher.c - the cache's writing side: fetch what is due, record the
 * outcome, schedule the next attempt (TTL with jitter; exponential backoff
 * after errors; never sooner than a Retry-After), and the pthreads that do it
 * in the background, one per provider, so that a provider stuck until its
 * timeout delays no other provider's refresh. Network calls happen without
 * the mutex held, so requests keep being answered meanwhile. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/c12_clock.h"
#include "carbon/carbon_cache_impl.h"

/* How long after a reading's interval ends it is fetched again. */
#define INTERVAL_END_DELAY_MS 100
#include "carbon/carbon_forecast.h"

/* The thread re-checks at least this often (a test's fake clock may jump). */
#define MAX_SLEEP_MS 250
#define MIN_SLEEP_MS 5

/* Uniform in [-1, 1] (xorshift64*); only the entry's refresher draws. */
static double uniform(c12_carbon_entry *e)
{
    e->rng ^= e->rng >> 12;
    e->rng ^= e->rng << 25;
    e->rng ^= e->rng >> 27;
    uint64_t r = e->rng * 2685821657736338717ull;
    return (double)(r >> 11) / (double)(1ull << 53) * 2.0 - 1.0;
}

static int64_t jittered(const c12_carbon_cache *c, c12_carbon_entry *e, int64_t ms)
{
    int64_t d = ms + (int64_t)((double)ms * c->jitter * uniform(e));
    return d < 1 ? 1 : d;
}

/* Wait after the n-th consecutive error: base * 2^(n-1), capped, jittered. */
static int64_t backoff(const c12_carbon_cache *c, c12_carbon_entry *e)
{
    int64_t d = c->backoff_base_ms;
    for (unsigned k = 1; k < e->errors && d < c->backoff_max_ms; k++) d *= 2;
    if (d > c->backoff_max_ms) d = c->backoff_max_ms;
    return jittered(c, e, d);
}

/* Keep the reading in the entry's record (mutex held): one point per
 * interval, the last C12_CARBON_RECORD_MS only. */
static void record(c12_carbon_entry *e, const c12_carbon_reading *r)
{
    c12_carbon_series *s = &e->record;
    if (s->n && s->pts[s->n - 1].from_ms == r->from_ms) {
        s->pts[s->n - 1].value = r->value;
    } else if (s->n == 0 || r->from_ms > s->pts[s->n - 1].from_ms) {
        if (c12_carbon_series_push(s, r->from_ms, r->to_ms, r->value)) return; /* best effort */
    }
    size_t drop = 0;
    while (drop < s->n && s->pts[drop].from_ms < r->fetched_ms - C12_CARBON_RECORD_MS) drop++;
    if (drop) {
        memmove(s->pts, s->pts + drop, (s->n - drop) * sizeof *s->pts);
        s->n -= drop;
    }
}

/* Put the past readings a provider sent (a trace's last day) before the
 * record's first (mutex held), so that the record reaches back before C12
 * started. Best effort, as record() is. */
static void record_past(c12_carbon_entry *e, const c12_carbon_series *past)
{
    const c12_carbon_series *s = &e->record;
    size_t k = 0;
    while (k < past->n && (s->n == 0 || past->pts[k].from_ms < s->pts[0].from_ms)) k++;
    if (k == 0) return;
    c12_carbon_series merged;
    c12_carbon_series_init(&merged);
    for (size_t i = 0; i < k + s->n; i++) {
        const c12_carbon_point *p = i < k ? &past->pts[i] : &s->pts[i - k];
        if (c12_carbon_series_push(&merged, p->from_ms, p->to_ms, p->value)) {
            c12_carbon_series_free(&merged);
            return;
        }
    }
    c12_carbon_series_free(&e->record);
    e->record = merged;
}

/* Whether C12's forecaster should fill in: always for providers without a
 * forecast of their own; for the others while theirs is missing or stale. */
static int needs_c12_forecast(const c12_carbon_entry *e, int64_t now)
{
    return !e->ops->own_forecast || e->forecast.n == 0 || now - e->forecast_ms > 2 * e->cfg.forecast_ttl_ms;
}

/* C12's forecaster on the entry's record (mutex not held on entry). */
static void c12_forecast(c12_carbon_cache *c, c12_carbon_entry *e, int64_t now)
{
    c12_carbon_series hist, fc;
    c12_carbon_series_init(&hist);
    c12_carbon_series_init(&fc);
    pthread_mutex_lock(&c->mu);
    c12_rc rc = c12_carbon_series_copy(&hist, &e->record);
    pthread_mutex_unlock(&c->mu);
    if (rc == C12_OK && hist.n && c12_carbon_forecast(&hist, now, C12_CARBON_FORECAST_HOURS, &fc, NULL) == C12_OK) {
        pthread_mutex_lock(&c->mu);
        c12_carbon_series_free(&e->forecast);
        e->forecast = fc;
        c12_carbon_series_init(&fc);
        snprintf(e->forecast_by, sizeof e->forecast_by, "c12");
        e->forecast_ms = now;
        pthread_mutex_unlock(&c->mu);
    }
    c12_carbon_series_free(&fc);
    c12_carbon_series_free(&hist);
}

static void on_success(c12_carbon_cache *c, c12_carbon_entry *e, c12_carbon_fetch *f, int want_fc, int64_t done)
{
    c12_carbon_reading *r = &f->reading;
    snprintf(r->provider, sizeof r->provider, "%s", e->cfg.name);
    if (!r->type[0]) snprintf(r->type, sizeof r->type, "%s", e->cfg.type);
    r->fetched_ms = done;
    e->reading = *r;
    e->has_reading = 1;
    e->errors = 0;
    e->next_due_ms = done + jittered(c, e, e->cfg.ttl_ms);
    /* The reading's interval ends first: fetch again just after it ends, so
     * that "now" moves on with the grid instead of lingering on a past
     * interval (work deferred to the next interval waits for its reading). */
    if (r->to_ms > done && r->to_ms + INTERVAL_END_DELAY_MS < e->next_due_ms)
        e->next_due_ms = r->to_ms + INTERVAL_END_DELAY_MS;
    if (want_fc && f->forecast.n) {
        c12_carbon_series_free(&e->forecast);
        e->forecast = f->forecast;
        c12_carbon_series_init(&f->forecast);
        snprintf(e->forecast_by, sizeof e->forecast_by, "%s", f->forecast_by_c12 ? "c12" : "provider");
        e->forecast_ms = done;
        e->forecast_due_ms = done + e->cfg.forecast_ttl_ms;
    }
    record_past(e, &f->past);
    record(e, r);
}

static void on_failure(c12_carbon_cache *c, c12_carbon_entry *e, const c12_carbon_fetch *f,
                       const c12_err *err, int64_t done)
{
    e->errors++;
    e->failures++;
    snprintf(e->last_error, sizeof e->last_error, "%s", err->msg[0] ? err->msg : c12_rc_name(err->rc));
    int64_t wait = backoff(c, e);
    if (f->retry_after_ms > wait) wait = f->retry_after_ms; /* the server knows best */
    e->next_due_ms = done + wait;
}

void c12_carbon_cache_refresh(c12_carbon_cache *c, size_t i)
{
    c12_carbon_entry *e = &c->e[i];
    int64_t now = c->clock(c->clock_ctx);
    int want_fc = e->ops->own_forecast && now >= e->forecast_due_ms;
    c12_carbon_fetch f;
    c12_carbon_fetch_init(&f);
    c12_err err;
    c12_err_clear(&err);
    c12_rc rc = e->ops->fetch(e->self, now, want_fc, &f, &err);
    if (rc && err.rc == C12_OK) err.rc = rc;
    int64_t done = c->clock(c->clock_ctx);
    pthread_mutex_lock(&c->mu);
    e->fetches++;
    if (rc == C12_OK) on_success(c, e, &f, want_fc, done);
    else on_failure(c, e, &f, &err, done);
    int c12_fc = rc == C12_OK && needs_c12_forecast(e, done);
    pthread_mutex_unlock(&c->mu);
    if (c12_fc) c12_forecast(c, e, done);
    c12_carbon_fetch_free(&f);
}

/* Refresh entry i if due; ms until it is due next. */
static int64_t tick_one(c12_carbon_cache *c, size_t i)
{
    if (c->clock(c->clock_ctx) >= c->e[i].next_due_ms) c12_carbon_cache_refresh(c, i);
    int64_t wait = c->e[i].next_due_ms - c->clock(c->clock_ctx);
    return wait < 0 ? 0 : wait;
}

int64_t c12_carbon_cache_tick(c12_carbon_cache *c)
{
    int64_t wait = INT64_MAX;
    for (size_t i = 0; i < c->n; i++) {
        int64_t w = tick_one(c, i);
        if (w < wait) wait = w;
    }
    return wait;
}

void c12_carbon_cache_prime(c12_carbon_cache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        c12_carbon_cache_refresh(c, i);
        if (c->e[i].has_reading && c->e[i].errors == 0) break;
    }
}

/* Sleep on the condition variable for up to `ms` real milliseconds, or
 * until stop (mutex held on entry and exit). */
static void wait_ms(c12_carbon_cache *c, int64_t ms)
{
    struct timespec ts = c12_clock_deadline(CLOCK_REALTIME, ms);
    while (!c->stop && pthread_cond_timedwait(&c->cv, &c->mu, &ts) != ETIMEDOUT) {
    }
}

static void *loop(void *arg)
{
    c12_carbon_entry *e = arg;
    c12_carbon_cache *c = e->cache;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        pthread_mutex_unlock(&c->mu);
        int64_t wait = tick_one(c, e->index);
        if (wait > MAX_SLEEP_MS) wait = MAX_SLEEP_MS;
        if (wait < MIN_SLEEP_MS) wait = MIN_SLEEP_MS;
        pthread_mutex_lock(&c->mu);
        wait_ms(c, wait);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

c12_rc c12_carbon_cache_start(c12_carbon_cache *c, c12_err *err)
{
    if (c->running) return C12_OK;
    c->stop = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (pthread_create(&c->e[i].thread, NULL, loop, &c->e[i])) {
            c12_carbon_cache_stop(c);
            return c12_fail(err, C12_ERR_NOMEM, "carbon refresher: cannot start a thread");
        }
        c->running++;
    }
    return C12_OK;
}

void c12_carbon_cache_stop(c12_carbon_cache *c)
{
    if (!c->running) return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    for (size_t i = 0; i < c->running; i++) pthread_join(c->e[i].thread, NULL);
    c->running = 0;
}
