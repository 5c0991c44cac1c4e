/* stores.c - the table of ledger stores, and what every store shares. Adding
 * one (PostgreSQL) is a new store_*.c file and a row here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "ledger/ledger.h"
#include "base/c12_home.h"
#include "base/c12_utf8.h"

extern const c12_store_ops c12_store_sqlite_ops;

const c12_store_ops *const c12_ledger_stores[] = {&c12_store_sqlite_ops, NULL};

const c12_store_ops *c12_ledger_store_find(const char *name)
{
    for (size_t i = 0; c12_ledger_stores[i]; i++)
        if (strcmp(c12_ledger_stores[i]->name, name) == 0) return c12_ledger_stores[i];
    return NULL;
}

void c12_ledger_totals_free(c12_ledger_totals *t)
{
    c12_free(t->t);
    *t = (c12_ledger_totals){0};
}

void c12_ledger_cfg_defaults(c12_ledger_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->store, sizeof cfg->store, "sqlite");
    cfg->queue_cap = 4096;
    cfg->batch_max = 256;
    cfg->flush_ms = 200;
    cfg->block_ms = 100;
}

c12_rc c12_ledger_default_path(char *out, size_t cap, c12_err *err)
{
    return c12_home_path("ledger.db", out, cap, err);
}

void c12_ledger_set(char *dst, size_t cap, const char *src)
{
    if (cap) c12_utf8_copy(dst, cap, src ? src : "", src ? strlen(src) : 0);
}

c12_rc c12_ledger_query_file(const char *store, const char *target, int64_t since_ms,
                             c12_ledger_group by, c12_ledger_totals *out, c12_err *err)
{
    const c12_store_ops *ops = c12_ledger_store_find(store);
    if (!ops) return c12_fail(err, C12_ERR_INVALID, "ledger: unknown store '%s'", store);
    void *s = NULL;
    c12_rc rc = ops->open(target, 1, &s, err);
    if (rc) return rc;
    rc = ops->query(s, since_ms, by, out, err);
    ops->close(s);
    return rc;
}
