/* parse_em.c - Electricity Maps v3 responses (see carbon_parse.h). */
#include <string.h>

#include "carbon/carbon_json.h"
#include "carbon/carbon_parse.h"

/* Length of one value's interval from "temporalGranularity" (hourly when absent). */
static int64_t granularity_ms(const json_t *root)
{
    const char *g = json_string_value(json_object_get(root, "temporalGranularity"));
    if (!g) return C12_CARBON_HOUR_MS;
    if (!strcmp(g, "5_minutes")) return 5 * 60000LL;
    if (!strcmp(g, "15_minutes")) return 15 * 60000LL;
    if (!strcmp(g, "daily")) return C12_CARBON_DAY_MS;
    return C12_CARBON_HOUR_MS;
}

c12_rc c12_carbon_parse_em_latest(const char *body, size_t len, c12_carbon_reading *out,
                                  c12_err *err)
{
    json_t *root;
    c12_rc rc = c12_carbon_json_load(body, len, "electricitymaps latest", &root, err);
    if (rc) return rc;
    c12_carbon_reading r;
    c12_carbon_reading_init(&r);
    int64_t from;
    if (!c12_carbon_json_num(root, "carbonIntensity", 0, C12_CARBON_MAX_G_KWH, &r.value)) {
        rc = c12_fail(err, C12_ERR_FORMAT,
                      "electricitymaps latest: \"carbonIntensity\" missing, null or out of range");
    } else if (!c12_carbon_json_time(root, "datetime", &from)) {
        rc = c12_fail(err, C12_ERR_FORMAT, "electricitymaps latest: \"datetime\" missing or malformed");
    } else {
        r.from_ms = from;
        r.to_ms = from + granularity_ms(root);
        r.kind = C12_CARBON_AVERAGE;
        c12_carbon_json_str(root, "zone", r.region, sizeof r.region);
        strcpy(r.source_unit, "gCO2eq/kWh");
        strcpy(r.type, "electricitymaps");
        r.is_forecast = json_is_true(json_object_get(root, "isEstimated"));
        *out = r;
    }
    json_decref(root);
    return rc;
}

c12_rc c12_carbon_parse_em_forecast(const char *body, size_t len, c12_carbon_series *out,
                                    c12_err *err)
{
    json_t *root;
    c12_rc rc = c12_carbon_json_load(body, len, "electricitymaps forecast", &root, err);
    if (rc) return rc;
    const json_t *arr = json_object_get(root, "forecast");
    if (!json_is_array(arr)) {
        json_decref(root);
        return c12_fail(err, C12_ERR_FORMAT, "electricitymaps forecast: \"forecast\" is not an array");
    }
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    int64_t step = granularity_ms(root);
    for (size_t i = 0; i < json_array_size(arr) && rc == C12_OK; i++) {
        const json_t *it = json_array_get(arr, i);
        double v;
        int64_t t;
        if (!c12_carbon_json_num(it, "carbonIntensity", 0, C12_CARBON_MAX_G_KWH, &v) ||
            !c12_carbon_json_time(it, "datetime", &t)) {
            rc = c12_fail(err, C12_ERR_FORMAT,
                          "electricitymaps forecast: item %zu lacks a valid carbonIntensity/datetime", i);
        } else if (s.n && t <= s.pts[s.n - 1].from_ms) {
            rc = c12_fail(err, C12_ERR_FORMAT, "electricitymaps forecast: item %zu out of order", i);
        } else {
            rc = c12_carbon_series_push(&s, t, t + step, v);
            if (rc) c12_fail(err, rc, "electricitymaps forecast: out of memory");
        }
    }
    json_decref(root);
    if (rc) {
        c12_carbon_series_free(&s);
        return rc;
    }
    c12_carbon_series_free(out);
    *out = s;
    return C12_OK;
}
