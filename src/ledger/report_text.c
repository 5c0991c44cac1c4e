/* report_text.c - a report as text (totals, tables, the counterfactuals
 * with their basis) or as one CSV table. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ledger/report.h"

/* ---- text ---- */

static const char *shown(const char *key) { return key[0] ? key : "(none)"; }

/* "  12.3456  45.6%" or dashes, the saving of cf id on t. */
static c12_rc text_saving(c12_buf *b, const c12_report *r, c12_report_cf_id id, const c12_ledger_total *t)
{
    c12_report_saving s;
    c12_report_saving_of(r, id, t, &s);
    if (!s.known) return c12_buf_printf(b, " %12s %7s", "-", "-");
    if (isnan(s.saved_pct)) return c12_buf_printf(b, " %12.4f %7s", s.saved_g, "-");
    return c12_buf_printf(b, " %12.4f %6.1f%%", s.saved_g, s.saved_pct);
}

static c12_rc text_row(c12_buf *b, const c12_report *r, const c12_report_table *tb, const c12_ledger_total *x)
{
    c12_rc rc = c12_buf_printf(b, "  %-22s", shown(x->key));
    if (rc == C12_OK && tb->by2 != C12_LEDGER_BY_ALL) rc = c12_buf_printf(b, " %-22s", shown(x->key2));
    double per_1k = c12_report_gco2_per_1k(x);
    if (rc == C12_OK)
        rc = c12_buf_printf(b, " %9lld %7lld %11lld %11lld %12.2f %11.4f", (long long)x->requests,
                            (long long)x->errors, (long long)x->prompt_tokens, (long long)x->completion_tokens,
                            x->energy_j, x->co2_g);
    if (rc == C12_OK) rc = isnan(per_1k) ? c12_buf_printf(b, " %9s", "-") : c12_buf_printf(b, " %9.4f", per_1k);
    if (rc == C12_OK) rc = text_saving(b, r, C12_REPORT_STRONGEST, x);
    if (rc == C12_OK) rc = text_saving(b, r, C12_REPORT_DEFAULT, x);
    return rc == C12_OK ? c12_buf_puts(b, "\n") : rc;
}

static c12_rc text_table(c12_buf *b, const c12_report *r, const c12_report_table *tb)
{
    const char *by = c12_ledger_group_name(tb->by), *by2 = c12_ledger_group_name(tb->by2);
    c12_rc rc = tb->by2 == C12_LEDGER_BY_ALL ? c12_buf_printf(b, "\nby %s:\n  %-22s", by, by)
                                             : c12_buf_printf(b, "\nby %s and %s:\n  %-22s %-22s", by, by2, by, by2);
    if (rc == C12_OK)
        rc = c12_buf_printf(b, " %9s %7s %11s %11s %12s %11s %9s %12s %7s %12s %7s\n", "requests", "errors",
                            "prompt_tok", "output_tok", "energy_J", "CO2e_g", "g/1k_tok", "saved_vs_str", "%",
                            "saved_vs_def", "%");
    for (size_t i = 0; rc == C12_OK && i < tb->t.n; i++) rc = text_row(b, r, tb, &tb->t.t[i]);
    return rc;
}

static c12_rc text_counterfactual(c12_buf *b, const c12_report *r, c12_report_cf_id id)
{
    const c12_report_cf *cf = &r->cf[id];
    const char *name = c12_report_cf_name(id);
    if (!cf->known)
        return c12_buf_printf(b,
                              "counterfactual (every request on %s, the %s model): unknown, the policy "
                              "has no rates for %s\n",
                              cf->model[0] ? cf->model : "(none)", name, cf->model[0] ? cf->model : "it");
    c12_report_saving s;
    c12_report_saving_of(r, id, &r->total, &s);
    c12_rc rc = c12_buf_printf(b,
                               "counterfactual (every request on %s, the %s model; rates %s): %.2f J, "
                               "%.4f g CO2e; actual %.4f g: %.4f g saved",
                               cf->model, name, cf->rates.basis, s.cf_energy_j, s.cf_co2_g, r->total.co2_g,
                               s.saved_g);
    if (rc == C12_OK && !isnan(s.saved_pct)) rc = c12_buf_printf(b, " (%.1f%%)", s.saved_pct);
    if (rc == C12_OK)
        rc = c12_buf_printf(b, "\n  %s: %.4f J per prompt token, %.4f J per output token\n", cf->model,
                            cf->rates.j_prompt, cf->rates.j_out);
    return rc;
}

