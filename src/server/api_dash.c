/* api_dash.c - the dashboard's live state: GET /dashboard/api/grid (the
 * carbon intensity now, the last hours, the forecast and its cleanest
 * window, every provider's health) and /dashboard/api/status (the pool,
 * the ledger, the batches and the fleet's sites: api_dash_sites.c). What
 * the ledger holds is api_dash_ledger.c's. docs/api.md documents the
 * shapes; times are Unix seconds, as OpenAI's `created`.
 *
 * A C12 without carbon data or traffic answers 200 with empty parts and a
 * note saying why, never an error: the page explains an empty state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carbon/carbon_cache.h"
#include "ledger/ledger.h"
#include "server/server_impl.h"

static json_t *points(const c12_carbon_series *s)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < s->n; i++)
        json_array_append_new(a, json_pack("[I, I, f]", (json_int_t)(s->pts[i].from_ms / 1000),
                                           (json_int_t)(s->pts[i].to_ms / 1000), s->pts[i].value));
    return a;
}

int c12_dash_int_arg(struct MHD_Connection *c, const char *name, long lo, long hi, long *inout, char *msg,
                     size_t cap)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    if (!v) return 1;
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end || x < lo || x > hi) {
        snprintf(msg, cap, "'%s' must be a whole number from %ld to %ld.", name, lo, hi);
        return 0;
    }
    *inout = x;
    return 1;
}

static json_t *reading_obj(const c12_carbon_answer *a)
{
    const c12_carbon_reading *r = &a->reading;
    return json_pack("{s:f, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:f, s:b}", "value", r->value, "unit", C12_CARBON_UNIT,
                     "kind", c12_carbon_kind_name(r->kind), "provider", r->provider, "type", r->type, "region",
                     r->region, "from", (json_int_t)(r->from_ms / 1000), "to", (json_int_t)(r->to_ms / 1000),
                     "age_s", (double)a->age_ms / 1000.0, "is_forecast", r->is_forecast);
}

static json_t *providers_arr(c12_carbon_cache *cc)
{
    c12_carbon_status st[C12_CARBON_MAX_PROVIDERS];
    size_t n = c12_carbon_cache_status(cc, st, C12_CARBON_MAX_PROVIDERS);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:i, s:I, s:I, s:s*}", "name",
                                           st[i].provider, "type", st[i].type, "region", st[i].region,
                                           "has_reading", st[i].has_reading,
                                           "value", st[i].has_reading ? json_real(st[i].value) : json_null(),
                                           "age_s", st[i].age_ms >= 0 ? json_real((double)st[i].age_ms / 1000.0)
                                                                      : json_null(),
                                           "errors", (int)st[i].errors, "fetches", (json_int_t)st[i].fetches,
                                           "failures", (json_int_t)st[i].failures, "last_error",
                                           st[i].last_error[0] ? st[i].last_error : NULL));
    return a;
}

/* The grid: now, the last `back` hours, the next `ahead`, and the cleanest
 * `window`-hour stretch of that forecast. */
static json_t *grid_obj(c12_carbon_cache *cc, long back, long ahead, long window)
{
    c12_carbon_answer a;
    c12_carbon_series hist, fc;
    c12_carbon_series_init(&hist);
    c12_carbon_series_init(&fc);
    c12_err err, herr, ferr;
    int have_now = c12_carbon_cache_now(cc, &a, &err) == C12_OK;
    c12_carbon_cache_history(cc, (int)back, &hist, NULL, &herr);
    int have_fc = c12_carbon_cache_forecast(cc, (int)ahead, &fc, NULL, &ferr) == C12_OK;
    c12_carbon_point best;
    int have_best = have_fc && c12_carbon_cleanest(&fc, window * C12_CARBON_HOUR_MS, &best) == C12_OK;
    json_t *o = json_pack("{s:s, s:o, s:s*, s:{s:I, s:o}, s:{s:I, s:s*, s:o, s:s*}, s:o, s:o}", "object",
                          "c12.grid", "now", have_now ? reading_obj(&a) : json_null(), "note",
                          have_now ? NULL : err.msg, "history", "hours", (json_int_t)back, "points", points(&hist),
                          "forecast", "hours", (json_int_t)ahead, "by", have_now && have_fc ? a.forecast_by : NULL,
                          "points", points(&fc), "note", have_fc ? NULL : ferr.msg, "cleanest",
                          have_best ? json_pack("{s:I, s:I, s:f, s:I}", "from", (json_int_t)(best.from_ms / 1000),
                                                "to", (json_int_t)(best.to_ms / 1000), "mean", best.value,
                                                "window_h", (json_int_t)window)
                                    : json_null(),
                          "providers", providers_arr(cc));
    c12_carbon_series_free(&hist);
    c12_carbon_series_free(&fc);
    return o;
}

