/* prov_ukgrid.c - the UK Carbon Intensity API (NESO), no key. National:
 * GET /intensity and /intensity/{from}/fw48h; with a region id (1..17):
 * GET /regional/regionid/{id} and /regional/intensity/{from}/fw48h/regionid/{id}.
 * The current half-hour's `actual` is often still null: its forecast then
 * stands in and the reading says so (is_forecast). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "carbon/carbon_config.h"
#include "carbon/carbon_http.h"
#include "carbon/carbon_parse.h"

typedef struct uk_prov {
    c12_carbon_provider_cfg cfg;
} uk_prov;

static void uk_defaults(c12_carbon_provider_cfg *p)
{
    snprintf(p->base_url, sizeof p->base_url, "https://api.carbonintensity.org.uk");
    p->ttl_ms = 900 * 1000; /* the API publishes per half-hour */
}

/* The region is optional (national when empty); else an id from 1 to 17. */
static c12_rc uk_check(const c12_carbon_provider_cfg *p, const char *where, c12_err *err)
{
    if (!p->region[0]) return C12_OK;
    char *e;
    long id = strtol(p->region, &e, 10);
    if (*e || id < 1 || id > 17)
        return c12_fail(err, C12_ERR_INVALID, "%s: carbon.providers.%s.region: a region id from 1 to 17, not '%s'",
                        where, p->name, p->region);
    return C12_OK;
}

static c12_rc uk_create(const c12_carbon_provider_cfg *cfg, int64_t now_ms, void **out, c12_err *err)
{
    (void)now_ms;
    uk_prov *u = c12_malloc(sizeof *u);
    if (!u) return c12_fail(err, C12_ERR_NOMEM, "ukgrid: out of memory");
    u->cfg = *cfg;
    *out = u;
    return C12_OK;
}

static c12_rc uk_get(uk_prov *u, const char *url, const char *what, c12_carbon_uk_list *list,
                     int64_t *retry_after, c12_err *err)
{
    const char *headers[] = {"Accept: application/json", NULL};
    c12_carbon_http_req req = {url, headers, NULL, NULL, u->cfg.connect_timeout_ms, u->cfg.timeout_ms, 0};
    c12_carbon_http_resp resp;
    c12_carbon_http_resp_init(&resp);
    c12_rc rc = c12_carbon_http_fetch(&req, what, &resp, retry_after, err);
    if (rc == C12_OK) rc = c12_carbon_parse_uk(resp.body.data, resp.body.len, list, err);
    c12_carbon_http_resp_free(&resp);
    return rc;
}

/* The item that covers now, else the latest one that started before now,
 * else the first. */
static const c12_carbon_uk_item *pick(const c12_carbon_uk_list *l, int64_t now_ms)
{
    const c12_carbon_uk_item *best = &l->items[0];
    for (size_t i = 0; i < l->n; i++) {
        const c12_carbon_uk_item *it = &l->items[i];
        if (it->from_ms <= now_ms && now_ms < it->to_ms) return it;
        if (it->from_ms <= now_ms && it->from_ms > best->from_ms) best = it;
    }
    return best;
}

static c12_rc uk_forecast(uk_prov *u, int64_t now_ms, c12_carbon_series *out, c12_err *err)
{
    char from[32], url[512];
    c12_carbon_format_time(now_ms, from, sizeof from);
    from[16] = 'Z'; /* the API takes "YYYY-MM-DDThh:mmZ" */
    from[17] = '\0';
    if (u->cfg.region[0])
        snprintf(url, sizeof url, "%s/regional/intensity/%s/fw48h/regionid/%s", u->cfg.base_url, from,
                 u->cfg.region);
    else
        snprintf(url, sizeof url, "%s/intensity/%s/fw48h", u->cfg.base_url, from);
    c12_carbon_uk_list l = {NULL, 0, ""};
    c12_rc rc = uk_get(u, url, "ukgrid forecast", &l, NULL, err);
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    for (size_t i = 0; rc == C12_OK && i < l.n; i++)
        if (c12_carbon_series_push(&s, l.items[i].from_ms, l.items[i].to_ms, l.items[i].value))
            rc = c12_fail(err, C12_ERR_NOMEM, "ukgrid forecast: out of memory");
    c12_carbon_uk_list_free(&l);
    if (rc) {
        c12_carbon_series_free(&s);
        return rc;
    }
    c12_carbon_series_free(out);
    *out = s;
    return C12_OK;
}

static c12_rc uk_fetch(void *self, int64_t now_ms, int want_forecast, c12_carbon_fetch *out, c12_err *err)
{
    uk_prov *u = self;
    char url[512];
    if (u->cfg.region[0])
        snprintf(url, sizeof url, "%s/regional/regionid/%s", u->cfg.base_url, u->cfg.region);
    else
        snprintf(url, sizeof url, "%s/intensity", u->cfg.base_url);
    c12_carbon_uk_list l = {NULL, 0, ""};
    c12_rc rc = uk_get(u, url, "ukgrid intensity", &l, &out->retry_after_ms, err);
    if (rc) return rc;
    const c12_carbon_uk_item *it = pick(&l, now_ms);
    c12_carbon_reading *r = &out->reading;
    r->value = it->value;
    r->from_ms = it->from_ms;
    r->to_ms = it->to_ms;
    r->kind = C12_CARBON_AVERAGE;
    r->is_forecast = !it->has_actual;
    snprintf(r->index, sizeof r->index, "%s", it->index);
    snprintf(r->region, sizeof r->region, "%s", l.region);
    strcpy(r->source_unit, "gCO2eq/kWh");
    strcpy(r->type, "ukgrid");
    c12_carbon_uk_list_free(&l);
    if (want_forecast) {
        c12_err ferr; /* a failed forecast leaves out->forecast empty; the reading stands */
        uk_forecast(u, now_ms, &out->forecast, &ferr);
    }
    return C12_OK;
}

const c12_carbon_provider_ops c12_carbon_ukgrid_ops = {
    .type = "ukgrid",
    .own_forecast = 1,
    .uses_region = 1,
    .defaults = uk_defaults,
    .check = uk_check,
    .create = uk_create,
    .destroy = c12_free,
    .fetch = uk_fetch,
};
