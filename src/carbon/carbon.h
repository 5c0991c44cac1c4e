/* carbon.h - grid carbon intensity: readings, series and the provider interface.
 *
 * A provider (Electricity Maps, WattTime, the UK Carbon Intensity API, a CSV
 * trace, a static value) is one row in a table of c12_carbon_provider_ops. The
 * cache (carbon_cache.h) owns one instance per configured provider, calls
 * `fetch` from its background refresher only, and answers requests from what
 * it holds. Providers without a forecast of their own get C12's
 * (carbon_forecast.h). Parsing lives apart from fetching (carbon_parse.h) so that unit
 * tests and fuzzers reach the parsers without a network.
 *
 * Time is UTC everywhere, as int64 milliseconds since the Unix epoch. Every
 * value is in gCO2eq/kWh once it leaves a parser; what the provider sent is
 * kept in `source_unit`. */
#ifndef C12_CARBON_H
#define C12_CARBON_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"

#define C12_CARBON_UNIT "gCO2eq/kWh"
/* 1 lb/MWh = 453.59237 g / 1000 kWh. */
#define C12_CARBON_LBS_MWH_TO_G_KWH 0.45359237
#define C12_CARBON_HOUR_MS 3600000LL
#define C12_CARBON_DAY_MS (24 * C12_CARBON_HOUR_MS)

typedef enum {
    C12_CARBON_AVERAGE = 0, /* average emissions of the generation mix */
    C12_CARBON_MARGINAL,    /* emissions of the generator that follows load (MOER) */
} c12_carbon_kind;

const char *c12_carbon_kind_name(c12_carbon_kind k);

typedef struct c12_carbon_reading {
    double value;          /* gCO2eq/kWh */
    char source_unit[24];  /* unit on the wire, e.g. "lbs_co2_per_mwh" */
    c12_carbon_kind kind;
    char provider[32];     /* configured name (the chain uses these) */
    char type[24];         /* provider type, e.g. "watttime" */
    char region[64];       /* zone / region / "GB" */
    int64_t from_ms;       /* the interval the value covers */
    int64_t to_ms;
    int64_t fetched_ms;    /* when C12 obtained it */
    int is_forecast;       /* value is the provider's forecast (no measured value yet) */
    double percentile;     /* WattTime signal index 0..100, or -1 */
    char index[16];        /* UK index band ("moderate"...), or "" */
} c12_carbon_reading;

/* Clear r to an empty reading (percentile -1). */
void c12_carbon_reading_init(c12_carbon_reading *r);

typedef struct c12_carbon_point {
    int64_t from_ms;
    int64_t to_ms;
    double value; /* gCO2eq/kWh */
} c12_carbon_point;

typedef struct c12_carbon_series {
    c12_carbon_point *pts;
    size_t n;
    size_t cap;
} c12_carbon_series;

void c12_carbon_series_init(c12_carbon_series *s);
void c12_carbon_series_free(c12_carbon_series *s);
c12_rc c12_carbon_series_push(c12_carbon_series *s, int64_t from_ms, int64_t to_ms, double value);
/* Replace dst with a copy of src (dst keeps its old contents on failure). */
c12_rc c12_carbon_series_copy(c12_carbon_series *dst, const c12_carbon_series *src);

/* The window of width_ms that starts where an interval of s starts and
 * whose time-weighted mean intensity is lowest (the earliest of equals):
 * out's from/to and its mean as value. s is in time order; gaps count as
 * nothing. NOT_FOUND when s does not reach width_ms past any start. */
c12_rc c12_carbon_cleanest(const c12_carbon_series *s, int64_t width_ms, c12_carbon_point *out);
/* The time-weighted mean of s over [from_ms, to_ms) and how much of that
 * time s covers (*covered, ms; gaps count as nothing). NAN when none. */
double c12_carbon_mean(const c12_carbon_series *s, int64_t from_ms, int64_t to_ms, int64_t *covered);
/* ---- time (carbon_time.c) ---- */

/* Parse ISO-8601 UTC-or-offset time: "2023-01-01T00:00Z", "...:00.000Z",
 * "...+00:00", "2023-01-01 00:30" (taken as UTC). */
