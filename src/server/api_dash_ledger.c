/* api_dash_ledger.c - what the ledger holds, for the dashboard:
 * GET /dashboard/api/decisions (the last requests: model, route, tokens,
 * J, g, status; never prompts, which the ledger does not keep),
 * /dashboard/api/summary (c12 report's document for a span) and
 * /dashboard/api/series (the same totals in time buckets by model and by
 * category). They read through the server's open ledger after a flush, so
 * a request answered before the call is counted. */
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_clock.h"
#include "ledger/ledger.h"
#include "ledger/report.h"
#include "server/server_impl.h"

/* How long a dashboard call waits for rows still queued for the writer. */
#define FLUSH_MS 2000
#define DECISIONS_MAX 1000
/* Series buckets: a minute to a week. */
#define STEP_MIN_S 60
#define STEP_MAX_S (7 * 86400)

static enum MHD_Result bad_arg(struct MHD_Connection *c, const char *param, const char *msg)
{
    return c12_http_error(c, 400, "invalid_request_error", param, "invalid_value", msg);
}

/* since (default 24h) and until (default: none) as c12 report reads them:
 * a span back from now, "all", or an ISO-8601 time. */
static int window_args(struct MHD_Connection *c, c12_ledger_filter *f, const char **param, c12_err *err)
{
    const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
    const char *until = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "until");
    return c12_report_parse_window(since ? since : "24h", until, c12_clock_real_ms(), f, param, err) == C12_OK;
}

/* A report for f, priced on the current policy against its strongest and
 * the configured default model, as c12 report does. */
static c12_rc priced_report(c12_server *s, const c12_ledger_filter *f, c12_report *out, c12_err *err)
{
    c12_ledger_flush(s->deps.ledger, FLUSH_MS, err);
    c12_rc rc = c12_report_from_ledger(s->deps.ledger, f, out, err);
    if (rc) return rc;
    c12_policy *pol = s->deps.policy ? c12_policy_slot_get(s->deps.policy) : NULL;
    const c12_model_cfg *m = &s->cfg->models[s->cfg->default_model];
    c12_report_price(out, pol, NULL, c12_policy_model_name(pol, m->id, m->source));
    if (pol) c12_policy_unref(pol);
    return C12_OK;
}

static json_t *decision_obj(const c12_ledger_row *r)
{
    return json_pack("{s:s, s:I, s:s, s:s, s:f, s:s, s:I, s:I, s:f, s:f, s:f, s:s, s:f, s:s, s:s, s:s, s:s, s:s}", "request_id",
                     r->request_id, "created", (json_int_t)(r->time_ms / 1000), "model", r->model, "category",
                     r->category, "complexity", r->complexity, "route", r->route_reason, "prompt_tokens",
                     (json_int_t)r->prompt_tokens, "completion_tokens", (json_int_t)r->completion_tokens,
                     "total_ms", r->total_ms, "energy_j", r->energy_j, "co2_g", r->co2_g, "energy_method",
                     r->energy_method, "intensity", r->intensity, "intensity_provider", r->intensity_provider,
                     "status", r->status, "directive", r->directive, "site", r->site, "site_region", r->site_region);
}

enum MHD_Result c12_api_dash_decisions(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    long limit = 50;
    char msg[128];
    if (!c12_dash_int_arg(c, "limit", 1, DECISIONS_MAX, &limit, msg, sizeof msg))
        return c12_http_error(c, 400, "invalid_request_error", "limit", "invalid_value", msg);
    json_t *data = json_array();
    if (!s->deps.ledger) return c12_http_json(c, 200, json_pack("{s:s, s:o}", "object", "list", "data", data));
    c12_ledger_row *rows = c12_calloc((size_t)limit, sizeof *rows);
    size_t n = 0;
    c12_err err;
    c12_ledger_flush(s->deps.ledger, FLUSH_MS, &err);
    c12_rc rc = rows ? c12_ledger_recent(s->deps.ledger, 0, (size_t)limit, rows, &n, &err)
                     : c12_fail(&err, C12_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == C12_OK && data && i < n; i++) json_array_append_new(data, decision_obj(&rows[i]));
    c12_free(rows);
    if (rc) {
        json_decref(data);
        return c12_http_rc_error_h(c, rc, err.msg, NULL, NULL);
    }
    return c12_http_json(c, 200, json_pack("{s:s, s:o}", "object", "list", "data", data));
}

static enum MHD_Result no_ledger(struct MHD_Connection *c)
{
    return c12_http_error(c, 404, "invalid_request_error", NULL, "not_found", "This server keeps no ledger.");
}

enum MHD_Result c12_api_dash_summary(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    c12_ledger_filter f = {.by = C12_LEDGER_BY_ALL};
    const char *param;
    c12_err err;
    if (!window_args(c, &f, &param, &err)) return bad_arg(c, param, err.msg);
    if (!s->deps.ledger) return no_ledger(c);
    c12_report rep;
    if (priced_report(s, &f, &rep, &err)) return c12_http_error(c, 500, "server_error", NULL, "ledger_failed", err.msg);
    json_t *doc = c12_report_json(&rep);
    c12_report_free(&rep);
    if (doc) json_object_set_new(doc, "object", json_string("c12.summary"));
    return c12_http_json(c, 200, doc);
}

/* The rows of a one-table report by time bucket and `by2`. */
static c12_rc series_rows(c12_server *s, c12_ledger_filter f, c12_ledger_group by2, json_t **rows, json_t **cfs,
                          c12_err *err)
{
    f.by = C12_LEDGER_BY_STEP;
    f.by2 = by2;
    c12_report rep;
    c12_rc rc = priced_report(s, &f, &rep, err);
    if (rc) return rc;
    json_t *doc = c12_report_json(&rep);
    c12_report_free(&rep);
    json_t *t = doc ? json_array_get(json_object_get(doc, "tables"), 0) : NULL;
    *rows = t ? json_incref(json_object_get(t, "rows")) : NULL;
    if (cfs && doc) *cfs = json_incref(json_object_get(doc, "counterfactuals"));
    json_decref(doc);
    return *rows ? C12_OK : c12_fail(err, C12_ERR_NOMEM, "out of memory");
}

enum MHD_Result c12_api_dash_series(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    c12_ledger_filter f = {0};
    const char *param;
    c12_err err;
    long step = 3600;
    char msg[128];
    if (!c12_dash_int_arg(c, "step", STEP_MIN_S, STEP_MAX_S, &step, msg, sizeof msg)) return bad_arg(c, "step", msg);
    if (!window_args(c, &f, &param, &err)) return bad_arg(c, param, err.msg);
    if (!s->deps.ledger) return no_ledger(c);
    f.step_ms = step * 1000;
    json_t *by_model = NULL, *by_category = NULL, *cfs = NULL;
    c12_rc rc = series_rows(s, f, C12_LEDGER_BY_MODEL, &by_model, &cfs, &err);
    if (rc == C12_OK) rc = series_rows(s, f, C12_LEDGER_BY_CATEGORY, &by_category, NULL, &err);
    if (rc) {
        json_decref(by_model);
        json_decref(cfs);
        if (rc == C12_ERR_RANGE) return bad_arg(c, "step", err.msg); /* too many buckets */
        return c12_http_error(c, 500, "server_error", NULL, "ledger_failed", err.msg);
    }
    return c12_http_json(c, 200, json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:o}", "object", "c12.series", "step_s",
                                           (json_int_t)step, "since_ms", (json_int_t)f.since_ms, "until_ms",
                                           (json_int_t)f.until_ms, "counterfactuals", cfs, "by_model", by_model,
                                           "by_category", by_category));
}
