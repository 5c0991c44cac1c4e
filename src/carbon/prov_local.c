/* prov_local.c - the two providers that need no network: `trace` (a CSV
 * replayed onto the present, see carbon_trace.h) and `static` (one value from
 * the configuration). Neither has its own forecast: C12's forecaster works
 * from the trace's past (history op) or from the cache's record. */
#include <stdio.h>
#include <string.h>

#include "base/c12_file.h"
#include "base/c12_alloc.h"
#include "carbon/carbon_config.h"
#include "carbon/carbon_forecast.h"
#include "carbon/carbon_parse.h"
#include "carbon/carbon_trace.h"

/* How much of the trace's past the forecaster gets, and how far ahead it
 * forecasts (real hours; trace hours are that times the speed, capped). */
#define HISTORY_MS (56 * C12_CARBON_DAY_MS)
#define FORECAST_REAL_HOURS 48.0
#define PAST_REAL_HOURS 24.0
#define MAX_TRACE_HOURS (7 * 24)
#define MAX_TRACE_BYTES (64u << 20)

static int64_t year_start_ms(int64_t t)
{
    int64_t y;
    unsigned m, d;
    c12_carbon_civil_from_days(c12_carbon_floor_div(t, C12_CARBON_DAY_MS), &y, &m, &d);
    return c12_carbon_days_from_civil(y, 1, 1) * C12_CARBON_DAY_MS;
}

/* Midnight of the first point and the whole days the trace covers (>= 1). */
static void trace_days(const c12_carbon_series *s, int64_t *start, int64_t *span)
{
    *start = c12_carbon_floor_div(s->pts[0].from_ms, C12_CARBON_DAY_MS) * C12_CARBON_DAY_MS;
    int64_t days = (s->pts[s->n - 1].to_ms - *start) / C12_CARBON_DAY_MS;
    *span = (days < 1 ? 1 : days) * C12_CARBON_DAY_MS;
}

int64_t c12_carbon_trace_map(const c12_carbon_series *s, int64_t anchor_ms, double speed, int64_t now_ms)
{
    int64_t start, span;
    trace_days(s, &start, &span);
    int64_t virt = anchor_ms + (int64_t)((double)(now_ms - anchor_ms) * speed);
    int64_t base = virt;
    if (span >= 364 * C12_CARBON_DAY_MS)
        base = year_start_ms(s->pts[0].from_ms) + (virt - year_start_ms(virt));
    int64_t off = (base - start) % span;
    return start + (off < 0 ? off + span : off);
}

size_t c12_carbon_trace_at(const c12_carbon_series *s, int64_t t)
{
    size_t lo = 0, hi = s->n; /* first index with from > t is in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->pts[mid].from_ms <= t) lo = mid + 1;
        else hi = mid;
    }
    return lo ? lo - 1 : s->n - 1; /* before the first point: the trace wraps to its end */
}

/* Local and cheap: refresh every minute, forecast included. */
static void local_defaults(c12_carbon_provider_cfg *p)
{
    p->ttl_ms = 60 * 1000;
    p->forecast_ttl_ms = 60 * 1000;
}

static c12_rc trace_check(const c12_carbon_provider_cfg *p, const char *where, c12_err *err)
{
    return c12_carbon_require(p, p->path, "path", where, err);
}

typedef struct trace_prov {
    c12_carbon_series pts;
    int64_t anchor_ms;
    double speed;
    char region[64];
} trace_prov;

static c12_rc trace_create(const c12_carbon_provider_cfg *cfg, int64_t now_ms, void **out, c12_err *err)
{
    trace_prov *t = c12_calloc(1, sizeof *t);
    if (!t) return c12_fail(err, C12_ERR_NOMEM, "trace: out of memory");
    char *text;
    size_t len;
    c12_rc rc = c12_read_file(cfg->path, MAX_TRACE_BYTES, &text, &len, err);
    if (rc == C12_OK) {
        rc = c12_carbon_parse_trace_csv(text, len, &t->pts, err);
        if (rc) {
            char inner[C12_ERR_MSG_MAX];
            snprintf(inner, sizeof inner, "%s", err ? err->msg : "");
            c12_fail(err, rc, "%s: %s", cfg->path, inner);
        }
        c12_free(text);
    }
    if (rc) {
        c12_free(t);
        return rc;
    }
    t->anchor_ms = now_ms;
    t->speed = cfg->speed > 0 ? cfg->speed : 1.0;
    snprintf(t->region, sizeof t->region, "%s", cfg->region[0] ? cfg->region : "trace");
    *out = t;
    return C12_OK;
}

