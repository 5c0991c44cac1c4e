/* Unit tests for src/ledger/report*.c: the counterfactual and savings
 * arithmetic with known numbers, gCO2e per 1,000 tokens, pricing from a
 * policy (reference, calibrated, estimated, unknown), a report from a file
 * and from an open ledger, the text, CSV and JSON forms, the window's
 * bounds, and an OOM loop over the JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_json.h"
#include "energy/calib.h"
#include "ledger/report.h"
#include "ledger_test.h"

/* Row i: 10 prompt + 5 output tokens, 0.001 g at 100 g/kWh, PUE 1; two
 * days, two models, key and user on some. */
static void row(c12_ledger_row *r, int i)
{
    memset(r, 0, sizeof *r);
    r->time_ms = T0 + (i % 2) * DAY_MS;
    C12_LEDGER_SET(r->model, i % 3 ? "smollm2-135m" : "qwen2.5-coder-1.5b");
    C12_LEDGER_SET(r->category, i == 3 ? "we\"ird,cat" : i % 2 ? "code" : "general");
    C12_LEDGER_SET(r->api_key, i % 2 ? "key:0000beef" : "");
    C12_LEDGER_SET(r->user, i == 0 ? "ann" : "");
    r->prompt_tokens = 10;
    r->completion_tokens = 5;
    r->energy_j = 36;
    r->intensity = 100;
    r->pue = 1.0;
    r->co2_g = 0.001;
    r->total_ms = 500;
    C12_LEDGER_SET(r->status, "ok");
}

/* A ledger file of n rows. */
static char *filled(int n)
{
    char *p = db_path();
    c12_ledger_cfg cfg;
    c12_ledger_cfg_defaults(&cfg);
    snprintf(cfg.target, sizeof cfg.target, "%s", p);
    c12_ledger *l;
    c12_err err;
    assert_int_equal(c12_ledger_open(&cfg, &l, &err), C12_OK);
    for (int i = 0; i < n; i++) {
        c12_ledger_row r;
        row(&r, i);
        assert_int_equal(c12_ledger_submit(l, &r, &err), C12_OK);
    }
    assert_int_equal(c12_ledger_close(l, &err), C12_OK);
    return p;
}

static c12_policy_cost rates(double jp, double jo)
{
    c12_policy_cost k = {.j_prompt = jp, .j_out = jo, .from = C12_RATES_CALIBRATED, .basis = "calibrated"};
    return k;
}

static void test_saving_arithmetic(void **state)
{
    (void)state;
    c12_report r = {0};
    /* A: 10 + 5 tokens at 100 g/kWh x PUE 1.5; B: 20 + 0 tokens at 300 g/kWh */
    c12_ledger_total t = {.key = "x", .prompt_tokens = 30, .completion_tokens = 5,
                          .prompt_tok_gkwh = 10 * 150.0 + 20 * 300.0, .completion_tok_gkwh = 5 * 150.0,
                          .co2_g = 0.001};
    c12_policy_cost k = rates(2.0, 4.0);
    c12_report_set_cf(&r, C12_REPORT_STRONGEST, "big", &k);
    c12_report_saving s;
    c12_report_saving_of(&r, C12_REPORT_STRONGEST, &t, &s);
    assert_true(s.known);
    assert_float_equal(s.cf_energy_j, 30 * 2.0 + 5 * 4.0, 1e-12);
    assert_float_equal(s.cf_co2_g, (2.0 * 7500 + 4.0 * 750) / 3.6e6, 1e-15); /* 0.005 g */
    assert_float_equal(s.saved_g, 0.004, 1e-15);
    assert_float_equal(s.saved_pct, 80.0, 1e-9);
    /* a cheaper model: a negative saving */
    k = rates(0.1, 0.2);
    c12_report_set_cf(&r, C12_REPORT_DEFAULT, "small", &k);
    c12_report_saving_of(&r, C12_REPORT_DEFAULT, &t, &s);
    assert_float_equal(s.cf_co2_g, (0.1 * 7500 + 0.2 * 750) / 3.6e6, 1e-15); /* 0.00025 g */
    assert_float_equal(s.saved_g, 0.00025 - 0.001, 1e-15);
    assert_float_equal(s.saved_pct, -300.0, 1e-9);
    /* no tokens: no per-1k figure, no percentage */
    c12_ledger_total none = {.key = "y"};
    assert_true(isnan(c12_report_gco2_per_1k(&none)));
    c12_report_saving_of(&r, C12_REPORT_DEFAULT, &none, &s);
    assert_true(s.known && s.cf_co2_g == 0 && isnan(s.saved_pct));
    assert_float_equal(c12_report_gco2_per_1k(&t), 0.001 / 35 * 1000, 1e-15);
    /* unknown rates */
    c12_report_set_cf(&r, C12_REPORT_DEFAULT, "nosuch", NULL);
    c12_report_saving_of(&r, C12_REPORT_DEFAULT, &t, &s);
    assert_false(s.known);
    assert_string_equal(r.cf[C12_REPORT_DEFAULT].model, "nosuch");
}

