/* fleet_health.c - whether a site may be tried: its circuit breaker (fed
 * by its replies and by the prober's GET <url>/models), its load, and its
 * measured latency (fleet_impl.h). */
#include <stdio.h>
#include <time.h>

#include "base/c12_clock.h"
#include "pool/backend_remote.h"
#include "pool/fleet_impl.h"

const char *c12_site_state_name(c12_site_state s)
{
    return s == C12_SITE_OPEN ? "open" : s == C12_SITE_HALF_OPEN ? "half-open" : "closed";
}

/* Open, or from half-open open again (its back-off doubled). */
static void trip(c12_fleet *f, c12_site *s)
{
    int64_t base = (int64_t)(s->cfg->breaker_backoff_s * 1000);
    int64_t cap = base > C12_SITE_BACKOFF_MAX_MS ? base : C12_SITE_BACKOFF_MAX_MS;
    s->backoff_ms = s->state == C12_SITE_HALF_OPEN && s->backoff_ms ? s->backoff_ms * 2 : base;
    if (s->backoff_ms > cap) s->backoff_ms = cap;
    if (s->state != C12_SITE_OPEN)
        fprintf(stderr, "c12 fleet: site %s: breaker open for %.1f s after %d failure(s)\n", s->cfg->name,
                s->backoff_ms / 1000.0, s->fails);
    s->state = C12_SITE_OPEN;
    s->open_until = c12_fleet_now(f) + s->backoff_ms;
}

static void heal(c12_site *s)
{
    if (s->state != C12_SITE_CLOSED) fprintf(stderr, "c12 fleet: site %s: breaker closed (it answers again)\n", s->cfg->name);
    s->state = C12_SITE_CLOSED;
    s->fails = 0;
    s->backoff_ms = 0;
}

/* Past its back-off an open breaker lets one trial through. */
static int take_trial(c12_fleet *f, c12_site *s)
{
    if (s->state == C12_SITE_OPEN && c12_fleet_now(f) >= s->open_until) s->state = C12_SITE_HALF_OPEN, s->trial = 0;
    if (s->state != C12_SITE_HALF_OPEN || s->trial) return 0;
    s->trial = 1;
    return 1;
}

int c12_site_claim(c12_fleet *f, c12_site *s)
{
    if (s->in_flight >= s->cfg->max_concurrent) return 0;
    if (s->state != C12_SITE_CLOSED && !take_trial(f, s)) return 0;
    s->in_flight++;
    s->requests++;
    return 1;
}

static void outcome(c12_fleet *f, c12_site *s, int ok)
{
    int was_trial = s->state == C12_SITE_HALF_OPEN && s->trial;
    if (ok > 0) heal(s);
    if (ok == 0) {
        s->fails++;
        s->failures++;
        if (was_trial || (s->state == C12_SITE_CLOSED && s->fails >= s->cfg->breaker_failures)) trip(f, s);
    }
    if (was_trial) s->trial = 0;
}

void c12_site_done(c12_fleet *f, c12_site *s, int ok)
{
    c12_site_state was = s->state;
    s->in_flight--;
    outcome(f, s, ok);
    /* the prober hears of a breaker that moved at once; waking it after
     * every request (its only waiter) cost a thread switch each */
    if (s->state != was) pthread_cond_broadcast(&f->cv);
}

void c12_speed_observe(double *ttft, double *tps, double ttft_s, double tps_now)
{
    const double a = C12_SITE_EWMA;
    if (ttft_s > 0) *ttft = *ttft > 0 ? a * ttft_s + (1 - a) * *ttft : ttft_s;
    if (tps_now > 0) *tps = *tps > 0 ? a * tps_now + (1 - a) * *tps : tps_now;
}

void c12_site_observe(c12_site *s, double ttft_s, double decode_s, int n_tokens)
{
    /* a site's decode_s runs from its first token to its last */
    c12_speed_observe(&s->ttft_s, &s->tps, ttft_s, n_tokens > 1 && decode_s > 0 ? (n_tokens - 1) / decode_s : 0);
}

/* One site's probe, if due: closed sites and open ones past their back-off. */
static void probe_one(c12_fleet *f, c12_site *s)
{
    pthread_mutex_lock(&f->mu);
    int64_t now = c12_fleet_now(f);
    int due = now >= s->next_probe && (s->state == C12_SITE_CLOSED || take_trial(f, s));
    if (due) s->next_probe = now + (int64_t)(s->cfg->probe_interval_s * 1000);
    pthread_mutex_unlock(&f->mu);
    if (!due) return;
    c12_err err, qerr;
    c12_rc rc = c12_remote_probe(s->cfg, s->api_key, &err);
    double waiting = 0;
    /* its own queue, when it exports one: a failure here says nothing of its health */
    int queue = !rc && s->metrics_url[0] && !c12_remote_queue(s->cfg, s->metrics_url, s->api_key, &waiting, &qerr);
    pthread_mutex_lock(&f->mu);
    s->have_queue = queue;
    s->queue = waiting;
    s->probed = rc ? 2 : 1;
    if (rc) {
        s->probes_failed++;
        if (s->state == C12_SITE_CLOSED && !s->fails)
            fprintf(stderr, "c12 fleet: site %s: probe failed: %s\n", s->cfg->name, err.msg);
    }
    outcome(f, s, rc ? 0 : 1);
    pthread_mutex_unlock(&f->mu);
}

void c12_fleet_probe_all(c12_fleet *f)
{
    for (size_t i = 0; i < f->n_sites; i++) probe_one(f, &f->sites[i]);
}

static void *prober_main(void *ud)
{
    c12_fleet *f = ud;
    pthread_mutex_lock(&f->mu);
    while (!f->stopping) {
        pthread_mutex_unlock(&f->mu);
        c12_fleet_probe_all(f);
        pthread_mutex_lock(&f->mu);
        struct timespec ts = c12_clock_deadline(CLOCK_REALTIME, 100);
        if (!f->stopping) pthread_cond_timedwait(&f->cv, &f->mu, &ts);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

c12_rc c12_fleet_prober_start(c12_fleet *f, c12_err *err)
{
    if (!f->n_sites) return C12_OK;
    if (pthread_create(&f->prober, NULL, prober_main, f))
        return c12_fail(err, C12_ERR_INTERNAL, "fleet: cannot start the sites' prober");
    f->prober_on = 1;
    return C12_OK;
}

void c12_fleet_prober_stop(c12_fleet *f)
{
    if (!f->prober_on) return;
    pthread_mutex_lock(&f->mu);
    f->stopping = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->prober, NULL);
    f->prober_on = 0;
}
