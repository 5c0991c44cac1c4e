/* prov_em.c - Electricity Maps v3: GET /v3/carbon-intensity/latest and
 * /forecast for a zone, the API key in the `auth-token` header and nowhere
 * else (not in the URL, not in a message). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "carbon/carbon_config.h"
#include "carbon/carbon_http.h"
#include "carbon/carbon_parse.h"

typedef struct em_prov {
    c12_carbon_provider_cfg cfg;
    char *key_header; /* "auth-token: KEY", NULL when the variable is unset */
    const char *key;  /* points into key_header, for redaction */
} em_prov;

static void em_defaults(c12_carbon_provider_cfg *p)
{
    snprintf(p->base_url, sizeof p->base_url, "https://api.electricitymap.org");
    snprintf(p->api_key_env, sizeof p->api_key_env, "ELECTRICITYMAPS_API_KEY");
}

static c12_rc em_check(const c12_carbon_provider_cfg *p, const char *where, c12_err *err)
{
    c12_rc rc = c12_carbon_require(p, p->region, "zone", where, err);
    if (rc == C12_OK) rc = c12_carbon_require(p, p->api_key_env, "api_key_env", where, err);
    return rc;
}

static c12_rc em_create(const c12_carbon_provider_cfg *cfg, int64_t now_ms, void **out, c12_err *err)
{
    (void)now_ms;
    em_prov *e = c12_calloc(1, sizeof *e);
    if (!e) return c12_fail(err, C12_ERR_NOMEM, "electricitymaps: out of memory");
    e->cfg = *cfg;
    /* A missing key is not fatal here: fetch fails, and the chain falls back. */
    const char *key = getenv(cfg->api_key_env);
    if (key && *key) {
        size_t n = strlen("auth-token: ") + strlen(key) + 1;
        e->key_header = c12_malloc(n);
        if (!e->key_header) {
            c12_free(e);
            return c12_fail(err, C12_ERR_NOMEM, "electricitymaps: out of memory");
        }
        snprintf(e->key_header, n, "auth-token: %s", key);
        e->key = e->key_header + strlen("auth-token: ");
    }
    *out = e;
    return C12_OK;
}

static void em_destroy(void *self)
{
    em_prov *e = self;
    if (!e) return;
    c12_free(e->key_header);
    c12_free(e);
}

/* GET base_url + path + "?zone=Z" into resp. */
static c12_rc em_get(em_prov *e, const char *path, const char *what, c12_carbon_http_resp *resp,
                     int64_t *retry_after, c12_err *err)
{
    c12_buf url;
    c12_buf_init(&url, 0);
    c12_rc rc = c12_buf_printf(&url, "%s%s?zone=", e->cfg.base_url, path);
    if (rc == C12_OK) rc = c12_carbon_http_escape(&url, e->cfg.region);
    if (rc) {
        c12_buf_free(&url);
        return c12_fail(err, rc, "%s: out of memory", what);
    }
    const char *headers[] = {e->key_header, "Accept: application/json", NULL};
    c12_carbon_http_req req = {url.data, headers, NULL, NULL, e->cfg.connect_timeout_ms,
                               e->cfg.timeout_ms, 0};
    rc = c12_carbon_http_fetch(&req, what, resp, retry_after, err);
    c12_buf_free(&url);
    return rc;
}

static c12_rc em_fetch_inner(em_prov *e, int want_forecast, c12_carbon_fetch *out, c12_err *err)
{
    if (!e->key)
        return c12_fail(err, C12_ERR_AUTH, "electricitymaps: environment variable %s is not set",
                        e->cfg.api_key_env);
    c12_carbon_http_resp resp;
    c12_carbon_http_resp_init(&resp);
    c12_rc rc = em_get(e, "/v3/carbon-intensity/latest", "electricitymaps latest", &resp,
                       &out->retry_after_ms, err);
    if (rc == C12_OK) rc = c12_carbon_parse_em_latest(resp.body.data, resp.body.len, &out->reading, err);
    if (rc == C12_OK && want_forecast) {
        /* A failed forecast leaves out->forecast empty: the reading still counts. */
        c12_err ferr;
        if (em_get(e, "/v3/carbon-intensity/forecast", "electricitymaps forecast", &resp, NULL, &ferr) ==
            C12_OK)
            c12_carbon_parse_em_forecast(resp.body.data, resp.body.len, &out->forecast, &ferr);
    }
    c12_carbon_http_resp_free(&resp);
    if (rc == C12_OK && !out->reading.region[0])
        snprintf(out->reading.region, sizeof out->reading.region, "%s", e->cfg.region);
    return rc;
}

static c12_rc em_fetch(void *self, int64_t now_ms, int want_forecast, c12_carbon_fetch *out, c12_err *err)
{
    (void)now_ms;
    em_prov *e = self;
    c12_rc rc = em_fetch_inner(e, want_forecast, out, err);
    if (rc) c12_err_redact(err, e->key);
    return rc;
}

const c12_carbon_provider_ops c12_carbon_em_ops = {
    .type = "electricitymaps",
    .own_forecast = 1,
    .uses_region = 1,
    .defaults = em_defaults,
    .check = em_check,
    .create = em_create,
    .destroy = em_destroy,
    .fetch = em_fetch,
};
