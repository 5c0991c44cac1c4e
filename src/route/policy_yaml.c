/* policy_yaml.c - the `policy:` section of the YAML configuration:
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
 *         source: "MBPP pass@1 3/40 ..."
 *
 * Unknown keys are errors naming file:line and the key, so a typo cannot
 * silently leave a default in force. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/c12_alloc.h"
#include "base/c12_file.h"
#include "route/policy.h"

typedef struct yctx {
    yaml_document_t *doc;
    const char *file;
    c12_err *err;
} yctx;

static c12_rc fail_at(const yctx *y, const yaml_node_t *n, const char *key, const char *what)
{
    return c12_fail(y->err, C12_ERR_INVALID, "%s:%lu: %s: %s", y->file, (unsigned long)n->start_mark.line + 1, key,
                    what);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static c12_rc get_num(const yctx *y, const yaml_node_t *n, const char *key, double lo, double hi, double *out)
{
    const char *s = scalar(n);
    char *end = NULL;
    double v = s ? strtod(s, &end) : 0;
    if (!s || !*s || *end || !(v >= lo && v <= hi)) {
        char what[96];
        snprintf(what, sizeof what, "a number in %g..%g", lo, hi);
        return fail_at(y, n, key, what);
    }
    *out = v;
    return C12_OK;
}

static c12_rc get_bool(const yctx *y, const yaml_node_t *n, const char *key, int *out)
{
    const char *s = scalar(n);
    if (s && (!strcmp(s, "true") || !strcmp(s, "yes"))) *out = 1;
    else if (s && (!strcmp(s, "false") || !strcmp(s, "no"))) *out = 0;
    else return fail_at(y, n, key, "true or false");
    return C12_OK;
}

static c12_rc get_ratings(const yctx *y, const yaml_node_t *n, const char *key, double out[3])
{
    if (n->type != YAML_SEQUENCE_NODE || n->data.sequence.items.top - n->data.sequence.items.start != 3)
        return fail_at(y, n, key, "a list of 3 ratings (low, medium, high tier) in 0..1");
    for (int i = 0; i < 3; i++) {
        c12_rc rc = get_num(y, yaml_document_get_node(y->doc, n->data.sequence.items.start[i]), key, 0, 1, &out[i]);
        if (rc) return rc;
    }
    return C12_OK;
}

/* `at` is the model's name node: errors about the whole entry point there. */
static c12_rc parse_model(const yctx *y, const char *name, const yaml_node_t *at, const yaml_node_t *n,
                          c12_policy_model *m)
{
    char key[160];
    snprintf(key, sizeof key, "policy.models.%s", name);
    if (strlen(name) >= sizeof m->name) return fail_at(y, n, key, "name too long");
    if (n->type != YAML_MAPPING_NODE) return fail_at(y, n, key, "a mapping");
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    m->chat = 1;
    int have_code = 0, have_general = 0, have_params = 0;
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *kn = yaml_document_get_node(y->doc, pr->key), *vn = yaml_document_get_node(y->doc, pr->value);
        const char *k = scalar(kn);
        char sub[224];
        snprintf(sub, sizeof sub, "%s.%s", key, k ? k : "?");
        c12_rc rc = C12_OK;
        if (!k) rc = fail_at(y, kn, key, "keys must be plain words");
        else if (!strcmp(k, "chat")) rc = get_bool(y, vn, sub, &m->chat);
        else if (!strcmp(k, "params_b")) rc = get_num(y, vn, sub, 1e-6, 999, &m->params_b), have_params = 1;
        else if (!strcmp(k, "code")) rc = get_ratings(y, vn, sub, m->rating[C12_ROUTE_CODE]), have_code = 1;
        else if (!strcmp(k, "general")) rc = get_ratings(y, vn, sub, m->rating[C12_ROUTE_GENERAL]), have_general = 1;
        else if (!strcmp(k, "source")) {
            const char *s = scalar(vn);
            if (!s) rc = fail_at(y, vn, sub, "a string");
            else snprintf(m->source, sizeof m->source, "%s", s);
        } else rc = fail_at(y, kn, sub, "unknown key (chat, params_b, code, general, source)");
        if (rc) return rc;
    }
    if (!have_code || !have_general || !have_params) return fail_at(y, at, key, "needs params_b, code and general");
    if (!m->source[0]) return fail_at(y, at, key, "needs a source: where its ratings came from");
    return C12_OK;
}

