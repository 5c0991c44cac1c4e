/* plan.c - the start of deferrable work (see plan.h). */
#include <math.h>

#include "batch/plan.h"

/* The part of the forecast a run can use: [now, latest start + duration),
 * opened by the intensity now up to the forecast's first interval. */
static c12_rc window(const c12_carbon_series *f, const c12_plan_req *r, int64_t end_ms, c12_carbon_series *w)
{
    c12_rc rc = C12_OK;
    int64_t first = f->n ? f->pts[0].from_ms : end_ms;
    if (!isnan(r->intensity_now) && first > r->now_ms)
        rc = c12_carbon_series_push(w, r->now_ms, first < end_ms ? first : end_ms, r->intensity_now);
    for (size_t i = 0; !rc && i < f->n; i++) {
        int64_t a = f->pts[i].from_ms > r->now_ms ? f->pts[i].from_ms : r->now_ms;
        int64_t b = f->pts[i].to_ms < end_ms ? f->pts[i].to_ms : end_ms;
        if (b > a && !isnan(f->pts[i].value)) rc = c12_carbon_series_push(w, a, b, f->pts[i].value);
    }
    return rc;
}

/* The time-weighted mean of w over [a, b) (NAN: w does not cover it all). */
static double mean_over(const c12_carbon_series *w, int64_t a, int64_t b)
{
    int64_t covered;
    double mean = c12_carbon_mean(w, a, b, &covered);
    return covered == b - a ? mean : NAN;
}

c12_rc c12_plan_start(const c12_carbon_series *forecast, const c12_plan_req *r, c12_plan *out, c12_err *err)
{
    if (!(r->duration_ms > 0) || r->margin_ms < 0)
        return c12_fail(err, C12_ERR_INVALID, "plan: a duration > 0 and a margin >= 0");
    c12_plan p = {.start_ms = r->now_ms, .mean = NAN, .now_mean = NAN};
    int64_t latest = r->deadline_ms - r->margin_ms - r->duration_ms;
    c12_carbon_series w;
    c12_carbon_series_init(&w);
    c12_rc rc = window(forecast, r, (latest > r->now_ms ? latest : r->now_ms) + r->duration_ms, &w);
    c12_carbon_point best;
    if (!rc) p.now_mean = mean_over(&w, r->now_ms, r->now_ms + r->duration_ms);
    if (!rc && latest <= r->now_ms) p.forced = 1;
    else if (!rc && !c12_carbon_cleanest(&w, r->duration_ms, &best) && !(best.value >= p.now_mean)) {
        /* a later start only when the forecast says it is cleaner than now */
        p.start_ms = best.from_ms;
        p.mean = best.value;
    }
    if (!rc && isnan(p.mean)) p.mean = p.now_mean;
    c12_carbon_series_free(&w);
    if (rc) return c12_fail(err, rc, "plan: out of memory");
    *out = p;
    return C12_OK;
}
