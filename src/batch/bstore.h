/* bstore.h - where files and batches live. Two implementations behind one
 * ops table (bstore_impl.h), chosen by the ledger's store:
 *   - SQLite (ledger.store: sqlite): one database and a folder of file
 *     contents under $C12_HOME/batches (batches.db, files/<id>);
 *   - PostgreSQL (ledger.store: postgresql): the ledger's database, files'
 *     bytes in a bytea column, so that every gateway sharing the database
 *     sees the same files and batches (bstore_pg.c).
 * Either way a SIGTERM or a crash and a restart resume every batch where it
 * stopped.
 *
 * Each line of a batch is a row (pending, done or failed) with its result;
 * a line's result and its batch's counters are committed in one
 * transaction, so a line is answered at most once in the output file (a
 * line cut by a crash is pending again and runs again; its first answer was
 * never committed). One connection behind a mutex: batches are few and
 * their lines slow. Several gateways on one PostgreSQL database each run a
 * batch only while they hold its claim (c12_bstore_batch_claim). */
#ifndef C12_BATCH_BSTORE_H
#define C12_BATCH_BSTORE_H

#include <stddef.h>

#include "batch/batch.h"

typedef struct c12_bstore c12_bstore;

/* SQLite in dir (created if missing). */
c12_rc c12_bstore_open(const char *dir, c12_bstore **out, c12_err *err);
/* PostgreSQL at dsn (a libpq connection string): the tables are created if
 * missing; readonly: never (C12_ERR_NOT_FOUND when there are none), and
 * read-only transactions (c12 report). Messages never carry the password. */
c12_rc c12_bstore_open_pg(const char *dsn, int readonly, c12_bstore **out, c12_err *err);
/* "sqlite" or "postgresql". */
const char *c12_bstore_kind(const c12_bstore *s);
void c12_bstore_close(c12_bstore *s); /* NULL is fine */

/* ---- files ---- */
/* Store data as a new file: f's id and created_at are set here. */
c12_rc c12_bstore_file_put(c12_bstore *s, c12_bfile *f, const char *data, size_t len, c12_err *err);
c12_rc c12_bstore_file_get(c12_bstore *s, const char *id, c12_bfile *out, c12_err *err); /* NOT_FOUND */
/* The bytes (c12_free them), at most max. */
c12_rc c12_bstore_file_read(c12_bstore *s, const char *id, size_t max, char **data, size_t *len, c12_err *err);
/* owner's files, newest first, after the id `after` (NULL: from the
 * newest); up to limit into out; *more: older ones remain. purpose NULL:
 * all. */
c12_rc c12_bstore_file_list(c12_bstore *s, const char *owner, const char *purpose, const char *after, size_t limit,
                            c12_bfile *out, size_t *n, int *more, c12_err *err);
c12_rc c12_bstore_file_delete(c12_bstore *s, const char *id, c12_err *err); /* NOT_FOUND */

/* ---- batches ---- */
/* A new batch over the input file's bytes: its lines are read with rules
 * (FORMAT naming a line) and queued with b in one transaction. b's id and
 * created_at are set here; total is the number of lines. */
c12_rc c12_bstore_batch_create(c12_bstore *s, c12_batch *b, const char *input, size_t len,
                               const c12_batch_input_rules *rules, c12_err *err);
c12_rc c12_bstore_batch_get(c12_bstore *s, const char *id, c12_batch *out, c12_err *err); /* NOT_FOUND */
/* Write b's row as it stands (status, times, counts, carbon) if its stored
 * status is still `from`; C12_ERR_BUSY when another writer moved it
 * meanwhile (a cancel during a line: read it again and go on from there). */
c12_rc c12_bstore_batch_put(c12_bstore *s, const c12_batch *b, c12_batch_status from, c12_err *err);
/* owner's batches, newest first, after `after`; *out is c12_malloc'ed
 * (c12_free it). */
c12_rc c12_bstore_batch_list(c12_bstore *s, const char *owner, const char *after, size_t limit, c12_batch **out,
                             size_t *n, int *more, c12_err *err);
/* A batch without lines (one refused as it was created: status failed). */
c12_rc c12_bstore_batch_add(c12_bstore *s, c12_batch *b, c12_err *err);
/* The ids of batches not in a final status, oldest first (up to cap). */
c12_rc c12_bstore_batch_active(c12_bstore *s, char (*ids)[C12_BATCH_ID_MAX], size_t cap, size_t *n, c12_err *err);

/* Whether this process runs batch id now: OK, or C12_ERR_BUSY while
 * another gateway on the same database runs it. Called before each step
 * of a batch (and before reading it for that step). SQLite: always OK.
 * PostgreSQL: a session advisory lock on the batch id, kept until the
 * batch is final (batch_put to a final status releases it) or the
 * connection ends, so a crashed gateway's batches are taken over by
 * another at its next tick, with no lease to tune. */
c12_rc c12_bstore_batch_claim(c12_bstore *s, const char *id, c12_err *err);

/* ---- lines ---- */
typedef struct c12_bline {
    int64_t idx;                                /* 0-based, in the file's order */
    char custom_id[C12_BATCH_CUSTOM_ID_MAX + 1];
    char *body;                                 /* the request's JSON (c12_free it) */
} c12_bline;

/* The first pending line of a batch; NOT_FOUND when none is left. (How
 * many are left: total - completed - failed, the counters committed with
 * each line.) */
c12_rc c12_bstore_line_next(c12_bstore *s, const char *batch_id, c12_bline *out, c12_err *err);
/* Line idx is answered: ok (output file) or not (error file), with its
 * result line (JSON text); b's counters (counts, energy, carbon, time run
 * and deferred) are written in the same transaction, its status is not
 * (a cancel that came during the line stands). */
c12_rc c12_bstore_line_done(c12_bstore *s, const c12_batch *b, int64_t idx, int ok, const char *result,
                            c12_err *err);
/* The results of a batch's done (ok) or failed lines in line order, each
 * to fn (non-zero stops: IO). */
typedef int (*c12_bline_fn)(void *ud, const char *result);
c12_rc c12_bstore_lines_each(c12_bstore *s, const char *batch_id, int ok, c12_bline_fn fn, void *ud, c12_err *err);

/* What /metrics, the dashboard and c12 report show of the batches. */
typedef struct c12_bstore_stats {
    int64_t by_status[C12_BATCH_STATUSES];
    int64_t lines_pending;         /* lines of batches not final, not yet answered */
    double deferred_s;             /* all batches' waits for cleaner power */
    double co2_g, co2_at_submit_g; /* the final batches': emitted, and what running at submission would have */
    double co2_avoided_g;          /* co2_at_submit_g - co2_g: negative when waiting cost more */
} c12_bstore_stats;

c12_rc c12_bstore_get_stats(c12_bstore *s, c12_bstore_stats *out, c12_err *err);
/* {"by_status": {"completed": N, ...}, lines_pending, deferred_h, co2_g,
 * co2_avoided_g}: the dashboard's and c12 report's. */
struct json_t *c12_bstore_stats_json(const c12_bstore_stats *st);

/* A new id: prefix and 24 random hex digits. */
void c12_batch_new_id(const char *prefix, char out[C12_BATCH_ID_MAX]);

#endif
