/* carbon_parse.h - pure parsers: a provider's response bytes -> readings.
 *
 * No I/O, no clock: the caller stamps fetched_ms and provider names. Every
 * value leaves in gCO2eq/kWh; the wire unit is kept in source_unit. These are
 * what the unit tests and the libFuzzer targets (tests/fuzz/fuzz_carbon_*.c)
 * call. Bodies need not be NUL-terminated. Out-params are set only on
 * success. */
#ifndef C12_CARBON_PARSE_H
#define C12_CARBON_PARSE_H

#include "carbon/carbon.h"

/* Largest plausible intensity, in gCO2eq/kWh; above it a value is malformed. */
#define C12_CARBON_MAX_G_KWH 5000.0

/* ---- Electricity Maps v3 ----
 * GET /v3/carbon-intensity/latest?zone=Z -> {"zone", "carbonIntensity",
 *   "datetime", "updatedAt", "emissionFactorType", "isEstimated", ...}
 * GET /v3/carbon-intensity/forecast?zone=Z -> {"zone", "forecast":
 *   [{"carbonIntensity", "datetime"}...], "updatedAt"} */
c12_rc c12_carbon_parse_em_latest(const char *body, size_t len, c12_carbon_reading *out,
                                  c12_err *err);
c12_rc c12_carbon_parse_em_forecast(const char *body, size_t len, c12_carbon_series *out,
                                    c12_err *err);

/* ---- WattTime v3 ----
 * GET /login (HTTP Basic) -> {"token": "..."}
 * GET /v3/signal-index, /v3/forecast -> {"data": [{"point_time", "value"}...],
 *   "meta": {"region", "signal_type", "units", "data_point_period_seconds", ...}}
 * units "lbs_co2_per_mwh" are converted to gCO2eq/kWh; "percentile" (the
 * signal index, 0..100) is kept as is with is_percentile set. */
c12_rc c12_carbon_parse_wt_login(const char *body, size_t len, char **token, c12_err *err);

typedef struct c12_carbon_wt_signal {
    c12_carbon_series pts; /* g/kWh, or percentiles when is_percentile */
    int is_percentile;
    char units[24];
    char region[64];
    char signal_type[24];
} c12_carbon_wt_signal;

void c12_carbon_wt_signal_free(c12_carbon_wt_signal *s);
c12_rc c12_carbon_parse_wt_signal(const char *body, size_t len, c12_carbon_wt_signal *out,
                                  c12_err *err);

/* ---- UK Carbon Intensity API (NESO) ----
 * National: GET /intensity, /intensity/{from}/fw48h -> {"data": [{"from",
 *   "to", "intensity": {"forecast", "actual", "index"}}...]}
 * Regional: GET /regional/regionid/{id} -> {"data": [{"regionid", "shortname",
 *   "data": [item...]}]}; /regional/intensity/{from}/fw48h/regionid/{id}
 *   -> {"data": {"regionid", ..., "data": [item...]}}. Regional items have no
 *   "actual". `actual` may be null: the item's value is then its forecast. */
typedef struct c12_carbon_uk_item {
    int64_t from_ms;
    int64_t to_ms;
    double value;    /* actual when present, else forecast */
    int has_actual;
    char index[16];
} c12_carbon_uk_item;

typedef struct c12_carbon_uk_list {
    c12_carbon_uk_item *items;
    size_t n;
    char region[64]; /* "GB" or the regional shortname */
} c12_carbon_uk_list;

void c12_carbon_uk_list_free(c12_carbon_uk_list *l);
c12_rc c12_carbon_parse_uk(const char *body, size_t len, c12_carbon_uk_list *out, c12_err *err);

/* ---- trace CSV ----
 * "datetime,intensity_gco2_per_kwh" header, then one "ISO-time,number" row per
 * interval, in increasing time. Each point covers up to the next row's time
 * (the last one: the median step). */
c12_rc c12_carbon_parse_trace_csv(const char *body, size_t len, c12_carbon_series *out,
                                  c12_err *err);

#endif
