/* cli_ledger.h - which ledger a command reads or writes: --ledger STORE
 * (sqlite, postgresql) and --db FILE (an SQLite file) over the
 * configuration's ledger: section; or one spec, "sqlite:FILE" or
 * "postgresql" (c12 ledger migrate). A PostgreSQL ledger's connection
 * string comes from the environment ($C12_LEDGER_DSN, or ledger.dsn_env). */
#ifndef C12_CLI_LEDGER_H
#define C12_CLI_LEDGER_H

#include "ledger/ledger.h"

typedef struct cli_ledger {
    c12_ledger_cfg cfg;  /* store, path (sqlite), dsn_env */
    char target[1024];   /* what the store opens: the file, or the DSN (never print it) */
    char desc[1200];     /* for messages: the file, or "postgresql (DSN from $C12_LEDGER_DSN)" */
} cli_ledger;

/* From --ledger (store, may be NULL) and --db (db, may be NULL) over base
 * (NULL: the built-in defaults). Returns -1 when *out is set, else the exit
 * status (2: bad usage, 1: failed) after saying why on stderr as "c12 CMD: ...". */
int cli_ledger_pick(const char *cmd, const char *store, const char *db, const c12_ledger_cfg *base,
                    cli_ledger *out);
/* The same from "STORE[:FILE]". */
int cli_ledger_parse(const char *cmd, const char *spec, cli_ledger *out);

/* `c12 ledger migrate --from SPEC --to SPEC`: every row of one ledger into
 * another, empty one (cmd_ledger_migrate.c). Returns the exit status. */
int cli_ledger_migrate(const char *from, const char *to);

#endif
