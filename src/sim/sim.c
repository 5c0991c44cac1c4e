/* sim.c - the simulator's accounting and the four strategies (see sim.h). */
#include <math.h>
#include <string.h>

#include "carbon/carbon_trace.h"
#include "sim/sim.h"

/* The smallest chat model; the strongest is the largest (the policy's
 * c12_policy_strongest; C12's catalogue: quality grows with size). */
static int smallest(const c12_policy *p)
{
    const c12_policy_params *pp = c12_policy_get_params(p);
    int best = -1;
    for (size_t i = 0; i < pp->n_models; i++)
        if (pp->models[i].chat && (best < 0 || pp->models[i].params_b < pp->models[best].params_b)) best = (int)i;
    return best;
}

static int pick_strongest(const c12_policy *p, const c12_policy_request *r) { return c12_policy_strongest(p); }
static int pick_smallest(const c12_policy *p, const c12_policy_request *r) { return smallest(p); }

/* code -> the best-rated model for code (qwen2.5-coder), else the smallest */
static int pick_code_only(const c12_policy *p, const c12_policy_request *r)
{
    if (r->analysis->category != C12_ROUTE_CODE) return smallest(p);
    const c12_policy_params *pp = c12_policy_get_params(p);
    int best = -1;
    for (size_t i = 0; i < pp->n_models; i++)
        if (pp->models[i].chat && (best < 0 || pp->models[i].rating[C12_ROUTE_CODE][r->analysis->tier] >
                                                   pp->models[best].rating[C12_ROUTE_CODE][r->analysis->tier]))
            best = (int)i;
    return best;
}

static int pick_carbon(const c12_policy *p, const c12_policy_request *r)
{
    c12_policy_decision d;
    return c12_policy_decide(p, r, &d, NULL) ? -1 : d.c[0].model;
}

const c12_sim_strategy c12_sim_strategies[C12_SIM_STRATEGIES] = {
    {"always-strongest", pick_strongest},
    {"always-smallest", pick_smallest},
    {"code-only", pick_code_only},
    {"carbon-aware", pick_carbon},
};

/* splitmix64: small, seeded, the same everywhere */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s) { return ((next_u64(s) >> 11) + 0.5) / 9007199254740992.0; }

static double intensity_at(const c12_carbon_series *tr, int64_t t)
{
    return tr->pts[c12_carbon_trace_at(tr, t)].value;
}

c12_rc c12_sim_run(const c12_policy *pol, const c12_sim_params *sp, c12_sim_result *out, c12_err *err)
{
    if (!sp->trace || sp->trace->n == 0 || !sp->items || sp->n_items == 0 || !(sp->rate_per_h > 0) ||
        !(sp->days > 0) || !(sp->keep_alive_s >= 0))
        return c12_fail(err, C12_ERR_INVALID, "simulate: needs a trace, a workload, rate > 0 and days > 0");
    const c12_policy_params *pp = c12_policy_get_params(pol);
    c12_sim_result res[C12_SIM_STRATEGIES];
    int64_t last_use[C12_SIM_STRATEGIES][C12_POLICY_MODELS_MAX];
    memset(res, 0, sizeof res);
    for (int k = 0; k < C12_SIM_STRATEGIES; k++) {
        res[k].name = c12_sim_strategies[k].name;
        for (int i = 0; i < C12_POLICY_MODELS_MAX; i++) last_use[k][i] = INT64_MIN;
    }
    uint64_t rng = sp->seed;
    const double end_ms = sp->start_ms + sp->days * C12_CARBON_DAY_MS;
    const int64_t keep_ms = (int64_t)(sp->keep_alive_s * 1000.0);
    double t = (double)sp->start_ms;
    for (;;) {
        t += -log(uniform01(&rng)) / sp->rate_per_h * (double)C12_CARBON_HOUR_MS;
        if (t >= end_ms) break;
        int64_t now = (int64_t)t;
        const c12_sim_item *it = &sp->items[next_u64(&rng) % sp->n_items];
        double inow = intensity_at(sp->trace, now), inext = intensity_at(sp->trace, now + C12_CARBON_HOUR_MS);
        for (int k = 0; k < C12_SIM_STRATEGIES; k++) {
            unsigned mask = 0;
            for (size_t i = 0; i < pp->n_models; i++)
                if (last_use[k][i] != INT64_MIN && now - last_use[k][i] <= keep_ms) mask |= 1u << i;
            c12_policy_request req = {.analysis = &it->a, .chat = 1, .prompt_tokens = it->prompt_tokens,
                                      .intensity_now = inow, .intensity_next = inext, .loaded_mask = mask};
            int m = c12_sim_strategies[k].pick(pol, &req);
            if (m < 0) return c12_fail(err, C12_ERR_NOT_FOUND, "simulate: %s found no model", res[k].name);
            const int loaded = (mask >> m) & 1u;
            double j = c12_policy_energy_j(pol, (size_t)m, it->prompt_tokens, c12_policy_out_tokens(pol, &it->a),
                                           loaded);
            res[k].loads += !loaded;
            last_use[k][m] = now;
            int cat = it->a.category, ok = c12_policy_adequate(pol, (size_t)m, it->a.category, it->a.tier);
            res[k].requests++;
            res[k].energy_j += j;
            res[k].co2_g += j / 3.6e6 * inow * pp->pue;
            res[k].adequate += ok;
            res[k].by_model[m]++;
            res[k].by_cat[cat]++;
            res[k].adequate_by_cat[cat] += ok;
        }
    }
    memcpy(out, res, sizeof res);
    return C12_OK;
}
