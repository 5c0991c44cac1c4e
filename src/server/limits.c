/* limits.c - the server's limiter (limit.h): one rule per API key from
 * server.api_keys, and the spend of the current day and month read back
 * from the ledger at start, so that a restart does not reset a budget. */
#include <stdio.h>
#include <string.h>

#include "base/c12_clock.h"
#include "server/server_impl.h"

/* This period's spend of each key (and user) from the ledger: the rows
 * since the period began, grouped by key label and user. */
static c12_rc seed_period(c12_server *s, c12_limit_period p, int64_t now_ms, c12_err *err)
{
    int64_t start, end;
    c12_limit_period_bounds(p, now_ms, &start, &end);
    int per_user = 0;
    for (size_t k = 0; k < s->cfg->n_api_keys; k++) per_user |= s->cfg->api_key_limits[k].per_user;
    c12_ledger_filter f = {.since_ms = start, .by = C12_LEDGER_BY_KEY,
                           .by2 = per_user ? C12_LEDGER_BY_USER : C12_LEDGER_BY_ALL};
    c12_ledger_totals t = {0};
    c12_rc rc = c12_ledger_query(s->deps.ledger, &f, &t, err);
    if (rc) return rc;
    const c12_config *c = s->cfg;
    for (int k = -1; k < (int)c->n_api_keys; k++) {
        const c12_limit_rule *r = k >= 0 ? &c->api_key_limits[k] : NULL;
        if ((r ? r->period : C12_LIMIT_DAY) != p) continue;
        char label[sizeof ((c12_ledger_row *)0)->api_key];
        c12_server_key_label(s, k, label, sizeof label);
        for (size_t i = 0; i < t.n; i++)
            if (!strcmp(t.t[i].key, label) && t.t[i].co2_g > 0)
                c12_limits_seed(s->limits, k, r && r->per_user ? t.t[i].key2 : "", t.t[i].co2_g, now_ms);
    }
    c12_ledger_totals_free(&t);
    return C12_OK;
}

c12_rc c12_server_limits_open(c12_server *s, c12_err *err)
{
    const c12_config *c = s->cfg;
    c12_rc rc = c12_limits_new(c->api_key_limits, c->n_api_keys, &s->limits, err);
    if (rc || !s->deps.ledger) return rc;
    int64_t now = c12_clock_real_ms();
    int monthly = 0; /* the month's rows are read only for a key that counts by month */
    for (size_t k = 0; k < c->n_api_keys; k++) monthly |= c->api_key_limits[k].period == C12_LIMIT_MONTH;
    c12_err e;
    if ((rc = seed_period(s, C12_LIMIT_DAY, now, &e)) || (monthly && (rc = seed_period(s, C12_LIMIT_MONTH, now, &e)))) {
        /* Not reading the spend back would let every budget start again
         * from nothing: refuse to start rather than overspend. */
        c12_limits_free(s->limits);
        s->limits = NULL;
        return c12_fail(err, rc, "server: the carbon spend so far could not be read from the ledger: %s", e.msg);
    }
    return C12_OK;
}
