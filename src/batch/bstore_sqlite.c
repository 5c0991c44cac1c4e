/* bstore_sqlite.c - files and batches in $C12_HOME/batches (see bstore.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "base/c12_file.h"
#include "batch/bstore_impl.h"

#define FILE_COLUMNS "id, filename, purpose, bytes, created_at, owner"

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS files (seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, filename TEXT NOT NULL,"
    " purpose TEXT NOT NULL, bytes INTEGER NOT NULL, created_at INTEGER NOT NULL, owner TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS batches (seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, endpoint INTEGER,"
    " input_file_id TEXT, output_file_id TEXT, error_file_id TEXT, completion_window TEXT, window_s INTEGER,"
    " status INTEGER, created_at INTEGER, in_progress_at INTEGER, expires_at INTEGER, finalizing_at INTEGER,"
    " completed_at INTEGER, failed_at INTEGER, expired_at INTEGER, cancelling_at INTEGER, cancelled_at INTEGER,"
    " total INTEGER, completed INTEGER, failed INTEGER, metadata TEXT, errors TEXT, owner TEXT, energy_j REAL,"
    " co2_g REAL, co2_at_submit_g REAL, submit_intensity REAL, run_s REAL, est_s REAL, deferred_s REAL,"
    " planned_start_ms INTEGER);"
    "CREATE TABLE IF NOT EXISTS lines (batch_id TEXT NOT NULL, idx INTEGER NOT NULL, custom_id TEXT NOT NULL,"
    " body TEXT NOT NULL, state INTEGER NOT NULL DEFAULT 0, result TEXT, PRIMARY KEY (batch_id, idx));"
    /* the next pending line without stepping over the done ones */
    "CREATE INDEX IF NOT EXISTS lines_pending ON lines(batch_id, idx) WHERE state = 0;";

c12_rc c12_bsq_db_fail(c12_bsq *s, c12_err *err, const char *what)
{
    int code = sqlite3_errcode(s->db);
    return c12_fail(err, code == SQLITE_NOMEM ? C12_ERR_NOMEM : code == SQLITE_BUSY ? C12_ERR_BUSY : C12_ERR_IO,
                    "batches %s: %s: %s", s->dir, what, sqlite3_errmsg(s->db));
}

c12_rc c12_bsq_exec(c12_bsq *s, const char *sql, c12_err *err)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? C12_OK : c12_bsq_db_fail(s, err, sql);
}

c12_rc c12_bsq_prepare(c12_bsq *s, const char *sql, sqlite3_stmt **st, c12_err *err)
{
    return sqlite3_prepare_v2(s->db, sql, -1, st, NULL) == SQLITE_OK ? C12_OK : c12_bsq_db_fail(s, err, sql);
}

c12_rc c12_bsq_run(c12_bsq *s, sqlite3_stmt *st, c12_err *err)
{
    c12_rc rc = sqlite3_step(st) == SQLITE_DONE ? C12_OK : c12_bsq_db_fail(s, err, sqlite3_sql(st));
    sqlite3_finalize(st);
    return rc;
}

void c12_bsq_text_col(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

/* readonly: the caller checked that batches.db is there (c12 report). */
c12_rc c12_bsq_open(const char *dir, int readonly, void **out, c12_err *err)
{
    char path[1100];
    c12_bsq *s = c12_calloc(1, sizeof *s);
    if (!s) return c12_fail(err, C12_ERR_NOMEM, "batches: out of memory");
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    pthread_mutex_init(&s->mu, NULL);
    snprintf(path, sizeof path, "%s/files", dir);
    mkdir(dir, 0700);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/batches.db", dir);
    c12_rc rc = C12_OK;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL))
        rc = c12_bsq_db_fail(s, err, "open");
    if (!rc) sqlite3_busy_timeout(s->db, 5000);
    if (!rc) rc = c12_bsq_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL", err);
    if (!rc) rc = c12_bsq_exec(s, SCHEMA, err);
    if (rc) {
        c12_bsq_close(s);
        return rc;
    }
    *out = s;
    return C12_OK;
}

void c12_bsq_close(void *self)
{
    c12_bsq *s = self;
    if (!s) return;
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    c12_free(s);
}

/* ---- files ---- */

static void content_path(const c12_bsq *s, const char *id, char *out, size_t cap)
{
    snprintf(out, cap, "%s/files/%s", s->dir, id);
}

/* The bytes to path, durably: a temporary file, fsync, rename. */
static c12_rc write_content(const char *path, const char *data, size_t len, c12_err *err)
{
    char tmp[1216];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t done = 0;
    while (fd >= 0 && done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w <= 0 && errno != EINTR) break;
        if (w > 0) done += (size_t)w;
    }
    int ok = fd >= 0 && done == len && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    if (ok && rename(tmp, path) == 0) return C12_OK;
    c12_rc rc = c12_fail(err, C12_ERR_IO, "batches: cannot write %s: %s", path, strerror(errno));
    unlink(tmp);
    return rc;
}

c12_rc c12_bsq_file_put(void *self, c12_bfile *f, const char *data, size_t len, c12_err *err)
{
    c12_bsq *s = self;
    char path[1200];
    c12_batch_new_id("file-", f->id);
    f->created_at = (int64_t)time(NULL);
    f->bytes = (int64_t)len;
    content_path(s, f->id, path, sizeof path);
    c12_rc rc = write_content(path, data, len, err);
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    if (!rc) rc = c12_bsq_prepare(s, "INSERT INTO files (" FILE_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?)", &st, err);
    if (!rc) {
        sqlite3_bind_text(st, 1, f->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, f->filename, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, f->purpose, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, f->bytes);
        sqlite3_bind_int64(st, 5, f->created_at);
        sqlite3_bind_text(st, 6, f->owner, -1, SQLITE_TRANSIENT);
        rc = c12_bsq_run(s, st, err);
    }
    pthread_mutex_unlock(&s->mu);
    if (rc) unlink(path);
    return rc;
}

