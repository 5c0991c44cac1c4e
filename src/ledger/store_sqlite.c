/* store_sqlite.c - the ledger in one SQLite file.
 *
 * WAL mode lets `c12 report` read while the server writes; synchronous=FULL
 * makes each committed batch survive a power cut, not only a crash (one fsync
 * per batch, a few per second at most). The schema comes from the shared
 * migrations (migrate.c), in the SQLite dialect. */
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "ledger/ledger.h"
#include "ledger/migrate.h"
#include "ledger/store_impl.h"

typedef struct sqlite_store {
    sqlite3 *db;
    sqlite3_stmt *insert, *batch;
    unsigned appends; /* prune old batch ids every C12_LEDGER_BATCH_PRUNE_EVERY */
    char where[1040]; /* "ledger PATH", for messages */
} sqlite_store;

static c12_rc db_fail(sqlite_store *s, c12_err *err, const char *what)
{
    int code = sqlite3_errcode(s->db);
    c12_rc rc = code == SQLITE_NOMEM ? C12_ERR_NOMEM
                : (code == SQLITE_BUSY || code == SQLITE_LOCKED) ? C12_ERR_BUSY
                : (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) ? C12_ERR_FORMAT
                                                                     : C12_ERR_IO;
    return c12_fail(err, rc, "%s: %s: %s", s->where, what, sqlite3_errmsg(s->db));
}

static c12_rc exec(void *self, const char *sql, c12_err *err)
{
    sqlite_store *s = self;
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) return db_fail(s, err, sql);
    return C12_OK;
}

static void sqlite_close(void *self)
{
    sqlite_store *s = self;
    if (!s) return;
    sqlite3_finalize(s->insert);
    sqlite3_finalize(s->batch);
    sqlite3_close(s->db);
    c12_free(s);
}

/* Create the folders above path (the default is under $C12_HOME, which may
 * not exist yet); errors surface when SQLite opens the file. */
static void make_parents(const char *path)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(dir, 0755);
        *p = '/';
    }
}

static c12_rc sqlite_open(const char *target, int readonly, void **out, c12_err *err)
{
    struct stat st;
    if (readonly && stat(target, &st) != 0)
        return c12_fail(err, C12_ERR_NOT_FOUND, "ledger %s: %s", target, strerror(errno));
    sqlite_store *s = c12_calloc(1, sizeof *s);
    if (!s) return c12_fail(err, C12_ERR_NOMEM, "ledger: no memory");
    snprintf(s->where, sizeof s->where, "ledger %s", target);
    if (!readonly) make_parents(target);
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX; /* one thread per connection */
    c12_rc rc = C12_OK;
    if (sqlite3_open_v2(target, &s->db, flags, NULL) != SQLITE_OK)
        rc = s->db ? db_fail(s, err, "open") : c12_fail(err, C12_ERR_NOMEM, "ledger: no memory");
    if (rc == C12_OK) sqlite3_busy_timeout(s->db, 5000);
    if (rc == C12_OK && !readonly) rc = exec(s, "PRAGMA journal_mode=WAL", err);
    if (rc == C12_OK && !readonly) rc = exec(s, "PRAGMA synchronous=FULL", err);
    if (rc) {
        sqlite_close(s);
        return rc;
    }
    *out = s;
    return C12_OK;
}

