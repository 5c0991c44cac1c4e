/* report.h - what `c12 report` prints: ledger totals by model, category and
 * day, and the counterfactual "every request on the strongest model".
 *
 * The counterfactual charges each request's prompt and completion tokens at
 * that model's calibrated joules per token and at the request's own intensity
 * and PUE: sum over requests of (p x Jp + c x Jc) / 3.6e6 x intensity x pue,
 * which the store sums as p x intensity x pue and c x intensity x pue. */
#ifndef C12_REPORT_H
#define C12_REPORT_H

#include "base/c12_buf.h"
#include "ledger/ledger.h"

typedef struct c12_report {
    int64_t since_ms;
    c12_ledger_totals all, by_model, by_category, by_day;
    char strongest[64];
    int cf_known;           /* energy rates of `strongest` were available */
    double cf_energy_j, cf_co2_g;
    char cf_basis[160];     /* where the rates came from, said beside the figures ("" calibrated) */
} c12_report;

/* Read the totals of rows since since_ms from a store file. */
c12_rc c12_report_load(const char *store, const char *target, int64_t since_ms, c12_report *out,
                       c12_err *err);
/* Compute the counterfactual for a model costing j_prompt and j_output joules
 * per token; known = 0 records it as unknown. Pure. */
void c12_report_counterfactual(c12_report *r, const char *model, int known, double j_prompt,
                               double j_output);
c12_rc c12_report_text(const c12_report *r, c12_buf *b);
c12_rc c12_report_csv(const c12_report *r, c12_buf *b);
void c12_report_free(c12_report *r);

/* Parse "7d", "24h", "30m", "90s" or "all" (0) into milliseconds. */
c12_rc c12_report_parse_span(const char *s, int64_t *out_ms, c12_err *err);

#endif