static void test_price_from_policy(void **state)
{
    (void)state;
    c12_policy_params pp;
    c12_policy_defaults(&pp);
    c12_policy *pol = NULL;
    c12_err err;
    c12_report r = {0};
    /* no calibration: the shipped reference rates, strongest = the largest chat model */
    assert_int_equal(c12_policy_new(&pp, NULL, &pol, &err), C12_OK);
    c12_report_price(&r, pol, NULL, "smollm2-135m");
    const c12_report_cf *s = &r.cf[C12_REPORT_STRONGEST], *d = &r.cf[C12_REPORT_DEFAULT];
    assert_string_equal(s->model, "qwen2.5-coder-1.5b");
    assert_true(s->known && s->rates.from == C12_RATES_REFERENCE);
    assert_non_null(strstr(s->rates.basis, "reference: "));
    assert_non_null(strstr(s->source, "c12 calibrate"));
    const c12_policy_reference *ref = c12_policy_reference_find("qwen2.5-coder-1.5b");
    assert_non_null(ref);
    assert_true(s->rates.j_out == ref->j_out && s->rates.j_prompt == ref->j_prompt);
    assert_string_equal(d->model, "smollm2-135m");
    assert_true(d->known && d->rates.j_out < s->rates.j_out);
    c12_report_price(&r, pol, "nosuch", "gemma3-270m"); /* unknown; and a base model has rates too */
    assert_false(r.cf[C12_REPORT_STRONGEST].known);
    assert_true(r.cf[C12_REPORT_DEFAULT].known);
    c12_policy_unref(pol);
    /* a calibration wins over the reference */
    const char *js = "{\"version\":1,\"models\":{\"qwen2.5-coder-1.5b\":{\"j_per_prompt_token\":5,"
                     "\"j_per_output_token\":7}}}";
    c12_calibration *cal = NULL;
    assert_int_equal(c12_calib_parse(js, strlen(js), &cal, &err), C12_OK);
    assert_int_equal(c12_policy_new(&pp, cal, &pol, &err), C12_OK);
    c12_report_price(&r, pol, NULL, "smollm2-135m");
    assert_true(s->rates.from == C12_RATES_CALIBRATED && s->rates.j_out == 7);
    assert_string_equal(s->rates.basis, "calibrated");
    assert_true(d->rates.from == C12_RATES_REFERENCE);
    c12_policy_unref(pol);
    c12_calib_free(cal);
    /* a model without either: estimated from its size */
    snprintf(pp.models[0].name, sizeof pp.models[0].name, "my-coder");
    assert_int_equal(c12_policy_new(&pp, NULL, &pol, &err), C12_OK);
    c12_report_price(&r, pol, NULL, "smollm2-135m");
    assert_string_equal(s->model, "my-coder");
    assert_true(s->rates.from == C12_RATES_ESTIMATED);
    assert_string_equal(s->rates.basis, "estimated from 1.54B parameters");
    c12_policy_unref(pol);
}

/* A report of 4 rows with known rates: 40 prompt + 20 output tokens at 100
 * g/kWh, 0.004 g. At 9 and 36 J per token: 1080 J, 0.03 g. */
static void known_report(const char *p, const c12_ledger_filter *f, c12_report *rep)
{
    c12_err err;
    assert_int_equal(c12_report_load("sqlite", p, f, rep, &err), C12_OK);
    c12_policy_cost k = rates(9.0, 36.0);
    c12_report_set_cf(rep, C12_REPORT_STRONGEST, "qwen2.5-coder-1.5b", &k);
    k = rates(0.1, 0.2);
    c12_report_set_cf(rep, C12_REPORT_DEFAULT, "smollm2-135m", &k);
}