static c12_rc query_int(void *self, const char *sql, int64_t *out, c12_err *err)
{
    sqlite_store *s = self;
    sqlite3_stmt *st = NULL;
    c12_rc rc = C12_OK;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
        rc = db_fail(s, err, sql);
    if (rc == C12_OK) *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

static c12_rc sqlite_migrate(void *self, int *version, c12_err *err)
{
    sqlite_store *s = self;
    c12_migrate_conn c = {C12_SQL_SQLITE, s->where, s, exec, query_int};
    return c12_migrate_run(&c, version, err);
}

#define COLUMN(kind, f) ", " #f
#define PLACEHOLDER(kind, f) ",?"
#define INSERT_SQL "INSERT INTO requests (id" C12_LEDGER_ROW_FIELDS(COLUMN) ") VALUES (NULL" C12_LEDGER_ROW_FIELDS(PLACEHOLDER) ")"
#define SELECT_SQL "SELECT id" C12_LEDGER_ROW_FIELDS(COLUMN) " FROM requests"
#define RECENT_SQL SELECT_SQL " WHERE time_ms >= ?1 ORDER BY time_ms DESC, id DESC LIMIT ?2"
#define SCAN_SQL SELECT_SQL " WHERE id > ?1 ORDER BY id LIMIT ?2"

#define BIND_TXT(st, i, v) sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC)
#define BIND_I64(st, i, v) sqlite3_bind_int64(st, i, v)
#define BIND_DBL(st, i, v) sqlite3_bind_double(st, i, v)
#define BIND(kind, f) bad |= BIND_##kind(st, i++, r->f);

static int bind_row(sqlite3_stmt *st, const c12_ledger_row *r)
{
    int i = 1, bad = 0;
    C12_LEDGER_ROW_FIELDS(BIND)
    return bad;
}

#define READ_TXT(st, i, dst) C12_LEDGER_SET(dst, (const char *)sqlite3_column_text(st, i))
#define READ_I64(st, i, dst) dst = sqlite3_column_int64(st, i)
#define READ_DBL(st, i, dst) dst = sqlite3_column_double(st, i)
#define READ(kind, f) READ_##kind(st, i++, r->f);

/* A row of SELECT_SQL (column 0 is the id). */
static void read_row(sqlite3_stmt *st, c12_ledger_row *r)
{
    int i = 1;
    memset(r, 0, sizeof *r);
    C12_LEDGER_ROW_FIELDS(READ)
}

static c12_rc insert_all(sqlite_store *s, const c12_ledger_row *rows, size_t n, c12_err *err)
{
    for (size_t k = 0; k < n; k++) {
        sqlite3_reset(s->insert);
        if (bind_row(s->insert, &rows[k]) != SQLITE_OK) return db_fail(s, err, "bind");
        if (sqlite3_step(s->insert) != SQLITE_DONE) return db_fail(s, err, "insert");
    }
    return C12_OK;
}

/* Record the batch id (batch_st bound); *seen when it was committed before. */
static c12_rc record_batch(sqlite_store *s, const char *batch, int *seen, c12_err *err)
{
    *seen = 0;
    if (!batch || !*batch) return C12_OK;
    if (!s->batch && sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO ledger_batches (id, time_ms) VALUES (?1, ?2)",
                                        -1, &s->batch, NULL) != SQLITE_OK)
        return db_fail(s, err, "prepare batch");
    sqlite3_reset(s->batch);
    sqlite3_bind_text(s->batch, 1, batch, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->batch, 2, (int64_t)time(NULL) * 1000);
    if (sqlite3_step(s->batch) != SQLITE_DONE) return db_fail(s, err, "batch");
    *seen = sqlite3_changes(s->db) == 0;
    sqlite3_reset(s->batch);
    if (*seen || ++s->appends % C12_LEDGER_BATCH_PRUNE_EVERY) return C12_OK;
    char prune[96];
    snprintf(prune, sizeof prune, "DELETE FROM ledger_batches WHERE time_ms < %lld",
             (long long)time(NULL) * 1000 - C12_LEDGER_BATCH_KEEP_MS);
    return exec(s, prune, err);
}

static c12_rc sqlite_append(void *self, const char *batch, const c12_ledger_row *rows, size_t n, c12_err *err)
{
    sqlite_store *s = self;
    if (!s->insert && sqlite3_prepare_v2(s->db, INSERT_SQL, -1, &s->insert, NULL) != SQLITE_OK)
        return db_fail(s, err, "prepare insert");
    int seen = 0;
    c12_rc rc = exec(s, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    rc = record_batch(s, batch, &seen, err);
    if (rc == C12_OK && !seen) rc = insert_all(s, rows, n, err);
    sqlite3_reset(s->insert);
    sqlite3_clear_bindings(s->insert);
    if (rc == C12_OK) rc = exec(s, seen ? "ROLLBACK" : "COMMIT", err);
    if (rc) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* What each group groups by: a column, or a time bucket computed on time_ms
 * (rounded down to a multiple of the width; ?3 is BY_STEP's width). */
static const char *const GROUP_SQL[C12_LEDGER_BY_COUNT] = {
    [C12_LEDGER_BY_ALL] = "'all'",
    [C12_LEDGER_BY_MODEL] = "model",
    [C12_LEDGER_BY_CATEGORY] = "category",
    [C12_LEDGER_BY_KEY] = "api_key",
    [C12_LEDGER_BY_USER] = "user",
    [C12_LEDGER_BY_DAY] = "(time_ms - (time_ms % 86400000 + 86400000) % 86400000)",
    [C12_LEDGER_BY_HOUR] = "(time_ms - (time_ms % 3600000 + 3600000) % 3600000)",
    [C12_LEDGER_BY_STEP] = "(time_ms - (time_ms % ?3 + ?3) % ?3)",
    [C12_LEDGER_BY_SITE] = "site",
};

/* Column col as a group's text (NULL for a time group) or bucket start (0
 * for a text group). */
static const char *key_text(sqlite3_stmt *st, int col, c12_ledger_group g)
{
    return c12_ledger_group_is_time(g) ? NULL : (const char *)sqlite3_column_text(st, col);
}

static int64_t key_bucket(sqlite3_stmt *st, int col, c12_ledger_group g)
{
    return c12_ledger_group_is_time(g) ? sqlite3_column_int64(st, col) : 0;
}

static void read_total(sqlite3_stmt *st, const c12_ledger_filter *f, c12_ledger_total *o)
{
    memset(o, 0, sizeof *o);
    c12_ledger_total_keys(o, f, key_text(st, 0, f->by), key_text(st, 1, f->by2), key_bucket(st, 0, f->by),
                          key_bucket(st, 1, f->by2));
    o->requests = sqlite3_column_int64(st, 2);
    o->errors = sqlite3_column_int64(st, 3);
    o->prompt_tokens = sqlite3_column_int64(st, 4);
    o->completion_tokens = sqlite3_column_int64(st, 5);
    o->energy_j = sqlite3_column_double(st, 6);
    o->co2_g = sqlite3_column_double(st, 7);
    o->total_s = sqlite3_column_double(st, 8);
    o->prompt_tok_gkwh = sqlite3_column_double(st, 9);
    o->completion_tok_gkwh = sqlite3_column_double(st, 10);
    o->cached = sqlite3_column_int64(st, 11);
    o->saved_co2_g = sqlite3_column_double(st, 12);
}

static c12_rc prepare_query(sqlite_store *s, const c12_ledger_filter *f, sqlite3_stmt **st, c12_err *err)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT %s AS g1, %s AS g2, COUNT(*), SUM(status <> 'ok'), SUM(prompt_tokens),"
             " SUM(completion_tokens), SUM(energy_j), SUM(co2_g), SUM(total_ms) / 1000.0,"
             " SUM(prompt_tokens * intensity * pue), SUM(completion_tokens * intensity * pue),"
             " SUM(cached), SUM(saved_co2_g)"
             " FROM requests WHERE time_ms >= ?1 AND time_ms < ?2 GROUP BY g1, g2 ORDER BY g1, g2",
             GROUP_SQL[f->by], f->by2 == C12_LEDGER_BY_ALL ? "''" : GROUP_SQL[f->by2]);
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) return db_fail(s, err, "query");
    sqlite3_bind_int64(*st, 1, f->since_ms);
    sqlite3_bind_int64(*st, 2, f->until_ms > 0 ? f->until_ms : INT64_MAX);
    if (sqlite3_bind_parameter_count(*st) >= 3) sqlite3_bind_int64(*st, 3, f->step_ms);
    return C12_OK;
}