/* Where the rates came from, each source once. */
static c12_rc text_sources(c12_buf *b, const c12_report *r)
{
    c12_rc rc = C12_OK;
    int printed = 0;
    for (int id = 0; rc == C12_OK && id < C12_REPORT_CF_COUNT; id++) {
        const c12_report_cf *cf = &r->cf[id];
        int seen = !cf->known || !cf->source[0];
        for (int k = 0; k < id && !seen; k++)
            seen = r->cf[k].known && !strcmp(r->cf[k].rates.basis, cf->rates.basis) &&
                   !strcmp(r->cf[k].source, cf->source);
        if (!seen) rc = c12_buf_printf(b, "%s%s: %s\n", printed++ ? "" : "\n", cf->rates.basis, cf->source);
    }
    return rc;
}

c12_rc c12_report_text(const c12_report *r, c12_buf *b)
{
    const c12_ledger_total *all = &r->total;
    double per_1k = c12_report_gco2_per_1k(all);
    c12_rc rc = c12_buf_printf(b,
                               "%lld requests, %lld errors, %lld prompt + %lld output tokens, "
                               "%.2f J, %.4f g CO2e",
                               (long long)all->requests, (long long)all->errors, (long long)all->prompt_tokens,
                               (long long)all->completion_tokens, all->energy_j, all->co2_g);
    if (rc == C12_OK && !isnan(per_1k)) rc = c12_buf_printf(b, ", %.4f g CO2e per 1,000 tokens", per_1k);
    if (rc == C12_OK && all->cached)
        rc = c12_buf_printf(b, "; %lld answered from the response cache, %.4f g CO2e not emitted again",
                            (long long)all->cached, all->saved_co2_g);
    if (rc == C12_OK) rc = c12_buf_puts(b, "\n");
    for (size_t i = 0; rc == C12_OK && i < r->n_tables; i++) rc = text_table(b, r, &r->tables[i]);
    if (rc == C12_OK) rc = c12_buf_puts(b, "\n");
    if (rc == C12_OK) rc = text_counterfactual(b, r, C12_REPORT_STRONGEST);
    if (rc == C12_OK) rc = text_counterfactual(b, r, C12_REPORT_DEFAULT);
    if (rc == C12_OK) rc = text_sources(b, r);
    return rc;
}

/* ---- CSV ---- */

#define CSV_HEADER                                                                                        \
    "group,key,key2,requests,errors,prompt_tokens,completion_tokens,energy_j,co2_g,total_s,"              \
    "gco2_per_1k_tokens,strongest_co2_g,saved_vs_strongest_g,saved_vs_strongest_pct,default_co2_g,"      \
    "saved_vs_default_g,saved_vs_default_pct,basis,cached,cache_saved_co2_g\n"

/* Keys come from the ledger (model names, users): quote them all, with
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

/* ",x" to 10 significant digits (grams per request are small), or ","
 * when x is not a number. */
static c12_rc csv_num(c12_buf *b, double x)
{
    return isfinite(x) ? c12_buf_printf(b, ",%.10g", x) : c12_buf_puts(b, ",");
}