static void trace_destroy(void *self)
{
    trace_prov *t = self;
    if (!t) return;
    c12_carbon_series_free(&t->pts);
    c12_free(t);
}

/* Real time at which trace time `tt` plays, given that `mapped` plays now. */
static int64_t to_real(const trace_prov *t, int64_t now_ms, int64_t mapped, int64_t tt)
{
    return now_ms - (int64_t)((double)(mapped - tt) / t->speed);
}

/* Append trace points with from in [lo, hi), shifted by `shift`. */
static c12_rc append_range(const trace_prov *t, int64_t lo, int64_t hi, int64_t shift, c12_carbon_series *out)
{
    for (size_t i = c12_carbon_trace_at(&t->pts, lo); i < t->pts.n; i++) {
        const c12_carbon_point *p = &t->pts.pts[i];
        if (p->from_ms < lo) continue;
        if (p->from_ms >= hi) break;
        if (c12_carbon_series_push(out, p->from_ms + shift, p->to_ms + shift, p->value)) return C12_ERR_NOMEM;
    }
    return C12_OK;
}

/* The trace's past up to `mapped`, in trace time, wrapping at its start. */
static c12_rc trace_history(const trace_prov *t, int64_t mapped, c12_carbon_series *out)
{
    int64_t start, span;
    trace_days(&t->pts, &start, &span);
    int64_t want = HISTORY_MS < span ? HISTORY_MS : span;
    int64_t lo = mapped - want;
    c12_rc rc = C12_OK;
    if (lo < start) /* the window wraps: first the end of the trace, one span earlier */
        rc = append_range(t, lo + span, start + span, -span, out);
    if (rc == C12_OK) rc = append_range(t, lo < start ? start : lo, mapped + 1, 0, out);
    return rc;
}

/* C12's forecaster on the trace's past `hist`, run in trace time (where the
 * trace's days are days, whatever the speed) and mapped onto the real clock. */
static c12_rc trace_forecast(const trace_prov *t, const c12_carbon_series *hist, int64_t now_ms, int64_t mapped,
                             c12_carbon_series *out, c12_err *err)
{
    c12_carbon_series fc;
    c12_carbon_series_init(&fc);
    double hours = FORECAST_REAL_HOURS * t->speed;
    c12_rc rc = c12_carbon_forecast(hist, mapped, hours < MAX_TRACE_HOURS ? (int)hours + 1 : MAX_TRACE_HOURS, &fc, err);
    for (size_t i = 0; rc == C12_OK && i < fc.n; i++) {
        fc.pts[i].from_ms = to_real(t, now_ms, mapped, fc.pts[i].from_ms);
        fc.pts[i].to_ms = to_real(t, now_ms, mapped, fc.pts[i].to_ms);
    }
    if (rc == C12_OK) {
        c12_carbon_series_free(out);
        *out = fc;
    } else {
        c12_carbon_series_free(&fc);
    }
    return rc;
}

/* The intervals of `hist` that ended in the last PAST_REAL_HOURS (real
 * hours; trace hours are that times the speed, capped), on the real clock:
 * what a dashboard shows as the grid's last day from the first minute. */
