/* cli_ledger.c - the ledger a command names (cli_ledger.h). */
#include <stdio.h>
#include <string.h>

#include "cli_ledger.h"

int cli_ledger_pick(const char *cmd, const char *store, const char *db, const c12_ledger_cfg *base,
                    cli_ledger *out)
{
    cli_ledger l;
    c12_err err;
    if (base) l.cfg = *base;
    else c12_ledger_cfg_defaults(&l.cfg);
    if (c12_ledger_cfg_set(&l.cfg, "store", store ? store : db ? "sqlite" : l.cfg.store, &err)) {
        fprintf(stderr, "c12 %s: --ledger: %s\n", cmd, err.msg);
        return 2;
    }
    const c12_store_ops *ops = c12_ledger_store_find(l.cfg.store);
    if (db && ops->connects) {
        fprintf(stderr, "c12 %s: --db FILE names an SQLite ledger; %s reads its connection string from $%s\n", cmd,
                ops->name, l.cfg.dsn_env);
        return 2;
    }
    c12_rc rc = C12_OK;
    if (db) rc = c12_ledger_cfg_set(&l.cfg, "path", db, &err);
    else if (!ops->connects && !l.cfg.target[0])
        rc = c12_ledger_default_path(l.cfg.target, sizeof l.cfg.target, &err);
    if (rc == C12_OK) rc = c12_ledger_cfg_target(&l.cfg, l.target, sizeof l.target, &err);
    if (rc) {
        fprintf(stderr, "c12 %s: %s\n", cmd, err.msg);
        return 1;
    }
    c12_ledger_cfg_describe(&l.cfg, l.desc, sizeof l.desc);
    *out = l;
    return -1;
}

int cli_ledger_parse(const char *cmd, const char *spec, cli_ledger *out)
{
    char store[sizeof out->cfg.store];
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n >= sizeof store || (colon && !colon[1])) {
        fprintf(stderr, "c12 %s: '%s' is not sqlite:FILE or postgresql\n", cmd, spec);
        return 2;
    }
    memcpy(store, spec, n);
    store[n] = '\0';
    return cli_ledger_pick(cmd, store, colon ? colon + 1 : NULL, NULL, out);
}
