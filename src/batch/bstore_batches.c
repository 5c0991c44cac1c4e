/* bstore_batches.c - batches and their lines in the batch store (see
 * bstore.h). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "batch/bstore_impl.h"


#define BIND_TXT(m) sqlite3_bind_text(st, i++, b->m, -1, SQLITE_TRANSIENT);
#define BIND_INT(m) sqlite3_bind_int64(st, i++, (int64_t)b->m);
#define BIND_DBL(m) sqlite3_bind_double(st, i++, b->m);
#define BIND(k, c, m) BIND_##k(m)

/* Bind b's columns from parameter 1 on, in BATCH_COLUMNS' order; returns
 * the next parameter. */
static int bind_batch(sqlite3_stmt *st, const c12_batch *b)
{
    int i = 1;
    BATCH_COLUMNS(BIND)
    return i;
}

static int bind_counters(sqlite3_stmt *st, const c12_batch *b)
{
    int i = 1;
    BATCH_COUNTERS(BIND)
    return i;
}

/* A row of SELECT_BATCH (column 0 is seq). */
static void read_batch(sqlite3_stmt *st, c12_batch *b)
{
    int i = 1;
    memset(b, 0, sizeof *b);
#define READ_TXT(m) c12_bsq_text_col(st, i++, b->m, sizeof b->m);
#define READ_INT(m) b->m = (__typeof__(b->m))sqlite3_column_int64(st, i++);
#define READ_DBL(m) b->m = sqlite3_column_double(st, i++);
#define READ(k, c, m) READ_##k(m)
    BATCH_COLUMNS(READ)
#undef READ
}

#define SELECT_BATCH "SELECT seq" BATCH_COLUMNS(COL_NAME) " FROM batches"

typedef struct creating {
    c12_bsq *s;
    sqlite3_stmt *ins;
    const char *batch_id;
    int64_t idx;
} creating;

