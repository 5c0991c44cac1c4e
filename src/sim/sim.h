/* sim.h - replaying a workload through the router and the policies over a
 * carbon trace, without generating (`c12 simulate`).
 *
 * Arrivals are a Poisson process of `rate_per_h` over `days` of trace time
 * from `start_ms`; each arrival draws a workload row (seeded, so a run is
 * deterministic). Every strategy (a row in c12_sim_strategies) sees the same
 * arrivals and keeps its own resident models: a model is loaded on first use
 * (its load energy counts) and unloaded after `keep_alive_s` idle. Energy is
 * the policy's cost model (calibrated, else estimated); CO2 is energy x the
 * trace's intensity at the arrival x PUE. A request is "adequate" when the
 * chosen model's rating for its category and tier meets the policy's base
 * min_rating.
 *
 * The carbon-aware policy runs again with each of its token-saving levers
 * (issue 18) on, alone and together:
 *   - the response cache: an arrival whose row was answered by the same model
 *     with the same directive within the cache's ttl_s, with fewer than
 *     max_entries arrivals since (an LRU bound that counts repeats as new
 *     keys: conservative), costs nothing and is as adequate as the answer it
 *     replays; only a `cacheable` share of arrivals (deterministic requests)
 *     may hit;
 *   - answer-length directives (policy.directives, forced on for this row):
 *     the planned output is scaled by the level's measured out_factor, and
 *     adequacy needs rating x pass_factor >= min_rating;
 * and once without the grounded category (the router before it: a question
 * about a given passage routed as general; its adequacy is still judged by
 * the chosen model's grounded rating). */
#ifndef C12_SIM_H
#define C12_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"
#include "carbon/carbon.h"
#include "route/policy.h"
#include "route/route.h"

/* One workload row, analysed once by the real router. */
typedef struct c12_sim_item {
    c12_route_analysis a;
    double prompt_tokens;
} c12_sim_item;

/* The levers a strategy row runs with. */
enum { C12_SIM_CACHE = 1, C12_SIM_DIRECTIVES = 2, C12_SIM_NO_GROUNDED = 4 };

/* The policy's directive for a request (only the carbon-aware rows give one). */
typedef struct c12_sim_pick {
    const c12_policy_directive *dir; /* NULL: none */
    int level;                       /* its level, 1-based; 0: none */
} c12_sim_pick;

/* A strategy picks a model index for a request (and the policy's
 * directive, when its row has the directives lever). */
typedef struct c12_sim_strategy {
    const char *name;
    int (*pick)(const c12_policy *p, const c12_policy_request *req, c12_sim_pick *out);
    unsigned levers;
} c12_sim_strategy;

#define C12_SIM_STRATEGIES 8
extern const c12_sim_strategy c12_sim_strategies[C12_SIM_STRATEGIES];

typedef struct c12_sim_params {
    const c12_carbon_series *trace;
    const c12_sim_item *items;
    size_t n_items;
    int64_t start_ms;
    double days, rate_per_h, keep_alive_s;
    uint64_t seed;
    double cache_ttl_s;      /* the response cache's (0: answers never expire) */
    size_t cache_entries;    /* its max_entries */
    double cacheable;        /* share of arrivals that are deterministic, 0..1 */
} c12_sim_params;

typedef struct c12_sim_result {
    const char *name;
    size_t requests, adequate, loads;
    size_t cache_hits, directed; /* answered from the cache; given a directive */
    double energy_j, co2_g;
    double out_tokens;           /* generated (planned), over all requests */
    size_t by_model[C12_POLICY_MODELS_MAX];
    size_t by_cat[C12_ROUTE_NCAT], adequate_by_cat[C12_ROUTE_NCAT];
} c12_sim_result;

/* Run every strategy; out has C12_SIM_STRATEGIES rows. The rows with the
 * directives lever use the policy's directives when it enables them (c12
 * simulate turns them on: the rows without the lever opt out). */
c12_rc c12_sim_run(const c12_policy *pol, const c12_sim_params *sp, c12_sim_result *out, c12_err *err);

#endif
