/* forecast.c - C12's online seasonal-plus-persistence forecaster (the model
 * is described in carbon_forecast.h). */
#include <math.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "carbon/carbon_forecast.h"

/* Time constants, in days, chosen once (docs/carbon.md has the backtest):
 * the time-of-day profile follows the season with a one-week half-life; the
 * weekday offsets are slower (four weeks, one value per weekday and week);
 * the blend weights remember four weeks of forecast/outcome pairs; `abar`
 * averages the anomaly over about the last six hours. */
#define PROFILE_HALF_LIFE_DAYS 7.0
#define WEEKDAY_HALF_LIFE_DAYS 28.0
#define BLEND_HALF_LIFE_DAYS 28.0
#define ABAR_HOURS 6.0

struct c12_carbon_fc {
    int64_t step_ms;
    size_t per_day;   /* grid slots per day */
    double *profile;  /* [per_day] time-of-day baseline (NAN: not seen yet) */
    double weekday[7];
    double a_profile, a_weekday, a_abar, lambda;
    size_t n_h;
    size_t *h;        /* horizons, in steps */
    size_t ring;      /* past (a, abar) kept, indexed by absolute step */
    double *ra, *rb;
    int64_t *rk;
    double (*sxx)[3]; /* per horizon: sum a^2, a*abar, abar^2 (forgotten) */
    double (*sxy)[2]; /* per horizon: sum a*y, abar*y */
    int have_last;
    int64_t k_last;
    double x_last, a_last, abar;
};

static size_t slot_of(const c12_carbon_fc *f, int64_t k)
{
    int64_t in_day = (k * f->step_ms) % C12_CARBON_DAY_MS;
    if (in_day < 0) in_day += C12_CARBON_DAY_MS;
    return (size_t)(in_day / f->step_ms) % f->per_day;
}

