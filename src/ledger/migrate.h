/* migrate.h - the ledger's schema: numbered, append-only migrations, one
 * list for every store (the SQL text per dialect where they differ), and
 * the one runner that applies them.
 *
 * Migration N is applied once, in its own transaction together with its row
 * in schema_version(version, applied_ms). Each step takes the store's write
 * lock first and reads the version inside the transaction, so that two
 * processes starting at once on one database apply each migration once. A
 * database whose version is newer than this binary knows is refused
 * (C12_ERR_UNSUPPORTED), never altered. */
#ifndef C12_LEDGER_MIGRATE_H
#define C12_LEDGER_MIGRATE_H

#include <stdint.h>

#include "base/c12_rc.h"

typedef enum { C12_SQL_SQLITE = 0, C12_SQL_POSTGRESQL, C12_SQL_COUNT } c12_sql_dialect;

/* What the runner needs of a store's connection. */
typedef struct c12_migrate_conn {
    c12_sql_dialect dialect;
    const char *where; /* for messages: "ledger /var/lib/c12/ledger.db" */
    void *db;
    /* Run SQL (one or more statements) that returns no rows. */
    c12_rc (*exec)(void *db, const char *sql, c12_err *err);
    /* Run SQL that returns one integer. */
    c12_rc (*query_int)(void *db, const char *sql, int64_t *out, c12_err *err);
} c12_migrate_conn;

/* The newest schema version this binary knows. */
int c12_migrate_latest(void);

/* Bring the database to the newest version; *version is it after. */
c12_rc c12_migrate_run(const c12_migrate_conn *c, int *version, c12_err *err);

#endif
