/* prov_watttime.c - WattTime v3. GET /login with HTTP Basic gives a bearer
 * token valid 30 minutes: it is kept and reused, renewed shortly before it
 * expires and at once when a data call answers 401.
 *
 * /v3/signal-index gives the current MOER as a percentile (0..100, kept as
 * the reading's percentile); /v3/forecast's first point is WattTime's
 * estimate of the MOER for the current five minutes (their documented way
 * to get the live value), in lbs/MWh, converted to g/kWh. The figure is
 * marginal, not average, and the reading says so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "carbon/carbon_config.h"
#include "carbon/carbon_http.h"
#include "carbon/carbon_parse.h"

#define TOKEN_LIFE_MS (30 * 60 * 1000LL)
#define TOKEN_MARGIN_MS (60 * 1000LL) /* renew a minute early */

typedef struct wt_prov {
    c12_carbon_provider_cfg cfg;
    const char *user; /* from the environment, never copied into messages */
    const char *pass;
    char *token;
    char *bearer; /* "Authorization: Bearer TOKEN" */
    int64_t token_ms;
    unsigned logins; /* for tests and status */
} wt_prov;

static void wt_defaults(c12_carbon_provider_cfg *p)
{
    snprintf(p->base_url, sizeof p->base_url, "https://api.watttime.org");
    snprintf(p->username_env, sizeof p->username_env, "WATTTIME_USER");
    snprintf(p->password_env, sizeof p->password_env, "WATTTIME_PASSWORD");
    snprintf(p->signal_type, sizeof p->signal_type, "co2_moer");
}

static c12_rc wt_check(const c12_carbon_provider_cfg *p, const char *where, c12_err *err)
{
    c12_rc rc = c12_carbon_require(p, p->region, "region", where, err);
    if (rc == C12_OK) rc = c12_carbon_require(p, p->username_env, "username_env", where, err);
    if (rc == C12_OK) rc = c12_carbon_require(p, p->password_env, "password_env", where, err);
    if (rc == C12_OK) rc = c12_carbon_require(p, p->signal_type, "signal_type", where, err);
    return rc;
}

static c12_rc wt_create(const c12_carbon_provider_cfg *cfg, int64_t now_ms, void **out, c12_err *err)
{
    (void)now_ms;
    wt_prov *w = c12_calloc(1, sizeof *w);
    if (!w) return c12_fail(err, C12_ERR_NOMEM, "watttime: out of memory");
    w->cfg = *cfg;
    w->user = getenv(cfg->username_env);
    w->pass = getenv(cfg->password_env);
    *out = w;
    return C12_OK;
}

static void drop_token(wt_prov *w)
{
    c12_free(w->token);
    c12_free(w->bearer);
    w->token = w->bearer = NULL;
}

static void wt_destroy(void *self)
{
    wt_prov *w = self;
    if (!w) return;
    drop_token(w);
    c12_free(w);
}

static c12_rc wt_login(wt_prov *w, int64_t now_ms, int64_t *retry_after, c12_err *err)
{
    if (!w->user || !*w->user || !w->pass)
        return c12_fail(err, C12_ERR_AUTH, "watttime: environment variables %s/%s are not set",
                        w->cfg.username_env, w->cfg.password_env);
    drop_token(w);
    c12_buf url;
    c12_buf_init(&url, 0);
    c12_carbon_http_resp resp;
    c12_carbon_http_resp_init(&resp);
    c12_rc rc = c12_buf_printf(&url, "%s/login", w->cfg.base_url);
    if (rc) rc = c12_fail(err, rc, "watttime login: out of memory");
    const char *headers[] = {"Accept: application/json", NULL};
    c12_carbon_http_req req = {url.data, headers, w->user, w->pass, w->cfg.connect_timeout_ms,
                               w->cfg.timeout_ms, 64 * 1024};
    if (rc == C12_OK) rc = c12_carbon_http_fetch(&req, "watttime login", &resp, retry_after, err);
    char *token = NULL;
    if (rc == C12_OK) rc = c12_carbon_parse_wt_login(resp.body.data, resp.body.len, &token, err);
    if (rc == C12_OK) {
        size_t n = strlen(token) + sizeof "Authorization: Bearer ";
        w->bearer = c12_malloc(n);
        if (!w->bearer) {
            c12_free(token);
            rc = c12_fail(err, C12_ERR_NOMEM, "watttime login: out of memory");
        } else {
            snprintf(w->bearer, n, "Authorization: Bearer %s", token);
            w->token = token;
            w->token_ms = now_ms;
            w->logins++;
        }
    }
    c12_carbon_http_resp_free(&resp);
    c12_buf_free(&url);
    return rc;
}

