/* store_pg_rows.c - the PostgreSQL store's rows: a batch appended by COPY in
 * one transaction with its batch id, totals grouped in SQL as SQLite groups
 * them (text keys in byte order, COLLATE "C"; the same integer time
 * buckets), the newest rows, and every row in order (copying a ledger). */
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger/store_impl.h"
#include "ledger/store_pg.h"

#define PG_NAME(kind, f) #f,
static const char *const COLUMNS[] = {C12_LEDGER_ROW_FIELDS(PG_NAME)};
#define N_COLUMNS (sizeof COLUMNS / sizeof COLUMNS[0])

/* "\"time_ms\",\"request_id\",...": quoted, as `user` is a keyword here. */
void c12_pg_columns(char *out, size_t cap)
{
    size_t w = 0;
    for (size_t i = 0; i < N_COLUMNS && w < cap; i++)
        w += (size_t)snprintf(out + w, cap - w, "%s\"%s\"", i ? "," : "", COLUMNS[i]);
}

/* ---- append ---- */

/* A text field of COPY's text format: backslash, tab, newline and carriage
 * return escaped. */
static c12_rc copy_text(c12_buf *b, const char *v)
{
    c12_rc rc = C12_OK;
    for (const char *p = v; *p && rc == C12_OK; p++) {
        const char *esc = *p == '\\' ? "\\\\" : *p == '\t' ? "\\t" : *p == '\n' ? "\\n" : *p == '\r' ? "\\r" : NULL;
        rc = esc ? c12_buf_puts(b, esc) : c12_buf_append(b, p, 1);
    }
    return rc;
}

static c12_rc copy_double(c12_buf *b, double v)
{
    if (isnan(v)) return c12_buf_puts(b, "NaN");
    if (isinf(v)) return c12_buf_puts(b, v > 0 ? "Infinity" : "-Infinity");
    return c12_buf_printf(b, "%.17g", v);
}

#define COPY_TXT(b, v) copy_text(b, v)
#define COPY_I64(b, v) c12_buf_printf(b, "%lld", (long long)(v))
#define COPY_DBL(b, v) copy_double(b, v)
#define COPY_FIELD(kind, f)                                \
    if (rc == C12_OK && sep) rc = c12_buf_puts(b, "\t");   \
    if (rc == C12_OK) rc = COPY_##kind(b, r->f);           \
    sep = 1;

static c12_rc copy_row(c12_buf *b, const c12_ledger_row *r)
{
    c12_rc rc = C12_OK;
    int sep = 0;
    C12_LEDGER_ROW_FIELDS(COPY_FIELD)
    return rc == C12_OK ? c12_buf_puts(b, "\n") : rc;
}

/* The rows, in chunks of about 64 KiB, then the end of the COPY. */
static c12_rc send_rows(pg_store *s, const c12_ledger_row *rows, size_t n, c12_err *err)
{
    c12_rc rc = C12_OK;
    for (size_t i = 0; i < n && rc == C12_OK; i++) {
        if (copy_row(&s->copy, &rows[i])) rc = c12_fail(err, C12_ERR_NOMEM, "ledger: no memory");
        if (rc == C12_OK && (s->copy.len >= 65536 || i + 1 == n)) {
            if (PQputCopyData(s->conn, s->copy.data, (int)s->copy.len) != 1) rc = c12_pg_fail(s, NULL, "copy", err);
            c12_buf_reset(&s->copy);
        }
    }
    c12_buf_reset(&s->copy);
    if (PQputCopyEnd(s->conn, rc ? "c12: the batch was abandoned" : NULL) != 1 && rc == C12_OK)
        rc = c12_pg_fail(s, NULL, "copy", err);
    return rc;
}

static c12_rc copy_rows(pg_store *s, const c12_ledger_row *rows, size_t n, c12_err *err)
{
    char sql[sizeof s->cols + 64];
    snprintf(sql, sizeof sql, "COPY requests (%s) FROM STDIN", s->cols);
    PGresult *r = PQexec(s->conn, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) return c12_pg_check(s, r, "copy", err);
    PQclear(r);
    c12_rc rc = send_rows(s, rows, n, err);
    while ((r = PQgetResult(s->conn))) { /* the COPY's outcome, then NULL */
        c12_err mine;
        c12_rc got = c12_pg_check(s, r, "copy", &mine);
        if (got && rc == C12_OK) *err = mine, rc = got;
    }
    return rc;
}

