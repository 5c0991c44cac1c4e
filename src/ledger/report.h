/* report.h - what `c12 report` prints and the dashboard's summary returns:
 * ledger totals over a window, one or more tables of groups, and for every
 * figure what the same requests would have emitted on two other policies:
 * always the strongest model, and always the default model.
 *
 * A counterfactual charges each request's prompt and completion tokens at
 * the model's joules per token (c12_policy_rates: calibrated, else the
 * shipped reference, else estimated; the basis is said beside the figures)
 * and at the request's own intensity and PUE: the sum over requests of
 * (p x Jp + c x Jc) / 3.6e6 x intensity x pue, which is c12_policy_cost_j
 * of the store's sums p x intensity x pue and c x intensity x pue. The
 * saving is that minus what the requests did emit.
 *
 * Build one from a file (c12_report_load, the CLI) or from an open ledger
 * (c12_report_from_ledger, the server), then c12_report_price with a
 * policy; write it as text, CSV or JSON. */
#ifndef C12_REPORT_H
#define C12_REPORT_H

#include <jansson.h>

#include "base/c12_buf.h"
#include "ledger/ledger.h"
#include "route/policy.h"

/* The two counterfactuals. */
typedef enum { C12_REPORT_STRONGEST = 0, C12_REPORT_DEFAULT, C12_REPORT_CF_COUNT } c12_report_cf_id;

typedef struct c12_report_cf {
    char model[64];
    int known;              /* rates known (the policy has the model) */
    c12_policy_cost rates;  /* j_prompt, j_out and basis when known */
    char source[512];       /* where the rates came from, in full */
} c12_report_cf;

/* One table: totals grouped by `by` (and `by2`). */
typedef struct c12_report_table {
    c12_ledger_group by, by2;
    c12_ledger_totals t;
} c12_report_table;

#define C12_REPORT_TABLES_MAX 3

typedef struct c12_report {
    c12_ledger_filter filter;        /* its by/by2: the table asked for (BY_ALL: model, category, day) */
    c12_ledger_total total;          /* every row in the window (key "all"; zeros when none) */
    size_t n_tables;
    c12_report_table tables[C12_REPORT_TABLES_MAX];
    c12_report_cf cf[C12_REPORT_CF_COUNT];
} c12_report;

/* A counterfactual applied to one total. */
typedef struct c12_report_saving {
    int known;
    double cf_energy_j, cf_co2_g;   /* the same requests on the counterfactual's model */
    double saved_g;                 /* cf_co2_g - co2_g (negative: cost more) */
    double saved_pct;               /* of cf_co2_g; NAN when cf_co2_g is 0 */
} c12_report_saving;

/* Where a report reads its totals: a store file or an open ledger. */
typedef c12_rc (*c12_report_query_fn)(void *ud, const c12_ledger_filter *f, c12_ledger_totals *out,
                                      c12_err *err);

/* Totals and tables for filter f (f->by BY_ALL: tables by model, category
 * and day; else one table by f->by and f->by2), read through q. The
 * counterfactuals are unknown until c12_report_price. */
c12_rc c12_report_build(c12_report_query_fn q, void *ud, const c12_ledger_filter *f, c12_report *out,
                        c12_err *err);
/* The same from a store file, opened read-only once. */
c12_rc c12_report_load(const char *store, const char *target, const c12_ledger_filter *f, c12_report *out,
                       c12_err *err);
/* The same through an open ledger (c12_ledger_query). */
c12_rc c12_report_from_ledger(c12_ledger *l, const c12_ledger_filter *f, c12_report *out, c12_err *err);
void c12_report_free(c12_report *r);

/* Set counterfactual id to `model` at rates k (NULL: unknown). Pure. */
void c12_report_set_cf(c12_report *r, c12_report_cf_id id, const char *model, const c12_policy_cost *k);
/* Both counterfactuals from pol's rates: `strongest` (NULL: the policy's,
 * c12_policy_strongest) and `dflt`, the default model. A model the policy
 * does not have is unknown. */
void c12_report_price(c12_report *r, const c12_policy *pol, const char *strongest, const char *dflt);

/* Counterfactual id applied to total t. */
void c12_report_saving_of(const c12_report *r, c12_report_cf_id id, const c12_ledger_total *t,
                          c12_report_saving *out);
/* Grams CO2e per 1,000 tokens (prompt + output) of t; NAN without tokens. */
double c12_report_gco2_per_1k(const c12_ledger_total *t);
/* "strongest", "default". */
const char *c12_report_cf_name(c12_report_cf_id id);

/* ---- output (report_text.c, report_json.c) ---- */

c12_rc c12_report_text(const c12_report *r, c12_buf *b);
c12_rc c12_report_csv(const c12_report *r, c12_buf *b);
/* The whole report as one JSON document (NULL: out of memory): filter,
 * counterfactuals (model, rates, basis), totals and tables of rows, each
 * with its gCO2e per 1,000 tokens and savings. docs/ledger.md. */
json_t *c12_report_json(const c12_report *r);

/* ---- the window ---- */

/* Parse "7d", "24h", "30m", "90s" or "all" (0) into milliseconds. */
c12_rc c12_report_parse_span(const char *s, int64_t *out_ms, c12_err *err);
/* A time bound: a span back from now_ms ("7d": now - 7 days), "all" (0: no
 * bound), or an ISO-8601 time ("2026-12-01", "2026-12-01T08:00Z"). */
c12_rc c12_report_parse_when(const char *s, int64_t now_ms, int64_t *out_ms, c12_err *err);
/* f's since_ms and until_ms from both bounds (NULL or "": none); INVALID,
 * with *param "since" or "until", when one is no bound or until is not
 * after since. f is unchanged on failure. */
c12_rc c12_report_parse_window(const char *since, const char *until, int64_t now_ms, c12_ledger_filter *f,
                               const char **param, c12_err *err);

#endif