enum MHD_Result c12_api_dash_grid(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    long back = 24, ahead = 48, window = 1;
    char msg[128];
    if (!c12_dash_int_arg(c, "hours_back", 1, 14 * 24, &back, msg, sizeof msg) ||
        !c12_dash_int_arg(c, "hours_ahead", 1, 48, &ahead, msg, sizeof msg) ||
        !c12_dash_int_arg(c, "window_h", 1, 24, &window, msg, sizeof msg))
        return c12_http_error(c, 400, "invalid_request_error", NULL, "invalid_value", msg);
    if (!s->deps.carbon)
        return c12_http_json(c, 200, json_pack("{s:s, s:n, s:s, s:{s:[]}, s:{s:[]}, s:n, s:[]}", "object", "c12.grid",
                                               "now", "note", "carbon data is off in this server", "history",
                                               "points", "forecast", "points", "cleanest", "providers"));
    return c12_http_json(c, 200, grid_obj(s->deps.carbon, back, ahead, window));
}

static const char *state_name(c12_model_state st)
{
    static const char *const NAMES[] = {"unloaded", "loading", "loaded"};
    return st <= C12_MODEL_LOADED ? NAMES[st] : "unknown";
}

static json_t *pool_obj(const c12_server *s)
{
    c12_pool_model_stats ms[C12_CFG_MAX_MODELS];
    c12_pool_stats st;
    size_t n = c12_pool_get_stats(s->pool, &st, ms, C12_CFG_MAX_MODELS);
    json_t *models = json_array();
    for (size_t i = 0; models && i < n; i++)
        json_array_append_new(models, json_pack("{s:s, s:s, s:I, s:i, s:i, s:i, s:I, s:I, s:b}", "id", ms[i].id,
                                                "state", state_name(ms[i].state), "bytes", (json_int_t)ms[i].bytes,
                                                "busy", ms[i].busy, "slots", s->cfg->models[i].slots, "queued",
                                                ms[i].queued, "loads", (json_int_t)ms[i].loads, "evictions",
                                                (json_int_t)ms[i].evictions, "default",
                                                i == s->cfg->default_model));
    return json_pack("{s:I, s:I, s:i, s:o}", "used_bytes", (json_int_t)st.used_bytes, "budget_bytes",
                     (json_int_t)st.budget_bytes, "queued", st.queued, "models", models);
}

static json_t *ledger_obj(const c12_server *s)
{
    if (!s->deps.ledger) return json_null();
    c12_ledger_stats st;
    c12_ledger_get_stats(s->deps.ledger, &st);
    return json_pack("{s:I, s:I, s:I, s:I, s:I}", "accepted", (json_int_t)st.accepted, "committed",
                     (json_int_t)st.committed, "refused", (json_int_t)st.refused, "commit_errors",
                     (json_int_t)st.commit_errors, "queued", (json_int_t)st.queued);
}

/* Batches by status, lines pending, hours deferred, CO2 avoided (null: the
 * Batch API is off, or its store did not answer). */
static json_t *batches_obj(const c12_server *s)
{
    c12_bstore_stats st;
    c12_err err;
    if (!s->deps.batches || c12_bstore_get_stats(s->deps.batches, &st, &err)) return json_null();
    return c12_bstore_stats_json(&st);
}

enum MHD_Result c12_api_dash_status(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    long long now = (long long)time(NULL);
    return c12_http_json(c, 200, json_pack("{s:s, s:I, s:I, s:i, s:o, s:o, s:o, s:o}", "object", "c12.status",
                                           "started", (json_int_t)s->started, "now", (json_int_t)now, "in_flight",
                                           atomic_load(&s->in_flight) - 1 /* not this one */, "pool", pool_obj(s),
                                           "ledger", ledger_obj(s), "batches", batches_obj(s), "sites",
                                           c12_dash_sites(s)));
}
