/* bstore_pg.c - files and batches in the ledger's PostgreSQL database
 * (ledger.store: postgresql), so that every gateway sharing the database
 * sees the same files and batches and a batch outlives the gateway that
 * took it (docs/batch.md).
 *
 * The connection is the ledger's own code (store_pg.c: the password never
 * in a message, a connection the server dropped reset on the next use),
 * opened separately from the ledger's writer. The tables are created if
 * missing, in one transaction under an advisory lock so that gateways
 * starting together do not race (not as ledger migrations: they are the
 * batch module's, and the SQLite ledger has no use for them). A file's
 * bytes are a bytea column. Which gateway runs a batch: whoever holds its
 * session advisory lock (c12_bstore_batch_claim): a crash ends the session
 * and frees its claims, so no lease has to outlast the longest line. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "batch/bstore_pg.h"

extern const c12_store_ops c12_store_pg_ops;

#define PGT_TXT "TEXT NOT NULL DEFAULT ''"
#define PGT_INT "BIGINT NOT NULL DEFAULT 0"
#define PGT_DBL "DOUBLE PRECISION NOT NULL DEFAULT 0"
#define PG_DEF(k, c, m) ", " #c " " PGT_##k

static const char SCHEMA[] =
    "BEGIN; SELECT pg_advisory_xact_lock(3091, 0);"
    "CREATE TABLE IF NOT EXISTS batch_files (seq BIGSERIAL PRIMARY KEY, id TEXT UNIQUE NOT NULL,"
    " filename TEXT NOT NULL, purpose TEXT NOT NULL, bytes BIGINT NOT NULL, created_at BIGINT NOT NULL,"
    " owner TEXT NOT NULL, content BYTEA NOT NULL);"
    "CREATE TABLE IF NOT EXISTS batches (seq BIGSERIAL PRIMARY KEY" BATCH_COLUMNS(PG_DEF) ", UNIQUE (id));"
    "CREATE TABLE IF NOT EXISTS batch_lines (batch_id TEXT NOT NULL, idx BIGINT NOT NULL, custom_id TEXT NOT NULL,"
    " body TEXT NOT NULL, state INTEGER NOT NULL DEFAULT 0, result TEXT, PRIMARY KEY (batch_id, idx));"
    "CREATE INDEX IF NOT EXISTS batch_lines_pending ON batch_lines(batch_id, idx) WHERE state = 0;"
    "COMMIT";

#define FILE_COLUMNS "id, filename, purpose, bytes, created_at, owner"

static c12_rc noop(pg_store *s, void *arg, c12_err *err) { return C12_OK; }

c12_rc c12_bpg_ready(c12_bpg *s, c12_err *err) { return c12_pg_with_conn(s->pg, noop, NULL, err); }

PGresult *c12_bpg_q(c12_bpg *s, const char *sql, int n, const char *const *vals)
{
    return PQexecParams(s->pg->conn, sql, n, NULL, vals, NULL, NULL, 0);
}

c12_rc c12_bpg_rows(c12_bpg *s, PGresult *r, const char *what, c12_err *err)
{
    if (PQresultStatus(r) == PGRES_TUPLES_OK) return C12_OK;
    c12_rc rc = c12_pg_fail(s->pg, r, what, err);
    PQclear(r);
    return rc;
}

c12_rc c12_bpg_cmd(c12_bpg *s, PGresult *r, const char *what, long want, c12_rc rc_else, const char *msg,
                   c12_err *err)
{
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        return c12_pg_check(s->pg, r, what, err);
    long got = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return want < 0 || got == want ? C12_OK : c12_fail(err, rc_else, "%s", msg);
}

void c12_bpg_rollback(c12_bpg *s) { PQclear(PQexec(s->pg->conn, "ROLLBACK")); }

static void bpg_close(void *self)
{
    c12_bpg *s = self;
    if (!s) return;
    if (s->pg) c12_store_pg_ops.close(s->pg);
    pthread_mutex_destroy(&s->mu);
    c12_free(s);
}

/* A reader finds the tables, or says there are none. */
static c12_rc has_tables(c12_bpg *s, c12_err *err)
{
    PGresult *r = PQexec(s->pg->conn, "SELECT to_regclass('batches') IS NOT NULL");
    c12_rc rc = c12_bpg_rows(s, r, "batches: looking for the tables", err);
    if (rc) return rc;
    int found = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return found ? C12_OK : c12_fail(err, C12_ERR_NOT_FOUND, "batches: none in this database yet");
}