c12_rc c12_carbon_parse_time(const char *s, int64_t *out_ms);
/* Format as "YYYY-MM-DDTHH:MM:SSZ" into buf (>= 32 bytes). */
void c12_carbon_format_time(int64_t ms, char *buf, size_t size);
/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian). */
int64_t c12_carbon_days_from_civil(int64_t y, unsigned m, unsigned d);
void c12_carbon_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* The real UTC clock, in the shape of c12_carbon_clock_fn. */
int64_t c12_carbon_clock_real(void *ctx);

typedef int64_t (*c12_carbon_clock_fn)(void *ctx);

/* a / b rounded down (b > 0): the slot or day that holds a time before 1970 too. */
static inline int64_t c12_carbon_floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && a < 0);
}

/* ---- providers ---- */

struct c12_carbon_provider_cfg; /* carbon_config.h */

/* What one fetch brings back. */
typedef struct c12_carbon_fetch {
    c12_carbon_reading reading;
    c12_carbon_series forecast; /* the provider's own forecast, if asked and it has one */
    int forecast_by_c12;        /* the forecast came from C12's forecaster (trace) */
    c12_carbon_series past;     /* readings before this one the provider knows (a trace's
                                 * last day), for the cache's record; may stay empty */
    int64_t retry_after_ms;     /* > 0 when the provider asked us to wait (429/503) */
} c12_carbon_fetch;

void c12_carbon_fetch_init(c12_carbon_fetch *f);
void c12_carbon_fetch_free(c12_carbon_fetch *f);

typedef struct c12_carbon_provider_ops {
    const char *type;  /* "electricitymaps", "watttime", "ukgrid", "trace", "static" */
    /* 1: fetch fills out->forecast when asked; 0: the cache runs C12's
     * forecaster on its record of this provider's readings. */
    int own_forecast;
    int uses_region;   /* 1: cfg->region selects what is fetched (`--region` applies) */
    /* Type-specific defaults (base_url, TTL, variable names) for a fresh cfg. */
    void (*defaults)(struct c12_carbon_provider_cfg *cfg);
    /* Check a parsed cfg; messages start with `where` ("file:line"). */
    c12_rc (*check)(const struct c12_carbon_provider_cfg *cfg, const char *where, c12_err *err);
    /* Build an instance from its configuration; `now_ms` anchors replays. */
    c12_rc (*create)(const struct c12_carbon_provider_cfg *cfg, int64_t now_ms, void **out,
                     c12_err *err);
    void (*destroy)(void *self);
    /* Fetch the current reading (and the forecast when want_forecast). May
     * block on the network for at most the configured timeouts: only the
     * refresher (or a one-shot CLI) calls it. On failure out->retry_after_ms
     * may still be set. Error messages never contain credentials. */
    c12_rc (*fetch)(void *self, int64_t now_ms, int want_forecast, c12_carbon_fetch *out,
                    c12_err *err);
} c12_carbon_provider_ops;

/* The built-in providers, NULL-terminated (providers.c). */
extern const c12_carbon_provider_ops *const c12_carbon_providers[];

/* Find a type in a NULL-terminated table (NULL when absent). */
const c12_carbon_provider_ops *c12_carbon_provider_find(const c12_carbon_provider_ops *const *table,
                                                        const char *type);

/* For ops->check: C12_ERR_INVALID naming "where: carbon.providers.NAME.key"
 * when `value` is empty. */
c12_rc c12_carbon_require(const struct c12_carbon_provider_cfg *cfg, const char *value,
                          const char *key, const char *where, c12_err *err);

/* ---- bundled data (datadir.c) ---- */

/* The bundled trace, relative to the data folder. */
#define C12_CARBON_BUNDLED_TRACE "carbon/gb_2023-01-01_2023-12-31.csv"

/* Find the bundled data file `rel` and write its path into out: first
 * $C12_DATA_DIR/rel; then data/rel beside the running binary or up to three
 * folders above it (build trees: build/c12, build/san/c12); then
 * C12_INSTALL_DATADIR/rel (compile-time, default /usr/local/share/c12).
 * C12_ERR_NOT_FOUND lists where it looked. */
c12_rc c12_carbon_data_path(const char *rel, char *out, size_t size, c12_err *err);

/* Read and parse a trace CSV (carbon_parse.h): `path`, or the bundled trace
 * when NULL. The file read goes into path_out (size bytes) for messages.
 * *out is replaced on success. */
c12_rc c12_carbon_trace_load(const char *path, char *path_out, size_t size, c12_carbon_series *out, c12_err *err);

#endif
