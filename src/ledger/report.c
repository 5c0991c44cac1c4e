/* report.c - a report's totals and tables from a store file or an open
 * ledger, its two counterfactuals, and the window's bounds. */
#include "ledger/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "carbon/carbon.h"
#include "energy/energy.h"

void c12_report_free(c12_report *r)
{
    for (size_t i = 0; i < r->n_tables; i++) c12_ledger_totals_free(&r->tables[i].t);
    r->n_tables = 0;
}

/* The tables a filter asks for: its grouping, or model, category and day. */
static size_t plan_tables(const c12_ledger_filter *f, c12_report_table *t)
{
    static const c12_ledger_group OVERVIEW[] = {C12_LEDGER_BY_MODEL, C12_LEDGER_BY_CATEGORY, C12_LEDGER_BY_DAY};
    if (f->by != C12_LEDGER_BY_ALL) {
        t[0] = (c12_report_table){.by = f->by, .by2 = f->by2};
        return 1;
    }
    for (size_t i = 0; i < 3; i++) t[i] = (c12_report_table){.by = OVERVIEW[i]};
    return 3;
}

c12_rc c12_report_build(c12_report_query_fn q, void *ud, const c12_ledger_filter *f, c12_report *out,
                        c12_err *err)
{
    c12_report r = {.filter = *f, .total = {.key = "all"}};
    c12_ledger_filter all = {.since_ms = f->since_ms, .until_ms = f->until_ms};
    c12_ledger_totals t = {0};
    c12_rc rc = c12_ledger_filter_check(f, err);
    if (rc == C12_OK) rc = q(ud, &all, &t, err);
    if (rc == C12_OK && t.n) r.total = t.t[0];
    c12_ledger_totals_free(&t);
    c12_report_table plan[C12_REPORT_TABLES_MAX];
    size_t n = rc == C12_OK ? plan_tables(f, plan) : 0;
    for (size_t i = 0; rc == C12_OK && i < n; i++) {
        c12_ledger_filter g = {f->since_ms, f->until_ms, plan[i].by, plan[i].by2, f->step_ms};
        r.tables[r.n_tables] = plan[i];
        rc = q(ud, &g, &r.tables[r.n_tables].t, err);
        if (rc == C12_OK) r.n_tables++;
    }
    /* the counterfactuals stay unknown (r is zeroed) until c12_report_price */
    if (rc) {
        c12_report_free(&r);
        return rc;
    }
    *out = r;
    return C12_OK;
}

typedef struct store_reader {
    const c12_store_ops *ops;
    void *self;
} store_reader;

static c12_rc store_query(void *ud, const c12_ledger_filter *f, c12_ledger_totals *out, c12_err *err)
{
    store_reader *s = ud;
    return s->ops->query(s->self, f, out, err);
}

c12_rc c12_report_load(const char *store, const char *target, const c12_ledger_filter *f, c12_report *out,
                       c12_err *err)
{
    store_reader s = {.ops = c12_ledger_store_find(store)};
    if (!s.ops) return c12_fail(err, C12_ERR_INVALID, "ledger: unknown store '%s'", store);
    c12_rc rc = s.ops->open(target, 1, &s.self, err);
    if (rc) return rc;
    rc = c12_report_build(store_query, &s, f, out, err);
    s.ops->close(s.self);
    return rc;
}

static c12_rc ledger_query(void *ud, const c12_ledger_filter *f, c12_ledger_totals *out, c12_err *err)
{
    return c12_ledger_query(ud, f, out, err);
}

c12_rc c12_report_from_ledger(c12_ledger *l, const c12_ledger_filter *f, c12_report *out, c12_err *err)
{
    return c12_report_build(ledger_query, l, f, out, err);
}

/* ---- the counterfactuals ---- */

const char *c12_report_cf_name(c12_report_cf_id id)
{
    return id == C12_REPORT_STRONGEST ? "strongest" : id == C12_REPORT_DEFAULT ? "default" : "?";
}

void c12_report_set_cf(c12_report *r, c12_report_cf_id id, const char *model, const c12_policy_cost *k)
{
    c12_report_cf *cf = &r->cf[id];
    char name[sizeof cf->model];
    snprintf(name, sizeof name, "%s", model ? model : ""); /* model may be cf->model */
    memset(cf, 0, sizeof *cf);
    memcpy(cf->model, name, sizeof name);
    if (!k) return;
    cf->known = 1;
    cf->rates = *k;
    const c12_policy_reference *ref = k->from == C12_RATES_REFERENCE ? c12_policy_reference_find(name) : NULL;
    if (ref)
        snprintf(cf->source, sizeof cf->source, "%s", ref->source);
    else if (k->from == C12_RATES_ESTIMATED)
        snprintf(cf->source, sizeof cf->source,
                 "the policy's estimate from the model's size (docs/policy.md); c12 calibrate -m %s measures it",
                 name);
    else if (k->from == C12_RATES_CALIBRATED)
        snprintf(cf->source, sizeof cf->source, "c12 calibrate on this machine (calibration.json)");
}

