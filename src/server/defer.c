/* defer.c - when deferrable work should start on this server: the planner
 * (batch/plan.h) over the carbon chain's forecast and the reading now, for
 * the batch runner and flex requests; and what one request is expected to
 * take, for a batch's duration before any of its lines has run. */
#include <math.h>

#include "batch/plan.h"
#include "server/defer.h"
#include "server/gen.h"

#define FORECAST_HOURS_MAX 168

void c12_defer_plan(c12_server *s, int64_t now_ms, int64_t deadline_ms, double duration_s, double margin_s,
                    c12_plan *out)
{
    c12_gen_price price;
    c12_price(s, 0, &price);
    c12_carbon_series f;
    c12_carbon_series_init(&f);
    c12_err err;
    int hours = (int)ceil((double)(deadline_ms - now_ms) / 3.6e6) + 1;
    if (hours > FORECAST_HOURS_MAX) hours = FORECAST_HOURS_MAX;
    if (s->deps.carbon && hours > 0 && c12_carbon_cache_forecast(s->deps.carbon, hours, &f, NULL, &err)) f.n = 0;
    c12_plan_req q = {.now_ms = now_ms, .deadline_ms = deadline_ms,
                      .duration_ms = duration_s > 0.001 ? (int64_t)(duration_s * 1000) : 1,
                      .margin_ms = (int64_t)(margin_s * 1000), .intensity_now = price.intensity};
    if (c12_plan_start(&f, &q, out, &err)) /* out of memory: no plan, so no wait */
        *out = (c12_plan){.start_ms = now_ms, .mean = price.intensity, .now_mean = price.intensity};
    c12_carbon_series_free(&f);
}

double c12_defer_request_s(c12_server *s)
{
    double secs = 10; /* no policy: a guess that errs long (the margin absorbs it) */
    c12_policy *pol = s->deps.policy ? c12_policy_slot_get(s->deps.policy) : NULL;
    int k = pol ? c12_policy_strongest(pol) : -1;
    if (k >= 0) {
        const c12_policy_cost *c = c12_policy_get_cost(pol, (size_t)k);
        secs = c->s_prompt * 64 + c->s_out * c12_policy_get_params(pol)->default_out_tokens;
    }
    c12_policy_unref(pol);
    return secs;
}
