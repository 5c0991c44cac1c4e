/* report.c - ledger totals and the counterfactual, as text or CSV. */
#include "ledger/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"

void c12_report_free(c12_report *r)
{
    c12_ledger_totals_free(&r->all);
    c12_ledger_totals_free(&r->by_model);
    c12_ledger_totals_free(&r->by_category);
    c12_ledger_totals_free(&r->by_day);
}

c12_rc c12_report_load(const char *store, const char *target, int64_t since_ms, c12_report *out,
                       c12_err *err)
{
    c12_report r = {.since_ms = since_ms};
    c12_rc rc = c12_ledger_query_file(store, target, since_ms, C12_LEDGER_BY_ALL, &r.all, err);
    if (rc == C12_OK)
        rc = c12_ledger_query_file(store, target, since_ms, C12_LEDGER_BY_MODEL, &r.by_model, err);
    if (rc == C12_OK)
        rc = c12_ledger_query_file(store, target, since_ms, C12_LEDGER_BY_CATEGORY,
                                   &r.by_category, err);
    if (rc == C12_OK)
        rc = c12_ledger_query_file(store, target, since_ms, C12_LEDGER_BY_DAY, &r.by_day, err);
    if (rc) {
        c12_report_free(&r);
        return rc;
    }
    *out = r;
    return C12_OK;
}

void c12_report_counterfactual(c12_report *r, const char *model, int known, double j_prompt,
                               double j_output)
{
    snprintf(r->strongest, sizeof r->strongest, "%s", model);
    r->cf_known = known;
    r->cf_energy_j = r->cf_co2_g = 0;
    if (!known || r->all.n == 0) return;
    const c12_ledger_total *t = &r->all.t[0];
    r->cf_energy_j = j_prompt * (double)t->prompt_tokens + j_output * (double)t->completion_tokens;
    r->cf_co2_g = (j_prompt * t->prompt_tok_gkwh + j_output * t->completion_tok_gkwh) / 3.6e6;
}

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
    return c12_fail(err, C12_ERR_INVALID, "--since: '%s' is not like 7d, 24h, 30m, 90s or all", s);
}

/* ---- text ---- */

static c12_rc text_table(c12_buf *b, const char *title, const c12_ledger_totals *t)
{
    c12_rc rc = c12_buf_printf(b, "\nby %s:\n  %-22s %9s %7s %11s %11s %12s %11s\n", title, title,
                               "requests", "errors", "prompt_tok", "output_tok", "energy_J",
                               "CO2e_g");
    for (size_t i = 0; rc == C12_OK && i < t->n; i++) {
        const c12_ledger_total *x = &t->t[i];
        rc = c12_buf_printf(b, "  %-22s %9lld %7lld %11lld %11lld %12.2f %11.4f\n", x->key,
                            (long long)x->requests, (long long)x->errors,
                            (long long)x->prompt_tokens, (long long)x->completion_tokens,
                            x->energy_j, x->co2_g);
    }
    return rc;
}

static c12_rc text_counterfactual(const c12_report *r, c12_buf *b, const c12_ledger_total *all)
{
    if (!r->cf_known)
        return c12_buf_printf(b,
                              "\ncounterfactual (every request on %s): unknown, no calibration "
                              "for %s (run: c12 calibrate -m %s)\n",
                              r->strongest, r->strongest, r->strongest);
    double saved = r->cf_co2_g - all->co2_g;
    return c12_buf_printf(b,
                          "\ncounterfactual (every request on %s%s%s): %.2f J, %.4f g CO2e; "
                          "actual %.4f g: %.4f g saved (%.1f%%)\n",
                          r->strongest, r->cf_basis[0] ? ", " : "", r->cf_basis, r->cf_energy_j, r->cf_co2_g,
                          all->co2_g, saved, r->cf_co2_g > 0 ? 100.0 * saved / r->cf_co2_g : 0.0);
}

c12_rc c12_report_text(const c12_report *r, c12_buf *b)
{
    static const c12_ledger_total none = {.key = "all"};
    const c12_ledger_total *all = r->all.n ? &r->all.t[0] : &none;
    c12_rc rc = c12_buf_printf(b,
                               "%lld requests, %lld errors, %lld prompt + %lld output tokens, "
                               "%.2f J, %.4f g CO2e\n",
                               (long long)all->requests, (long long)all->errors,
                               (long long)all->prompt_tokens, (long long)all->completion_tokens,
                               all->energy_j, all->co2_g);
    if (rc == C12_OK) rc = text_table(b, "model", &r->by_model);
    if (rc == C12_OK) rc = text_table(b, "category", &r->by_category);
    if (rc == C12_OK) rc = text_table(b, "day", &r->by_day);
    if (rc == C12_OK) rc = text_counterfactual(r, b, all);
    return rc;
}

/* ---- CSV ---- */

/* Keys come from the ledger (model names, categories): quote them all, with
 * quotes doubled, so that no value can break the columns. */
static c12_rc csv_field(c12_buf *b, const char *s)
{
    c12_rc rc = c12_buf_puts(b, "\"");
    for (; rc == C12_OK && *s; s++) {
        rc = c12_buf_append(b, s, 1);
        if (rc == C12_OK && *s == '"') rc = c12_buf_puts(b, "\"");
    }
    return rc == C12_OK ? c12_buf_puts(b, "\"") : rc;
}

static c12_rc csv_rows(c12_buf *b, const char *group, const c12_ledger_totals *t)
{
    c12_rc rc = C12_OK;
    for (size_t i = 0; rc == C12_OK && i < t->n; i++) {
        const c12_ledger_total *x = &t->t[i];
        rc = c12_buf_printf(b, "%s,", group);
        if (rc == C12_OK) rc = csv_field(b, x->key);
        if (rc == C12_OK)
            rc = c12_buf_printf(b, ",%lld,%lld,%lld,%lld,%.6f,%.6f,%.3f\n", (long long)x->requests,
                                (long long)x->errors, (long long)x->prompt_tokens,
                                (long long)x->completion_tokens, x->energy_j, x->co2_g, x->total_s);
    }
    return rc;
}

c12_rc c12_report_csv(const c12_report *r, c12_buf *b)
{
    c12_rc rc = c12_buf_puts(b, "group,key,requests,errors,prompt_tokens,completion_tokens,"
                                "energy_j,co2_g,total_s\n");
    if (rc == C12_OK) rc = csv_rows(b, "total", &r->all);
    if (rc == C12_OK) rc = csv_rows(b, "model", &r->by_model);
    if (rc == C12_OK) rc = csv_rows(b, "category", &r->by_category);
    if (rc == C12_OK) rc = csv_rows(b, "day", &r->by_day);
    if (rc != C12_OK || !r->all.n) return rc;
    const c12_ledger_total *a = &r->all.t[0];
    rc = c12_buf_puts(b, "counterfactual,");
    if (rc == C12_OK) rc = csv_field(b, r->strongest);
    if (rc == C12_OK && r->cf_known)
        rc = c12_buf_printf(b, ",%lld,,%lld,%lld,%.6f,%.6f,\n", (long long)a->requests,
                            (long long)a->prompt_tokens, (long long)a->completion_tokens,
                            r->cf_energy_j, r->cf_co2_g);
    else if (rc == C12_OK)
        rc = c12_buf_printf(b, ",%lld,,%lld,%lld,,,\n", (long long)a->requests,
                            (long long)a->prompt_tokens, (long long)a->completion_tokens);
    return rc;
}
