/* policy.c - ranking the models for one request (see policy.h), the
 * refcounted policy object and the reload slot. */
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "route/policy.h"

struct c12_policy {
    atomic_int refs;
    c12_policy_params p;
    c12_policy_cost cost[C12_POLICY_MODELS_MAX];
    int strongest; /* the largest chat model, or -1 */
};

static c12_rc check(const c12_policy_params *p, c12_err *err)
{
    if (p->n_models == 0 || p->n_models > C12_POLICY_MODELS_MAX)
        return c12_fail(err, C12_ERR_INVALID, "policy.models: 1..%d models", C12_POLICY_MODELS_MAX);
    if (!(p->min_rating >= 0 && p->min_rating <= 1))
        return c12_fail(err, C12_ERR_INVALID, "policy.min_rating: must be in 0..1");
    if (p->n_levels > C12_POLICY_LEVELS_MAX)
        return c12_fail(err, C12_ERR_INVALID, "policy.thresholds: at most %d", C12_POLICY_LEVELS_MAX);
    for (size_t i = 0; i < p->n_levels; i++) {
        const c12_policy_level *l = &p->levels[i];
        if (!(l->above >= 0) || !(l->min_rating >= 0 && l->min_rating <= 1))
            return c12_fail(err, C12_ERR_INVALID, "policy.thresholds[%zu]: above >= 0, min_rating in 0..1", i);
        if (i && !(l->above > p->levels[i - 1].above))
            return c12_fail(err, C12_ERR_INVALID, "policy.thresholds[%zu]: thresholds must increase", i);
    }
    if (!(p->forecast_weight >= 0 && p->forecast_weight <= 1))
        return c12_fail(err, C12_ERR_INVALID, "policy.forecast_weight: must be in 0..1");
    if (!(p->default_out_tokens >= 1 && p->default_out_tokens <= 1e6))
        return c12_fail(err, C12_ERR_INVALID, "policy.default_output_tokens: must be in 1..1000000");
    if (!(p->pue >= 1 && p->pue <= 10)) return c12_fail(err, C12_ERR_INVALID, "policy.pue: must be in 1..10");
    c12_rc rc = c12_policy_directives_check(&p->directives, err);
    if (rc) return rc;
    for (size_t i = 0; i < p->n_models; i++) {
        const c12_policy_model *m = &p->models[i];
        if (!m->name[0]) return c12_fail(err, C12_ERR_INVALID, "policy.models[%zu]: no name", i);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(p->models[j].name, m->name))
                return c12_fail(err, C12_ERR_INVALID, "policy.models.%s: named twice", m->name);
        if (!(m->params_b > 0 && m->params_b < 1000))
            return c12_fail(err, C12_ERR_INVALID, "policy.models.%s.params_b: must be in (0, 1000)", m->name);
        for (int c = 0; c < C12_ROUTE_NCAT; c++)
            for (int t = 0; t < 3; t++)
                if (!(m->rating[c][t] >= 0 && m->rating[c][t] <= 1))
                    return c12_fail(err, C12_ERR_INVALID, "policy.models.%s: ratings must be in 0..1", m->name);
    }
    return C12_OK;
}

c12_rc c12_policy_new(const c12_policy_params *p, const c12_calibration *cal, c12_policy **out, c12_err *err)
{
    c12_rc rc = check(p, err);
    if (rc) return rc;
    c12_policy *pol = c12_calloc(1, sizeof *pol);
    if (!pol) return c12_fail(err, C12_ERR_NOMEM, "policy: out of memory");
    atomic_init(&pol->refs, 1);
    pol->p = *p;
    for (size_t i = 0; i < p->n_models; i++) c12_policy_rates(p->models[i].name, p->models[i].params_b, cal, &pol->cost[i]);
    pol->strongest = -1;
    for (size_t i = 0; i < p->n_models; i++)
        if (p->models[i].chat && (pol->strongest < 0 || p->models[i].params_b > p->models[pol->strongest].params_b))
            pol->strongest = (int)i;
    *out = pol;
    return C12_OK;
}

c12_policy *c12_policy_ref(c12_policy *p)
{
    if (p) atomic_fetch_add(&p->refs, 1);
    return p;
}

void c12_policy_unref(c12_policy *p)
{
    if (p && atomic_fetch_sub(&p->refs, 1) == 1) c12_free(p);
}

const c12_policy_params *c12_policy_get_params(const c12_policy *p) { return &p->p; }