/* Record the batch id; *seen when a transaction committed it before. */
static c12_rc record_batch(pg_store *s, const char *batch, int *seen, c12_err *err)
{
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)time(NULL) * 1000);
    const char *vals[] = {batch, now};
    const Oid types[] = {C12_PG_TEXT, C12_PG_INT8};
    PGresult *r = PQexecParams(s->conn,
                               "INSERT INTO ledger_batches (id, time_ms) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                               2, types, vals, NULL, NULL, 0);
    *seen = PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdTuples(r), "0");
    c12_rc rc = c12_pg_check(s, r, "batch", err);
    if (rc || *seen || ++s->appends % C12_LEDGER_BATCH_PRUNE_EVERY) return rc;
    char prune[96];
    snprintf(prune, sizeof prune, "DELETE FROM ledger_batches WHERE time_ms < %lld",
             (long long)time(NULL) * 1000 - C12_LEDGER_BATCH_KEEP_MS);
    return c12_pg_exec(s, prune, err);
}

typedef struct append_arg {
    const char *batch;
    const c12_ledger_row *rows;
    size_t n;
} append_arg;

static c12_rc append_once(pg_store *s, void *arg, c12_err *err)
{
    const append_arg *a = arg;
    int seen = 0;
    c12_rc rc = c12_pg_exec(s, "BEGIN", err);
    if (rc == C12_OK && a->batch && *a->batch) rc = record_batch(s, a->batch, &seen, err);
    if (rc == C12_OK && !seen && a->n) rc = copy_rows(s, a->rows, a->n, err);
    if (rc == C12_OK) rc = c12_pg_exec(s, seen ? "ROLLBACK" : "COMMIT", err);
    if (rc && PQtransactionStatus(s->conn) != PQTRANS_IDLE && PQtransactionStatus(s->conn) != PQTRANS_UNKNOWN)
        PQclear(PQexec(s->conn, "ROLLBACK"));
    return rc;
}

c12_rc c12_pg_append(void *self, const char *batch, const c12_ledger_row *rows, size_t n, c12_err *err)
{
    append_arg a = {batch, rows, n};
    return c12_pg_with_conn(self, append_once, &a, err);
}

/* ---- totals ---- */

/* What each group groups by: a column in byte order, or a time bucket
 * computed on time_ms as SQLite computes it ($3 is BY_STEP's width). */
static const char *const GROUP_SQL[C12_LEDGER_BY_COUNT] = {
    [C12_LEDGER_BY_ALL] = "'all'::text",
    [C12_LEDGER_BY_MODEL] = "model COLLATE \"C\"",
    [C12_LEDGER_BY_CATEGORY] = "category COLLATE \"C\"",
    [C12_LEDGER_BY_KEY] = "api_key COLLATE \"C\"",
    [C12_LEDGER_BY_USER] = "\"user\" COLLATE \"C\"",
    [C12_LEDGER_BY_DAY] = "(time_ms - (time_ms % 86400000 + 86400000) % 86400000)",
    [C12_LEDGER_BY_HOUR] = "(time_ms - (time_ms % 3600000 + 3600000) % 3600000)",
    [C12_LEDGER_BY_STEP] = "(time_ms - (time_ms % $3 + $3) % $3)",
    [C12_LEDGER_BY_SITE] = "site COLLATE \"C\"",
};

static int64_t i64(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static double dbl(const PGresult *r, int row, int col)
{
    return strtod(PQgetvalue(r, row, col), NULL);
}

static void read_total(const PGresult *r, int i, const c12_ledger_filter *f, c12_ledger_total *o)
{
    memset(o, 0, sizeof *o);
    c12_ledger_total_keys(o, f, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), i64(r, i, 0), i64(r, i, 1));
    o->requests = i64(r, i, 2);
    o->errors = i64(r, i, 3);
    o->prompt_tokens = i64(r, i, 4);
    o->completion_tokens = i64(r, i, 5);
    o->energy_j = dbl(r, i, 6);
    o->co2_g = dbl(r, i, 7);
    o->total_s = dbl(r, i, 8);
    o->prompt_tok_gkwh = dbl(r, i, 9);
    o->completion_tok_gkwh = dbl(r, i, 10);
    o->cached = i64(r, i, 11);
    o->saved_co2_g = dbl(r, i, 12);
}

typedef struct query_arg {
    const c12_ledger_filter *f;
    c12_ledger_totals *t;
} query_arg;

