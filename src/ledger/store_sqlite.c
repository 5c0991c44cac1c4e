/* store_sqlite.c - the ledger in one SQLite file.
 *
 * WAL mode lets `c12 report` read while the server writes; synchronous=FULL
 * makes each committed batch survive a power cut, not only a crash (one fsync
 * per batch, a few per second at most). Migrations are numbered, append-only
 * SQL: migration N is MIGRATIONS[N-1], applied once in its own transaction
 * together with its row in schema_version. Never edit a migration that has
 * shipped; add the next one. */
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "ledger/ledger.h"

static const char *const MIGRATIONS[] = {
    /* 1: one row per request; no prompt or completion text, by design */
    "CREATE TABLE requests ("
    " id INTEGER PRIMARY KEY,"
    " time_ms INTEGER NOT NULL,"
    " request_id TEXT NOT NULL DEFAULT '',"
    " user TEXT NOT NULL DEFAULT '',"
    " model TEXT NOT NULL,"
    " category TEXT NOT NULL DEFAULT '',"
    " complexity REAL NOT NULL DEFAULT 0,"
    " prompt_tokens INTEGER NOT NULL DEFAULT 0,"
    " completion_tokens INTEGER NOT NULL DEFAULT 0,"
    " queue_ms REAL NOT NULL DEFAULT 0,"
    " ttft_ms REAL NOT NULL DEFAULT 0,"
    " total_ms REAL NOT NULL DEFAULT 0,"
    " energy_j REAL NOT NULL DEFAULT 0,"
    " energy_method TEXT NOT NULL DEFAULT '',"
    " intensity REAL NOT NULL DEFAULT 0,"
    " intensity_provider TEXT NOT NULL DEFAULT '',"
    " intensity_age_s REAL NOT NULL DEFAULT 0,"
    " pue REAL NOT NULL DEFAULT 1,"
    " co2_g REAL NOT NULL DEFAULT 0,"
    " route_reason TEXT NOT NULL DEFAULT '',"
    " status TEXT NOT NULL DEFAULT 'ok');"
    "CREATE INDEX requests_time ON requests(time_ms);",
    /* 2: the API key's label gets its own column; `user` becomes the
     * request's OpenAI `user` field. Until now `user` held the key's label
     * ("key:<8 hex>"), then "/" and the request's user when both were
     * given; a value without the "key:" prefix was the request's user. */
    "ALTER TABLE requests ADD COLUMN api_key TEXT NOT NULL DEFAULT '';"
    "UPDATE requests SET"
    " api_key = CASE WHEN instr(user, '/') > 0 THEN substr(user, 1, instr(user, '/') - 1) ELSE user END,"
    " user = CASE WHEN instr(user, '/') > 0 THEN substr(user, instr(user, '/') + 1) ELSE '' END"
    " WHERE substr(user, 1, 4) = 'key:';",
};
#define N_MIGRATIONS ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

typedef struct sqlite_store {
    sqlite3 *db;
    sqlite3_stmt *insert;
    char path[1024];
} sqlite_store;

