/* backtest.c - regular grids, the live forecast for providers without one,
 * and the backtest of C12's forecaster against persistence. */
#include <math.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "carbon/carbon_forecast.h"

#define MIN_STEP_MS 60000LL
#define WARMUP_DAYS 7
#define MAX_FORECAST_HOURS (7 * 24)
/* Live forecasts work on half-hours at least, over the last 56 days at most:
 * that bounds their cost whatever the record's spacing. */
#define FORECAST_MIN_STEP_MS (30 * 60000LL)
#define FORECAST_MAX_SLOTS (56 * 48)

void c12_carbon_grid_free(c12_carbon_grid *g)
{
    c12_free(g->v);
    g->v = NULL;
    g->n = 0;
}

static int64_t smallest_spacing(const c12_carbon_series *s)
{
    int64_t step = 0;
    for (size_t i = 1; i < s->n; i++) {
        int64_t d = s->pts[i].from_ms - s->pts[i - 1].from_ms;
        if (d > 0 && (step == 0 || d < step)) step = d;
    }
    if (step == 0 && s->n) step = s->pts[0].to_ms - s->pts[0].from_ms;
    return step < MIN_STEP_MS ? MIN_STEP_MS : step;
}

c12_rc c12_carbon_grid_from_series(const c12_carbon_series *s, int64_t step_ms, size_t max_n,
                                   c12_carbon_grid *out, c12_err *err)
{
    if (s->n == 0) return c12_fail(err, C12_ERR_INVALID, "forecaster: no history");
    int64_t step = step_ms > 0 ? step_ms : smallest_spacing(s);
    int64_t k_first = c12_carbon_floor_div(s->pts[0].from_ms, step), k_last = k_first;
    for (size_t i = 0; i < s->n; i++) {
        int64_t k = c12_carbon_floor_div(s->pts[i].from_ms, step);
        if (k > k_last) k_last = k;
    }
    if (max_n && k_last - k_first + 1 > (int64_t)max_n) k_first = k_last - (int64_t)max_n + 1;
    size_t n = (size_t)(k_last - k_first + 1);
    double *v = c12_malloc(n * sizeof *v), *cnt = c12_calloc(n, sizeof *cnt);
    if (!v || !cnt) {
        c12_free(v);
        c12_free(cnt);
        return c12_fail(err, C12_ERR_NOMEM, "forecaster: out of memory");
    }
    memset(v, 0, n * sizeof *v);
    for (size_t i = 0; i < s->n; i++) {
        int64_t k = c12_carbon_floor_div(s->pts[i].from_ms, step) - k_first;
        if (k < 0) continue;
        v[k] += s->pts[i].value;
        cnt[k] += 1;
    }
    for (size_t i = 0; i < n; i++) v[i] = cnt[i] > 0 ? v[i] / cnt[i] : NAN;
    c12_free(cnt);
    c12_carbon_grid_free(out);
    *out = (c12_carbon_grid){k_first * step, step, v, n};
    return C12_OK;
}