static c12_rc csv_saving(c12_buf *b, const c12_report *r, c12_report_cf_id id, const c12_ledger_total *t)
{
    c12_report_saving s;
    c12_report_saving_of(r, id, t, &s);
    if (!s.known) return c12_buf_puts(b, ",,,");
    c12_rc rc = csv_num(b, s.cf_co2_g);
    if (rc == C12_OK) rc = csv_num(b, s.saved_g);
    return rc == C12_OK ? csv_num(b, s.saved_pct) : rc;
}

static c12_rc csv_row(c12_buf *b, const c12_report *r, const char *group, const c12_ledger_total *x)
{
    c12_rc rc = c12_buf_printf(b, "%s,", group);
    if (rc == C12_OK) rc = csv_field(b, x->key);
    if (rc == C12_OK) rc = c12_buf_puts(b, ",");
    if (rc == C12_OK) rc = csv_field(b, x->key2);
    if (rc == C12_OK)
        rc = c12_buf_printf(b, ",%lld,%lld,%lld,%lld", (long long)x->requests, (long long)x->errors,
                            (long long)x->prompt_tokens, (long long)x->completion_tokens);
    if (rc == C12_OK) rc = csv_num(b, x->energy_j);
    if (rc == C12_OK) rc = csv_num(b, x->co2_g);
    if (rc == C12_OK) rc = c12_buf_printf(b, ",%.3f", x->total_s);
    if (rc == C12_OK) rc = csv_num(b, c12_report_gco2_per_1k(x));
    if (rc == C12_OK) rc = csv_saving(b, r, C12_REPORT_STRONGEST, x);
    if (rc == C12_OK) rc = csv_saving(b, r, C12_REPORT_DEFAULT, x);
    if (rc == C12_OK) rc = c12_buf_printf(b, ",,%lld", (long long)x->cached); /* basis: none on a row */
    if (rc == C12_OK) rc = csv_num(b, x->saved_co2_g);
    return rc == C12_OK ? c12_buf_puts(b, "\n") : rc;
}

/* group "counterfactual", key the model, key2 "strongest" or "default":
 * the same requests' energy and CO2 on it, and its rates' basis. */
static c12_rc csv_counterfactual(c12_buf *b, const c12_report *r, c12_report_cf_id id)
{
    const c12_report_cf *cf = &r->cf[id];
    const c12_ledger_total *a = &r->total;
    c12_report_saving s;
    c12_report_saving_of(r, id, a, &s);
    c12_rc rc = c12_buf_puts(b, "counterfactual,");
    if (rc == C12_OK) rc = csv_field(b, cf->model);
    if (rc == C12_OK) rc = c12_buf_printf(b, ",%s,%lld,,%lld,%lld", c12_report_cf_name(id), (long long)a->requests,
                                          (long long)a->prompt_tokens, (long long)a->completion_tokens);
    if (rc == C12_OK && s.known) rc = c12_buf_printf(b, ",%.10g,%.10g,,,,,,,,,", s.cf_energy_j, s.cf_co2_g);
    else if (rc == C12_OK) rc = c12_buf_puts(b, ",,,,,,,,,,,");
    if (rc == C12_OK) rc = csv_field(b, cf->known ? cf->rates.basis : "unknown");
    return rc == C12_OK ? c12_buf_puts(b, ",,\n") : rc;
}

c12_rc c12_report_csv(const c12_report *r, c12_buf *b)
{
    c12_rc rc = c12_buf_puts(b, CSV_HEADER);
    if (rc == C12_OK) rc = csv_row(b, r, "total", &r->total);
    for (size_t i = 0; rc == C12_OK && i < r->n_tables; i++) {
        const c12_report_table *tb = &r->tables[i];
        for (size_t k = 0; rc == C12_OK && k < tb->t.n; k++)
            rc = csv_row(b, r, c12_ledger_group_name(tb->by), &tb->t.t[k]);
    }
    for (int id = 0; rc == C12_OK && id < C12_REPORT_CF_COUNT; id++)
        rc = csv_counterfactual(b, r, (c12_report_cf_id)id);
    return rc;
}