static c12_rc parse_levels(const yctx *y, const yaml_node_t *n, c12_policy_params *p)
{
    if (n->type != YAML_SEQUENCE_NODE) return fail_at(y, n, "policy.thresholds", "a list");
    p->n_levels = 0;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(y->doc, *it);
        if (p->n_levels == C12_POLICY_LEVELS_MAX) return fail_at(y, e, "policy.thresholds", "too many (at most 4)");
        if (e->type != YAML_MAPPING_NODE) return fail_at(y, e, "policy.thresholds", "items are {above, min_rating}");
        c12_policy_level *l = &p->levels[p->n_levels];
        int seen = 0;
        for (yaml_node_pair_t *pr = e->data.mapping.pairs.start; pr < e->data.mapping.pairs.top; pr++) {
            yaml_node_t *kn = yaml_document_get_node(y->doc, pr->key), *vn = yaml_document_get_node(y->doc, pr->value);
            const char *k = scalar(kn);
            c12_rc rc;
            if (k && !strcmp(k, "above")) rc = get_num(y, vn, "policy.thresholds.above", 0, 1e5, &l->above), seen |= 1;
            else if (k && !strcmp(k, "min_rating"))
                rc = get_num(y, vn, "policy.thresholds.min_rating", 0, 1, &l->min_rating), seen |= 2;
            else rc = fail_at(y, kn, "policy.thresholds", "unknown key (above, min_rating)");
            if (rc) return rc;
        }
        if (seen != 3) return fail_at(y, e, "policy.thresholds", "each needs above and min_rating");
        if (p->n_levels && !(l->above > p->levels[p->n_levels - 1].above))
            return fail_at(y, e, "policy.thresholds.above", "thresholds must increase");
        p->n_levels++;
    }
    return C12_OK;
}

static c12_rc parse_section(const yctx *y, const yaml_node_t *n, c12_policy_params *p)
{
    if (n->type != YAML_MAPPING_NODE) return fail_at(y, n, "policy", "a mapping");
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *kn = yaml_document_get_node(y->doc, pr->key), *vn = yaml_document_get_node(y->doc, pr->value);
        const char *k = scalar(kn);
        c12_rc rc = C12_OK;
        if (!k) rc = fail_at(y, kn, "policy", "keys must be plain words");
        else if (!strcmp(k, "min_rating")) rc = get_num(y, vn, "policy.min_rating", 0, 1, &p->min_rating);
        else if (!strcmp(k, "forecast_weight")) rc = get_num(y, vn, "policy.forecast_weight", 0, 1, &p->forecast_weight);
        else if (!strcmp(k, "default_output_tokens"))
            rc = get_num(y, vn, "policy.default_output_tokens", 1, 1e6, &p->default_out_tokens);
        else if (!strcmp(k, "pue")) rc = get_num(y, vn, "policy.pue", 1, 10, &p->pue);
        else if (!strcmp(k, "thresholds")) rc = parse_levels(y, vn, p);
        else if (!strcmp(k, "models")) {
            if (vn->type != YAML_MAPPING_NODE) return fail_at(y, vn, "policy.models", "a mapping of name: {...}");
            p->n_models = 0;
            for (yaml_node_pair_t *mp = vn->data.mapping.pairs.start; !rc && mp < vn->data.mapping.pairs.top; mp++) {
                yaml_node_t *mk = yaml_document_get_node(y->doc, mp->key);
                if (!scalar(mk)) return fail_at(y, mk, "policy.models", "names must be plain words");
                if (p->n_models == C12_POLICY_MODELS_MAX) return fail_at(y, mk, "policy.models", "at most 8 models");
                rc = parse_model(y, scalar(mk), mk, yaml_document_get_node(y->doc, mp->value), &p->models[p->n_models]);
                if (!rc) {
                    for (size_t j = 0; j < p->n_models; j++)
                        if (!strcmp(p->models[j].name, scalar(mk))) return fail_at(y, mk, "policy.models", "named twice");
                    p->n_models++;
                }
            }
            if (!rc && p->n_models == 0) rc = fail_at(y, vn, "policy.models", "at least one model");
        } else {
            char key[96];
            snprintf(key, sizeof key, "policy.%.80s", k);
            rc = fail_at(y, kn, key, "unknown key (min_rating, forecast_weight, default_output_tokens, pue, "
                                     "thresholds, models)");
        }
        if (rc) return rc;
    }
    return C12_OK;
}

c12_rc c12_policy_parse_yaml(const char *text, size_t len, const char *filename, c12_policy_params *out,
                             c12_err *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    c12_policy_params p;
    c12_policy_defaults(&p);
    if (!yaml_parser_initialize(&parser)) return c12_fail(err, C12_ERR_NOMEM, "policy: yaml parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        c12_rc rc = c12_fail(err, C12_ERR_FORMAT, "%s:%lu: %s", filename, (unsigned long)parser.problem_mark.line + 1,
                             parser.problem ? parser.problem : "bad YAML");
        yaml_parser_delete(&parser);
        return rc;
    }
    yctx y = {&doc, filename, err};
    c12_rc rc = C12_OK;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && root->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; !rc && pr < root->data.mapping.pairs.top; pr++) {
            const char *k = scalar(yaml_document_get_node(&doc, pr->key));
            if (k && !strcmp(k, "policy")) rc = parse_section(&y, yaml_document_get_node(&doc, pr->value), &p);
        }
    } else if (root && !(root->type == YAML_SCALAR_NODE && !*scalar(root))) {
        rc = fail_at(&y, root, "(top)", "the configuration must be a mapping");
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc) return rc;
    *out = p;
    return C12_OK;
}

c12_rc c12_policy_load_yaml(const char *path, c12_policy_params *out, c12_err *err)
{
    char *text;
    size_t len;
    c12_rc rc = c12_read_file(path, 1u << 22, &text, &len, err);
    if (rc) return rc;
    rc = c12_policy_parse_yaml(text, len, path, out, err);
    c12_free(text);
    return rc;
}