static void test_load_and_text(void **state)
{
    (void)state;
    char *p = filled(4);
    c12_report rep;
    c12_ledger_filter f = {0};
    known_report(p, &f, &rep);
    assert_int_equal(rep.total.requests, 4);
    assert_int_equal(rep.n_tables, 3); /* model, category, day */
    assert_int_equal(rep.tables[2].by, C12_LEDGER_BY_DAY);
    c12_report_saving s;
    c12_report_saving_of(&rep, C12_REPORT_STRONGEST, &rep.total, &s);
    assert_float_equal(s.cf_energy_j, 1080, 1e-9);
    assert_float_equal(s.cf_co2_g, 0.03, 1e-12);
    assert_float_equal(s.saved_g, 0.026, 1e-12);
    c12_buf b;
    c12_buf_init(&b, 0);
    assert_int_equal(c12_report_text(&rep, &b), C12_OK);
    assert_non_null(strstr(b.data, "4 requests, 0 errors, 40 prompt + 20 output tokens"));
    assert_non_null(strstr(b.data, "0.0667 g CO2e per 1,000 tokens"));
    assert_non_null(strstr(b.data, "by model:"));
    assert_non_null(strstr(b.data, "counterfactual (every request on qwen2.5-coder-1.5b, the strongest model; "
                                   "rates calibrated): 1080.00 J, 0.0300 g CO2e; actual 0.0040 g: 0.0260 g saved (86.7%)"));
    assert_non_null(strstr(b.data, "every request on smollm2-135m, the default model"));
    c12_buf_free(&b);
    c12_report_free(&rep);
    /* one table by key: the keyless rows show as (none) */
    f.by = C12_LEDGER_BY_KEY;
    known_report(p, &f, &rep);
    assert_int_equal(rep.n_tables, 1);
    assert_int_equal(rep.tables[0].t.n, 2);
    c12_buf_init(&b, 0);
    assert_int_equal(c12_report_text(&rep, &b), C12_OK);
    assert_non_null(strstr(b.data, "by key:"));
    assert_non_null(strstr(b.data, "(none)"));
    assert_non_null(strstr(b.data, "key:0000beef"));
    assert_null(strstr(b.data, "by model:"));
    c12_buf_free(&b);
    c12_report_free(&rep);
    /* unknown rates are said */
    known_report(p, &f, &rep);
    c12_report_set_cf(&rep, C12_REPORT_STRONGEST, "nosuch", NULL);
    c12_buf_init(&b, 0);
    assert_int_equal(c12_report_text(&rep, &b), C12_OK);
    assert_non_null(strstr(b.data, "unknown, the policy has no rates for nosuch"));
    c12_buf_free(&b);
    c12_report_free(&rep);
    rm_db(p);
}

/* Fields of one CSV line, quotes respected. */
static int csv_fields(const char *line, size_t len)
{
    int n = 1, quoted = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '"') quoted = !quoted;
        if (line[i] == ',' && !quoted) n++;
    }
    return n;
}

static void test_csv(void **state)
{
    (void)state;
    char *p = filled(4);
    c12_report rep;
    c12_ledger_filter f = {0};
    known_report(p, &f, &rep);
    c12_buf b;
    c12_buf_init(&b, 0);
    assert_int_equal(c12_report_csv(&rep, &b), C12_OK);
    int lines = 0;
    for (const char *l = b.data; *l; lines++) {
        const char *e = strchr(l, '\n');
        assert_non_null(e);
        assert_int_equal(csv_fields(l, (size_t)(e - l)), 20);
        l = e + 1;
    }
    assert_int_equal(lines, 1 + 1 + 2 + 3 + 2 + 2); /* header, total, models, categories, days, counterfactuals */
    assert_non_null(strstr(b.data, "category,\"we\"\"ird,cat\",\"\",1,"));
    /* total: 0.004 g, 0.0667 g per 1k; vs strongest 0.03 g, 0.026 saved, 86.67% */
    assert_non_null(strstr(b.data, "total,\"all\",\"\",4,0,40,20,144,0.004,2.000,0.06666666667,0.03,"
                                   "0.026,86.66666667,"));
    assert_non_null(strstr(b.data, "counterfactual,\"qwen2.5-coder-1.5b\",strongest,4,,40,20,1080,0.03,"));
    assert_non_null(strstr(b.data, ",\"calibrated\",,\n")); /* no cache columns on a counterfactual */
    c12_buf_free(&b);
    c12_report_set_cf(&rep, C12_REPORT_DEFAULT, "nosuch", NULL);
    c12_buf_init(&b, 0);
    assert_int_equal(c12_report_csv(&rep, &b), C12_OK);
    assert_non_null(strstr(b.data, "counterfactual,\"nosuch\",default,4,,40,20,,,,,,,,,,,\"unknown\",,\n"));
    c12_buf_free(&b);
    c12_report_free(&rep);
    rm_db(p);
}