c12_rc c12_carbon_forecast(const c12_carbon_series *history, int64_t now_ms, int hours,
                           c12_carbon_series *out, c12_err *err)
{
    if (hours < 1 || hours > MAX_FORECAST_HOURS)
        return c12_fail(err, C12_ERR_RANGE, "forecast: hours must be from 1 to %d", MAX_FORECAST_HOURS);
    if (history->n == 0) return c12_fail(err, C12_ERR_INVALID, "forecast: no history");
    int64_t step = smallest_spacing(history);
    c12_carbon_grid g = {0, 0, NULL, 0};
    c12_rc rc = c12_carbon_grid_from_series(history, step < FORECAST_MIN_STEP_MS ? FORECAST_MIN_STEP_MS : step,
                                            FORECAST_MAX_SLOTS, &g, err);
    if (rc) return rc;
    size_t last = g.n;
    while (last > 0 && isnan(g.v[last - 1])) last--;
    int64_t origin = g.t0_ms + (int64_t)(last - 1) * g.step_ms; /* grid.n >= 1 and v[0] is set */
    int64_t end = now_ms + hours * C12_CARBON_HOUR_MS;
    size_t n_h = end > origin ? (size_t)((end - origin + g.step_ms - 1) / g.step_ms) : 0;
    size_t *hz = c12_malloc((n_h ? n_h : 1) * sizeof *hz);
    c12_carbon_fc *f = NULL;
    if (!hz) rc = c12_fail(err, C12_ERR_NOMEM, "forecast: out of memory");
    for (size_t i = 0; hz && i < n_h; i++) hz[i] = i + 1;
    if (rc == C12_OK && n_h) rc = c12_carbon_fc_new(g.step_ms, hz, n_h, &f, err);
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    for (size_t i = 0; rc == C12_OK && f && i < last; i++) c12_carbon_fc_observe(f, g.t0_ms + (int64_t)i * g.step_ms, g.v[i]);
    for (size_t i = 0; rc == C12_OK && i < n_h; i++) {
        int64_t from = origin + (int64_t)hz[i] * g.step_ms;
        if (from + g.step_ms <= now_ms || from >= end) continue;
        if (c12_carbon_series_push(&s, from, from + g.step_ms, c12_carbon_fc_predict(f, i)))
            rc = c12_fail(err, C12_ERR_NOMEM, "forecast: out of memory");
    }
    c12_carbon_fc_free(f);
    c12_free(hz);
    c12_carbon_grid_free(&g);
    if (rc) {
        c12_carbon_series_free(&s);
        return rc;
    }
    c12_carbon_series_free(out);
    *out = s;
    return C12_OK;
}

c12_rc c12_carbon_backtest(const c12_carbon_series *trace, const int *hours, size_t n_h,
                           c12_carbon_backtest_result *out, c12_err *err)
{
    if (n_h == 0 || n_h > C12_CARBON_BT_MAX) return c12_fail(err, C12_ERR_INVALID, "backtest: 1 to %d horizons", C12_CARBON_BT_MAX);
    c12_carbon_grid g = {0, 0, NULL, 0};
    c12_rc rc = c12_carbon_grid_from_series(trace, 0, 0, &g, err);
    if (rc) return rc;
    c12_carbon_backtest_result r;
    memset(&r, 0, sizeof r);
    r.n_h = n_h;
    r.step_ms = g.step_ms;
    r.warmup_days = WARMUP_DAYS;
    size_t hz[C12_CARBON_BT_MAX];
    for (size_t i = 0; i < n_h; i++) {
        r.hours[i] = hours[i];
        int64_t steps = hours[i] * C12_CARBON_HOUR_MS / g.step_ms;
        if (hours[i] < 1 || steps < 1 || hours[i] * C12_CARBON_HOUR_MS % g.step_ms) {
            c12_carbon_grid_free(&g);
            return c12_fail(err, C12_ERR_INVALID, "backtest: %d h is not a whole number of %lld-minute steps",
                            hours[i], (long long)(g.step_ms / 60000));
        }
        hz[i] = (size_t)steps;
    }
    c12_carbon_fc *f;
    rc = c12_carbon_fc_new(g.step_ms, hz, n_h, &f, err);
    if (rc) {
        c12_carbon_grid_free(&g);
        return rc;
    }
    size_t warm = (size_t)(WARMUP_DAYS * C12_CARBON_DAY_MS / g.step_ms);
    double sum_c[C12_CARBON_BT_MAX] = {0}, sum_p[C12_CARBON_BT_MAX] = {0};
    for (size_t k = 0; k < g.n; k++) {
        c12_carbon_fc_observe(f, g.t0_ms + (int64_t)k * g.step_ms, g.v[k]);
        if (k < warm || isnan(g.v[k])) continue;
        for (size_t i = 0; i < n_h; i++) {
            if (k + hz[i] >= g.n || isnan(g.v[k + hz[i]])) continue;
            double y = g.v[k + hz[i]];
            sum_c[i] += fabs(c12_carbon_fc_predict(f, i) - y);
            sum_p[i] += fabs(g.v[k] - y);
            r.count[i]++;
        }
    }
    for (size_t i = 0; i < n_h; i++) {
        r.mae[i] = r.count[i] ? sum_c[i] / (double)r.count[i] : NAN;
        r.persistence_mae[i] = r.count[i] ? sum_p[i] / (double)r.count[i] : NAN;
    }
    c12_carbon_fc_free(f);
    c12_carbon_grid_free(&g);
    *out = r;
    return C12_OK;
}
