/* bstore_impl.h - what the batch store's files share (not for its callers):
 * the ops table every implementation fills (SQLite: bstore_sqlite.c and
 * bstore_batches.c; PostgreSQL: bstore_pg.c and bstore_pg_batches.c), the
 * batches table's columns in one list, and the SQLite store's insides. */
#ifndef C12_BATCH_BSTORE_IMPL_H
#define C12_BATCH_BSTORE_IMPL_H

#include <pthread.h>
#include <sqlite3.h>

#include "batch/bstore.h"

/* One implementation: each entry is the c12_bstore_* of the same name
 * (bstore.h) on the implementation's own state, self. */
typedef struct c12_bstore_ops {
    const char *name;
    void (*close)(void *self);
    c12_rc (*file_put)(void *self, c12_bfile *f, const char *data, size_t len, c12_err *err);
    c12_rc (*file_get)(void *self, const char *id, c12_bfile *out, c12_err *err);
    c12_rc (*file_read)(void *self, const char *id, size_t max, char **data, size_t *len, c12_err *err);
    c12_rc (*file_list)(void *self, const char *owner, const char *purpose, const char *after, size_t limit,
                        c12_bfile *out, size_t *n, int *more, c12_err *err);
    c12_rc (*file_delete)(void *self, const char *id, c12_err *err);
    c12_rc (*batch_create)(void *self, c12_batch *b, const char *input, size_t len,
                           const c12_batch_input_rules *rules, c12_err *err);
    c12_rc (*batch_get)(void *self, const char *id, c12_batch *out, c12_err *err);
    c12_rc (*batch_put)(void *self, const c12_batch *b, c12_batch_status from, c12_err *err);
    c12_rc (*batch_list)(void *self, const char *owner, const char *after, size_t limit, c12_batch **out, size_t *n,
                         int *more, c12_err *err);
    c12_rc (*batch_add)(void *self, c12_batch *b, c12_err *err);
    c12_rc (*batch_active)(void *self, char (*ids)[C12_BATCH_ID_MAX], size_t cap, size_t *n, c12_err *err);
    c12_rc (*batch_claim)(void *self, const char *id, c12_err *err); /* NULL: always this process's */
    c12_rc (*line_next)(void *self, const char *batch_id, c12_bline *out, c12_err *err);
    c12_rc (*line_done)(void *self, const c12_batch *b, int64_t idx, int ok, const char *result, c12_err *err);
    c12_rc (*lines_each)(void *self, const char *batch_id, int ok, c12_bline_fn fn, void *ud, c12_err *err);
    c12_rc (*get_stats)(void *self, c12_bstore_stats *out, c12_err *err);
} c12_bstore_ops;

struct c12_bstore {
    const c12_bstore_ops *ops;
    void *self;
};

/* An implementation's open: its state in *out. */
typedef c12_rc (*c12_bstore_open_fn)(const char *target, int readonly, void **out, c12_err *err);

extern const c12_bstore_ops c12_bstore_sqlite_ops, c12_bstore_pg_ops;
c12_rc c12_bsq_open(const char *dir, int readonly, void **out, c12_err *err);
void c12_bsq_close(void *self);
c12_rc c12_bpg_open(const char *dsn, int readonly, void **out, c12_err *err);

/* X(kind, column, member): the batches table's columns and the c12_batch
 * members they hold, in one list for the INSERT, the UPDATE and the read. */
#define BATCH_COLUMNS(X)                                                                                      \
    X(TXT, id, id) X(INT, endpoint, endpoint) X(TXT, input_file_id, input_file_id)                           \
    X(TXT, output_file_id, output_file_id) X(TXT, error_file_id, error_file_id)                              \
    X(TXT, completion_window, completion_window) X(INT, window_s, window_s) X(INT, status, status)           \
    X(INT, created_at, at.created) X(INT, in_progress_at, at.in_progress) X(INT, expires_at, at.expires)     \
    X(INT, finalizing_at, at.finalizing) X(INT, completed_at, at.completed) X(INT, failed_at, at.failed)     \
    X(INT, expired_at, at.expired) X(INT, cancelling_at, at.cancelling) X(INT, cancelled_at, at.cancelled)   \
    X(INT, total, total) X(INT, completed, completed) X(INT, failed, failed) X(TXT, metadata, metadata)      \
    X(TXT, errors, errors) X(TXT, owner, owner) X(DBL, energy_j, energy_j) X(DBL, co2_g, co2_g)              \
    X(DBL, co2_at_submit_g, co2_at_submit_g) X(DBL, submit_intensity, submit_intensity)                      \
    X(DBL, run_s, run_s) X(DBL, est_s, est_s) X(DBL, deferred_s, deferred_s)                                 \
    X(INT, planned_start_ms, planned_start_ms)

/* The columns a line's answer changes: all the runner writes while a
 * cancel may be coming (it leaves the status alone). */
#define BATCH_COUNTERS(X)                                                                                     \
    X(INT, completed, completed) X(INT, failed, failed) X(DBL, energy_j, energy_j) X(DBL, co2_g, co2_g)      \
    X(DBL, co2_at_submit_g, co2_at_submit_g) X(DBL, run_s, run_s) X(DBL, deferred_s, deferred_s)


#define COL_NAME(k, c, m) ", " #c
#define COL_PARAM(k, c, m) ", ?"
#define COL_SET(k, c, m) #c " = ?, "

enum { LINE_PENDING = 0, LINE_OK = 1, LINE_FAILED = 2 };

/* The batches' figures by status, one row each (both stores run it): status,
 * count, deferred_s, and over final batches the CO2 and the CO2 at
 * submission; pending lines from the counters committed with each line, not
 * a scan of the lines. */
#define C12_BSTORE_STATS_SQL_MAX 512
void c12_bstore_stats_sql(char *sql, size_t cap);

/* ---- the SQLite store ---- */

typedef struct c12_bsq {
    pthread_mutex_t mu;
    sqlite3 *db;
    char dir[1024];
} c12_bsq;

c12_rc c12_bsq_db_fail(c12_bsq *s, c12_err *err, const char *what);
c12_rc c12_bsq_exec(c12_bsq *s, const char *sql, c12_err *err);
c12_rc c12_bsq_prepare(c12_bsq *s, const char *sql, sqlite3_stmt **st, c12_err *err);
/* Step a statement that returns no row, then finalize it. */
c12_rc c12_bsq_run(c12_bsq *s, sqlite3_stmt *st, c12_err *err);
/* Column i's text into out (cut at cap; NULL: ""). */
void c12_bsq_text_col(sqlite3_stmt *st, int i, char *out, size_t cap);

#endif
