/* store_oracle.h - what every ledger store must answer, computed the plain
 * way in memory: rows of every kind a store might get wrong (keys in mixed
 * case and beyond ASCII, tabs, newlines and backslashes in text, ties in
 * time, every status), and their totals for a filter, grouped, keyed and
 * ordered as ledger.h says (text keys in byte order, time groups in time
 * order: their ISO keys sort the same way). */
#ifndef C12_STORE_ORACLE_H
#define C12_STORE_ORACLE_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "energy/energy.h"
#include "ledger/ledger.h"
#include "ledger_test.h"

#define ORACLE_ROWS 40

/* n varied rows (n <= ORACLE_ROWS), in append order. */
static inline void oracle_rows_n(c12_ledger_row *rows, int n)
{
    static const char *const MODELS[] = {"smollm2-135m", "Qwen", "qwen", "\xc3\xa4-model", "Zeta"};
    static const char *const KEYS[] = {"", "key:aaaa", "key:BBBB"};
    static const char *const USERS[] = {"", "adam", "Bob", "tab\there", "back\\slash", "new\nline", "\xc3\xa9", "zoe"};
    static const char *const STATUS[] = {"ok", "ok", "ok", "error", "ok", "timeout", "ok"};
    static const char *const SITES[] = {"local", "north", "", "South", "\xc3\xa9st"};
    for (int i = 0; i < n; i++) {
        c12_ledger_row *r = &rows[i];
        int64_t t = T0 + ((int64_t)i * 37 * 60000) % (3 * DAY_MS) + (i % 5) * 1000;
        if (i == 6) t = rows[5].time_ms; /* a tie: the later row comes first among the newest */
        ledger_test_row(r, t, MODELS[i % 5], KEYS[i % 3], USERS[i % 8]);
        snprintf(r->request_id, sizeof r->request_id, "req-%d", i);
        memset(r->category, 0, sizeof r->category); /* rows read back are compared bit for bit */
        memset(r->status, 0, sizeof r->status);
        C12_LEDGER_SET(r->category, i % 4 ? "general" : "code");
        C12_LEDGER_SET(r->status, STATUS[i % 7]);
        memset(r->site, 0, sizeof r->site);
        memset(r->site_region, 0, sizeof r->site_region);
        C12_LEDGER_SET(r->site, SITES[i % 5 == 2 ? 2 : i % 3 + (i % 7 == 0 ? 2 : 0)]);
        C12_LEDGER_SET(r->site_region, i % 2 ? "FR" : "");
        C12_LEDGER_SET(r->energy_method, "cputime-tdp");
        C12_LEDGER_SET(r->intensity_provider, i % 2 ? "trace" : "static");
        C12_LEDGER_SET(r->route_reason, "general/low, 208 g/kWh: \"cleanest\" adequate");
        r->complexity = i / 40.0;
        r->prompt_tokens = 10 + i;
        r->completion_tokens = 3 * i;
        r->queue_ms = 0.25 * i;
        r->ttft_ms = 40 + i / 3.0;
        r->total_ms = 123.456 * i;
        r->energy_j = 0.1 * i + 1 / 3.0;
        r->intensity = 100 + i;
        r->intensity_age_s = 1e-3 * i;
        r->pue = 1.0 + (i % 3) * 0.1;
        r->co2_g = c12_energy_gco2(r->energy_j, r->intensity, r->pue);
        r->cached = i % 4 == 1; /* an answer from the response cache, and what it saved */
        r->saved_energy_j = r->cached ? 2.0 + i / 7.0 : 0;
        r->saved_co2_g = c12_energy_gco2(r->saved_energy_j, r->intensity, r->pue);
    }
}

static inline void oracle_rows(c12_ledger_row *rows)
{
    oracle_rows_n(rows, ORACLE_ROWS);
}

/* Row r's key in group g: its text, or its time bucket's. */
static inline void oracle_key(c12_ledger_group g, int second, const c12_ledger_row *r, int64_t step, char *out,
                              size_t cap, int64_t *bucket)
{
    const char *text[C12_LEDGER_BY_COUNT] = {second ? "" : "all", r->model, r->category, r->api_key, r->user,
                                             [C12_LEDGER_BY_SITE] = r->site};
    int64_t w = g == C12_LEDGER_BY_DAY ? DAY_MS : g == C12_LEDGER_BY_HOUR ? HOUR_MS : step;
    *bucket = 0;
    if (!c12_ledger_group_is_time(g)) {
        snprintf(out, cap, "%s", text[g]);
        return;
    }
    *bucket = r->time_ms - ((r->time_ms % w) + w) % w;
    c12_ledger_bucket_key(g, *bucket, out, cap);
}