static c12_rc db_fail(sqlite_store *s, c12_err *err, const char *what)
{
    int code = sqlite3_errcode(s->db);
    c12_rc rc = code == SQLITE_NOMEM ? C12_ERR_NOMEM
                : (code == SQLITE_BUSY || code == SQLITE_LOCKED) ? C12_ERR_BUSY
                : (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) ? C12_ERR_FORMAT
                                                                     : C12_ERR_IO;
    return c12_fail(err, rc, "ledger %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static c12_rc exec(sqlite_store *s, const char *sql, c12_err *err)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) return db_fail(s, err, sql);
    return C12_OK;
}

static void sqlite_close(void *self)
{
    sqlite_store *s = self;
    if (!s) return;
    sqlite3_finalize(s->insert);
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
    snprintf(s->path, sizeof s->path, "%s", target);
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

static c12_rc current_version(sqlite_store *s, int *version, c12_err *err)
{
    c12_rc rc = exec(s,
                     "CREATE TABLE IF NOT EXISTS schema_version ("
                     " version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)",
                     err);
    sqlite3_stmt *st = NULL;
    if (rc == C12_OK &&
        sqlite3_prepare_v2(s->db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", -1, &st,
                           NULL) != SQLITE_OK)
        rc = db_fail(s, err, "schema_version");
    if (rc == C12_OK && sqlite3_step(st) != SQLITE_ROW) rc = db_fail(s, err, "schema_version");
    if (rc == C12_OK) *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc;
}

static c12_rc apply(sqlite_store *s, int n, c12_err *err)
{
    char record[128];
    snprintf(record, sizeof record, "INSERT INTO schema_version VALUES (%d, %lld)", n,
             (long long)time(NULL) * 1000);
    c12_rc rc = exec(s, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    rc = exec(s, MIGRATIONS[n - 1], err);
    if (rc == C12_OK) rc = exec(s, record, err);
    if (rc == C12_OK) rc = exec(s, "COMMIT", err);
    if (rc) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static c12_rc sqlite_migrate(void *self, int *version, c12_err *err)
{
    sqlite_store *s = self;
    int v = 0;
    c12_rc rc = current_version(s, &v, err);
    if (rc) return rc;
    if (v > N_MIGRATIONS)
        return c12_fail(err, C12_ERR_UNSUPPORTED,
                        "ledger %s: schema version %d is newer than this c12 knows (%d)", s->path,
                        v, N_MIGRATIONS);
    for (int n = v + 1; rc == C12_OK && n <= N_MIGRATIONS; n++) rc = apply(s, n, err);
    if (rc == C12_OK) *version = N_MIGRATIONS;
    return rc;
}

/* The row's columns in one list, for the INSERT, the SELECT and the binding
 * and reading code, so that they cannot disagree. */
#define ROW_FIELDS(X)                                                                              \
    X(I64, time_ms) X(TXT, request_id) X(TXT, api_key) X(TXT, user) X(TXT, model) X(TXT, category) \
    X(DBL, complexity) X(I64, prompt_tokens) X(I64, completion_tokens) X(DBL, queue_ms)            \
    X(DBL, ttft_ms) X(DBL, total_ms) X(DBL, energy_j) X(TXT, energy_method) X(DBL, intensity)      \
    X(TXT, intensity_provider) X(DBL, intensity_age_s) X(DBL, pue) X(DBL, co2_g)                   \
    X(TXT, route_reason) X(TXT, status)
#define COLUMN(kind, f) ", " #f
#define PLACEHOLDER(kind, f) ",?"
#define INSERT_SQL "INSERT INTO requests (id" ROW_FIELDS(COLUMN) ") VALUES (NULL" ROW_FIELDS(PLACEHOLDER) ")"
#define RECENT_SQL                                                                     \
    "SELECT id" ROW_FIELDS(COLUMN) " FROM requests WHERE time_ms >= ?1"                \
    " ORDER BY time_ms DESC, id DESC LIMIT ?2"

#define BIND_TXT(st, i, v) sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC)
#define BIND_I64(st, i, v) sqlite3_bind_int64(st, i, v)
#define BIND_DBL(st, i, v) sqlite3_bind_double(st, i, v)
#define BIND(kind, f) bad |= BIND_##kind(st, i++, r->f);

static int bind_row(sqlite3_stmt *st, const c12_ledger_row *r)
{
    int i = 1, bad = 0;
    ROW_FIELDS(BIND)
    return bad;
}

#define READ_TXT(st, i, dst) C12_LEDGER_SET(dst, (const char *)sqlite3_column_text(st, i))
#define READ_I64(st, i, dst) dst = sqlite3_column_int64(st, i)
#define READ_DBL(st, i, dst) dst = sqlite3_column_double(st, i)
#define READ(kind, f) READ_##kind(st, i++, r->f);

/* A row of RECENT_SQL (column 0 is the id). */
static void read_row(sqlite3_stmt *st, c12_ledger_row *r)
{
    int i = 1;
    memset(r, 0, sizeof *r);
    ROW_FIELDS(READ)
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

static c12_rc sqlite_append(void *self, const c12_ledger_row *rows, size_t n, c12_err *err)
{
    sqlite_store *s = self;
    if (!s->insert && sqlite3_prepare_v2(s->db, INSERT_SQL, -1, &s->insert, NULL) != SQLITE_OK)
        return db_fail(s, err, "prepare insert");
    c12_rc rc = exec(s, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    rc = insert_all(s, rows, n, err);
    sqlite3_reset(s->insert);
    sqlite3_clear_bindings(s->insert);
    if (rc == C12_OK) rc = exec(s, "COMMIT", err);
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
};

static c12_rc totals_push(c12_ledger_totals *t, c12_err *err)
{
    if (t->n >= C12_LEDGER_GROUPS_MAX)
        return c12_fail(err, C12_ERR_RANGE, "ledger: more than %d groups: narrow the window or widen the step",
                        C12_LEDGER_GROUPS_MAX);
    if (t->n < t->cap) return C12_OK;
    size_t cap = t->cap ? t->cap * 2 : 16;
    c12_ledger_total *p = c12_realloc(t->t, cap * sizeof *p);
    if (!p) return c12_fail(err, C12_ERR_NOMEM, "ledger: no memory");
    t->t = p;
    t->cap = cap;
    return C12_OK;
}

/* A group's key from column col: the text, or the formatted time bucket. */
static void read_key(sqlite3_stmt *st, int col, c12_ledger_group g, char *key, size_t cap, int64_t *bucket)
{
    if (c12_ledger_group_is_time(g)) {
        *bucket = sqlite3_column_int64(st, col);
        c12_ledger_bucket_key(g, *bucket, key, cap);
        return;
    }
    c12_ledger_set(key, cap, (const char *)sqlite3_column_text(st, col));
}

static void read_total(sqlite3_stmt *st, const c12_ledger_filter *f, c12_ledger_total *o)
{
    memset(o, 0, sizeof *o);
    int64_t b1 = 0, b2 = 0;
    read_key(st, 0, f->by, o->key, sizeof o->key, &b1);
    read_key(st, 1, f->by2, o->key2, sizeof o->key2, &b2);
    o->bucket_ms = c12_ledger_group_is_time(f->by) ? b1 : b2;
    o->requests = sqlite3_column_int64(st, 2);
    o->errors = sqlite3_column_int64(st, 3);
    o->prompt_tokens = sqlite3_column_int64(st, 4);
    o->completion_tokens = sqlite3_column_int64(st, 5);
    o->energy_j = sqlite3_column_double(st, 6);
    o->co2_g = sqlite3_column_double(st, 7);
    o->total_s = sqlite3_column_double(st, 8);
    o->prompt_tok_gkwh = sqlite3_column_double(st, 9);
    o->completion_tok_gkwh = sqlite3_column_double(st, 10);
}

static c12_rc prepare_query(sqlite_store *s, const c12_ledger_filter *f, sqlite3_stmt **st, c12_err *err)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT %s AS g1, %s AS g2, COUNT(*), SUM(status <> 'ok'), SUM(prompt_tokens),"
             " SUM(completion_tokens), SUM(energy_j), SUM(co2_g), SUM(total_ms) / 1000.0,"
             " SUM(prompt_tokens * intensity * pue), SUM(completion_tokens * intensity * pue)"
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
        rc = totals_push(&t, err);
        if (rc == C12_OK) read_total(st, f, &t.t[t.n++]);
    }
    if (rc == C12_OK && step != SQLITE_DONE) rc = db_fail(s, err, "query");
    sqlite3_finalize(st);
    if (rc) {
        c12_ledger_totals_free(&t);
        return rc;
    }
    c12_ledger_totals_free(out);
    *out = t;
    return C12_OK;
}

static c12_rc sqlite_recent(void *self, int64_t since_ms, size_t limit, c12_ledger_row *rows, size_t *n,
                            c12_err *err)
{
    sqlite_store *s = self;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, RECENT_SQL, -1, &st, NULL) != SQLITE_OK) return db_fail(s, err, "recent");
    sqlite3_bind_int64(st, 1, since_ms);
    sqlite3_bind_int64(st, 2, limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit);
    size_t got = 0;
    int step = SQLITE_DONE;
    while (got < limit && (step = sqlite3_step(st)) == SQLITE_ROW) read_row(st, &rows[got++]);
    c12_rc rc = got < limit && step != SQLITE_DONE ? db_fail(s, err, "recent") : C12_OK;
    sqlite3_finalize(st);
    if (rc == C12_OK) *n = got;
    return rc;
}

const c12_store_ops c12_store_sqlite_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .migrate = sqlite_migrate,
    .append = sqlite_append,
    .query = sqlite_query,
    .recent = sqlite_recent,
    .close = sqlite_close,
};