/* GET base_url + path ?region=R&signal_type=S with the bearer token; one
 * fresh login and retry when the token is refused. */
static c12_rc wt_get(wt_prov *w, int64_t now_ms, const char *path, const char *what,
                     c12_carbon_wt_signal *sig, int64_t *retry_after, c12_err *err)
{
    c12_buf url;
    c12_buf_init(&url, 0);
    c12_rc rc = c12_buf_printf(&url, "%s%s?region=", w->cfg.base_url, path);
    if (rc == C12_OK) rc = c12_carbon_http_escape(&url, w->cfg.region);
    if (rc == C12_OK) rc = c12_buf_puts(&url, "&signal_type=");
    if (rc == C12_OK) rc = c12_carbon_http_escape(&url, w->cfg.signal_type);
    if (rc) {
        c12_buf_free(&url);
        return c12_fail(err, rc, "%s: out of memory", what);
    }
    c12_carbon_http_resp resp;
    c12_carbon_http_resp_init(&resp);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!w->token || now_ms - w->token_ms >= TOKEN_LIFE_MS - TOKEN_MARGIN_MS)
            if ((rc = wt_login(w, now_ms, retry_after, err))) break;
        const char *headers[] = {w->bearer, "Accept: application/json", NULL};
        c12_carbon_http_req req = {url.data, headers, NULL, NULL, w->cfg.connect_timeout_ms,
                                   w->cfg.timeout_ms, 0};
        rc = c12_carbon_http_fetch(&req, what, &resp, retry_after, err);
        if (rc == C12_ERR_AUTH && resp.status == 401 && attempt == 0) {
            drop_token(w); /* expired or revoked: log in again once */
            continue;
        }
        break;
    }
    if (rc == C12_OK) rc = c12_carbon_parse_wt_signal(resp.body.data, resp.body.len, sig, err);
    c12_carbon_http_resp_free(&resp);
    c12_buf_free(&url);
    return rc;
}

static c12_rc wt_fetch_inner(wt_prov *w, int64_t now_ms, int want_forecast, c12_carbon_fetch *out,
                             c12_err *err)
{
    c12_carbon_wt_signal idx, fc;
    memset(&idx, 0, sizeof idx);
    memset(&fc, 0, sizeof fc);
    c12_rc rc = wt_get(w, now_ms, "/v3/signal-index", "watttime signal-index", &idx, &out->retry_after_ms, err);
    if (rc == C12_OK) rc = wt_get(w, now_ms, "/v3/forecast", "watttime forecast", &fc, &out->retry_after_ms, err);
    if (rc == C12_OK && fc.is_percentile)
        rc = c12_fail(err, C12_ERR_FORMAT, "watttime forecast: expected a MOER, got percentiles");
    if (rc == C12_OK) {
        c12_carbon_reading *r = &out->reading;
        const c12_carbon_point *now = &fc.pts.pts[0];
        r->value = now->value;
        r->from_ms = now->from_ms;
        r->to_ms = now->to_ms;
        r->kind = C12_CARBON_MARGINAL;
        r->is_forecast = 1; /* WattTime's estimate for the current five minutes */
        r->percentile = idx.is_percentile ? idx.pts.pts[idx.pts.n - 1].value : -1;
        snprintf(r->source_unit, sizeof r->source_unit, "%s", fc.units);
        snprintf(r->region, sizeof r->region, "%s", fc.region[0] ? fc.region : w->cfg.region);
        strcpy(r->type, "watttime");
        if (want_forecast) {
            c12_carbon_series_free(&out->forecast);
            out->forecast = fc.pts;
            c12_carbon_series_init(&fc.pts);
        }
    }
    c12_carbon_wt_signal_free(&idx);
    c12_carbon_wt_signal_free(&fc);
    return rc;
}

static c12_rc wt_fetch(void *self, int64_t now_ms, int want_forecast, c12_carbon_fetch *out, c12_err *err)
{
    wt_prov *w = self;
    c12_rc rc = wt_fetch_inner(w, now_ms, want_forecast, out, err);
    if (rc) {
        c12_err_redact(err, w->pass);
        c12_err_redact(err, w->token);
    }
    return rc;
}

const c12_carbon_provider_ops c12_carbon_watttime_ops = {
    .type = "watttime",
    .own_forecast = 1,
    .uses_region = 1,
    .defaults = wt_defaults,
    .check = wt_check,
    .create = wt_create,
    .destroy = wt_destroy,
    .fetch = wt_fetch,
};