const c12_policy_cost *c12_policy_get_cost(const c12_policy *p, size_t i)
{
    return i < p->p.n_models ? &p->cost[i] : NULL;
}

int c12_policy_find(const c12_policy *p, const char *name)
{
    for (size_t i = 0; i < p->p.n_models; i++)
        if (!strcmp(p->p.models[i].name, name)) return (int)i;
    return -1;
}

const char *c12_policy_model_name(const c12_policy *p, const char *id, const char *source)
{
    return p && c12_policy_find(p, id) < 0 && source && c12_policy_find(p, source) >= 0 ? source : id;
}

int c12_policy_adequate(const c12_policy *p, size_t i, c12_route_category cat, c12_route_tier tier)
{
    return i < p->p.n_models && p->p.models[i].rating[cat][tier] >= p->p.min_rating;
}

/* Rank groups: 0 adequate and in time, 1 in time, 2 too slow. */
static int group(const c12_policy_choice *c) { return c->in_time ? (c->adequate ? 0 : 1) : 2; }

/* Whether a goes before b (see c12_policy_decide). */
static int before(const c12_policy_choice *a, const c12_policy_choice *b)
{
    int ga = group(a), gb = group(b);
    if (ga != gb) return ga < gb;
    if (ga == 0 && a->co2_g != b->co2_g) return a->co2_g < b->co2_g;
    if (ga == 1 && a->rating != b->rating) return a->rating > b->rating;
    if (ga == 2 && a->seconds != b->seconds) return a->seconds < b->seconds;
    return a->model < b->model;
}

/* Append to a fixed buffer, truncating quietly. */
static void add(char *buf, size_t cap, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0) *len = *len + (size_t)n < cap ? *len + (size_t)n : cap - 1;
}

static const char *why_first(const c12_policy_choice *c)
{
    if (!c->in_time) return "none fast enough, fastest";
    if (!c->adequate) return "none adequate, best rated";
    return "cleanest adequate";
}

double c12_policy_prompt_tokens(size_t len) { return ceil((double)len / 4.0) + 8.0; }

double c12_policy_out_tokens(const c12_policy *p, const c12_route_analysis *a)
{
    return a->out_tokens > 0 ? (double)a->out_tokens : p->p.default_out_tokens;
}

double c12_policy_cost_j(const c12_policy_cost *k, double prompt_tok, double out_tok, int loaded)
{
    return k->j_prompt * prompt_tok + k->j_out * out_tok + (loaded ? 0 : k->load_j);
}

double c12_policy_energy_j(const c12_policy *p, size_t i, double prompt_tok, double out_tok, int loaded)
{
    return c12_policy_cost_j(&p->cost[i], prompt_tok, out_tok, loaded);
}

int c12_policy_strongest(const c12_policy *p) { return p->strongest; }