static inline int oracle_order(const void *a, const void *b)
{
    const c12_ledger_total *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->key2, y->key2);
}

static inline void oracle_query(const c12_ledger_row *rows, size_t n, const c12_ledger_filter *f,
                                c12_ledger_totals *out)
{
    out->t = calloc(n + 1, sizeof *out->t);
    out->n = 0;
    out->cap = n + 1;
    for (size_t i = 0; i < n; i++) {
        const c12_ledger_row *r = &rows[i];
        if (r->time_ms < f->since_ms || (f->until_ms && r->time_ms >= f->until_ms)) continue;
        c12_ledger_total k = {0};
        int64_t b1, b2;
        oracle_key(f->by, 0, r, f->step_ms, k.key, sizeof k.key, &b1);
        oracle_key(f->by2, 1, r, f->step_ms, k.key2, sizeof k.key2, &b2);
        size_t j = 0;
        while (j < out->n && oracle_order(&out->t[j], &k)) j++;
        c12_ledger_total *o = &out->t[j];
        if (j == out->n) {
            *o = k;
            o->bucket_ms = c12_ledger_group_is_time(f->by) ? b1 : c12_ledger_group_is_time(f->by2) ? b2 : 0;
            out->n++;
        }
        o->requests++;
        o->errors += strcmp(r->status, "ok") != 0;
        o->prompt_tokens += r->prompt_tokens;
        o->completion_tokens += r->completion_tokens;
        o->energy_j += r->energy_j;
        o->co2_g += r->co2_g;
        o->total_s += r->total_ms / 1000;
        o->prompt_tok_gkwh += (double)r->prompt_tokens * r->intensity * r->pue;
        o->completion_tok_gkwh += (double)r->completion_tokens * r->intensity * r->pue;
        o->cached += r->cached;
        o->saved_co2_g += r->saved_co2_g;
    }
    qsort(out->t, out->n, sizeof *out->t, oracle_order);
}

static inline void oracle_near(double got, double want)
{
    assert_true(fabs(got - want) <= 1e-9 * fmax(1, fabs(want)));
}

static inline void oracle_compare(const c12_ledger_totals *got, const c12_ledger_totals *want,
                                  const c12_ledger_filter *f)
{
    if (got->n != want->n) fail_msg("by %d/%d: %zu groups, want %zu", f->by, f->by2, got->n, want->n);
    for (size_t i = 0; i < got->n; i++) {
        const c12_ledger_total *g = &got->t[i], *w = &want->t[i];
        assert_string_equal(g->key, w->key);
        assert_string_equal(g->key2, w->key2);
        assert_int_equal(g->bucket_ms, w->bucket_ms);
        assert_int_equal(g->requests, w->requests);
        assert_int_equal(g->errors, w->errors);
        assert_int_equal(g->prompt_tokens, w->prompt_tokens);
        assert_int_equal(g->completion_tokens, w->completion_tokens);
        oracle_near(g->energy_j, w->energy_j);
        oracle_near(g->co2_g, w->co2_g);
        oracle_near(g->total_s, w->total_s);
        oracle_near(g->prompt_tok_gkwh, w->prompt_tok_gkwh);
        oracle_near(g->completion_tok_gkwh, w->completion_tok_gkwh);
        assert_int_equal(g->cached, w->cached);
        oracle_near(g->saved_co2_g, w->saved_co2_g);
    }
}

/* Indices of rows, the newest first; among equal times the later-appended first. */
static inline void oracle_newest_first(const c12_ledger_row *rows, size_t n, size_t *order)
{
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = 1; i < n; i++) /* insertion sort: n is small */
        for (size_t j = i; j > 0; j--) {
            const c12_ledger_row *a = &rows[order[j - 1]], *b = &rows[order[j]];
            if (a->time_ms > b->time_ms || (a->time_ms == b->time_ms && order[j - 1] > order[j])) break;
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
}

#endif
