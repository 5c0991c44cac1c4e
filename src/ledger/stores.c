/* stores.c - the table of ledger stores, and what every store shares. Adding
 * one is a new store_*.c file and a row here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "base/c12_home.h"
#include "base/c12_utf8.h"
#include "ledger/ledger.h"
#include "ledger/store_impl.h"

extern const c12_store_ops c12_store_sqlite_ops, c12_store_pg_ops;

const c12_store_ops *const c12_ledger_stores[] = {&c12_store_sqlite_ops, &c12_store_pg_ops, NULL};

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

c12_rc c12_ledger_totals_push(c12_ledger_totals *t, c12_err *err)
{
    if (t->n >= C12_LEDGER_GROUPS_MAX)
        return c12_fail(err, C12_ERR_RANGE, "ledger: more than %d groups: narrow the window or widen the step",
                        C12_LEDGER_GROUPS_MAX);
    if (t->n < t->cap) return C12_OK;
    size_t cap = t->cap ? t->cap * 2 : 16;
    c12_ledger_total *p = c12_realloc(t->t, cap * sizeof *p);
    if (!p) return c12_fail(err, C12_ERR_NOMEM, "ledger: no memory");
    t->t = p;
    t->cap = cap;
    return C12_OK;
}

c12_rc c12_ledger_totals_done(c12_rc rc, c12_ledger_totals *t, c12_ledger_totals *out)
{
    if (rc) {
        c12_ledger_totals_free(t);
        return rc;
    }
    c12_ledger_totals_free(out);
    *out = *t;
    return C12_OK;
}

void c12_ledger_cfg_defaults(c12_ledger_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->store, sizeof cfg->store, "sqlite");
    snprintf(cfg->dsn_env, sizeof cfg->dsn_env, "%s", C12_LEDGER_DSN_ENV);
    cfg->queue_cap = 4096;
    cfg->batch_max = 256;
    cfg->flush_ms = 200;
    cfg->block_ms = 100;
}

c12_rc c12_ledger_default_path(char *out, size_t cap, c12_err *err)
{
    return c12_home_path("ledger.db", out, cap, err);
}

c12_rc c12_ledger_store_target(const c12_store_ops *ops, const c12_ledger_cfg *cfg, char *out, size_t cap,
                               c12_err *err)
{
    const char *t = cfg->target;
    if (ops->connects) {
        t = getenv(cfg->dsn_env);
        if (!t || !*t)
            return c12_fail(err, C12_ERR_INVALID,
                            "ledger: store %s takes its connection string from the environment: $%s is not set",
                            ops->name, cfg->dsn_env);
    }
    if (strlen(t) >= cap) return c12_fail(err, C12_ERR_RANGE, "ledger: the %s target is too long", ops->name);
    memcpy(out, t, strlen(t) + 1);
    return C12_OK;
}

c12_rc c12_ledger_cfg_target(const c12_ledger_cfg *cfg, char *out, size_t cap, c12_err *err)
{
    const c12_store_ops *ops = c12_ledger_store_find(cfg->store);
    if (!ops) return c12_fail(err, C12_ERR_INVALID, "ledger: unknown store '%s'", cfg->store);
    return c12_ledger_store_target(ops, cfg, out, cap, err);
}

void c12_ledger_cfg_describe(const c12_ledger_cfg *cfg, char *out, size_t cap)
{
    const c12_store_ops *ops = c12_ledger_store_find(cfg->store);
    if (ops && ops->connects)
        snprintf(out, cap, "%s (DSN from $%s)", ops->name, cfg->dsn_env);
    else
        snprintf(out, cap, "%s", cfg->target);
}

void c12_ledger_set(char *dst, size_t cap, const char *src)
{
    if (cap) c12_utf8_copy(dst, cap, src ? src : "", src ? strlen(src) : 0);
}

static const char *const GROUP_NAMES[C12_LEDGER_BY_COUNT] = {
    "all", "model", "category", "key", "user", "day", "hour", "step", "site",
};

const char *c12_ledger_group_name(c12_ledger_group g)
{
    return (int)g >= 0 && g < C12_LEDGER_BY_COUNT ? GROUP_NAMES[g] : "?";
}

int c12_ledger_group_parse(const char *name)
{
    for (int g = 0; g < C12_LEDGER_BY_COUNT; g++)
        if (strcmp(GROUP_NAMES[g], name) == 0) return g;
    return -1;
}

int c12_ledger_group_is_time(c12_ledger_group g)
{
    return g == C12_LEDGER_BY_DAY || g == C12_LEDGER_BY_HOUR || g == C12_LEDGER_BY_STEP;
}

c12_rc c12_ledger_filter_check(const c12_ledger_filter *f, c12_err *err)
{
    if ((int)f->by < 0 || f->by >= C12_LEDGER_BY_COUNT || (int)f->by2 < 0 || f->by2 >= C12_LEDGER_BY_COUNT)
        return c12_fail(err, C12_ERR_INVALID, "ledger: unknown grouping");
    if ((f->by == C12_LEDGER_BY_STEP || f->by2 == C12_LEDGER_BY_STEP) && f->step_ms < C12_LEDGER_STEP_MIN_MS)
        return c12_fail(err, C12_ERR_INVALID, "ledger: a step of %lld ms (at least %d)", (long long)f->step_ms,
                        C12_LEDGER_STEP_MIN_MS);
    if (f->since_ms < 0 || f->until_ms < 0)
        return c12_fail(err, C12_ERR_INVALID, "ledger: a negative time bound");
    return C12_OK;
}

void c12_ledger_bucket_key(c12_ledger_group g, int64_t bucket_ms, char *out, size_t cap)
{
    static const char *const FMT[C12_LEDGER_BY_COUNT] = {
        [C12_LEDGER_BY_DAY] = "%Y-%m-%d", [C12_LEDGER_BY_HOUR] = "%Y-%m-%dT%H:00Z",
        [C12_LEDGER_BY_STEP] = "%Y-%m-%dT%H:%M:%SZ"};
    if (!cap) return;
    out[0] = '\0';
    if (!c12_ledger_group_is_time(g)) return;
    int64_t s = bucket_ms >= 0 ? bucket_ms / 1000 : -((-bucket_ms + 999) / 1000);
    time_t t = (time_t)s;
    struct tm tm;
    if (gmtime_r(&t, &tm)) strftime(out, cap, FMT[g], &tm);
}

static void total_key(c12_ledger_group g, const char *text, int64_t bucket, char *key, size_t cap)
{
    if (c12_ledger_group_is_time(g)) c12_ledger_bucket_key(g, bucket, key, cap);
    else c12_ledger_set(key, cap, text);
}

void c12_ledger_total_keys(c12_ledger_total *o, const c12_ledger_filter *f, const char *t1, const char *t2,
                           int64_t b1, int64_t b2)
{
    total_key(f->by, t1, b1, o->key, sizeof o->key);
    total_key(f->by2, t2, b2, o->key2, sizeof o->key2);
    o->bucket_ms = c12_ledger_group_is_time(f->by) ? b1 : c12_ledger_group_is_time(f->by2) ? b2 : 0;
}

c12_rc c12_ledger_query_file(const char *store, const char *target, const c12_ledger_filter *f,
                             c12_ledger_totals *out, c12_err *err)
{
    const c12_store_ops *ops = c12_ledger_store_find(store);
    if (!ops) return c12_fail(err, C12_ERR_INVALID, "ledger: unknown store '%s'", store);
    void *s = NULL;
    c12_rc rc = ops->open(target, 1, &s, err);
    if (rc) return rc;
    rc = ops->query(s, f, out, err);
    ops->close(s);
    return rc;
}