static void read_file_row(sqlite3_stmt *st, c12_bfile *f)
{
    memset(f, 0, sizeof *f);
    c12_bsq_text_col(st, 0, f->id, sizeof f->id);
    c12_bsq_text_col(st, 1, f->filename, sizeof f->filename);
    c12_bsq_text_col(st, 2, f->purpose, sizeof f->purpose);
    f->bytes = sqlite3_column_int64(st, 3);
    f->created_at = sqlite3_column_int64(st, 4);
    c12_bsq_text_col(st, 5, f->owner, sizeof f->owner);
}

c12_rc c12_bsq_file_get(void *self, const char *id, c12_bfile *out, c12_err *err)
{
    c12_bsq *s = self;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bsq_prepare(s, "SELECT " FILE_COLUMNS " FROM files WHERE id = ?", &st, err);
    if (!rc) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) read_file_row(st, out);
        else rc = r == SQLITE_DONE ? c12_fail(err, C12_ERR_NOT_FOUND, "No such File object: %.64s", id)
                                   : c12_bsq_db_fail(s, err, "file");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

c12_rc c12_bsq_file_read(void *self, const char *id, size_t max, char **data, size_t *len, c12_err *err)
{
    c12_bsq *s = self;
    c12_bfile f;
    c12_rc rc = c12_bsq_file_get(s, id, &f, err);
    char path[1200];
    content_path(s, f.id, path, sizeof path);
    return rc ? rc : c12_read_file(path, max, data, len, err);
}

c12_rc c12_bsq_file_list(void *self, const char *owner, const char *purpose, const char *after, size_t limit,
                            c12_bfile *out, size_t *n, int *more, c12_err *err)
{
    c12_bsq *s = self;
    sqlite3_stmt *st = NULL;
    *n = 0;
    *more = 0;
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bsq_prepare(s,
                        "SELECT " FILE_COLUMNS " FROM files WHERE owner = ?4 AND (?1 IS NULL OR purpose = ?1) AND"
                        " (?2 IS NULL OR seq < (SELECT seq FROM files WHERE id = ?2)) ORDER BY seq DESC LIMIT ?3",
                        &st, err);
    if (!rc) {
        sqlite3_bind_text(st, 1, purpose, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, after, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, (int64_t)limit + 1);
        sqlite3_bind_text(st, 4, owner, -1, SQLITE_TRANSIENT);
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
            if (*n == limit) *more = 1;
            else read_file_row(st, &out[(*n)++]);
        }
        if (r != SQLITE_DONE) rc = c12_bsq_db_fail(s, err, "files");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

c12_rc c12_bsq_file_delete(void *self, const char *id, c12_err *err)
{
    c12_bsq *s = self;
    c12_bfile f;
    c12_rc rc = c12_bsq_file_get(s, id, &f, err);
    sqlite3_stmt *st = NULL;
    if (rc) return rc;
    pthread_mutex_lock(&s->mu);
    if (!(rc = c12_bsq_prepare(s, "DELETE FROM files WHERE id = ?", &st, err))) {
        sqlite3_bind_text(st, 1, f.id, -1, SQLITE_TRANSIENT);
        rc = c12_bsq_run(s, st, err);
    }
    pthread_mutex_unlock(&s->mu);
    char path[1200];
    content_path(s, f.id, path, sizeof path);
    if (!rc) unlink(path);
    return rc;
}

c12_rc c12_bsq_batch_create(void *self, c12_batch *b, const char *input, size_t len,
                            const c12_batch_input_rules *rules, c12_err *err);
c12_rc c12_bsq_batch_get(void *self, const char *id, c12_batch *out, c12_err *err);
c12_rc c12_bsq_batch_put(void *self, const c12_batch *b, c12_batch_status from, c12_err *err);
c12_rc c12_bsq_batch_list(void *self, const char *owner, const char *after, size_t limit, c12_batch **out,
                          size_t *n, int *more, c12_err *err);
c12_rc c12_bsq_batch_add(void *self, c12_batch *b, c12_err *err);
c12_rc c12_bsq_batch_active(void *self, char (*ids)[C12_BATCH_ID_MAX], size_t cap, size_t *n, c12_err *err);
c12_rc c12_bsq_line_next(void *self, const char *batch_id, c12_bline *out, c12_err *err);
c12_rc c12_bsq_line_done(void *self, const c12_batch *b, int64_t idx, int ok, const char *result, c12_err *err);
c12_rc c12_bsq_lines_each(void *self, const char *batch_id, int ok, c12_bline_fn fn, void *ud, c12_err *err);
c12_rc c12_bsq_get_stats(void *self, c12_bstore_stats *out, c12_err *err);

/* One gateway per folder: every batch in it is this process's to run (no
 * batch_claim). */
const c12_bstore_ops c12_bstore_sqlite_ops = {
    .name = "sqlite",
    .close = c12_bsq_close,
    .file_put = c12_bsq_file_put,
    .file_get = c12_bsq_file_get,
    .file_read = c12_bsq_file_read,
    .file_list = c12_bsq_file_list,
    .file_delete = c12_bsq_file_delete,
    .batch_create = c12_bsq_batch_create,
    .batch_get = c12_bsq_batch_get,
    .batch_put = c12_bsq_batch_put,
    .batch_list = c12_bsq_batch_list,
    .batch_add = c12_bsq_batch_add,
    .batch_active = c12_bsq_batch_active,
    .line_next = c12_bsq_line_next,
    .line_done = c12_bsq_line_done,
    .lines_each = c12_bsq_lines_each,
    .get_stats = c12_bsq_get_stats,
};