static c12_rc sqlite_query(void *self, const c12_ledger_filter *f, c12_ledger_totals *out, c12_err *err)
{
    sqlite_store *s = self;
    sqlite3_stmt *st = NULL;
    c12_rc rc = c12_ledger_filter_check(f, err);
    if (rc == C12_OK) rc = prepare_query(s, f, &st, err);
    if (rc) return rc;
    c12_ledger_totals t = {0};
    int step = SQLITE_DONE;
    while (rc == C12_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = c12_ledger_totals_push(&t, err);
        if (rc == C12_OK) read_total(st, f, &t.t[t.n++]);
    }
    if (rc == C12_OK && step != SQLITE_DONE) rc = db_fail(s, err, "query");
    sqlite3_finalize(st);
    return c12_ledger_totals_done(rc, &t, out);
}

/* Up to limit rows of st (bound) into rows; *last_id the last one's id. */
static c12_rc read_rows(sqlite_store *s, sqlite3_stmt *st, size_t limit, c12_ledger_row *rows, size_t *n,
                        int64_t *last_id, c12_err *err)
{
    size_t got = 0;
    int step = SQLITE_DONE;
    while (got < limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
        *last_id = sqlite3_column_int64(st, 0);
        read_row(st, &rows[got++]);
    }
    c12_rc rc = got < limit && step != SQLITE_DONE ? db_fail(s, err, "read rows") : C12_OK;
    sqlite3_finalize(st);
    if (rc == C12_OK) *n = got;
    return rc;
}

static c12_rc select_rows(sqlite_store *s, const char *sql, int64_t from, size_t limit, c12_ledger_row *rows,
                          size_t *n, int64_t *last_id, c12_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return db_fail(s, err, "select rows");
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit);
    return read_rows(s, st, limit, rows, n, last_id, err);
}

static c12_rc sqlite_recent(void *self, int64_t since_ms, size_t limit, c12_ledger_row *rows, size_t *n,
                            c12_err *err)
{
    int64_t last;
    return select_rows(self, RECENT_SQL, since_ms, limit, rows, n, &last, err);
}

static c12_rc sqlite_scan(void *self, int64_t *cursor, size_t limit, c12_ledger_row *rows, size_t *n,
                          c12_err *err)
{
    int64_t last = *cursor;
    c12_rc rc = select_rows(self, SCAN_SQL, *cursor, limit, rows, n, &last, err);
    if (rc == C12_OK) *cursor = last;
    return rc;
}

const c12_store_ops c12_store_sqlite_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .migrate = sqlite_migrate,
    .append = sqlite_append,
    .query = sqlite_query,
    .recent = sqlite_recent,
    .scan = sqlite_scan,
    .close = sqlite_close,
};
