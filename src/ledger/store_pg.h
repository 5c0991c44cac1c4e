/* store_pg.h - the PostgreSQL store's insides, shared by its two files:
 * store_pg.c (connection, errors without the password, reconnecting,
 * migrations) and store_pg_rows.c (append by COPY, query, recent, scan). */
#ifndef C12_LEDGER_STORE_PG_H
#define C12_LEDGER_STORE_PG_H

#include <libpq-fe.h>

#include "base/c12_buf.h"
#include "ledger/ledger.h"

typedef struct pg_store {
    PGconn *conn;
    int readonly;
    unsigned appends;   /* prune old batch ids every C12_LEDGER_BATCH_PRUNE_EVERY */
    char where[160];    /* "ledger postgresql (db c12 on 127.0.0.1:5432)": no password */
    char *secrets[2];   /* the password and the whole DSN, redacted from every message */
    char cols[512];     /* the row's columns, quoted, comma-separated */
    c12_buf copy;       /* COPY data of the batch being appended */
} pg_store;

/* C12_ERR_* for a failed result (or the connection's error when r is
 * NULL), the message one line without the password: "WHERE: what: why". */
c12_rc c12_pg_fail(pg_store *s, const PGresult *r, const char *what, c12_err *err);
/* Run sql (no parameters, no rows wanted); also the migration runner's exec. */
c12_rc c12_pg_exec(void *self, const char *sql, c12_err *err);
/* r's status is one of the successful ones: else c12_pg_fail. r is cleared
 * either way. */
c12_rc c12_pg_check(pg_store *s, PGresult *r, const char *what, c12_err *err);

/* Run op on a working connection: a connection the server dropped (a
 * restart, a network failure) is reset first, and op runs once more on a
 * new connection if the old one broke under it. op must be safe to repeat
 * (append is, by its batch id). */
typedef c12_rc (*c12_pg_op)(pg_store *s, void *arg, c12_err *err);
c12_rc c12_pg_with_conn(pg_store *s, c12_pg_op op, void *arg, c12_err *err);

/* Parameters are all int8 (OID 20) or text (OID 25), in text format. */
#define C12_PG_INT8 20
#define C12_PG_TEXT 25

#endif