static c12_rc query_once(pg_store *s, void *arg, c12_err *err)
{
    const query_arg *q = arg;
    const c12_ledger_filter *f = q->f;
    char sql[1024], p1[24], p2[24], p3[24];
    snprintf(sql, sizeof sql,
             "SELECT %s AS g1, %s AS g2, COUNT(*), COUNT(*) FILTER (WHERE status <> 'ok'), SUM(prompt_tokens),"
             " SUM(completion_tokens), SUM(energy_j), SUM(co2_g), SUM(total_ms) / 1000,"
             " SUM(prompt_tokens * intensity * pue), SUM(completion_tokens * intensity * pue),"
             " SUM(cached), SUM(saved_co2_g)"
             " FROM requests WHERE time_ms >= $1 AND time_ms < $2 GROUP BY g1, g2 ORDER BY g1, g2 LIMIT %d",
             GROUP_SQL[f->by], f->by2 == C12_LEDGER_BY_ALL ? "''::text" : GROUP_SQL[f->by2],
             C12_LEDGER_GROUPS_MAX + 1);
    snprintf(p1, sizeof p1, "%lld", (long long)f->since_ms);
    snprintf(p2, sizeof p2, "%lld", (long long)(f->until_ms > 0 ? f->until_ms : INT64_MAX));
    snprintf(p3, sizeof p3, "%lld", (long long)(f->step_ms > 0 ? f->step_ms : 1));
    const char *vals[] = {p1, p2, p3};
    const Oid types[] = {C12_PG_INT8, C12_PG_INT8, C12_PG_INT8};
    PGresult *r = PQexecParams(s->conn, sql, 3, types, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return c12_pg_check(s, r, "query", err);
    c12_rc rc = C12_OK;
    for (int i = 0; rc == C12_OK && i < PQntuples(r); i++) {
        rc = c12_ledger_totals_push(q->t, err);
        if (rc == C12_OK) read_total(r, i, f, &q->t->t[q->t->n++]);
    }
    PQclear(r);
    return rc;
}

c12_rc c12_pg_query(void *self, const c12_ledger_filter *f, c12_ledger_totals *out, c12_err *err)
{
    c12_ledger_totals t = {0};
    query_arg q = {f, &t};
    c12_rc rc = c12_ledger_filter_check(f, err);
    if (rc == C12_OK) rc = c12_pg_with_conn(self, query_once, &q, err);
    return c12_ledger_totals_done(rc, &t, out);
}

/* ---- rows ---- */

#define READ_TXT(dst) C12_LEDGER_SET(dst, PQgetvalue(r, row, col))
#define READ_I64(dst) dst = i64(r, row, col)
#define READ_DBL(dst) dst = dbl(r, row, col)
#define READ(kind, f) READ_##kind(o->f), col++;

/* Row `row` of a SELECT of id and the columns. */
static void read_row(const PGresult *r, int row, c12_ledger_row *o)
{
    int col = 1;
    memset(o, 0, sizeof *o);
    C12_LEDGER_ROW_FIELDS(READ)
}

typedef struct rows_arg {
    const char *where; /* the WHERE, ORDER BY and LIMIT ($1, $2) */
    int64_t from;
    size_t limit;
    c12_ledger_row *rows;
    size_t n;
    int64_t last_id;
} rows_arg;

static c12_rc rows_once(pg_store *s, void *arg, c12_err *err)
{
    rows_arg *a = arg;
    char sql[sizeof s->cols + 160], p1[24], p2[24];
    snprintf(sql, sizeof sql, "SELECT id,%s FROM requests %s", s->cols, a->where);
    snprintf(p1, sizeof p1, "%lld", (long long)a->from);
    snprintf(p2, sizeof p2, "%llu", (unsigned long long)(a->limit > (size_t)INT64_MAX ? (size_t)INT64_MAX : a->limit));
    const char *vals[] = {p1, p2};
    const Oid types[] = {C12_PG_INT8, C12_PG_INT8};
    PGresult *r = PQexecParams(s->conn, sql, 2, types, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return c12_pg_check(s, r, "rows", err);
    a->n = 0;
    for (int i = 0; i < PQntuples(r) && a->n < a->limit; i++) {
        a->last_id = i64(r, i, 0);
        read_row(r, i, &a->rows[a->n++]);
    }
    PQclear(r);
    return C12_OK;
}

c12_rc c12_pg_recent(void *self, int64_t since_ms, size_t limit, c12_ledger_row *rows, size_t *n, c12_err *err)
{
    rows_arg a = {"WHERE time_ms >= $1 ORDER BY time_ms DESC, id DESC LIMIT $2", since_ms, limit, rows, 0, 0};
    c12_rc rc = c12_pg_with_conn(self, rows_once, &a, err);
    if (rc == C12_OK) *n = a.n;
    return rc;
}

c12_rc c12_pg_scan(void *self, int64_t *cursor, size_t limit, c12_ledger_row *rows, size_t *n, c12_err *err)
{
    rows_arg a = {"WHERE id > $1 ORDER BY id LIMIT $2", *cursor, limit, rows, 0, *cursor};
    c12_rc rc = c12_pg_with_conn(self, rows_once, &a, err);
    if (rc == C12_OK) *n = a.n, *cursor = a.last_id;
    return rc;
}