static c12_rc trace_past(const trace_prov *t, const c12_carbon_series *hist, int64_t now_ms, int64_t mapped,
                         c12_carbon_series *out)
{
    double hours = PAST_REAL_HOURS * t->speed;
    int64_t lo = mapped - (int64_t)((hours < MAX_TRACE_HOURS ? hours : MAX_TRACE_HOURS) * C12_CARBON_HOUR_MS);
    for (size_t i = 0; i < hist->n; i++) {
        const c12_carbon_point *p = &hist->pts[i];
        if (p->from_ms < lo || p->to_ms > mapped) continue;
        if (c12_carbon_series_push(out, to_real(t, now_ms, mapped, p->from_ms), to_real(t, now_ms, mapped, p->to_ms),
                                   p->value))
            return C12_ERR_NOMEM;
    }
    return C12_OK;
}

static c12_rc trace_fetch(void *self, int64_t now_ms, int want_forecast, c12_carbon_fetch *out, c12_err *err)
{
    trace_prov *t = self;
    int64_t mapped = c12_carbon_trace_map(&t->pts, t->anchor_ms, t->speed, now_ms);
    const c12_carbon_point *p = &t->pts.pts[c12_carbon_trace_at(&t->pts, mapped)];
    c12_carbon_reading *r = &out->reading;
    r->value = p->value;
    r->kind = C12_CARBON_AVERAGE;
    r->from_ms = to_real(t, now_ms, mapped, p->from_ms);
    r->to_ms = to_real(t, now_ms, mapped, p->to_ms);
    if (r->from_ms > now_ms) r->from_ms = now_ms; /* wrapped to the trace's end */
    if (r->to_ms <= now_ms) r->to_ms = now_ms + 1; /* inside a gap: the last value stands */
    strcpy(r->source_unit, "gCO2eq/kWh");
    strcpy(r->type, "trace");
    snprintf(r->region, sizeof r->region, "%s", t->region);
    if (want_forecast) {
        /* a failed forecast or past leaves them empty; the reading stands */
        c12_err ferr;
        c12_carbon_series hist;
        c12_carbon_series_init(&hist);
        out->forecast_by_c12 = 1;
        if (trace_history(t, mapped, &hist) == C12_OK) {
            trace_forecast(t, &hist, now_ms, mapped, &out->forecast, &ferr);
            if (trace_past(t, &hist, now_ms, mapped, &out->past)) c12_carbon_series_free(&out->past);
        }
        c12_carbon_series_free(&hist);
    }
    return C12_OK;
}

const c12_carbon_provider_ops c12_carbon_trace_ops = {
    .type = "trace",
    .own_forecast = 1,
    .defaults = local_defaults,
    .check = trace_check,
    .create = trace_create,
    .destroy = trace_destroy,
    .fetch = trace_fetch,
};

typedef struct static_prov {
    double value;
    int64_t ttl_ms;
} static_prov;

static c12_rc static_check(const c12_carbon_provider_cfg *p, const char *where, c12_err *err)
{
    if (p->value >= 0) return C12_OK;
    return c12_fail(err, C12_ERR_INVALID, "%s: carbon.providers.%s.value: required for type static", where,
                    p->name);
}

static c12_rc static_create(const c12_carbon_provider_cfg *cfg, int64_t now_ms, void **out, c12_err *err)
{
    (void)now_ms;
    static_prov *s = c12_malloc(sizeof *s);
    if (!s) return c12_fail(err, C12_ERR_NOMEM, "static: out of memory");
    s->value = cfg->value;
    s->ttl_ms = cfg->ttl_ms;
    *out = s;
    return C12_OK;
}

static c12_rc static_fetch(void *self, int64_t now_ms, int want_forecast, c12_carbon_fetch *out, c12_err *err)
{
    (void)want_forecast;
    (void)err;
    static_prov *s = self;
    c12_carbon_reading *r = &out->reading;
    r->value = s->value;
    r->kind = C12_CARBON_AVERAGE;
    r->from_ms = now_ms;
    r->to_ms = now_ms + s->ttl_ms;
    strcpy(r->source_unit, "gCO2eq/kWh");
    strcpy(r->type, "static");
    strcpy(r->region, "static");
    return C12_OK;
}

const c12_carbon_provider_ops c12_carbon_static_ops = {
    .type = "static",
    .defaults = local_defaults,
    .check = static_check,
    .create = static_create,
    .destroy = c12_free,
    .fetch = static_fetch,
};
