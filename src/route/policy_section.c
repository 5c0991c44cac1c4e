/* policy_section.c - the `policy:` section of the configuration (read with
 * src/config's node API):
 *
 *   policy:
 *     min_rating: 0.5            # needed at normal intensity; "adequate"
 *     forecast_weight: 0.5       # blend = now + w (next hour - now)
 *     default_output_tokens: 256
 *     pue: 1.0
 *     thresholds:                # increasing; above each, a lower bar
 *       - {above: 200, min_rating: 0.3}
 *       - {above: 240, min_rating: 0.05}
 *     models:                    # replaces the built-in list when present
 *       smollm2-135m:
 *         chat: true
 *         params_b: 0.135
 *         code: [0.07, 0.07, 0.07]      # low, medium, high
 *         general: [0.5, 0.3, 0.1]
 *         grounded: [0.6, 0.6, 0.6]     # optional: the general ratings when absent
 *         source: "MBPP pass@1 3/40 ..."
 *     directives: {...}          # answer-length directives: policy_directives.c
 *
 * Unknown keys are errors naming file:line and the key, so a typo cannot
 * silently leave a default in force. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg_node.h"
#include "route/policy.h"

static c12_rc ratings(const c12_cfg_node *v, const char *path, double out[3], c12_err *err)
{
    if (c12_cfg_kind_of(v) != C12_CFG_SEQ || c12_cfg_len(v) != 3)
        return c12_cfg_fail(v, path, err, "must be a list of 3 ratings (low, medium, high tier) in 0..1");
    for (size_t i = 0; i < 3; i++) {
        c12_rc rc = c12_cfg_num(c12_cfg_item(v, i), path, 0, 1, &out[i], err);
        if (rc) return rc;
    }
    return C12_OK;
}

/* One category's ratings: the key's name is the category's. */
static c12_rc set_ratings(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    return ratings(v, path, ((c12_policy_model *)obj)->rating[c12_route_category_parse(k->name)], err);
}

static const c12_cfg_key MODEL_KEYS[] = {
    C12_CFG_SLOT("chat", c12_cfg_slot_bool, c12_policy_model, chat, 0, 0),
    C12_CFG_SLOT("params_b", c12_cfg_slot_num, c12_policy_model, params_b, 1e-6, 999),
    C12_CFG_SET("code", set_ratings),
    C12_CFG_SET("general", set_ratings),
    C12_CFG_SET("grounded", set_ratings),
    C12_CFG_SLOT("source", c12_cfg_slot_str, c12_policy_model, source, 0, 0),
    {0}};

/* `at` is the model's name node: errors about the whole entry point there. */
static c12_rc one_model(const c12_cfg_node *at, const c12_cfg_node *n, c12_policy_model *m, c12_err *err)
{
    const char *name = c12_cfg_scalar(at);
    char path[160];
    snprintf(path, sizeof path, "policy.models.%s", name);
    if (strlen(name) >= sizeof m->name) return c12_cfg_fail(at, path, err, "name too long");
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    m->chat = 1;
    c12_rc rc = c12_cfg_want_map(n, path, err);
    if (!rc) rc = c12_cfg_walk(n, path, MODEL_KEYS, m, err);
    if (rc) return rc;
    if (!c12_cfg_get(n, "code") || !c12_cfg_get(n, "general") || !c12_cfg_get(n, "params_b"))
        return c12_cfg_fail(at, path, err, "needs params_b, code and general");
    /* a file written before the grounded category: a question about a given
     * passage is rated as the model's general questions */
    if (!c12_cfg_get(n, "grounded"))
        memcpy(m->rating[C12_ROUTE_GROUNDED], m->rating[C12_ROUTE_GENERAL], sizeof m->rating[0]);
    if (!m->source[0]) return c12_cfg_fail(at, path, err, "needs a source: where its ratings came from");
    return C12_OK;
}

static c12_rc set_models(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    c12_policy_params *p = obj;
    if (c12_cfg_kind_of(v) != C12_CFG_MAP) return c12_cfg_fail(v, path, err, "must be a mapping of name: {...}");
    p->n_models = 0;
    for (size_t i = 0; i < c12_cfg_len(v); i++) {
        const c12_cfg_node *mk = c12_cfg_pair_key(v, i);
        const char *name = c12_cfg_scalar(mk);
        if (!name) return c12_cfg_fail(mk, path, err, "names must be plain words");
        if (p->n_models == C12_POLICY_MODELS_MAX) return c12_cfg_fail(mk, path, err, "at most 8 models");
        for (size_t j = 0; j < p->n_models; j++)
            if (!strcmp(p->models[j].name, name)) return c12_cfg_fail(mk, path, err, "named twice");
        c12_rc rc = one_model(mk, c12_cfg_pair_value(v, i), &p->models[p->n_models], err);
        if (rc) return rc;
        p->n_models++;
    }
    return p->n_models ? C12_OK : c12_cfg_fail(v, path, err, "at least one model");
}

static const c12_cfg_key LEVEL_KEYS[] = {
    C12_CFG_SLOT("above", c12_cfg_slot_num, c12_policy_level, above, 0, 1e5),
    C12_CFG_SLOT("min_rating", c12_cfg_slot_num, c12_policy_level, min_rating, 0, 1),
    {0}};

static c12_rc set_levels(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    c12_policy_params *p = obj;
    if (c12_cfg_kind_of(v) != C12_CFG_SEQ) return c12_cfg_fail(v, path, err, "must be a list");
    p->n_levels = 0;
    for (size_t i = 0; i < c12_cfg_len(v); i++) {
        const c12_cfg_node *e = c12_cfg_item(v, i);
        c12_policy_level *l = &p->levels[p->n_levels];
        if (p->n_levels == C12_POLICY_LEVELS_MAX) return c12_cfg_fail(e, path, err, "too many (at most 4)");
        c12_rc rc = c12_cfg_want_map(e, path, err);
        if (!rc) rc = c12_cfg_walk(e, path, LEVEL_KEYS, l, err);
        if (rc) return rc;
        if (!c12_cfg_get(e, "above") || !c12_cfg_get(e, "min_rating"))
            return c12_cfg_fail(e, path, err, "each needs above and min_rating");
        if (p->n_levels && !(l->above > p->levels[p->n_levels - 1].above))
            return c12_cfg_fail(e, path, err, "thresholds must increase");
        p->n_levels++;
    }
    return C12_OK;
}

static const c12_cfg_key POLICY_KEYS[] = {
    C12_CFG_SLOT("min_rating", c12_cfg_slot_num, c12_policy_params, min_rating, 0, 1),
    C12_CFG_SLOT("forecast_weight", c12_cfg_slot_num, c12_policy_params, forecast_weight, 0, 1),
    C12_CFG_SLOT("default_output_tokens", c12_cfg_slot_num, c12_policy_params, default_out_tokens, 1, 1e6),
    C12_CFG_SLOT("pue", c12_cfg_slot_num, c12_policy_params, pue, 1, 10),
    C12_CFG_SET("thresholds", set_levels),
    C12_CFG_SET("models", set_models),
    C12_CFG_SET("directives", c12_policy_directives_set),
    {0}};

c12_rc c12_policy_section(const c12_cfg_node *n, c12_policy_params *out, c12_err *err)
{
    c12_policy_params p;
    c12_policy_defaults(&p);
    c12_rc rc = n ? c12_cfg_walk(n, "policy", POLICY_KEYS, &p, err) : C12_OK;
    if (rc) return rc;
    *out = p;
    return C12_OK;
}
