/* carbon_forecast.h - C12's own intensity forecaster, for providers that
 * have none (trace, static), and the backtest that keeps it honest.
 *
 * The model is fitted online, one observation at a time, so it can never use
 * a value from after the forecast origin:
 *   - a seasonal baseline: an exponentially weighted mean per time-of-day
 *     slot, plus an exponentially weighted offset per day of the week;
 *   - the anomaly a(t) = x(t) - baseline(t), and its recent mean abar(t);
 *   - per horizon h, weights (w1, w2) fitted by exponentially forgotten least
 *     squares of a(t+h) on (a(t), abar(t)): how much of today's departure
 *     from the usual persists h ahead;
 *   - forecast(t+h) = baseline(t+h) + w1 a(t) + w2 abar(t).
 * With w = (1, 0) and a flat baseline this is persistence; with w = 0 it is
 * the seasonal profile: the fit chooses the blend for each horizon. */
#ifndef C12_CARBON_FORECAST_H
#define C12_CARBON_FORECAST_H

#include "carbon/carbon.h"

/* A series resampled on a regular grid: v[i] covers t0 + i*step (NAN = missing). */
typedef struct c12_carbon_grid {
    int64_t t0_ms;
    int64_t step_ms;
    double *v;
    size_t n;
} c12_carbon_grid;

/* Bucket-average s onto a grid of step_ms (0 = the series' smallest spacing,
 * at least one minute). At most max_n slots (the latest ones). */
c12_rc c12_carbon_grid_from_series(const c12_carbon_series *s, int64_t step_ms, size_t max_n,
                                   c12_carbon_grid *out, c12_err *err);
void c12_carbon_grid_free(c12_carbon_grid *g);

typedef struct c12_carbon_fc c12_carbon_fc;

/* A model for a grid of step_ms that predicts the given horizons (in steps). */
c12_rc c12_carbon_fc_new(int64_t step_ms, const size_t *horizons, size_t n_h, c12_carbon_fc **out,
                         c12_err *err);
void c12_carbon_fc_free(c12_carbon_fc *f);
/* Feed the value of grid slot starting at t_ms (slots in increasing order;
 * NAN for a missing one). */
void c12_carbon_fc_observe(c12_carbon_fc *f, int64_t t_ms, double x);
/* Forecast for horizons[hi] steps after the last observed slot (NAN before
 * any value was observed). */
double c12_carbon_fc_predict(const c12_carbon_fc *f, size_t hi);

/* Fit on `history` and forecast every grid step whose interval ends after
 * now_ms, up to now_ms + hours. Output intervals are on the history's grid. */
c12_rc c12_carbon_forecast(const c12_carbon_series *history, int64_t now_ms, int hours,
                           c12_carbon_series *out, c12_err *err);

#define C12_CARBON_BT_MAX 8
typedef struct c12_carbon_backtest_result {
    size_t n_h;
    int hours[C12_CARBON_BT_MAX];
    double mae[C12_CARBON_BT_MAX];             /* C12's forecaster, gCO2eq/kWh */
    double persistence_mae[C12_CARBON_BT_MAX]; /* "the next hours look like now" */
    size_t count[C12_CARBON_BT_MAX];           /* forecast/target pairs scored */
    int64_t step_ms;
    int warmup_days;
} c12_carbon_backtest_result;

/* Replay `trace`: at every grid slot after the warm-up (the first 7 days),
 * forecast each horizon from what came before and score it against the
 * trace's value, beside persistence, on the same pairs. */
c12_rc c12_carbon_backtest(const c12_carbon_series *trace, const int *hours, size_t n_h,
                           c12_carbon_backtest_result *out, c12_err *err);

#endif
