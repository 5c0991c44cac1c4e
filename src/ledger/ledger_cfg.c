/* ledger_cfg.c - the `ledger:` keys of the configuration, one row each, so
 * that the YAML reader (src/config) hands over key and text:
 *
 *   ledger:
 *     store: sqlite          # or postgresql
 *     path: ~/.cache/c12/ledger.db   # sqlite's file, default $C12_HOME/ledger.db
 *     dsn_env: C12_LEDGER_DSN        # postgresql: the variable holding the DSN
 *     queue_cap: 4096        # rows waiting for the writer
 *     batch_max: 256         # rows per transaction
 *     flush_ms: 200          # longest a row waits for its commit
 *     block_ms: 100          # how long a request waits for room in a full queue */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger.h"

typedef c12_rc (*set_fn)(c12_ledger_cfg *c, const char *v, c12_err *err);

static c12_rc count(const char *v, long lo, long hi, long *out, const char *key, c12_err *err)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (end == v || *end || errno || n < lo || n > hi)
        return c12_fail(err, C12_ERR_INVALID, "ledger.%s: '%s' is not a whole number in %ld..%ld",
                        key, v, lo, hi);
    *out = n;
    return C12_OK;
}

static c12_rc set_store(c12_ledger_cfg *c, const char *v, c12_err *err)
{
    if (!c12_ledger_store_find(v))
        return c12_fail(err, C12_ERR_INVALID, "ledger.store: unknown store '%s' (sqlite, postgresql)", v);
    snprintf(c->store, sizeof c->store, "%s", v);
    return C12_OK;
}

static c12_rc set_path(c12_ledger_cfg *c, const char *v, c12_err *err)
{
    if (!v[0] || strlen(v) >= sizeof c->target)
        return c12_fail(err, C12_ERR_INVALID, "ledger.path: empty or too long");
    memcpy(c->target, v, strlen(v) + 1);
    return C12_OK;
}

/* An environment variable's name: letters, digits, '_', not a digit first. */
static c12_rc set_dsn_env(c12_ledger_cfg *c, const char *v, c12_err *err)
{
    size_t n = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    if (!v[0] || v[n] || (v[0] >= '0' && v[0] <= '9') || n >= sizeof c->dsn_env)
        return c12_fail(err, C12_ERR_INVALID, "ledger.dsn_env: '%s' is not an environment variable's name", v);
    memcpy(c->dsn_env, v, n + 1);
    return C12_OK;
}

/* A connection string holds a password: it never comes from the file. */
static c12_rc refuse_dsn(c12_ledger_cfg *c, const char *v, c12_err *err)
{
    return c12_fail(err, C12_ERR_INVALID,
                    "ledger.dsn: the connection string holds a password and is not read from the file; "
                    "put it in the environment (ledger.dsn_env names the variable, default %s)",
                    C12_LEDGER_DSN_ENV);
}

#define COUNT_SETTER(name, field, lo, hi)                                      \
    static c12_rc name(c12_ledger_cfg *c, const char *v, c12_err *err)         \
    {                                                                          \
        long n;                                                                \
        c12_rc rc = count(v, lo, hi, &n, #field, err);                         \
        if (rc == C12_OK) c->field = n;                                        \
        return rc;                                                             \
    }
COUNT_SETTER(set_queue, queue_cap, 1, 1L << 20)
COUNT_SETTER(set_batch, batch_max, 1, 1L << 16)
COUNT_SETTER(set_flush, flush_ms, 0, 60000)
COUNT_SETTER(set_block, block_ms, 0, 60000)

static const struct {
    const char *key;
    set_fn set;
} KEYS[] = {{"store", set_store},     {"path", set_path},      {"dsn_env", set_dsn_env}, {"dsn", refuse_dsn},
            {"queue_cap", set_queue}, {"batch_max", set_batch}, {"flush_ms", set_flush},  {"block_ms", set_block}};

c12_rc c12_ledger_cfg_set(c12_ledger_cfg *cfg, const char *key, const char *value, c12_err *err)
{
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
        if (strcmp(KEYS[i].key, key) == 0) {
            c12_ledger_cfg c = *cfg; /* cfg changes only on success */
            c12_rc rc = KEYS[i].set(&c, value, err);
            if (rc == C12_OK) *cfg = c;
            return rc;
        }
    return c12_fail(err, C12_ERR_INVALID, "ledger.%s: unknown key", key);
}
