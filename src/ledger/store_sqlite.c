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

#define INSERT_SQL                                                                              \
    "INSERT INTO requests (time_ms, request_id, user, model, category, complexity,"            \
    " prompt_tokens, completion_tokens, queue_ms, ttft_ms, total_ms, energy_j, energy_method," \
    " intensity, intensity_provider, intensity_age_s, pue, co2_g, route_reason, status)"       \
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"

static int bind_row(sqlite3_stmt *st, const c12_ledger_row *r)
{
    int i = 1, bad = 0;
#define TXT(f) bad |= sqlite3_bind_text(st, i++, r->f, -1, SQLITE_STATIC)
#define I64(f) bad |= sqlite3_bind_int64(st, i++, r->f)
#define DBL(f) bad |= sqlite3_bind_double(st, i++, r->f)
    I64(time_ms); TXT(request_id); TXT(user); TXT(model); TXT(category); DBL(complexity);
    I64(prompt_tokens); I64(completion_tokens); DBL(queue_ms); DBL(ttft_ms); DBL(total_ms);
    DBL(energy_j); TXT(energy_method); DBL(intensity); TXT(intensity_provider);
    DBL(intensity_age_s); DBL(pue); DBL(co2_g); TXT(route_reason); TXT(status);
#undef TXT
#undef I64
#undef DBL
    return bad;
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

/* The grouping key's SQL, per group (indexed by c12_ledger_group). */
static const char *const GROUP_KEY[] = {
    "'all'", "model", "category", "strftime('%Y-%m-%d', time_ms / 1000, 'unixepoch')",
};

static c12_rc totals_push(c12_ledger_totals *t, c12_err *err)
{
    if (t->n < t->cap) return C12_OK;
    size_t cap = t->cap ? t->cap * 2 : 16;
    c12_ledger_total *p = c12_realloc(t->t, cap * sizeof *p);
    if (!p) return c12_fail(err, C12_ERR_NOMEM, "ledger: no memory");
    t->t = p;
    t->cap = cap;
    return C12_OK;
}

static void read_total(sqlite3_stmt *st, c12_ledger_total *o)
{
    memset(o, 0, sizeof *o);
    const unsigned char *key = sqlite3_column_text(st, 0);
    snprintf(o->key, sizeof o->key, "%s", key ? (const char *)key : "");
    o->requests = sqlite3_column_int64(st, 1);
    o->errors = sqlite3_column_int64(st, 2);
    o->prompt_tokens = sqlite3_column_int64(st, 3);
    o->completion_tokens = sqlite3_column_int64(st, 4);
    o->energy_j = sqlite3_column_double(st, 5);
    o->co2_g = sqlite3_column_double(st, 6);
    o->total_s = sqlite3_column_double(st, 7);
    o->prompt_tok_gkwh = sqlite3_column_double(st, 8);
    o->completion_tok_gkwh = sqlite3_column_double(st, 9);
}

static c12_rc sqlite_query(void *self, int64_t since_ms, c12_ledger_group by,
                           c12_ledger_totals *out, c12_err *err)
{
    sqlite_store *s = self;
    if ((int)by < 0 || (size_t)by >= sizeof GROUP_KEY / sizeof GROUP_KEY[0])
        return c12_fail(err, C12_ERR_INVALID, "ledger: bad grouping");
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT %s AS k, COUNT(*), SUM(status <> 'ok'), SUM(prompt_tokens),"
             " SUM(completion_tokens), SUM(energy_j), SUM(co2_g), SUM(total_ms) / 1000.0,"
             " SUM(prompt_tokens * intensity * pue), SUM(completion_tokens * intensity * pue)"
             " FROM requests WHERE time_ms >= ? GROUP BY k ORDER BY k",
             GROUP_KEY[by]);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return db_fail(s, err, "query");
    sqlite3_bind_int64(st, 1, since_ms);
    c12_ledger_totals t = {0};
    c12_rc rc = C12_OK;
    int step;
    while (rc == C12_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = totals_push(&t, err);
        if (rc == C12_OK) read_total(st, &t.t[t.n++]);
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

const c12_store_ops c12_store_sqlite_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .migrate = sqlite_migrate,
    .append = sqlite_append,
    .query = sqlite_query,
    .close = sqlite_close,
};
