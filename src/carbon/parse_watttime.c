/* parse_watttime.c - WattTime v3 responses (see carbon_parse.h). */
#include <string.h>

#include "base/c12_alloc.h"
#include "carbon/carbon_json.h"
#include "carbon/carbon_parse.h"

/* A token longer than this is not a JWT we want to hold on to. */
#define MAX_TOKEN 8192

c12_rc c12_carbon_parse_wt_login(const char *body, size_t len, char **token, c12_err *err)
{
    json_t *root;
    c12_rc rc = c12_carbon_json_load(body, len, "watttime login", &root, err);
    if (rc) return rc;
    const char *t = json_string_value(json_object_get(root, "token"));
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > MAX_TOKEN) {
        rc = c12_fail(err, C12_ERR_FORMAT, "watttime login: no usable \"token\" in the answer");
    } else {
        char *copy = c12_strndup(t, n);
        if (!copy) rc = c12_fail(err, C12_ERR_NOMEM, "watttime login: out of memory");
        else *token = copy;
    }
    json_decref(root);
    return rc;
}

void c12_carbon_wt_signal_free(c12_carbon_wt_signal *s) { c12_carbon_series_free(&s->pts); }

/* The conversion factor for a units string; 0 when C12 does not know it. */
static double units_factor(const char *units, int *is_percentile)
{
    *is_percentile = 0;
    if (!strcmp(units, "lbs_co2_per_mwh")) return C12_CARBON_LBS_MWH_TO_G_KWH;
    if (!strcmp(units, "g_co2_per_kwh") || !strcmp(units, "kg_co2_per_mwh")) return 1.0;
    if (!strcmp(units, "percentile")) {
        *is_percentile = 1;
        return 1.0;
    }
    return 0;
}

static c12_rc read_points(const json_t *data, double factor, int is_pct, int64_t step,
                          c12_carbon_series *s, c12_err *err)
{
    double hi = is_pct ? 100.0 : C12_CARBON_MAX_G_KWH / factor;
    for (size_t i = 0; i < json_array_size(data); i++) {
        const json_t *it = json_array_get(data, i);
        double v;
        int64_t t;
        if (!c12_carbon_json_num(it, "value", 0, hi, &v) || !c12_carbon_json_time(it, "point_time", &t))
            return c12_fail(err, C12_ERR_FORMAT,
                            "watttime: data item %zu lacks a valid point_time/value", i);
        if (s->n && t <= s->pts[s->n - 1].from_ms)
            return c12_fail(err, C12_ERR_FORMAT, "watttime: data item %zu out of order", i);
        if (c12_carbon_series_push(s, t, t + step, v * factor))
            return c12_fail(err, C12_ERR_NOMEM, "watttime: out of memory");
    }
    return C12_OK;
}

c12_rc c12_carbon_parse_wt_signal(const char *body, size_t len, c12_carbon_wt_signal *out,
                                  c12_err *err)
{
    json_t *root;
    c12_rc rc = c12_carbon_json_load(body, len, "watttime", &root, err);
    if (rc) return rc;
    c12_carbon_wt_signal w;
    memset(&w, 0, sizeof w);
    c12_carbon_series_init(&w.pts);
    const json_t *meta = json_object_get(root, "meta");
    const json_t *data = json_object_get(root, "data");
    double period = 300, factor = 0;
    if (!json_is_object(meta) || !json_is_array(data)) {
        rc = c12_fail(err, C12_ERR_FORMAT, "watttime: expected \"data\" array and \"meta\" object");
        goto done;
    }
    c12_carbon_json_str(meta, "units", w.units, sizeof w.units);
    c12_carbon_json_str(meta, "region", w.region, sizeof w.region);
    c12_carbon_json_str(meta, "signal_type", w.signal_type, sizeof w.signal_type);
    factor = units_factor(w.units, &w.is_percentile);
    if (factor == 0) {
        rc = c12_fail(err, C12_ERR_UNSUPPORTED, "watttime: unknown units \"%s\"", w.units);
        goto done;
    }
    c12_carbon_json_num(meta, "data_point_period_seconds", 1, 86400, &period);
    rc = read_points(data, factor, w.is_percentile, (int64_t)period * 1000, &w.pts, err);
    if (rc == C12_OK && w.pts.n == 0) rc = c12_fail(err, C12_ERR_FORMAT, "watttime: empty \"data\"");
done:
    json_decref(root);
    if (rc) {
        c12_carbon_wt_signal_free(&w);
        return rc;
    }
    c12_carbon_wt_signal_free(out);
    *out = w;
    return C12_OK;
}
