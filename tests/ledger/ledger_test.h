/* ledger_test.h - what the ledger's unit tests share: the time they start
 * at and a database in a fresh temporary folder (removed with it). */
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

#endif
