/* cmd_carbon_print.c - `c12 carbon` output: tables on a terminal, JSON
 * (jansson, so strings are escaped) with --json. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "cmd_carbon.h"

static json_t *time_json(int64_t ms)
{
    char buf[32];
    c12_carbon_format_time(ms, buf, sizeof buf);
    return json_string(buf);
}

static void emit(FILE *out, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    if (s) fprintf(out, "%s\n", s);
    else fprintf(out, "null\n");
    free(s);
    json_decref(j);
    fflush(out);
}

static json_t *answer_json(const c12_carbon_answer *a)
{
    const c12_carbon_reading *r = &a->reading;
    json_t *j = json_object();
    json_object_set_new(j, "intensity", json_real(r->value));
    json_object_set_new(j, "unit", json_string(C12_CARBON_UNIT));
    json_object_set_new(j, "kind", json_string(c12_carbon_kind_name(r->kind)));
    json_object_set_new(j, "provider", json_string(r->provider));
    json_object_set_new(j, "type", json_string(r->type));
    json_object_set_new(j, "region", json_string(r->region));
    json_object_set_new(j, "age_s", json_real((double)a->age_ms / 1000.0));
    json_object_set_new(j, "chain_position", json_integer((json_int_t)a->chain_pos));
    json_object_set_new(j, "from", time_json(r->from_ms));
    json_object_set_new(j, "to", time_json(r->to_ms));
    json_object_set_new(j, "fetched_at", time_json(r->fetched_ms));
    json_object_set_new(j, "is_forecast", json_boolean(r->is_forecast));
    json_object_set_new(j, "source_unit", json_string(r->source_unit));
    json_object_set_new(j, "percentile", r->percentile >= 0 ? json_real(r->percentile) : json_null());
    json_object_set_new(j, "index", r->index[0] ? json_string(r->index) : json_null());
    return j;
}

void carbon_print_now(FILE *out, const c12_carbon_answer *a, int json)
{
    if (json) {
        emit(out, answer_json(a));
        return;
    }
    const c12_carbon_reading *r = &a->reading;
    char from[32], to[32], at[32];
    c12_carbon_format_time(r->from_ms, from, sizeof from);
    c12_carbon_format_time(r->to_ms, to, sizeof to);
    c12_carbon_format_time(r->fetched_ms, at, sizeof at);
    fprintf(out, "intensity   %.1f %s (%s%s)\n", r->value, C12_CARBON_UNIT, c12_carbon_kind_name(r->kind),
            r->is_forecast ? ", provider's estimate" : "");
    fprintf(out, "provider    %s (type %s, chain position %zu)\n", r->provider, r->type, a->chain_pos + 1);
    fprintf(out, "region      %s\n", r->region);
    fprintf(out, "interval    %s .. %s\n", from, to);
    fprintf(out, "fetched     %s (%.0f s ago)\n", at, (double)a->age_ms / 1000.0);
    if (r->percentile >= 0) fprintf(out, "percentile  %.0f\n", r->percentile);
    if (r->index[0]) fprintf(out, "index       %s\n", r->index);
}

void carbon_print_forecast(FILE *out, const c12_carbon_series *s, const c12_carbon_answer *a, int json)
{
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < s->n; i++) {
            json_t *p = json_object();
            json_object_set_new(p, "from", time_json(s->pts[i].from_ms));
            json_object_set_new(p, "to", time_json(s->pts[i].to_ms));
            json_object_set_new(p, "intensity", json_real(s->pts[i].value));
            json_array_append_new(arr, p);
        }
        emit(out, arr);
        return;
    }
    fprintf(out, "forecast by %s, for provider %s (%s, region %s), %s\n\n", a->forecast_by,
            a->reading.provider, a->reading.type, a->reading.region, C12_CARBON_UNIT);
    fprintf(out, "%-22s %-22s %9s\n", "from", "to", "intensity");
    for (size_t i = 0; i < s->n; i++) {
        char from[32], to[32];
        c12_carbon_format_time(s->pts[i].from_ms, from, sizeof from);
        c12_carbon_format_time(s->pts[i].to_ms, to, sizeof to);
        fprintf(out, "%-22s %-22s %9.1f\n", from, to, s->pts[i].value);
    }
}

static json_t *per_hour(const c12_carbon_backtest_result *r, const double *v)
{
    json_t *o = json_object();
    for (size_t i = 0; i < r->n_h; i++) {
        char k[16];
        snprintf(k, sizeof k, "%d", r->hours[i]);
        json_object_set_new(o, k, isfinite(v[i]) ? json_real(round(v[i] * 100) / 100) : json_null());
    }
    return o;
}

void carbon_print_backtest(FILE *out, const char *trace, const c12_carbon_backtest_result *r, int json)
{
    if (json) {
        json_t *j = json_object();
        json_object_set_new(j, "mae", per_hour(r, r->mae));
        json_object_set_new(j, "persistence_mae", per_hour(r, r->persistence_mae));
        json_object_set_new(j, "unit", json_string(C12_CARBON_UNIT));
        json_object_set_new(j, "trace", json_string(trace));
        json_object_set_new(j, "step_minutes", json_integer((json_int_t)(r->step_ms / 60000)));
        json_object_set_new(j, "warmup_days", json_integer(r->warmup_days));
        json_t *pairs = json_object();
        for (size_t i = 0; i < r->n_h; i++) {
            char k[16];
            snprintf(k, sizeof k, "%d", r->hours[i]);
            json_object_set_new(pairs, k, json_integer((json_int_t)r->count[i]));
        }
        json_object_set_new(j, "pairs", pairs);
        emit(out, j);
        return;
    }
    fprintf(out, "backtest of %s (%lld-minute steps, first %d days warm-up)\n", trace,
            (long long)(r->step_ms / 60000), r->warmup_days);
    fprintf(out, "mean absolute error, %s\n\n", C12_CARBON_UNIT);
    fprintf(out, "%-8s %10s %16s %8s\n", "horizon", "c12", "persistence", "pairs");
    for (size_t i = 0; i < r->n_h; i++) {
        char h[16];
        snprintf(h, sizeof h, "%d h", r->hours[i]);
        fprintf(out, "%-8s %10.2f %16.2f %8zu\n", h, r->mae[i], r->persistence_mae[i], r->count[i]);
    }
}

void carbon_print_watch(FILE *out, int64_t now_ms, const c12_carbon_answer *a, const c12_err *err,
                        const c12_carbon_status *st, size_t n, int json)
{
    json_t *j = a ? answer_json(a) : json_object();
    json_object_set_new(j, "t", time_json(now_ms));
    json_object_set_new(j, "ok", json_boolean(a != NULL));
    if (!a) json_object_set_new(j, "error", json_string(err->msg));
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_object();
        json_object_set_new(p, "provider", json_string(st[i].provider));
        json_object_set_new(p, "type", json_string(st[i].type));
        json_object_set_new(p, "has_reading", json_boolean(st[i].has_reading));
        json_object_set_new(p, "age_s", st[i].has_reading ? json_real((double)st[i].age_ms / 1000.0) : json_null());
        json_object_set_new(p, "errors", json_integer(st[i].errors));
        json_object_set_new(p, "fetches", json_integer((json_int_t)st[i].fetches));
        json_object_set_new(p, "failures", json_integer((json_int_t)st[i].failures));
        json_object_set_new(p, "last_error", json_string(st[i].last_error));
        json_array_append_new(arr, p);
    }
    json_object_set_new(j, "providers", arr);
    if (json) {
        emit(out, j);
        return;
    }
    json_decref(j);
    char t[32];
    c12_carbon_format_time(now_ms, t, sizeof t);
    if (a)
        fprintf(out, "%s  %.1f %s from %s (%.0f s old)\n", t, a->reading.value, C12_CARBON_UNIT,
                a->reading.provider, (double)a->age_ms / 1000.0);
    else
        fprintf(out, "%s  no answer: %s\n", t, err->msg);
    fflush(out);
}