static void price_one(c12_report *r, c12_report_cf_id id, const c12_policy *pol, const char *model)
{
    int i = pol && model && model[0] ? c12_policy_find(pol, model) : -1;
    c12_report_set_cf(r, id, model, i >= 0 ? c12_policy_get_cost(pol, (size_t)i) : NULL);
}

void c12_report_price(c12_report *r, const c12_policy *pol, const char *strongest, const char *dflt)
{
    int k = pol ? c12_policy_strongest(pol) : -1;
    if (!strongest) strongest = k >= 0 ? c12_policy_get_params(pol)->models[k].name : "";
    price_one(r, C12_REPORT_STRONGEST, pol, strongest);
    price_one(r, C12_REPORT_DEFAULT, pol, dflt);
}

void c12_report_saving_of(const c12_report *r, c12_report_cf_id id, const c12_ledger_total *t,
                          c12_report_saving *out)
{
    const c12_report_cf *cf = &r->cf[id];
    *out = (c12_report_saving){.known = cf->known, .saved_pct = NAN};
    if (!cf->known) return;
    /* c12_policy_cost_j of the tokens is the energy; of the tokens weighted
     * by their intensity x PUE it is that energy's J x g/kWh */
    out->cf_energy_j = c12_policy_cost_j(&cf->rates, (double)t->prompt_tokens, (double)t->completion_tokens, 1);
    out->cf_co2_g = c12_policy_cost_j(&cf->rates, t->prompt_tok_gkwh, t->completion_tok_gkwh, 1) / C12_J_PER_KWH;
    out->saved_g = out->cf_co2_g - t->co2_g;
    if (out->cf_co2_g > 0) out->saved_pct = 100.0 * out->saved_g / out->cf_co2_g;
}

double c12_report_gco2_per_1k(const c12_ledger_total *t)
{
    int64_t tokens = t->prompt_tokens + t->completion_tokens;
    return tokens > 0 ? 1000.0 * t->co2_g / (double)tokens : NAN;
}

/* ---- the window ---- */

c12_rc c12_report_parse_span(const char *s, int64_t *out_ms, c12_err *err)
{
    if (strcmp(s, "all") == 0) {
        *out_ms = 0;
        return C12_OK;
    }
    char *end;
    long long v = strtoll(s, &end, 10);
    static const struct {
        char unit;
        int64_t ms;
    } UNITS[] = {{'d', 86400000LL}, {'h', 3600000LL}, {'m', 60000LL}, {'s', 1000LL}};
    for (size_t i = 0; end != s && v > 0 && v < 100000 && i < sizeof UNITS / sizeof UNITS[0]; i++)
        if (end[0] == UNITS[i].unit && end[1] == '\0') {
            *out_ms = v * UNITS[i].ms;
            return C12_OK;
        }
    return c12_fail(err, C12_ERR_INVALID, "'%s' is not like 7d, 24h, 30m, 90s or all", s);
}

c12_rc c12_report_parse_window(const char *since, const char *until, int64_t now_ms, c12_ledger_filter *f,
                               const char **param, c12_err *err)
{
    int64_t lo = 0, hi = 0;
    *param = "since";
    if (since && *since && c12_report_parse_when(since, now_ms, &lo, err)) return err->rc;
    *param = "until";
    if (until && *until && c12_report_parse_when(until, now_ms, &hi, err)) return err->rc;
    if (hi && hi <= lo) return c12_fail(err, C12_ERR_INVALID, "until must come after since");
    f->since_ms = lo;
    f->until_ms = hi;
    return C12_OK;
}

c12_rc c12_report_parse_when(const char *s, int64_t now_ms, int64_t *out_ms, c12_err *err)
{
    int64_t v;
    if (c12_carbon_parse_time(s, &v) == C12_OK) {
        if (v < 0) return c12_fail(err, C12_ERR_INVALID, "'%s' is before 1970", s);
        *out_ms = v;
        return C12_OK;
    }
    if (c12_report_parse_span(s, &v, err) != C12_OK)
        return c12_fail(err, C12_ERR_INVALID,
                        "'%s' is neither a span (7d, 24h, 30m, 90s, all) nor a UTC time (2026-12-01T08:00Z)", s);
    *out_ms = v && v < now_ms ? now_ms - v : 0; /* a span back past 1970: from the start */
    return C12_OK;
}
