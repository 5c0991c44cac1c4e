/* store_impl.h - what the ledger's stores share (not for callers of the
 * ledger): the row's columns in one list, so that every store's INSERT,
 * COPY, SELECT, binding and reading code names them in the same order; the
 * growth of a totals answer with its group cap; the pruning of old batch
 * ids. */
#ifndef C12_LEDGER_STORE_IMPL_H
#define C12_LEDGER_STORE_IMPL_H

#include "ledger/ledger.h"

/* X(kind, field): kind TXT (a char array), I64 or DBL. The columns of the
 * requests table, in the order every store reads and writes them. */
#define C12_LEDGER_ROW_FIELDS(X)                                                                   \
    X(I64, time_ms) X(TXT, request_id) X(TXT, api_key) X(TXT, user) X(TXT, model) X(TXT, category) \
    X(DBL, complexity) X(I64, prompt_tokens) X(I64, completion_tokens) X(DBL, queue_ms)            \
    X(DBL, ttft_ms) X(DBL, total_ms) X(DBL, energy_j) X(TXT, energy_method) X(DBL, intensity)      \
    X(TXT, intensity_provider) X(DBL, intensity_age_s) X(DBL, pue) X(DBL, co2_g)                   \
    X(TXT, route_reason) X(TXT, status) X(I64, cached) X(DBL, saved_energy_j) X(DBL, saved_co2_g) \
    X(TXT, batch_id) X(TXT, directive) X(TXT, site) X(TXT, site_region)

/* Room for one more total in t (C12_ERR_RANGE past C12_LEDGER_GROUPS_MAX). */
c12_rc c12_ledger_totals_push(c12_ledger_totals *t, c12_err *err);

/* A total's key, key2 and bucket_ms from its two group columns: a text
 * group's text (t1, t2), a time group's bucket start (b1, b2) formatted by
 * c12_ledger_bucket_key. */
void c12_ledger_total_keys(c12_ledger_total *o, const c12_ledger_filter *f, const char *t1, const char *t2,
                           int64_t b1, int64_t b2);

/* A store's answer to a query: *out replaced by t on success, t freed on
 * failure. Returns rc. */
c12_rc c12_ledger_totals_done(c12_rc rc, c12_ledger_totals *t, c12_ledger_totals *out);

/* Batch ids older than this are deleted (every BATCH_PRUNE_EVERY appends):
 * a retry comes within seconds of the first try. */
#define C12_LEDGER_BATCH_KEEP_MS (7 * 86400000LL)
#define C12_LEDGER_BATCH_PRUNE_EVERY 1024

#endif