static int queue_line(void *ud, size_t line, const char *custom_id, c12_batch_endpoint e, const char *body, char *msg,
                      size_t cap)
{
    creating *c = ud;
    sqlite3_reset(c->ins);
    sqlite3_bind_text(c->ins, 1, c->batch_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(c->ins, 2, c->idx++);
    sqlite3_bind_text(c->ins, 3, custom_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(c->ins, 4, body, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(c->ins) == SQLITE_DONE) return 0;
    snprintf(msg, cap, "cannot queue the line: %s", sqlite3_errmsg(c->s->db));
    return 1;
}

static c12_rc insert_batch(c12_bsq *s, const c12_batch *b, c12_err *err)
{
    sqlite3_stmt *st = NULL;
    c12_rc rc = c12_bsq_prepare(s, "INSERT INTO batches (seq" BATCH_COLUMNS(COL_NAME) ") VALUES (NULL"
                                   BATCH_COLUMNS(COL_PARAM) ")", &st, err);
    if (rc) return rc;
    bind_batch(st, b);
    return c12_bsq_run(s, st, err);
}

c12_rc c12_bsq_batch_create(void *self, c12_batch *b, const char *input, size_t len,
                               const c12_batch_input_rules *rules, c12_err *err)
{
    c12_bsq *s = self;
    c12_batch_new_id("batch_", b->id);
    if (!b->at.created) b->at.created = (int64_t)time(NULL);
    creating c = {.s = s, .batch_id = b->id};
    c12_batch_input_stats st;
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bsq_exec(s, "BEGIN IMMEDIATE", err);
    int began = !rc;
    if (!rc) rc = c12_bsq_prepare(s, "INSERT INTO lines (batch_id, idx, custom_id, body) VALUES (?, ?, ?, ?)",
                                     &c.ins, err);
    if (!rc) rc = c12_batch_input_read(input, len, rules, queue_line, &c, &st, err);
    sqlite3_finalize(c.ins);
    if (!rc) {
        b->total = (int64_t)st.lines;
        rc = insert_batch(s, b, err);
    }
    if (!rc) rc = c12_bsq_exec(s, "COMMIT", err);
    if (rc && began) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

c12_rc c12_bsq_batch_add(void *self, c12_batch *b, c12_err *err)
{
    c12_bsq *s = self;
    c12_batch_new_id("batch_", b->id);
    if (!b->at.created) b->at.created = (int64_t)time(NULL);
    pthread_mutex_lock(&s->mu);
    c12_rc rc = insert_batch(s, b, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

c12_rc c12_bsq_batch_get(void *self, const char *id, c12_batch *out, c12_err *err)
{
    c12_bsq *s = self;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bsq_prepare(s, SELECT_BATCH " WHERE id = ?", &st, err);
    if (!rc) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) read_batch(st, out);
        else rc = r == SQLITE_DONE ? c12_fail(err, C12_ERR_NOT_FOUND, "No such Batch object: %.64s", id)
                                   : c12_bsq_db_fail(s, err, "batch");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* The UPDATE of a batch's row while its stored status is still `from`
 * (the caller holds the lock): BUSY when someone moved it meanwhile. */
static c12_rc update_batch(c12_bsq *s, const c12_batch *b, c12_batch_status from, c12_err *err)
{
    sqlite3_stmt *st = NULL;
    c12_rc rc = c12_bsq_prepare(s, "UPDATE batches SET " BATCH_COLUMNS(COL_SET) "seq = seq WHERE id = ? AND status = ?",
                                   &st, err);
    if (rc) return rc;
    int i = bind_batch(st, b);
    sqlite3_bind_text(st, i++, b->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, i, (int)from);
    rc = c12_bsq_run(s, st, err);
    if (!rc && sqlite3_changes(s->db) != 1)
        rc = c12_fail(err, C12_ERR_BUSY, "batch %s is no longer %s", b->id, c12_batch_status_name(from));
    return rc;
}

c12_rc c12_bsq_batch_put(void *self, const c12_batch *b, c12_batch_status from, c12_err *err)
{
    c12_bsq *s = self;
    pthread_mutex_lock(&s->mu);
    c12_rc rc = update_batch(s, b, from, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* A line's answer in the batch's row: its counters only. */
static c12_rc update_counters(c12_bsq *s, const c12_batch *b, c12_err *err)
{
    sqlite3_stmt *st = NULL;
    c12_rc rc = c12_bsq_prepare(s, "UPDATE batches SET " BATCH_COUNTERS(COL_SET) "seq = seq WHERE id = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_text(st, bind_counters(st, b), b->id, -1, SQLITE_TRANSIENT);
    return c12_bsq_run(s, st, err);
}

c12_rc c12_bsq_batch_list(void *self, const char *owner, const char *after, size_t limit, c12_batch **out,
                             size_t *n, int *more, c12_err *err)
{
    c12_bsq *s = self;
    sqlite3_stmt *st = NULL;
    c12_batch *list = c12_calloc(limit ? limit : 1, sizeof *list);
    if (!list) return c12_fail(err, C12_ERR_NOMEM, "batches: out of memory");
    *n = 0;
    *more = 0;
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bsq_prepare(s, SELECT_BATCH " WHERE owner = ?3 AND (?1 IS NULL OR seq < (SELECT seq FROM"
                                   " batches WHERE id = ?1)) ORDER BY seq DESC LIMIT ?2", &st, err);
    if (!rc) {
        sqlite3_bind_text(st, 1, after, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, (int64_t)limit + 1);
        sqlite3_bind_text(st, 3, owner, -1, SQLITE_TRANSIENT);
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
            if (*n == limit) *more = 1;
            else read_batch(st, &list[(*n)++]);
        }
        if (r != SQLITE_DONE) rc = c12_bsq_db_fail(s, err, "batches");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    if (rc) c12_free(list);
    else *out = list;
    return rc;
}

c12_rc c12_bsq_batch_active(void *self, char (*ids)[C12_BATCH_ID_MAX], size_t cap, size_t *n, c12_err *err)
{
    c12_bsq *s = self;
    sqlite3_stmt *st = NULL;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT id FROM batches WHERE status NOT IN (%d, %d, %d, %d) ORDER BY seq LIMIT %zu",
             C12_BATCH_FAILED, C12_BATCH_COMPLETED, C12_BATCH_EXPIRED, C12_BATCH_CANCELLED, cap);
    *n = 0;
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bsq_prepare(s, sql, &st, err);
    int r = SQLITE_DONE;
    while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) c12_bsq_text_col(st, 0, ids[(*n)++], C12_BATCH_ID_MAX);
    if (!rc && r != SQLITE_DONE) rc = c12_bsq_db_fail(s, err, "active batches");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- lines ---- */

c12_rc c12_bsq_line_next(void *self, const char *batch_id, c12_bline *out, c12_err *err)
{
    c12_bsq *s = self;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bsq_prepare(s, "SELECT idx, custom_id, body FROM lines WHERE batch_id = ? AND state = 0"
                                   " ORDER BY idx LIMIT 1", &st, err);
    if (!rc) {
        sqlite3_bind_text(st, 1, batch_id, -1, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            const char *body = (const char *)sqlite3_column_text(st, 2);
            out->idx = sqlite3_column_int64(st, 0);
            c12_bsq_text_col(st, 1, out->custom_id, sizeof out->custom_id);
            if (!(out->body = c12_strdup(body ? body : "{}"))) rc = c12_fail(err, C12_ERR_NOMEM, "batches: out of memory");
        } else {
            rc = r == SQLITE_DONE ? C12_ERR_NOT_FOUND : c12_bsq_db_fail(s, err, "next line");
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

c12_rc c12_bsq_line_done(void *self, const c12_batch *b, int64_t idx, int ok, const char *result, c12_err *err)
{
    c12_bsq *s = self;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bsq_exec(s, "BEGIN IMMEDIATE", err);
    int began = !rc;
    if (!rc) rc = c12_bsq_prepare(s, "UPDATE lines SET state = ?, result = ? WHERE batch_id = ? AND idx = ?"
                                     " AND state = 0", &st, err);
    if (!rc) {
        sqlite3_bind_int(st, 1, ok ? LINE_OK : LINE_FAILED);
        sqlite3_bind_text(st, 2, result, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, b->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, idx);
        rc = c12_bsq_run(s, st, err);
    }
    if (!rc && sqlite3_changes(s->db) != 1)
        rc = c12_fail(err, C12_ERR_INVALID, "batch %s line %lld was not pending", b->id, (long long)idx);
    if (!rc) rc = update_counters(s, b, err);
    if (!rc) rc = c12_bsq_exec(s, "COMMIT", err);
    if (rc && began) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

c12_rc c12_bsq_lines_each(void *self, const char *batch_id, int ok, c12_bline_fn fn, void *ud, c12_err *err)
{
    c12_bsq *s = self;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bsq_prepare(s, "SELECT result FROM lines WHERE batch_id = ? AND state = ? ORDER BY idx", &st,
                                   err);
    int r = SQLITE_DONE;
    if (!rc) {
        sqlite3_bind_text(st, 1, batch_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, ok ? LINE_OK : LINE_FAILED);
    }
    while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
        const char *res = (const char *)sqlite3_column_text(st, 0);
        if (fn(ud, res ? res : "{}")) rc = c12_fail(err, C12_ERR_IO, "batch %s: cannot write its results", batch_id);
    }
    if (!rc && r != SQLITE_DONE) rc = c12_bsq_db_fail(s, err, "results");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

c12_rc c12_bsq_get_stats(void *self, c12_bstore_stats *out, c12_err *err)
{
    c12_bsq *s = self;
    c12_bstore_stats st;
    memset(&st, 0, sizeof st);
    sqlite3_stmt *q = NULL;
    char sql[C12_BSTORE_STATS_SQL_MAX];
    c12_bstore_stats_sql(sql, sizeof sql);
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bsq_prepare(s, sql, &q, err);
    int r = SQLITE_DONE;
    while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
        int k = sqlite3_column_int(q, 0);
        if (k >= 0 && k < C12_BATCH_STATUSES) st.by_status[k] = sqlite3_column_int64(q, 1);
        st.deferred_s += sqlite3_column_double(q, 2);
        st.co2_g += sqlite3_column_double(q, 3);
        st.co2_at_submit_g += sqlite3_column_double(q, 4);
        st.lines_pending += sqlite3_column_int64(q, 5);
    }
    if (!rc && r != SQLITE_DONE) rc = c12_bsq_db_fail(s, err, "batch stats");
    sqlite3_finalize(q);
    pthread_mutex_unlock(&s->mu);
    st.co2_avoided_g = st.co2_at_submit_g - st.co2_g;
    if (!rc) *out = st;
    return rc;
}
