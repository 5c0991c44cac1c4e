/* api_dash_sites.c - the `sites` of GET /dashboard/api/status: for each
 * site of the fleet (fleet.h, docs/fleet.md) its name, region and URL host,
 * its breaker and whether its last probe answered, its load (in flight
 * against max_concurrent, its own queue when scraped), its measured
 * latency, its grid now, and the requests and CO2 it served today (UTC)
 * from the ledger. The cleanest site that can take a request now is
 * marked. It reads the fleet only through c12_fleet_stats. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_clock.h"
#include "ledger/ledger.h"
#include "server/server_impl.h"

#define FLUSH_MS 2000
#define DAY_MS 86400000LL

/* host[:port] of a URL ("http://user@h:8080/v1" -> "h:8080"). */
static void url_host(const char *url, char *out, size_t cap)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n); /* credentials are never shown */
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    snprintf(out, cap, "%.*s", (int)n, p);
}

/* Requests and gCO2e by site since today's UTC midnight; 0: no ledger, or
 * it did not answer (the figures are then null, not zero). */
static int today_by_site(c12_server *s, c12_ledger_totals *out)
{
    if (!s->deps.ledger) return 0;
    c12_err err;
    int64_t now = c12_clock_real_ms();
    c12_ledger_filter f = {.since_ms = now - now % DAY_MS, .by = C12_LEDGER_BY_SITE};
    c12_ledger_flush(s->deps.ledger, FLUSH_MS, &err);
    return c12_ledger_query(s->deps.ledger, &f, out, &err) == C12_OK;
}

static const c12_ledger_total *site_total(const c12_ledger_totals *t, const char *name)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (!strcmp(t->t[i].key, name)) return &t->t[i];
    return NULL;
}

/* Down: its breaker is open, or its last probe found nothing there. */
static int is_up(const c12_fleet_site_stats *st) { return st->state != C12_SITE_OPEN && st->reachable != 0; }

static json_t *num_or_null(int known, double v) { return known ? json_real(v) : json_null(); }

static json_t *site_obj(const c12_fleet_site_stats *st, const c12_ledger_totals *today, int cleanest)
{
    char host[C12_SITE_URL_MAX];
    url_host(st->url, host, sizeof host);
    const c12_ledger_total *t = site_total(today, st->name);
    int known = !isnan(st->intensity);
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:i, s:i, s:o, s:o, s:o, s:o, s:s*, s:o, s:o, s:I, s:I, s:I, "
                     "s:b}",
                     "name", st->name, "region", st->region, "host", host, "state", c12_site_state_name(st->state),
                     "reachable", st->reachable < 0 ? json_null() : json_boolean(st->reachable), "up", is_up(st),
                     "in_flight", st->in_flight, "max_concurrent", st->max_concurrent, "queue",
                     num_or_null(st->queue >= 0, st->queue), "ttft_s", num_or_null(st->ttft_s > 0, st->ttft_s),
                     "tokens_per_s", num_or_null(st->tokens_per_s > 0, st->tokens_per_s), "intensity",
                     num_or_null(known, st->intensity), "intensity_provider", known ? st->provider : NULL,
                     "requests_today", today ? json_integer(t ? t->requests : 0) : json_null(), "co2_g_today",
                     today ? json_real(t ? t->co2_g : 0) : json_null(), "requests", (json_int_t)st->requests,
                     "failures", (json_int_t)st->failures, "retries", (json_int_t)st->retries, "cleanest", cleanest);
}

json_t *c12_dash_sites(c12_server *s)
{
    json_t *a = json_array();
    if (!a || !s->deps.fleet) return a;
    c12_fleet_site_stats st[C12_CFG_MAX_SITES];
    size_t n = c12_fleet_stats(s->deps.fleet, st, C12_CFG_MAX_SITES);
    if (!n) return a;
    c12_ledger_totals today = {0};
    int have_today = today_by_site(s, &today);
    /* the cleanest of those that can answer now, by their grid's intensity */
    int best = -1;
    for (size_t i = 0; i < n; i++)
        if (is_up(&st[i]) && !isnan(st[i].intensity) && (best < 0 || st[i].intensity < st[best].intensity))
            best = (int)i;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, site_obj(&st[i], have_today ? &today : NULL, (int)i == best));
    c12_ledger_totals_free(&today);
    return a;
}