static void test_json(void **state)
{
    (void)state;
    char *p = filled(4);
    c12_report rep;
    c12_ledger_filter f = {.since_ms = T0, .by = C12_LEDGER_BY_HOUR};
    known_report(p, &f, &rep);
    json_t *j = c12_report_json(&rep);
    assert_non_null(j);
    json_t *flt = json_object_get(j, "filter");
    assert_string_equal(json_string_value(json_object_get(flt, "by")), "hour");
    assert_string_equal(json_string_value(json_object_get(flt, "since")), "2026-01-01T00:00:00Z");
    assert_true(json_is_null(json_object_get(flt, "until")));
    assert_true(json_is_null(json_object_get(flt, "by2")));
    json_t *cf = json_object_get(json_object_get(j, "counterfactuals"), "strongest");
    assert_string_equal(json_string_value(json_object_get(cf, "model")), "qwen2.5-coder-1.5b");
    assert_string_equal(json_string_value(json_object_get(cf, "basis")), "calibrated");
    assert_string_equal(json_string_value(json_object_get(cf, "rates")), "calibrated");
    assert_float_equal(json_real_value(json_object_get(cf, "j_per_output_token")), 36, 1e-12);
    json_t *tot = json_object_get(j, "totals");
    assert_int_equal(json_integer_value(json_object_get(tot, "requests")), 4);
    json_t *sv = json_object_get(json_object_get(tot, "savings"), "strongest");
    assert_float_equal(json_real_value(json_object_get(sv, "saved_g")), 0.026, 1e-12);
    assert_float_equal(json_real_value(json_object_get(sv, "co2_g")), 0.03, 1e-12);
    assert_float_equal(json_real_value(json_object_get(tot, "gco2_per_1k_tokens")), 0.004 / 60 * 1000, 1e-12);
    json_t *tables = json_object_get(j, "tables");
    assert_int_equal(json_array_size(tables), 1);
    json_t *rows = json_object_get(json_array_get(tables, 0), "rows");
    assert_int_equal(json_array_size(rows), 2);
    json_t *r0 = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(r0, "key")), "2026-01-01T00:00Z");
    assert_int_equal(json_integer_value(json_object_get(r0, "bucket_ms")), T0);
    assert_null(json_object_get(r0, "key2"));
    json_decref(j);
    /* unknown counterfactual: null savings */
    c12_report_set_cf(&rep, C12_REPORT_DEFAULT, "nosuch", NULL);
    j = c12_report_json(&rep);
    tot = json_object_get(j, "totals");
    assert_true(json_is_null(json_object_get(json_object_get(tot, "savings"), "default")));
    assert_true(json_is_false(json_object_get(json_object_get(json_object_get(j, "counterfactuals"), "default"),
                                              "known")));
    json_decref(j);
    /* every allocation of it may fail: NULL, nothing leaked */
    unsigned long n = 1;
    for (; n < 1000; n++) {
        c12_alloc_fail_at(n, 0);
        j = c12_report_json(&rep);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        assert_true(j || injected);
        json_decref(j);
        if (!injected) break;
    }
    assert_true(n > 20 && n < 1000); /* it ran through every allocation of the document */
    c12_report_free(&rep);
    rm_db(p);
}

