/* policy_directives.c - answer-length directives: the `policy.directives:`
 * section, its check, and which directive a request gets.
 *
 *   policy:
 *     directives:
 *       enabled: true                 # off by default: the operator opts in
 *       levels:                       # general and grounded chat requests
 *         - {above: 200, text: "Answer briefly."}
 *         - {above: 240, text: "Answer in at most two sentences."}
 *       code:                         # code requests: none unless listed
 *         - {above: 240, text: "Give only the code."}
 *
 * A level may also carry what was measured for it (c12 eval-quality
 * --directive): out_factor (output tokens with it / without; the policy
 * plans energy with it) and pass_factor (pass rate with it / without;
 * c12 simulate's adequacy). Both default to 1: not measured, no effect.
 * Levels given without `enabled` keep the built-in switch (off). */
#include <stdio.h>
#include <string.h>

#include "config/cfg_node.h"
#include "route/policy.h"

static const c12_cfg_key LEVEL_KEYS[] = {
    C12_CFG_SLOT("above", c12_cfg_slot_num, c12_policy_directive, above, 0, 1e5),
    C12_CFG_SLOT("text", c12_cfg_slot_str, c12_policy_directive, text, 0, 0),
    C12_CFG_SLOT("out_factor", c12_cfg_slot_num, c12_policy_directive, out_factor, 0.01, 10),
    C12_CFG_SLOT("pass_factor", c12_cfg_slot_num, c12_policy_directive, pass_factor, 0, 10),
    {0}};

/* A list of levels into out[0..*n). */
static c12_rc levels(const c12_cfg_node *v, const char *path, c12_policy_directive *out, size_t *n, c12_err *err)
{
    if (c12_cfg_kind_of(v) != C12_CFG_SEQ) return c12_cfg_fail(v, path, err, "must be a list of {above, text}");
    *n = 0;
    for (size_t i = 0; i < c12_cfg_len(v); i++) {
        const c12_cfg_node *e = c12_cfg_item(v, i);
        if (*n == C12_POLICY_LEVELS_MAX) return c12_cfg_fail(e, path, err, "too many (at most 4)");
        c12_policy_directive *d = &out[*n];
        *d = (c12_policy_directive){.out_factor = 1, .pass_factor = 1};
        c12_rc rc = c12_cfg_want_map(e, path, err);
        if (!rc) rc = c12_cfg_walk(e, path, LEVEL_KEYS, d, err);
        if (rc) return rc;
        if (!c12_cfg_get(e, "above") || !d->text[0]) return c12_cfg_fail(e, path, err, "each needs above and text");
        if (*n && !(d->above > out[*n - 1].above)) return c12_cfg_fail(e, path, err, "levels must increase");
        (*n)++;
    }
    return C12_OK;
}

static c12_rc set_levels(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    c12_policy_directives *d = obj;
    return levels(v, path, d->levels, &d->n_levels, err);
}

static c12_rc set_code(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    c12_policy_directives *d = obj;
    return levels(v, path, d->code, &d->n_code, err);
}

static const c12_cfg_key KEYS[] = {
    C12_CFG_SLOT("enabled", c12_cfg_slot_bool, c12_policy_directives, enabled, 0, 0),
    C12_CFG_SET("levels", set_levels),
    C12_CFG_SET("code", set_code),
    {0}};

c12_rc c12_policy_directives_set(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj,
                                 c12_err *err)
{
    c12_policy_params *p = obj;
    c12_policy_directives d = p->directives; /* the built-in levels stay unless replaced */
    c12_rc rc = c12_cfg_want_map(v, path, err);
    if (!rc) rc = c12_cfg_walk(v, path, KEYS, &d, err);
    if (rc) return rc;
    p->directives = d;
    return C12_OK;
}

static c12_rc check_list(const c12_policy_directive *l, size_t n, const char *what, c12_err *err)
{
    if (n > C12_POLICY_LEVELS_MAX)
        return c12_fail(err, C12_ERR_INVALID, "policy.directives.%s: at most %d", what, C12_POLICY_LEVELS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (!(l[i].above >= 0) || !l[i].text[0] || memchr(l[i].text, '\0', sizeof l[i].text) == NULL)
            return c12_fail(err, C12_ERR_INVALID, "policy.directives.%s[%zu]: above >= 0 and a text", what, i);
        if (!(l[i].out_factor > 0 && l[i].out_factor <= 10) || !(l[i].pass_factor >= 0 && l[i].pass_factor <= 10))
            return c12_fail(err, C12_ERR_INVALID, "policy.directives.%s[%zu]: factors in (0, 10]", what, i);
        if (i && !(l[i].above > l[i - 1].above))
            return c12_fail(err, C12_ERR_INVALID, "policy.directives.%s[%zu]: levels must increase", what, i);
    }
    return C12_OK;
}

c12_rc c12_policy_directives_check(const c12_policy_directives *d, c12_err *err)
{
    c12_rc rc = check_list(d->levels, d->n_levels, "levels", err);
    return rc ? rc : check_list(d->code, d->n_code, "code", err);
}

const c12_policy_directive *c12_policy_directive_pick(const c12_policy_directives *d, c12_route_category cat,
                                                       double blend, int *level)
{
    if (!d->enabled) return NULL;
    const c12_policy_directive *l = cat == C12_ROUTE_CODE ? d->code : d->levels;
    size_t n = cat == C12_ROUTE_CODE ? d->n_code : d->n_levels, k = 0;
    while (k < n && blend > l[k].above) k++;
    if (!k) return NULL;
    *level = (int)k;
    return &l[k - 1];
}
