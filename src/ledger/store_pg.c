/* store_pg.c - the ledger in a PostgreSQL database (libpq), which any number
 * of C12 processes write at once and `c12 report --ledger postgresql` reads.
 *
 * The target is a connection string (a DSN or a postgresql:// URI) from the
 * environment; it may hold a password, so no message ever carries it: every
 * error names the database by host, port, dbname and user only, and the
 * password and the whole string are redacted from libpq's own text. A
 * connection the server dropped (a restart) is reset on the next use; the
 * writer (ledger.c) retries a failed batch with backoff, and a batch's id
 * makes its retry harmless when a COMMIT's answer was lost. The schema
 * comes from the shared migrations (migrate.c) in the PostgreSQL dialect;
 * rows are appended with COPY (store_pg_rows.c). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "ledger/migrate.h"
#include "ledger/store_impl.h"
#include "ledger/store_pg.h"

void c12_pg_columns(char *out, size_t cap);
c12_rc c12_pg_append(void *self, const char *batch, const c12_ledger_row *rows, size_t n, c12_err *err);
c12_rc c12_pg_query(void *self, const c12_ledger_filter *f, c12_ledger_totals *out, c12_err *err);
c12_rc c12_pg_recent(void *self, int64_t since_ms, size_t limit, c12_ledger_row *rows, size_t *n, c12_err *err);
c12_rc c12_pg_scan(void *self, int64_t *cursor, size_t limit, c12_ledger_row *rows, size_t *n, c12_err *err);

/* libpq's messages run over lines ("...failed: ...\n\tIs the server
 * running...?"): one line, single spaces, no trailing blank. */
static void one_line(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        char c = (*p == '\n' || *p == '\t' || *p == '\r') ? ' ' : *p;
        if (c == ' ' && (o == s || o[-1] == ' ')) continue;
        *o++ = c;
    }
    while (o > s && o[-1] == ' ') o--;
    *o = '\0';
}

/* The class of a SQLSTATE, and what it means to the writer. */
static c12_rc classify(const pg_store *s, const char *state)
{
    static const struct {
        const char *cls;
        c12_rc rc;
    } CLASSES[] = {{"08", C12_ERR_NETWORK}, {"57", C12_ERR_NETWORK}, {"40", C12_ERR_BUSY},
                   {"53", C12_ERR_BUSY},    {"55", C12_ERR_BUSY},    {"28", C12_ERR_AUTH}};
    if (!s->conn || PQstatus(s->conn) == CONNECTION_BAD) return C12_ERR_NETWORK;
    for (size_t i = 0; state && i < sizeof CLASSES / sizeof CLASSES[0]; i++)
        if (!strncmp(state, CLASSES[i].cls, 2)) return CLASSES[i].rc;
    return C12_ERR_IO;
}

static void redact(const pg_store *s, c12_err *err)
{
    one_line(err->msg);
    for (size_t i = 0; i < sizeof s->secrets / sizeof s->secrets[0]; i++) c12_err_redact(err, s->secrets[i]);
}

c12_rc c12_pg_fail(pg_store *s, const PGresult *r, const char *what, c12_err *err)
{
    const char *why = r ? PQresultErrorMessage(r) : NULL;
    if (!why || !*why) why = s->conn ? PQerrorMessage(s->conn) : "no connection";
    c12_rc rc = classify(s, r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL);
    c12_fail(err, rc, "%s: %s: %s", s->where, what, why);
    redact(s, err);
    return rc;
}

c12_rc c12_pg_check(pg_store *s, PGresult *r, const char *what, c12_err *err)
{
    ExecStatusType st = PQresultStatus(r);
    c12_rc rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? C12_OK : c12_pg_fail(s, r, what, err);
    PQclear(r);
    return rc;
}

c12_rc c12_pg_exec(void *self, const char *sql, c12_err *err)
{
    pg_store *s = self;
    char what[64];
    snprintf(what, sizeof what, "%.48s%s", sql, strlen(sql) > 48 ? "..." : "");
    return c12_pg_check(s, PQexec(s->conn, sql), what, err);
}

