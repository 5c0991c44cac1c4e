/* ledger_test.h - what the ledger's unit tests share: the time they start
 * at, a database in a fresh temporary folder (removed with it), a plain row,
 * and a thread that submits rows to a ledger. */
#ifndef C12_LEDGER_TEST_H
#define C12_LEDGER_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger/ledger.h"

#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define T0 (1767225600000LL) /* 2026-01-01T00:00Z */

/* "/tmp/c12-ledger-XXXXXX/ledger.db" in a new folder; free with rm_db. */
static inline char *db_path(void)
{
    char tmpl[] = "/tmp/c12-ledger-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    char *p = malloc(strlen(d) + 16);
    sprintf(p, "%s/ledger.db", d);
    return p;
}

static inline void rm_db(char *p)
{
    char cmd[1200];
    *strrchr(p, '/') = '\0';
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    assert_int_equal(system(cmd), 0);
    free(p);
}

/* The SQLite store at p, created and migrated. */
static inline void *open_store(const char *p, const c12_store_ops **ops)
{
    void *s;
    c12_err err;
    int v;
    *ops = c12_ledger_store_find("sqlite");
    assert_int_equal((*ops)->open(p, 0, &s, &err), C12_OK);
    assert_int_equal((*ops)->migrate(s, &v, &err), C12_OK);
    return s;
}

/* A row of one request: 10 prompt and 5 output tokens, 3.6 J at 100 g/kWh
 * and PUE 1.5, category general, status ok. */
static inline void ledger_test_row(c12_ledger_row *r, int64_t t, const char *model, const char *key,
                                   const char *user)
{
    memset(r, 0, sizeof *r);
    r->time_ms = t;
    C12_LEDGER_SET(r->model, model);
    C12_LEDGER_SET(r->api_key, key);
    C12_LEDGER_SET(r->user, user);
    C12_LEDGER_SET(r->category, "general");
    C12_LEDGER_SET(r->status, "ok");
    r->prompt_tokens = 10;
    r->completion_tokens = 5;
    r->energy_j = 3.6;
    r->intensity = 100;
    r->pue = 1.5;
    r->co2_g = 3.6 / 3.6e6 * 100 * 1.5;
}

/* Row i of a stream: T0 + i ms, models "a" and "b" in turn. */
static inline void ledger_test_ab_row(c12_ledger_row *r, int i)
{
    ledger_test_row(r, T0 + i, i % 2 ? "a" : "b", "", "");
}

/* A thread that submits rows base .. base+n-1 made by row(); returns
 * non-NULL if a submit failed. */
typedef struct ledger_producer {
    c12_ledger *l;
    int n, base;
    void (*row)(c12_ledger_row *r, int i);
} ledger_producer;

static inline void *ledger_produce(void *arg)
{
    ledger_producer *p = arg;
    for (int i = 0; i < p->n; i++) {
        c12_ledger_row r;
        p->row(&r, p->base + i);
        c12_err err;
        if (c12_ledger_submit(p->l, &r, &err) != C12_OK) return (void *)1;
    }
    return NULL;
}

#endif
