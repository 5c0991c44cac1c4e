/* sim.c - the simulator's accounting and the four strategies (see sim.h). */
#include <math.h>
#include <string.h>

#include "base/c12_alloc.h"
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

static int pick_strongest(const c12_policy *p, const c12_policy_request *r, c12_sim_pick *out)
{
    return c12_policy_strongest(p);
}

static int pick_smallest(const c12_policy *p, const c12_policy_request *r, c12_sim_pick *out)
{
    return smallest(p);
}

/* code -> the best-rated model for code (qwen2.5-coder), else the smallest */
static int pick_code_only(const c12_policy *p, const c12_policy_request *r, c12_sim_pick *out)
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

static int pick_carbon(const c12_policy *p, const c12_policy_request *r, c12_sim_pick *out)
{
    c12_policy_decision d;
    if (c12_policy_decide(p, r, &d, NULL)) return -1;
    out->dir = d.dir;
    out->level = d.directive;
    return d.c[0].model;
}

const c12_sim_strategy c12_sim_strategies[C12_SIM_STRATEGIES] = {
    {"always-strongest", pick_strongest, 0},
    {"always-smallest", pick_smallest, 0},
    {"code-only", pick_code_only, 0},
    {"carbon-aware", pick_carbon, 0},
    {"- grounded category", pick_carbon, C12_SIM_NO_GROUNDED},
    {"+ response cache", pick_carbon, C12_SIM_CACHE},
    {"+ directives", pick_carbon, C12_SIM_DIRECTIVES},
    {"+ cache, directives", pick_carbon, C12_SIM_CACHE | C12_SIM_DIRECTIVES},
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

/* What a row keeps between arrivals: when each model was last used, and
 * with the cache lever each answer's store time, arrival count and
 * adequacy, by (row, model, directive level). */
typedef struct sim_row {
    c12_sim_result r;
    int64_t last_use[C12_POLICY_MODELS_MAX];
    int64_t *stored_ms;   /* INT64_MIN: not cached */
    size_t *stored_seq;
    unsigned char *stored_ok;
    size_t seq;           /* arrivals so far */
} sim_row;

#define SIM_DIR_SLOTS (C12_POLICY_LEVELS_MAX + 1)

/* One arrival: what it is, when, and at what intensity. */
typedef struct arrival {
    const c12_sim_item *it;
    size_t item;
    int64_t now;
    double inow, inext;
    int cacheable;
} arrival;

/* The cache's answer slot of (item, model, directive level), if answered. */
static size_t slot_of(size_t item, int m, int level)
{
    return (item * C12_POLICY_MODELS_MAX + (size_t)m) * SIM_DIR_SLOTS + (size_t)level;
}

static int cache_hit(const sim_row *w, const c12_sim_params *sp, const arrival *a, size_t slot)
{
    if (!w->stored_ms || !a->cacheable || w->stored_ms[slot] == INT64_MIN) return 0;
    if (sp->cache_ttl_s > 0 && (double)(a->now - w->stored_ms[slot]) >= sp->cache_ttl_s * 1000.0) return 0;
    return w->seq - w->stored_seq[slot] < sp->cache_entries;
}

static c12_rc serve(const c12_policy *pol, const c12_sim_params *sp, const c12_sim_strategy *st, sim_row *w,
                    const arrival *a, c12_err *err)
{
    const c12_policy_params *pp = c12_policy_get_params(pol);
    const int64_t keep_ms = (int64_t)(sp->keep_alive_s * 1000.0);
    unsigned mask = 0;
    for (size_t i = 0; i < pp->n_models; i++)
        if (w->last_use[i] != INT64_MIN && a->now - w->last_use[i] <= keep_ms) mask |= 1u << i;
    c12_route_analysis seen = a->it->a; /* what the router says; the category is the truth below */
    if ((st->levers & C12_SIM_NO_GROUNDED) && seen.category == C12_ROUTE_GROUNDED) seen.category = C12_ROUTE_GENERAL;
    c12_policy_request req = {.analysis = &seen, .chat = 1, .prompt_tokens = a->it->prompt_tokens,
                              .intensity_now = a->inow, .intensity_next = a->inext, .loaded_mask = mask,
                              .no_directive = !(st->levers & C12_SIM_DIRECTIVES)};
    c12_sim_pick pk = {0};
    int m = st->pick(pol, &req, &pk);
    if (m < 0) return c12_fail(err, C12_ERR_NOT_FOUND, "simulate: %s found no model", st->name);
    const c12_policy_directive *dir = pk.dir;
    c12_sim_result *r = &w->r;
    const int cat = a->it->a.category;
    size_t slot = slot_of(a->item, m, pk.level);
    int ok;
    w->seq++;
    r->requests++;
    r->by_model[m]++;
    r->by_cat[cat]++;
    if (cache_hit(w, sp, a, slot)) {
        r->cache_hits++;
        ok = w->stored_ok[slot];
    } else {
        const int loaded = (mask >> m) & 1u;
        double out = c12_policy_out_tokens(pol, &a->it->a) * (dir ? dir->out_factor : 1);
        double j = c12_policy_energy_j(pol, (size_t)m, a->it->prompt_tokens, out, loaded);
        double rating = pp->models[m].rating[cat][a->it->a.tier] * (dir ? dir->pass_factor : 1);
        ok = rating >= pp->min_rating;
        r->loads += !loaded;
        r->directed += dir != NULL;
        r->out_tokens += out;
        r->energy_j += j;
        r->co2_g += j / 3.6e6 * a->inow * pp->pue;
        w->last_use[m] = a->now;
        if (w->stored_ms && a->cacheable) {
            w->stored_ms[slot] = a->now;
            w->stored_seq[slot] = w->seq;
            w->stored_ok[slot] = (unsigned char)ok;
        }
    }
    r->adequate += ok;
    r->adequate_by_cat[cat] += ok;
    return C12_OK;
}

static void rows_free(sim_row *rows)
{
    for (int k = 0; k < C12_SIM_STRATEGIES; k++) {
        c12_free(rows[k].stored_ms);
        c12_free(rows[k].stored_seq);
        c12_free(rows[k].stored_ok);
    }
}

static c12_rc rows_init(sim_row *rows, size_t n_items, c12_err *err)
{
    memset(rows, 0, sizeof(sim_row) * C12_SIM_STRATEGIES);
    size_t n = n_items * C12_POLICY_MODELS_MAX * SIM_DIR_SLOTS;
    for (int k = 0; k < C12_SIM_STRATEGIES; k++) {
        rows[k].r.name = c12_sim_strategies[k].name;
        for (int i = 0; i < C12_POLICY_MODELS_MAX; i++) rows[k].last_use[i] = INT64_MIN;
        if (!(c12_sim_strategies[k].levers & C12_SIM_CACHE)) continue;
        rows[k].stored_ms = c12_malloc(n * sizeof *rows[k].stored_ms);
        rows[k].stored_seq = c12_calloc(n, sizeof *rows[k].stored_seq);
        rows[k].stored_ok = c12_calloc(n, 1);
        if (!rows[k].stored_ms || !rows[k].stored_seq || !rows[k].stored_ok) {
            rows_free(rows);
            return c12_fail(err, C12_ERR_NOMEM, "simulate: out of memory for the cache of %zu rows", n_items);
        }
        for (size_t i = 0; i < n; i++) rows[k].stored_ms[i] = INT64_MIN;
    }
    return C12_OK;
}

c12_rc c12_sim_run(const c12_policy *pol, const c12_sim_params *sp, c12_sim_result *out, c12_err *err)
{
    if (!sp->trace || sp->trace->n == 0 || !sp->items || sp->n_items == 0 || !(sp->rate_per_h > 0) ||
        !(sp->days > 0) || !(sp->keep_alive_s >= 0) || !(sp->cacheable >= 0 && sp->cacheable <= 1) ||
        !(sp->cache_ttl_s >= 0))
        return c12_fail(err, C12_ERR_INVALID,
                        "simulate: needs a trace, a workload, rate > 0, days > 0 and a cacheable share in 0..1");
    sim_row rows[C12_SIM_STRATEGIES];
    c12_rc rc = rows_init(rows, sp->n_items, err);
    if (rc) return rc;
    uint64_t rng = sp->seed, rng_cache = sp->seed ^ 0x43616368652121ull; /* its own stream: the arrivals stay */
    const double end_ms = sp->start_ms + sp->days * C12_CARBON_DAY_MS;
    double t = (double)sp->start_ms;
    for (;;) {
        t += -log(uniform01(&rng)) / sp->rate_per_h * (double)C12_CARBON_HOUR_MS;
        if (t >= end_ms) break;
        arrival a = {.now = (int64_t)t, .item = next_u64(&rng) % sp->n_items};
        a.it = &sp->items[a.item];
        a.inow = intensity_at(sp->trace, a.now);
        a.inext = intensity_at(sp->trace, a.now + C12_CARBON_HOUR_MS);
        a.cacheable = uniform01(&rng_cache) < sp->cacheable;
        for (int k = 0; !rc && k < C12_SIM_STRATEGIES; k++) rc = serve(pol, sp, &c12_sim_strategies[k], &rows[k], &a, err);
        if (rc) break;
    }
    for (int k = 0; !rc && k < C12_SIM_STRATEGIES; k++) out[k] = rows[k].r;
    rows_free(rows);
    return rc;
}