/* The migration runner's query_int. */
static c12_rc query_int(void *self, const char *sql, int64_t *out, c12_err *err)
{
    pg_store *s = self;
    PGresult *r = PQexec(s->conn, sql);
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    int64_t v = ok ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    c12_rc rc = ok ? C12_OK : c12_pg_fail(s, r, "schema_version", err);
    PQclear(r);
    if (rc == C12_OK) *out = v;
    return rc;
}

/* libpq prints a server's notices ("relation ... already exists,
 * skipping") on stderr unless told otherwise. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* What every connection is set to, a reset one too. */
static c12_rc session(pg_store *s, c12_err *err)
{
    PQsetNoticeProcessor(s->conn, quiet, NULL);
    return s->readonly ? c12_pg_exec(s, "SET default_transaction_read_only = on", err) : C12_OK;
}

static c12_rc ensure(pg_store *s, c12_err *err)
{
    if (PQstatus(s->conn) == CONNECTION_OK) return C12_OK;
    PQreset(s->conn);
    if (PQstatus(s->conn) != CONNECTION_OK) return c12_pg_fail(s, NULL, "reconnecting", err);
    return session(s, err);
}

c12_rc c12_pg_with_conn(pg_store *s, c12_pg_op op, void *arg, c12_err *err)
{
    c12_rc rc = ensure(s, err);
    if (rc == C12_OK) rc = op(s, arg, err);
    if (rc && PQstatus(s->conn) == CONNECTION_BAD) { /* dropped while idle: once more */
        rc = ensure(s, err);
        if (rc == C12_OK) rc = op(s, arg, err);
    }
    return rc;
}

/* libpq's complaint about a malformed string quotes pieces of it: hide them. */
static void hide_quoted(char *msg)
{
    char out[C12_ERR_MSG_MAX];
    size_t o = 0;
    int in = 0;
    for (const char *p = msg; *p && o + 12 < sizeof out; p++) {
        if (*p == '"') {
            in = !in;
            if (in) o += (size_t)snprintf(out + o, sizeof out - o, "\"[redacted]");
        }
        if (!in) out[o++] = *p;
    }
    out[o] = '\0';
    memcpy(msg, out, o + 1);
}

/* Note the password (to redact it) and describe the database without it.
 * secrets[1], the whole string, stays only when it holds a password. */
static c12_rc parse_dsn(pg_store *s, const char *dsn, c12_err *err)
{
    static const char *const SHOWN[] = {"host", "hostaddr", "port", "dbname", "user"};
    char *why = NULL;
    if (!(s->secrets[1] = c12_strdup(dsn))) return c12_fail(err, C12_ERR_NOMEM, "ledger: no memory");
    PQconninfoOption *o = PQconninfoParse(dsn, &why);
    if (!o) {
        c12_fail(err, C12_ERR_INVALID, "ledger postgresql: the connection string is not valid: %s",
                 why ? why : "out of memory");
        PQfreemem(why);
        hide_quoted(err->msg);
        redact(s, err);
        return C12_ERR_INVALID;
    }
    size_t w = (size_t)snprintf(s->where, sizeof s->where, "ledger postgresql (");
    int nomem = 0;
    for (PQconninfoOption *p = o; p->keyword; p++)
        if (p->val && *p->val && !strcmp(p->keyword, "password")) nomem = !(s->secrets[0] = c12_strdup(p->val));
    for (size_t i = 0; i < sizeof SHOWN / sizeof SHOWN[0]; i++)
        for (PQconninfoOption *p = o; p->keyword && w < sizeof s->where; p++)
            if (p->val && *p->val && !strcmp(p->keyword, SHOWN[i]))
                w += (size_t)snprintf(s->where + w, sizeof s->where - w, "%s=%s ", p->keyword, p->val);
    PQconninfoFree(o);
    if (w > sizeof s->where - 2) w = sizeof s->where - 2;
    if (s->where[w - 1] == ' ') w--;
    snprintf(s->where + w, sizeof s->where - w, ")");
    if (!s->secrets[0] && !nomem) {
        c12_free(s->secrets[1]);
        s->secrets[1] = NULL;
    }
    return nomem ? c12_fail(err, C12_ERR_NOMEM, "ledger: no memory") : C12_OK;
}

