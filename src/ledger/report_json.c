/* report_json.c - a report as one JSON document: what `c12 report --json`
 * prints and the dashboard's summary endpoint returns (docs/ledger.md). Keys
 * are valid UTF-8 (the ledger's fields are, c12_ledger_set). */
#include <math.h>
#include <stdio.h>

#include "carbon/carbon.h"
#include "ledger/report.h"

/* A number, or null when it is not one (jansson refuses NaN). */
static json_t *num(double x) { return isfinite(x) ? json_real(x) : json_null(); }

static json_t *time_or_null(int64_t ms)
{
    char buf[32];
    if (!ms) return json_null();
    c12_carbon_format_time(ms, buf, sizeof buf);
    return json_string(buf);
}

static json_t *filter_json(const c12_ledger_filter *f)
{
    int step = f->by == C12_LEDGER_BY_STEP || f->by2 == C12_LEDGER_BY_STEP;
    return json_pack("{s:o, s:o, s:I, s:I, s:s, s:s?, s:o}", "since", time_or_null(f->since_ms), "until",
                     time_or_null(f->until_ms), "since_ms", (json_int_t)f->since_ms, "until_ms",
                     (json_int_t)f->until_ms, "by", c12_ledger_group_name(f->by), "by2",
                     f->by2 == C12_LEDGER_BY_ALL ? NULL : c12_ledger_group_name(f->by2), "step_ms",
                     step ? json_integer(f->step_ms) : json_null());
}

static const char *const FROM[] = {"estimated", "reference", "calibrated"};

static json_t *cf_json(const c12_report_cf *cf)
{
    if (!cf->known) return json_pack("{s:s, s:b}", "model", cf->model, "known", 0);
    return json_pack("{s:s, s:b, s:f, s:f, s:s, s:s, s:s}", "model", cf->model, "known", 1, "j_per_prompt_token",
                     cf->rates.j_prompt, "j_per_output_token", cf->rates.j_out, "rates", FROM[cf->rates.from],
                     "basis", cf->rates.basis, "source", cf->source);
}

static json_t *saving_json(const c12_report *r, c12_report_cf_id id, const c12_ledger_total *t)
{
    c12_report_saving s;
    c12_report_saving_of(r, id, t, &s);
    if (!s.known) return json_null();
    return json_pack("{s:f, s:f, s:f, s:o}", "energy_j", s.cf_energy_j, "co2_g", s.cf_co2_g, "saved_g", s.saved_g,
                     "saved_pct", num(s.saved_pct));
}

static json_t *row_json(const c12_report *r, const c12_ledger_total *t, int with_key2, int with_bucket)
{
    json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:o, s:{s:o, s:o}}", "key", t->key,
                          "requests", (json_int_t)t->requests, "errors", (json_int_t)t->errors, "prompt_tokens",
                          (json_int_t)t->prompt_tokens, "completion_tokens", (json_int_t)t->completion_tokens,
                          "energy_j", t->energy_j, "co2_g", t->co2_g, "total_s", t->total_s,
                          "gco2_per_1k_tokens", num(c12_report_gco2_per_1k(t)), "savings", "strongest",
                          saving_json(r, C12_REPORT_STRONGEST, t), "default", saving_json(r, C12_REPORT_DEFAULT, t));
    if (o && (json_object_set_new(o, "cached", json_integer(t->cached)) ||
              json_object_set_new(o, "cache_saved_co2_g", json_real(t->saved_co2_g))))
        json_decref(o), o = NULL;
    if (o && with_key2 && json_object_set_new(o, "key2", json_string(t->key2))) json_decref(o), o = NULL;
    if (o && with_bucket && json_object_set_new(o, "bucket_ms", json_integer(t->bucket_ms)))
        json_decref(o), o = NULL;
    return o;
}

static json_t *table_json(const c12_report *r, const c12_report_table *tb)
{
    int with_key2 = tb->by2 != C12_LEDGER_BY_ALL;
    int with_bucket = c12_ledger_group_is_time(tb->by) || c12_ledger_group_is_time(tb->by2);
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < tb->t.n; i++)
        if (json_array_append_new(rows, row_json(r, &tb->t.t[i], with_key2, with_bucket)))
            json_decref(rows), rows = NULL;
    return json_pack("{s:s, s:s?, s:o}", "by", c12_ledger_group_name(tb->by), "by2",
                     with_key2 ? c12_ledger_group_name(tb->by2) : NULL, "rows", rows);
}

json_t *c12_report_json(const c12_report *r)
{
    json_t *tables = json_array();
    for (size_t i = 0; tables && i < r->n_tables; i++)
        if (json_array_append_new(tables, table_json(r, &r->tables[i]))) json_decref(tables), tables = NULL;
    return json_pack("{s:o, s:{s:o, s:o}, s:o, s:o}", "filter", filter_json(&r->filter), "counterfactuals",
                     "strongest", cf_json(&r->cf[C12_REPORT_STRONGEST]), "default",
                     cf_json(&r->cf[C12_REPORT_DEFAULT]), "totals", row_json(r, &r->total, 0, 0), "tables", tables);
}
