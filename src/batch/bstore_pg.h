/* bstore_pg.h - the PostgreSQL batch store's insides, shared by its two
 * files: bstore_pg.c (connection, tables, files, claims) and
 * bstore_pg_batches.c (batches, lines, figures). */
#ifndef C12_BATCH_BSTORE_PG_H
#define C12_BATCH_BSTORE_PG_H

#include <libpq-fe.h>
#include <pthread.h>

#include "batch/bstore_impl.h"
#include "ledger/store_pg.h"

typedef struct c12_bpg {
    pthread_mutex_t mu; /* one connection: its statements one at a time */
    pg_store *pg;       /* the ledger's connection code: messages without the password, reconnects */
} c12_bpg;

/* The advisory lock class of a batch's claim (key 2: hashtext of its id),
 * as SQL text. */
#define C12_BPG_CLAIM_CLASS "3090"

/* The connection, reset first if the server dropped it (the caller holds mu). */
c12_rc c12_bpg_ready(c12_bpg *s, c12_err *err);
/* sql with n text parameters (NULL: SQL NULL), text results. */
PGresult *c12_bpg_q(c12_bpg *s, const char *sql, int n, const char *const *vals);
/* r returned rows (left for the caller to read and clear), else the error
 * (r cleared). */
c12_rc c12_bpg_rows(c12_bpg *s, PGresult *r, const char *what, c12_err *err);
/* A command whose row count must be `want` (-1: any); else rc_else with msg. */
c12_rc c12_bpg_cmd(c12_bpg *s, PGresult *r, const char *what, long want, c12_rc rc_else, const char *msg,
                   c12_err *err);
/* ROLLBACK after a failure, the failure's message kept. */
void c12_bpg_rollback(c12_bpg *s);

#endif