static c12_rc connect_to(pg_store *s, const char *dsn, c12_err *err)
{
    /* Defaults first: what the string says wins (libpq takes the last).
     * Keepalives and a TCP user timeout bound how long a query waits on a
     * server that vanished without closing the connection (a partition). */
    static const char *const KEYS[] = {"connect_timeout", "application_name", "client_encoding", "keepalives_idle",
                                       "keepalives_interval", "keepalives_count", "tcp_user_timeout", "dbname",
                                       NULL};
    const char *vals[] = {"5", "c12", "UTF8", "30", "10", "3", "30000", dsn, NULL};
    s->conn = PQconnectdbParams(KEYS, vals, 1);
    if (!s->conn) return c12_fail(err, C12_ERR_NOMEM, "ledger postgresql: no memory");
    if (PQstatus(s->conn) != CONNECTION_OK) return c12_pg_fail(s, NULL, "cannot connect", err);
    return session(s, err);
}

/* A reader finds the ledger's table, or says there is none. */
static c12_rc has_ledger(pg_store *s, c12_err *err)
{
    PGresult *r = PQexec(s->conn, "SELECT to_regclass('requests') IS NOT NULL");
    int found = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    c12_rc rc = PQresultStatus(r) == PGRES_TUPLES_OK ? C12_OK : c12_pg_fail(s, r, "looking for the ledger", err);
    PQclear(r);
    if (rc == C12_OK && !found)
        rc = c12_fail(err, C12_ERR_NOT_FOUND, "%s: no ledger in this database yet (c12 serve creates it)", s->where);
    return rc;
}

static void pg_close(void *self)
{
    pg_store *s = self;
    if (!s) return;
    PQfinish(s->conn);
    for (size_t i = 0; i < sizeof s->secrets / sizeof s->secrets[0]; i++) {
        if (s->secrets[i]) explicit_bzero(s->secrets[i], strlen(s->secrets[i]));
        c12_free(s->secrets[i]);
    }
    c12_buf_free(&s->copy);
    c12_free(s);
}

static c12_rc pg_open(const char *target, int readonly, void **out, c12_err *err)
{
    pg_store *s = c12_calloc(1, sizeof *s);
    if (!s) return c12_fail(err, C12_ERR_NOMEM, "ledger: no memory");
    s->readonly = readonly;
    c12_buf_init(&s->copy, 0);
    c12_pg_columns(s->cols, sizeof s->cols);
    snprintf(s->where, sizeof s->where, "ledger postgresql");
    c12_rc rc = parse_dsn(s, target, err);
    if (rc == C12_OK) rc = connect_to(s, target, err);
    if (rc == C12_OK && readonly) rc = has_ledger(s, err);
    if (rc) {
        pg_close(s);
        return rc;
    }
    *out = s;
    return C12_OK;
}

static c12_rc pg_migrate(void *self, int *version, c12_err *err)
{
    pg_store *s = self;
    c12_migrate_conn c = {C12_SQL_POSTGRESQL, s->where, s, c12_pg_exec, query_int};
    return c12_migrate_run(&c, version, err);
}

const c12_store_ops c12_store_pg_ops = {
    .name = "postgresql",
    .connects = 1,
    .open = pg_open,
    .migrate = pg_migrate,
    .append = c12_pg_append,
    .query = c12_pg_query,
    .recent = c12_pg_recent,
    .scan = c12_pg_scan,
    .close = pg_close,
};