c12_rc c12_policy_decide(const c12_policy *pol, const c12_policy_request *req, c12_policy_decision *out,
                         c12_err *err)
{
    const c12_policy_params *p = &pol->p;
    const c12_route_analysis *a = req->analysis;
    if (!a || !(req->prompt_tokens >= 0) || !(req->intensity_now >= 0) || !(req->max_latency_ms >= 0))
        return c12_fail(err, C12_ERR_INVALID, "policy: bad request (analysis, tokens, intensity, latency)");
    double next = isnan(req->intensity_next) || req->intensity_next < 0 ? req->intensity_now : req->intensity_next;
    double blend = req->intensity_now + p->forecast_weight * (next - req->intensity_now);
    int level = 0;
    while ((size_t)level < p->n_levels && blend > p->levels[level].above) level++;
    double need = level ? p->levels[level - 1].min_rating : p->min_rating;
    double out_tok = req->out_tokens > 0 ? req->out_tokens : c12_policy_out_tokens(pol, a);
    c12_policy_decision d;
    d.n = 0;
    d.directive = 0;
    d.dir = req->chat && !req->no_directive ? c12_policy_directive_pick(&p->directives, a->category, blend, &d.directive)
                                            : NULL;
    if (d.dir) out_tok *= d.dir->out_factor; /* as measured: a shorter answer costs less */
    for (size_t i = 0; i < p->n_models; i++) {
        if (req->chat && !p->models[i].chat) continue; /* a base model cannot chat */
        const c12_policy_cost *k = &pol->cost[i];
        c12_policy_choice c = {.model = (int)i, .rating = p->models[i].rating[a->category][a->tier],
                               .loaded = (int)((req->loaded_mask >> i) & 1u)};
        double marginal = req->out_marginal[i] > 0 ? req->out_marginal[i] : 1.0;
        c.energy_j = c12_policy_energy_j(pol, i, req->prompt_tokens, out_tok * marginal, c.loaded);
        c.seconds = k->s_prompt * req->prompt_tokens + k->s_out * out_tok + (c.loaded ? 0 : k->load_s);
        /* the energy is spent now: the current intensity prices it */
        c.co2_g = c.energy_j / 3.6e6 * req->intensity_now * p->pue;
        c.adequate = c.rating >= need;
        c.in_time = req->max_latency_ms <= 0 || c.seconds * 1000.0 <= req->max_latency_ms;
        size_t j = d.n++; /* insertion sort: at most 8 */
        while (j > 0 && before(&c, &d.c[j - 1])) {
            d.c[j] = d.c[j - 1];
            j--;
        }
        d.c[j] = c;
    }
    if (d.n == 0)
        return c12_fail(err, C12_ERR_NOT_FOUND, "policy: no configured model can take a %s request",
                        req->chat ? "chat" : "completion");
    d.level = level;
    d.intensity = blend;
    d.min_rating = need;
    const c12_policy_choice *b = &d.c[0];
    const char *cat = c12_route_category_name(a->category), *tier = c12_route_tier_name(a->tier);
    char dir[24] = "";
    if (d.dir) snprintf(dir, sizeof dir, "; directive %d", d.directive);
    snprintf(d.reason, sizeof d.reason, "%s/%s, %.0f g/kWh%s: %s %.2f>=%.2f, %s%s", cat, tier, blend,
             level ? " (high)" : "", p->models[b->model].name, b->rating, need, why_first(b), dir);
    size_t len = 0;
    d.explain[0] = 0;
    add(d.explain, sizeof d.explain, &len,
        "request: %s, %s tier, %.0f prompt + %.0f output tokens%s; intensity now %.0f, next hour %.0f, blend %.0f "
        "g/kWh: level %d, needs rating >= %.2f",
        cat, tier, req->prompt_tokens, out_tok, req->chat ? ", chat" : ", completion", req->intensity_now, next,
        blend, level, need);
    if (req->max_latency_ms > 0) add(d.explain, sizeof d.explain, &len, "; latency <= %.0f ms", req->max_latency_ms);
    if (d.dir)
        add(d.explain, sizeof d.explain, &len, "; directive %d (above %.0f g/kWh, output x%.2f): \"%s\"", d.directive,
            d.dir->above, d.dir->out_factor, d.dir->text);
    for (size_t i = 0; i < d.n; i++) {
        const c12_policy_choice *c = &d.c[i];
        const c12_policy_cost *k = &pol->cost[c->model];
        add(d.explain, sizeof d.explain, &len, "\n%zu. %s: rating %.2f%s, %.1f J, %.2f s, %.4f g%s%s%s%s", i + 1,
            p->models[c->model].name, c->rating, c->adequate ? "" : " (too low)", c->energy_j, c->seconds,
            c->co2_g, c->loaded ? ", loaded" : ", needs a load", c->in_time ? "" : ", too slow",
            k->from == C12_RATES_CALIBRATED ? "" : ", rates ", k->from == C12_RATES_CALIBRATED ? "" : k->basis);
    }
    *out = d;
    return C12_OK;
}

void c12_policy_slot_init(c12_policy_slot *s, c12_policy *initial)
{
    pthread_mutex_init(&s->mu, NULL);
    s->cur = initial;
}

void c12_policy_slot_destroy(c12_policy_slot *s)
{
    c12_policy_unref(s->cur);
    s->cur = NULL;
    pthread_mutex_destroy(&s->mu);
}

c12_policy *c12_policy_slot_get(c12_policy_slot *s)
{
    pthread_mutex_lock(&s->mu);
    c12_policy *p = c12_policy_ref(s->cur);
    pthread_mutex_unlock(&s->mu);
    return p;
}

void c12_policy_slot_swap(c12_policy_slot *s, c12_policy *next)
{
    pthread_mutex_lock(&s->mu);
    c12_policy *old = s->cur;
    s->cur = next;
    pthread_mutex_unlock(&s->mu);
    c12_policy_unref(old); /* outside the lock: freeing takes no one's time */
}