c12_rc c12_bpg_open(const char *dsn, int readonly, void **out, c12_err *err)
{
    c12_bpg *s = c12_calloc(1, sizeof *s);
    if (!s) return c12_fail(err, C12_ERR_NOMEM, "batches: out of memory");
    pthread_mutex_init(&s->mu, NULL);
    void *pg = NULL;
    c12_rc rc = c12_store_pg_ops.open(dsn, readonly, &pg, err);
    s->pg = pg;
    if (!rc) rc = readonly ? has_tables(s, err) : c12_pg_exec(s->pg, SCHEMA, err);
    if (rc) {
        if (s->pg) c12_bpg_rollback(s);
        bpg_close(s);
        return rc;
    }
    *out = s;
    return C12_OK;
}

/* ---- files ---- */

static c12_rc bpg_file_put(void *self, c12_bfile *f, const char *data, size_t len, c12_err *err)
{
    c12_bpg *s = self;
    char bytes[24], created[24];
    c12_batch_new_id("file-", f->id);
    f->created_at = (int64_t)time(NULL);
    f->bytes = (int64_t)len;
    snprintf(bytes, sizeof bytes, "%lld", (long long)f->bytes);
    snprintf(created, sizeof created, "%lld", (long long)f->created_at);
    const char *vals[] = {f->id, f->filename, f->purpose, bytes, created, f->owner, len ? data : ""};
    int lens[] = {0, 0, 0, 0, 0, 0, (int)len}, fmts[] = {0, 0, 0, 0, 0, 0, 1};
    if (len > 0x7fffffff) return c12_fail(err, C12_ERR_RANGE, "batches: a file of %zu bytes", len);
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    if (!rc)
        rc = c12_pg_check(s->pg, PQexecParams(s->pg->conn, "INSERT INTO batch_files (" FILE_COLUMNS ", content)"
                                              " VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, NULL, vals, lens, fmts, 0),
                          "batches: storing a file", err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static void read_file_row(const PGresult *r, int row, c12_bfile *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->id, sizeof f->id, "%s", PQgetvalue(r, row, 0));
    snprintf(f->filename, sizeof f->filename, "%s", PQgetvalue(r, row, 1));
    snprintf(f->purpose, sizeof f->purpose, "%s", PQgetvalue(r, row, 2));
    f->bytes = strtoll(PQgetvalue(r, row, 3), NULL, 10);
    f->created_at = strtoll(PQgetvalue(r, row, 4), NULL, 10);
    snprintf(f->owner, sizeof f->owner, "%s", PQgetvalue(r, row, 5));
}

static c12_rc bpg_file_get(void *self, const char *id, c12_bfile *out, c12_err *err)
{
    c12_bpg *s = self;
    const char *vals[] = {id};
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    PGresult *r = rc ? NULL : c12_bpg_q(s, "SELECT " FILE_COLUMNS " FROM batch_files WHERE id = $1", 1, vals);
    if (!rc && !(rc = c12_bpg_rows(s, r, "batches: file", err))) {
        if (PQntuples(r) == 1) read_file_row(r, 0, out);
        else rc = c12_fail(err, C12_ERR_NOT_FOUND, "No such File object: %.64s", id);
        PQclear(r);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* The bytes, in binary (NULL when over max). */
static c12_rc bpg_file_read(void *self, const char *id, size_t max, char **data, size_t *len, c12_err *err)
{
    c12_bpg *s = self;
    char cap[24];
    snprintf(cap, sizeof cap, "%zu", max);
    const char *vals[] = {id, cap};
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    PGresult *r = rc ? NULL : PQexecParams(s->pg->conn, "SELECT CASE WHEN octet_length(content) <= $2::bigint"
                                           " THEN content END FROM batch_files WHERE id = $1", 2, NULL, vals,
                                           NULL, NULL, 1);
    if (!rc && !(rc = c12_bpg_rows(s, r, "batches: file content", err))) {
        if (PQntuples(r) != 1) rc = c12_fail(err, C12_ERR_NOT_FOUND, "No such File object: %.64s", id);
        else if (PQgetisnull(r, 0, 0)) rc = c12_fail(err, C12_ERR_RANGE, "batches: file %s is over %zu bytes", id, max);
        size_t n = rc ? 0 : (size_t)PQgetlength(r, 0, 0);
        char *p = rc ? NULL : c12_malloc(n + 1);
        if (!rc && !p) rc = c12_fail(err, C12_ERR_NOMEM, "batches: out of memory");
        if (!rc) {
            memcpy(p, PQgetvalue(r, 0, 0), n);
            p[n] = '\0';
            *data = p;
            *len = n;
        }
        PQclear(r);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static c12_rc bpg_file_list(void *self, const char *owner, const char *purpose, const char *after, size_t limit,
                            c12_bfile *out, size_t *n, int *more, c12_err *err)
{
    c12_bpg *s = self;
    char lim[24];
    snprintf(lim, sizeof lim, "%zu", limit + 1);
    const char *vals[] = {purpose, after, lim, owner};
    *n = 0;
    *more = 0;
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    PGresult *r = rc ? NULL : c12_bpg_q(s, "SELECT " FILE_COLUMNS " FROM batch_files WHERE owner = $4 AND"
                                        " ($1::text IS NULL OR purpose = $1) AND ($2::text IS NULL OR seq <"
                                        " (SELECT seq FROM batch_files WHERE id = $2)) ORDER BY seq DESC"
                                        " LIMIT $3::bigint", 4, vals);
    if (!rc && !(rc = c12_bpg_rows(s, r, "batches: files", err))) {
        for (int i = 0; i < PQntuples(r); i++) {
            if (*n == limit) *more = 1;
            else read_file_row(r, i, &out[(*n)++]);
        }
        PQclear(r);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static c12_rc bpg_file_delete(void *self, const char *id, c12_err *err)
{
    c12_bpg *s = self;
    const char *vals[] = {id};
    char msg[128];
    snprintf(msg, sizeof msg, "No such File object: %.64s", id);
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    if (!rc)
        rc = c12_bpg_cmd(s, c12_bpg_q(s, "DELETE FROM batch_files WHERE id = $1", 1, vals), "batches: deleting a file",
                         1, C12_ERR_NOT_FOUND, msg, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- claims ---- */

/* Held already by this session (a second pg_try_advisory_lock would stack
 * a second hold that one unlock does not free), else taken if free. */
static c12_rc bpg_batch_claim(void *self, const char *id, c12_err *err)
{
    c12_bpg *s = self;
    const char *vals[] = {id};
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    PGresult *r = rc ? NULL
                     : c12_bpg_q(s, "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND"
                                 " pid = pg_backend_pid() AND granted AND classid = " C12_BPG_CLAIM_CLASS " AND objsubid = 2 AND"
                                 " objid = (hashtext($1)::bigint & 4294967295)::oid) THEN true"
                                 " ELSE pg_try_advisory_lock(" C12_BPG_CLAIM_CLASS ", hashtext($1)) END", 1, vals);
    if (!rc && !(rc = c12_bpg_rows(s, r, "batches: claim", err))) {
        if (PQntuples(r) != 1 || PQgetvalue(r, 0, 0)[0] != 't')
            rc = c12_fail(err, C12_ERR_BUSY, "batch %s runs on another gateway", id);
        PQclear(r);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

c12_rc c12_bpg_batch_create(void *self, c12_batch *b, const char *input, size_t len,
                            const c12_batch_input_rules *rules, c12_err *err);
c12_rc c12_bpg_batch_get(void *self, const char *id, c12_batch *out, c12_err *err);
c12_rc c12_bpg_batch_put(void *self, const c12_batch *b, c12_batch_status from, c12_err *err);
c12_rc c12_bpg_batch_list(void *self, const char *owner, const char *after, size_t limit, c12_batch **out,
                          size_t *n, int *more, c12_err *err);
c12_rc c12_bpg_batch_add(void *self, c12_batch *b, c12_err *err);
c12_rc c12_bpg_batch_active(void *self, char (*ids)[C12_BATCH_ID_MAX], size_t cap, size_t *n, c12_err *err);
c12_rc c12_bpg_line_next(void *self, const char *batch_id, c12_bline *out, c12_err *err);
c12_rc c12_bpg_line_done(void *self, const c12_batch *b, int64_t idx, int ok, const char *result, c12_err *err);
c12_rc c12_bpg_lines_each(void *self, const char *batch_id, int ok, c12_bline_fn fn, void *ud, c12_err *err);
c12_rc c12_bpg_get_stats(void *self, c12_bstore_stats *out, c12_err *err);

const c12_bstore_ops c12_bstore_pg_ops = {
    .name = "postgresql",
    .close = bpg_close,
    .file_put = bpg_file_put,
    .file_get = bpg_file_get,
    .file_read = bpg_file_read,
    .file_list = bpg_file_list,
    .file_delete = bpg_file_delete,
    .batch_create = c12_bpg_batch_create,
    .batch_get = c12_bpg_batch_get,
    .batch_put = c12_bpg_batch_put,
    .batch_list = c12_bpg_batch_list,
    .batch_add = c12_bpg_batch_add,
    .batch_active = c12_bpg_batch_active,
    .batch_claim = bpg_batch_claim,
    .line_next = c12_bpg_line_next,
    .line_done = c12_bpg_line_done,
    .lines_each = c12_bpg_lines_each,
    .get_stats = c12_bpg_get_stats,
};
