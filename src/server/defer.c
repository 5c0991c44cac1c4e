/* defer.c - when deferrable work should start on this server: the planner
 * (batch/plan.h) over the carbon chain's forecast and the reading now, for
 * the batch runner and flex requests; and what one request is expected to
 * take, for a batch's duration before any of its lines has run. */
#include <math.h>
#include <unistd.h>

#include "base/c12_clock.h"
#include "batch/plan.h"
#include "server/defer.h"
#include "server/gen.h"

#define FORECAST_HOURS_MAX 168
#define FLEX_REPLAN_MS 2000

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

/* Sleep ms, at most, in steps short enough to notice a shutdown or the
 * client going away. */
static void nap(c12_server *s, struct MHD_Connection *c, int64_t ms)
{
    while (ms > 0 && !atomic_load(&s->shutting_down) && !c12_http_client_gone(c)) {
        int64_t step = ms < 200 ? ms : 200;
        usleep((useconds_t)step * 1000);
        ms -= step;
    }
}

double c12_defer_flex_wait(c12_server *s, struct MHD_Connection *c)
{
    double max_wait = s->cfg->flex_max_wait_s, secs = c12_defer_request_s(s), t0 = c12_clock_s();
    int64_t deadline = c12_clock_real_ms() + (int64_t)((max_wait + secs) * 1000);
    while (max_wait > 0 && !atomic_load(&s->shutting_down) && !c12_http_client_gone(c)) {
        int64_t now = c12_clock_real_ms();
        c12_plan p;
        c12_defer_plan(s, now, deadline, secs, 0, &p);
        if (p.forced || (p.start_ms <= now && c12_defer_reading_current(s))) break;
        if (p.start_ms <= now) p.start_ms = now + 100; /* the interval it waited for has no reading yet */
        /* plan again at least every few seconds: the forecast moves */
        int64_t until = p.start_ms - now;
        nap(s, c, until < FLEX_REPLAN_MS ? until : FLEX_REPLAN_MS);
    }
    return c12_clock_s() - t0;
}

int c12_defer_reading_current(c12_server *s)
{
    c12_carbon_answer a;
    c12_err err;
    if (!s->deps.carbon || c12_carbon_cache_now(s->deps.carbon, &a, &err)) return 1; /* nothing to wait for */
    return a.reading.to_ms <= 0 || a.reading.to_ms > c12_clock_real_ms();
}

double c12_defer_estimate_s(c12_server *s, double prompt_tokens, int max_tokens)
{
    double secs = 10; /* no policy: a guess that errs long (the margin absorbs it) */
    c12_policy *pol = s->deps.policy ? c12_policy_slot_get(s->deps.policy) : NULL;
    int k = pol ? c12_policy_strongest(pol) : -1;
    if (k >= 0) {
        const c12_policy_cost *c = c12_policy_get_cost(pol, (size_t)k);
        double out = c12_policy_get_params(pol)->default_out_tokens;
        if (max_tokens > 0 && max_tokens < out) out = max_tokens;
        secs = c->s_prompt * prompt_tokens + c->s_out * out;
    }
    c12_policy_unref(pol);
    return secs;
}

double c12_defer_request_s(c12_server *s) { return c12_defer_estimate_s(s, c12_policy_prompt_tokens(256), 0); }