static int dow_of(const c12_carbon_fc *f, int64_t k)
{
    int64_t d = c12_carbon_floor_div(k * f->step_ms, C12_CARBON_DAY_MS);
    return (int)(((d + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday; Monday = 0 */
}

c12_rc c12_carbon_fc_new(int64_t step_ms, const size_t *horizons, size_t n_h, c12_carbon_fc **out,
                         c12_err *err)
{
    if (step_ms < 1000 || step_ms > C12_CARBON_DAY_MS || n_h == 0)
        return c12_fail(err, C12_ERR_INVALID, "forecaster: bad step or no horizons");
    c12_carbon_fc *f = c12_calloc(1, sizeof *f);
    if (!f) return c12_fail(err, C12_ERR_NOMEM, "forecaster: out of memory");
    f->step_ms = step_ms;
    f->per_day = (size_t)(C12_CARBON_DAY_MS / step_ms);
    f->n_h = n_h;
    for (size_t i = 0; i < n_h; i++)
        if (horizons[i] + 1 > f->ring) f->ring = horizons[i] + 1;
    f->profile = c12_malloc(f->per_day * sizeof *f->profile);
    f->h = c12_malloc(n_h * sizeof *f->h);
    f->ra = c12_malloc(f->ring * sizeof *f->ra);
    f->rb = c12_malloc(f->ring * sizeof *f->rb);
    f->rk = c12_malloc(f->ring * sizeof *f->rk);
    f->sxx = c12_calloc(n_h, sizeof *f->sxx);
    f->sxy = c12_calloc(n_h, sizeof *f->sxy);
    if (!f->profile || !f->h || !f->ra || !f->rb || !f->rk || !f->sxx || !f->sxy) {
        c12_carbon_fc_free(f);
        return c12_fail(err, C12_ERR_NOMEM, "forecaster: out of memory");
    }
    for (size_t i = 0; i < f->per_day; i++) f->profile[i] = NAN;
    for (size_t i = 0; i < f->ring; i++) f->rk[i] = INT64_MIN;
    memcpy(f->h, horizons, n_h * sizeof *f->h);
    double steps_per_day = (double)f->per_day;
    f->a_profile = 1 - pow(0.5, 1.0 / PROFILE_HALF_LIFE_DAYS);
    f->a_weekday = 1 - pow(0.5, 7.0 / (WEEKDAY_HALF_LIFE_DAYS * steps_per_day));
    f->a_abar = fmin(1.0, (double)step_ms / (ABAR_HOURS * C12_CARBON_HOUR_MS));
    f->lambda = pow(0.5, 1.0 / (BLEND_HALF_LIFE_DAYS * steps_per_day));
    *out = f;
    return C12_OK;
}

void c12_carbon_fc_free(c12_carbon_fc *f)
{
    if (!f) return;
    c12_free(f->profile);
    c12_free(f->h);
    c12_free(f->ra);
    c12_free(f->rb);
    c12_free(f->rk);
    c12_free(f->sxx);
    c12_free(f->sxy);
    c12_free(f);
}

/* Learn how the anomaly h steps ago relates to the anomaly now. */
static void fit_pairs(c12_carbon_fc *f, int64_t k, double a)
{
    for (size_t i = 0; i < f->n_h; i++) {
        int64_t j = k - (int64_t)f->h[i];
        size_t r = (size_t)(((j % (int64_t)f->ring) + (int64_t)f->ring) % (int64_t)f->ring);
        if (f->rk[r] != j) continue;
        double x1 = f->ra[r], x2 = f->rb[r], l = f->lambda;
        f->sxx[i][0] = l * f->sxx[i][0] + x1 * x1;
        f->sxx[i][1] = l * f->sxx[i][1] + x1 * x2;
        f->sxx[i][2] = l * f->sxx[i][2] + x2 * x2;
        f->sxy[i][0] = l * f->sxy[i][0] + x1 * a;
        f->sxy[i][1] = l * f->sxy[i][1] + x2 * a;
    }
}

void c12_carbon_fc_observe(c12_carbon_fc *f, int64_t t_ms, double x)
{
    if (!isfinite(x)) return;
    int64_t k = c12_carbon_floor_div(t_ms, f->step_ms);
    size_t s = slot_of(f, k);
    int d = dow_of(f, k);
    if (isnan(f->profile[s])) f->profile[s] = x - f->weekday[d];
    double a = x - (f->profile[s] + f->weekday[d]);
    fit_pairs(f, k, a);
    /* A gap resets the recent mean: stale anomalies say little about now. */
    if (!f->have_last || k - f->k_last > (int64_t)(ABAR_HOURS * C12_CARBON_HOUR_MS / f->step_ms))
        f->abar = a;
    else
        f->abar += f->a_abar * (a - f->abar);
    size_t r = (size_t)(((k % (int64_t)f->ring) + (int64_t)f->ring) % (int64_t)f->ring);
    f->ra[r] = a;
    f->rb[r] = f->abar;
    f->rk[r] = k;
    f->profile[s] += f->a_profile * (x - f->weekday[d] - f->profile[s]);
    f->weekday[d] += f->a_weekday * (x - f->profile[s] - f->weekday[d]);
    f->have_last = 1;
    f->k_last = k;
    f->x_last = x;
    f->a_last = a;
}

double c12_carbon_fc_predict(const c12_carbon_fc *f, size_t hi)
{
    if (!f->have_last || hi >= f->n_h) return NAN;
    int64_t k = f->k_last + (int64_t)f->h[hi];
    double base = f->profile[slot_of(f, k)];
    if (isnan(base)) return f->x_last; /* no history at that time of day yet: persistence */
    base += f->weekday[dow_of(f, k)];
    const double *A = f->sxx[hi], *b = f->sxy[hi];
    /* A small ridge keeps the weights defined before pairs accumulate (then
     * the forecast is the seasonal baseline). */
    double ridge = 1e-3 * (A[0] + A[2]) + 1e-9;
    double a00 = A[0] + ridge, a11 = A[2] + ridge, det = a00 * a11 - A[1] * A[1];
    double w1 = det > 0 ? (a11 * b[0] - A[1] * b[1]) / det : 0;
    double w2 = det > 0 ? (a00 * b[1] - A[1] * b[0]) / det : 0;
    double y = base + w1 * f->a_last + w2 * f->abar;
    return y < 0 ? 0 : y;
}
