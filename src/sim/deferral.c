/* deferral.c - deferrable jobs over a year of trace (see deferral.h). */
#include <math.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "batch/plan.h"
#include "carbon/carbon_forecast.h"
#include "sim/deferral.h"

#define WARMUP_DAYS 7

/* What a replay holds: the trace on its grid, the forecaster, the jobs. */
typedef struct replay {
    c12_carbon_grid g;
    size_t dur, win;          /* a job's steps; the window's steps */
    c12_carbon_fc *fc;
    size_t *hz;               /* horizons 1..win */
    c12_carbon_series fcast;  /* the forecast made at the current step */
    size_t *waiting;          /* arrival steps of the jobs not started, oldest first */
    size_t n_waiting;
    c12_deferral_job *log;    /* the caller's, may be NULL */
    size_t log_cap;
} replay;

static void replay_free(replay *r)
{
    c12_carbon_grid_free(&r->g);
    c12_carbon_fc_free(r->fc);
    c12_free(r->hz);
    c12_free(r->waiting);
    c12_carbon_series_free(&r->fcast);
}

/* The trace's mean over steps [k, k + n) (NAN: a step is missing). */
static double actual(const replay *r, size_t k, size_t n)
{
    double s = 0;
    for (size_t i = k; i < k + n; i++) s += r->g.v[i];
    return s / (double)n;
}

static int arrives(const replay *r, const c12_deferral_params *p, size_t k)
{
    int64_t t = r->g.t0_ms + (int64_t)k * r->g.step_ms;
    int64_t day = c12_carbon_floor_div(t, C12_CARBON_DAY_MS), ms = t - day * C12_CARBON_DAY_MS;
    int weekday = (int)((day + 3) % 7); /* 1970-01-01 was a Thursday: Monday is 0 */
    return weekday < 5 && ms >= p->first_hour * C12_CARBON_HOUR_MS && ms < p->last_hour * C12_CARBON_HOUR_MS;
}

/* The forecast at step k: steps k .. k + win - 1 from the steps before k. */
static c12_rc forecast_at(replay *r, size_t k)
{
    r->fcast.n = 0;
    for (size_t h = 1; h <= r->win; h++) {
        int64_t from = r->g.t0_ms + (int64_t)(k - 1 + h) * r->g.step_ms;
        if (c12_carbon_series_push(&r->fcast, from, from + r->g.step_ms, c12_carbon_fc_predict(r->fc, h - 1)))
            return C12_ERR_NOMEM;
    }
    return C12_OK;
}

/* The job that arrived at step a, started at step k: its figures. */
static void account(const replay *r, size_t a, size_t k, c12_deferral_result *o)
{
    double best = INFINITY;
    for (size_t s = a; s + r->dur <= a + r->win; s++) best = fmin(best, actual(r, s, r->dur));
    double at = actual(r, a, r->dur), run = actual(r, k, r->dur);
    if (isnan(at) || isnan(run) || isnan(best)) return; /* a gap in the trace: not counted */
    o->jobs++;
    o->deferred += k > a;
    o->hours_deferred += (double)(k - a) * (double)r->g.step_ms / (double)C12_CARBON_HOUR_MS;
    o->arrival_g += at;
    o->c12_g += run;
    o->oracle_g += best;
    if (o->logged < r->log_cap) {
        int64_t t0 = r->g.t0_ms, step = r->g.step_ms;
        r->log[o->logged++] = (c12_deferral_job){t0 + (int64_t)a * step, t0 + (int64_t)k * step};
    }
}

/* At step k: plan every waiting job again; start those whose plan says now. */
static c12_rc decide(replay *r, size_t k, c12_deferral_result *o, c12_err *err)
{
    c12_rc rc = forecast_at(r, k);
    if (rc) return c12_fail(err, rc, "simulate: out of memory");
    size_t kept = 0;
    int64_t step = r->g.step_ms, now = r->g.t0_ms + (int64_t)k * step;
    for (size_t i = 0; i < r->n_waiting; i++) {
        size_t a = r->waiting[i];
        c12_plan_req q = {.now_ms = now, .deadline_ms = r->g.t0_ms + (int64_t)(a + r->win) * step,
                          .duration_ms = (int64_t)r->dur * step, .intensity_now = NAN};
        c12_plan plan;
        if ((rc = c12_plan_start(&r->fcast, &q, &plan, err))) return rc;
        if (plan.start_ms <= now) account(r, a, k, o);
        else r->waiting[kept++] = a;
    }
    r->n_waiting = kept;
    return C12_OK;
}

static c12_rc replay_init(replay *r, const c12_deferral_params *p, c12_err *err)
{
    memset(r, 0, sizeof *r);
    c12_carbon_series_init(&r->fcast);
    c12_rc rc = c12_carbon_grid_from_series(p->trace, 0, 0, &r->g, err);
    if (rc) return rc;
    r->log = p->log;
    r->log_cap = p->log ? p->log_cap : 0;
    r->dur = (size_t)ceil(p->job_s * 1000.0 / (double)r->g.step_ms);
    r->win = (size_t)floor(p->window_h * (double)C12_CARBON_HOUR_MS / (double)r->g.step_ms);
    if (r->dur < 1 || r->win < r->dur)
        return c12_fail(err, C12_ERR_INVALID, "simulate: a %g h window cannot hold a %g s job on %lld-minute steps",
                        p->window_h, p->job_s, (long long)(r->g.step_ms / 60000));
    r->hz = c12_malloc(r->win * sizeof *r->hz);
    r->waiting = c12_malloc((r->win + 1) * sizeof *r->waiting);
    if (!r->hz || !r->waiting) return c12_fail(err, C12_ERR_NOMEM, "simulate: out of memory");
    for (size_t i = 0; i < r->win; i++) r->hz[i] = i + 1;
    return c12_carbon_fc_new(r->g.step_ms, r->hz, r->win, &r->fc, err);
}

c12_rc c12_sim_deferral(const c12_deferral_params *p, c12_deferral_result *out, c12_err *err)
{
    if (!p->trace || !p->trace->n || !(p->window_h > 0 && p->window_h <= 7 * 24) || !(p->job_s > 0) ||
        p->first_hour < 0 || p->last_hour > 24 || p->first_hour >= p->last_hour)
        return c12_fail(err, C12_ERR_INVALID, "simulate: needs a trace, a window of up to 7 d, a job time and hours");
    replay r;
    c12_rc rc = replay_init(&r, p, err);
    c12_deferral_result o = {.window_h = p->window_h};
    size_t warm = rc ? 0 : (size_t)(WARMUP_DAYS * C12_CARBON_DAY_MS / r.g.step_ms);
    for (size_t k = 0; !rc && k < r.g.n; k++) {
        /* jobs whose window ends inside the trace */
        if (k >= warm && k + r.win <= r.g.n && arrives(&r, p, k)) r.waiting[r.n_waiting++] = k;
        if (r.n_waiting) rc = decide(&r, k, &o, err);
        c12_carbon_fc_observe(r.fc, r.g.t0_ms + (int64_t)k * r.g.step_ms, r.g.v[k]);
    }
    replay_free(&r);
    if (rc) return rc;
    o.saving_pct = o.arrival_g > 0 ? 100.0 * (o.arrival_g - o.c12_g) / o.arrival_g : 0;
    o.fraction_of_oracle = o.arrival_g > o.oracle_g ? (o.arrival_g - o.c12_g) / (o.arrival_g - o.oracle_g) : NAN;
    *out = o;
    return C12_OK;
}