static void test_from_open_ledger(void **state)
{
    (void)state;
    char *p = db_path();
    c12_ledger_cfg cfg;
    c12_ledger_cfg_defaults(&cfg);
    snprintf(cfg.target, sizeof cfg.target, "%s", p);
    c12_ledger *l;
    c12_err err;
    assert_int_equal(c12_ledger_open(&cfg, &l, &err), C12_OK);
    for (int i = 0; i < 6; i++) {
        c12_ledger_row r;
        row(&r, i);
        assert_int_equal(c12_ledger_submit(l, &r, &err), C12_OK);
    }
    assert_int_equal(c12_ledger_flush(l, 10000, &err), C12_OK);
    c12_report rep;
    c12_ledger_filter f = {.by = C12_LEDGER_BY_USER, .until_ms = T0 + DAY_MS};
    assert_int_equal(c12_report_from_ledger(l, &f, &rep, &err), C12_OK);
    assert_int_equal(rep.total.requests, 3); /* the first day's */
    assert_int_equal(rep.tables[0].t.n, 2);
    assert_string_equal(rep.tables[0].t.t[1].key, "ann");
    assert_false(rep.cf[C12_REPORT_STRONGEST].known); /* until priced */
    c12_report_free(&rep);
    f.by = C12_LEDGER_BY_STEP; /* no step */
    assert_int_equal(c12_report_from_ledger(l, &f, &rep, &err), C12_ERR_INVALID);
    assert_int_equal(c12_ledger_close(l, &err), C12_OK);
    rm_db(p);
}

static void test_window(void **state)
{
    (void)state;
    int64_t ms = -1, now = T0 + 10 * DAY_MS;
    c12_err err;
    assert_int_equal(c12_report_parse_when("7d", now, &ms, &err), C12_OK);
    assert_int_equal(ms, T0 + 3 * DAY_MS);
    assert_int_equal(c12_report_parse_when("all", now, &ms, &err), C12_OK);
    assert_int_equal(ms, 0);
    /* a span back past 1970 is from the start (libFuzzer found it negative) */
    assert_int_equal(c12_report_parse_when("70007d", now, &ms, &err), C12_OK);
    assert_int_equal(ms, 0);
    assert_int_equal(c12_report_parse_when("2026-01-01T06:00Z", now, &ms, &err), C12_OK);
    assert_int_equal(ms, T0 + 6 * 3600000LL);
    assert_int_equal(c12_report_parse_when("2026-01-02", now, &ms, &err), C12_OK);
    assert_int_equal(ms, T0 + DAY_MS);
    ms = 5;
    assert_int_equal(c12_report_parse_when("yesterday", now, &ms, &err), C12_ERR_INVALID);
    assert_non_null(strstr(err.msg, "yesterday"));
    assert_int_equal(c12_report_parse_when("3w", now, &ms, &err), C12_ERR_INVALID);
    assert_int_equal(ms, 5);
    /* both bounds at once, as c12 report and the dashboard read them */
    c12_ledger_filter f = {.since_ms = 5, .until_ms = 6};
    const char *param = NULL;
    assert_int_equal(c12_report_parse_window("7d", "", now, &f, &param, &err), C12_OK);
    assert_true(f.since_ms == T0 + 3 * DAY_MS && f.until_ms == 0);
    assert_int_equal(c12_report_parse_window(NULL, "2026-01-02", now, &f, &param, &err), C12_OK);
    assert_true(f.since_ms == 0 && f.until_ms == T0 + DAY_MS);
    assert_int_equal(c12_report_parse_window("1d", "2d", now, &f, &param, &err), C12_ERR_INVALID);
    assert_string_equal(param, "until");
    assert_int_equal(c12_report_parse_window("nope", NULL, now, &f, &param, &err), C12_ERR_INVALID);
    assert_string_equal(param, "since");
    assert_true(f.since_ms == 0 && f.until_ms == T0 + DAY_MS); /* unchanged on failure */
    assert_int_equal(c12_report_parse_span("90s", &ms, &err), C12_OK);
    assert_int_equal(ms, 90000);
    assert_int_equal(c12_report_parse_span("-3h", &ms, &err), C12_ERR_INVALID);
}

int main(void)
{
    c12_json_init(); /* as main() does: jansson's allocations fail in the OOM loop too */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_saving_arithmetic), cmocka_unit_test(test_price_from_policy),
        cmocka_unit_test(test_load_and_text),     cmocka_unit_test(test_csv),
        cmocka_unit_test(test_json),              cmocka_unit_test(test_from_open_ledger),
        cmocka_unit_test(test_window),
    };
    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
