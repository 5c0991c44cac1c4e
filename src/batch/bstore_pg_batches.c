/* bstore_pg_batches.c - batches and their lines in PostgreSQL (see
 * bstore_pg.c): the same rows and the same transactions as SQLite's
 * (bstore_batches.c), a batch's lines queued by COPY. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "batch/bstore_pg.h"

#define N_COLS_MAX 40

/* A batch's columns as text parameters, in BATCH_COLUMNS' order. */
typedef struct params {
    const char *v[N_COLS_MAX + 2];
    char num[N_COLS_MAX][32];
    int n;
} params;

#define P_TXT(m) p->v[p->n] = b->m, p->n++;
#define P_INT(m) snprintf(p->num[p->n], 32, "%lld", (long long)b->m), p->v[p->n] = p->num[p->n], p->n++;
#define P_DBL(m) snprintf(p->num[p->n], 32, "%.17g", b->m), p->v[p->n] = p->num[p->n], p->n++;
#define P_COL(k, c, m) P_##k(m)

static void batch_params(params *p, const c12_batch *b)
{
    p->n = 0;
    BATCH_COLUMNS(P_COL)
}

#define PG_NAME(k, c, m) #c,
static const char *const COLS[] = {BATCH_COLUMNS(PG_NAME)};
#define N_COLS (sizeof COLS / sizeof COLS[0])
#define SELECT_BATCH "SELECT seq" BATCH_COLUMNS(COL_NAME) " FROM batches"

/* "a = $1, b = $2, ..." for names[0..n). */
static size_t set_list(char *out, size_t cap, const char *const *names, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n && w < cap; i++)
        w += (size_t)snprintf(out + w, cap - w, "%s%s = $%zu", i ? ", " : "", names[i], i + 1);
    return w;
}

/* A row of SELECT_BATCH (column 0 is seq). */
static void read_batch(const PGresult *r, int row, c12_batch *b)
{
    int i = 1;
    memset(b, 0, sizeof *b);
#define R_TXT(m) snprintf(b->m, sizeof b->m, "%s", PQgetvalue(r, row, i++));
#define R_INT(m) b->m = (__typeof__(b->m))strtoll(PQgetvalue(r, row, i++), NULL, 10);
#define R_DBL(m) b->m = strtod(PQgetvalue(r, row, i++), NULL);
#define R_COL(k, c, m) R_##k(m)
    BATCH_COLUMNS(R_COL)
}

static c12_rc insert_batch(c12_bpg *s, const c12_batch *b, c12_err *err)
{
    char sql[2048];
    size_t w = (size_t)snprintf(sql, sizeof sql, "INSERT INTO batches (%s) VALUES (", &BATCH_COLUMNS(COL_NAME)[2]);
    for (size_t i = 0; i < N_COLS && w < sizeof sql; i++)
        w += (size_t)snprintf(sql + w, sizeof sql - w, "%s$%zu", i ? ", " : "", i + 1);
    if (w < sizeof sql) snprintf(sql + w, sizeof sql - w, ")");
    params p;
    batch_params(&p, b);
    return c12_pg_check(s->pg, c12_bpg_q(s, sql, p.n, p.v), "batches: storing a batch", err);
}

/* ---- queueing a batch's lines by COPY ---- */

typedef struct creating {
    c12_bpg *s;
    c12_buf buf;
    const char *batch_id;
    int64_t idx;
} creating;

/* A field of COPY's text format. */
static int copy_text(c12_buf *b, const char *v)
{
    int bad = 0;
    for (const char *p = v; *p && !bad; p++) {
        const char *esc = *p == '\\' ? "\\\\" : *p == '\t' ? "\\t" : *p == '\n' ? "\\n" : *p == '\r' ? "\\r" : NULL;
        bad = esc ? c12_buf_puts(b, esc) != C12_OK : c12_buf_append(b, p, 1) != C12_OK;
    }
    return bad;
}

static int flush_copy(creating *c)
{
    int bad = c->buf.len && PQputCopyData(c->s->pg->conn, c->buf.data, (int)c->buf.len) != 1;
    c12_buf_reset(&c->buf);
    return bad;
}

static int queue_line(void *ud, size_t line, const char *custom_id, c12_batch_endpoint e, const char *body, char *msg,
                      size_t cap)
{
    creating *c = ud;
    int bad = copy_text(&c->buf, c->batch_id) || c12_buf_printf(&c->buf, "\t%lld\t", (long long)c->idx++) ||
              copy_text(&c->buf, custom_id) || c12_buf_puts(&c->buf, "\t") || copy_text(&c->buf, body) ||
              c12_buf_puts(&c->buf, "\n");
    if (!bad && c->buf.len >= 65536) bad = flush_copy(c);
    if (bad) snprintf(msg, cap, "cannot queue the line: %s", PQerrorMessage(c->s->pg->conn));
    return bad;
}

/* The COPY's end and its result: an input refused (rc) abandons it. */
static c12_rc end_copy(creating *c, c12_rc rc, c12_err *err)
{
    PGconn *conn = c->s->pg->conn;
    if (!rc && flush_copy(c)) rc = c12_pg_fail(c->s->pg, NULL, "batches: queueing lines", err);
    if (PQputCopyEnd(conn, rc ? "c12: the input was refused" : NULL) != 1 && !rc)
        rc = c12_pg_fail(c->s->pg, NULL, "batches: queueing lines", err);
    PGresult *r;
    while ((r = PQgetResult(conn))) {
        if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK) rc = c12_pg_fail(c->s->pg, r, "batches: queueing lines", err);
        PQclear(r);
    }
    return rc;
}

c12_rc c12_bpg_batch_create(void *self, c12_batch *b, const char *input, size_t len,
                            const c12_batch_input_rules *rules, c12_err *err)
{
    c12_bpg *s = self;
    c12_batch_new_id("batch_", b->id);
    if (!b->at.created) b->at.created = (int64_t)time(NULL);
    creating c = {.s = s, .batch_id = b->id};
    c12_buf_init(&c.buf, 0);
    c12_batch_input_stats st;
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    int began = !rc && !(rc = c12_pg_exec(s->pg, "BEGIN", err));
    PGresult *r = rc ? NULL : PQexec(s->pg->conn, "COPY batch_lines (batch_id, idx, custom_id, body) FROM STDIN");
    if (!rc && (!r || PQresultStatus(r) != PGRES_COPY_IN)) rc = c12_pg_fail(s->pg, r, "batches: queueing lines", err);
    PQclear(r);
    if (r && !rc) rc = end_copy(&c, c12_batch_input_read(input, len, rules, queue_line, &c, &st, err), err);
    if (!rc) {
        b->total = (int64_t)st.lines;
        rc = insert_batch(s, b, err);
    }
    if (!rc) rc = c12_pg_exec(s->pg, "COMMIT", err);
    if (rc && began) c12_bpg_rollback(s);
    pthread_mutex_unlock(&s->mu);
    c12_buf_free(&c.buf);
    return rc;
}

c12_rc c12_bpg_batch_add(void *self, c12_batch *b, c12_err *err)
{
    c12_bpg *s = self;
    c12_batch_new_id("batch_", b->id);
    if (!b->at.created) b->at.created = (int64_t)time(NULL);
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    if (!rc) rc = insert_batch(s, b, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

c12_rc c12_bpg_batch_get(void *self, const char *id, c12_batch *out, c12_err *err)
{
    c12_bpg *s = self;
    const char *vals[] = {id};
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    PGresult *r = rc ? NULL : c12_bpg_q(s, SELECT_BATCH " WHERE id = $1", 1, vals);
    if (!rc && !(rc = c12_bpg_rows(s, r, "batches: batch", err))) {
        if (PQntuples(r) == 1) read_batch(r, 0, out);
        else rc = c12_fail(err, C12_ERR_NOT_FOUND, "No such Batch object: %.64s", id);
        PQclear(r);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* The row while its stored status is still `from`; a final status frees
 * the batch's claim (bstore.h). */
c12_rc c12_bpg_batch_put(void *self, const c12_batch *b, c12_batch_status from, c12_err *err)
{
    c12_bpg *s = self;
    char sql[2048], msg[128], st[16];
    size_t w = set_list(sql, sizeof sql, COLS, N_COLS);
    char head[2100];
    snprintf(head, sizeof head, "UPDATE batches SET %.*s WHERE id = $%zu AND status = $%zu::bigint", (int)w, sql,
             N_COLS + 1, N_COLS + 2);
    params p;
    batch_params(&p, b);
    snprintf(st, sizeof st, "%d", (int)from);
    p.v[p.n++] = b->id;
    p.v[p.n++] = st;
    snprintf(msg, sizeof msg, "batch %s is no longer %s", b->id, c12_batch_status_name(from));
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    if (!rc) rc = c12_bpg_cmd(s, c12_bpg_q(s, head, p.n, p.v), "batches: writing a batch", 1, C12_ERR_BUSY, msg, err);
    if (!rc && c12_batch_status_final(b->status)) {
        const char *vals[] = {b->id};
        PQclear(c12_bpg_q(s, "SELECT pg_advisory_unlock(" C12_BPG_CLAIM_CLASS ", hashtext($1))", 1, vals));
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

c12_rc c12_bpg_batch_list(void *self, const char *owner, const char *after, size_t limit, c12_batch **out,
                          size_t *n, int *more, c12_err *err)
{
    c12_bpg *s = self;
    char lim[24];
    snprintf(lim, sizeof lim, "%zu", limit + 1);
    const char *vals[] = {after, lim, owner};
    c12_batch *list = c12_calloc(limit ? limit : 1, sizeof *list);
    if (!list) return c12_fail(err, C12_ERR_NOMEM, "batches: out of memory");
    *n = 0;
    *more = 0;
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    PGresult *r = rc ? NULL : c12_bpg_q(s, SELECT_BATCH " WHERE owner = $3 AND ($1::text IS NULL OR seq < (SELECT seq"
                                        " FROM batches WHERE id = $1)) ORDER BY seq DESC LIMIT $2::bigint", 3, vals);
    if (!rc && !(rc = c12_bpg_rows(s, r, "batches: batches", err))) {
        for (int i = 0; i < PQntuples(r); i++) {
            if (*n == limit) *more = 1;
            else read_batch(r, i, &list[(*n)++]);
        }
        PQclear(r);
    }
    pthread_mutex_unlock(&s->mu);
    if (rc) c12_free(list);
    else *out = list;
    return rc;
}

c12_rc c12_bpg_batch_active(void *self, char (*ids)[C12_BATCH_ID_MAX], size_t cap, size_t *n, c12_err *err)
{
    c12_bpg *s = self;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT id FROM batches WHERE status NOT IN (%d, %d, %d, %d) ORDER BY seq LIMIT %zu",
             C12_BATCH_FAILED, C12_BATCH_COMPLETED, C12_BATCH_EXPIRED, C12_BATCH_CANCELLED, cap);
    *n = 0;
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    PGresult *r = rc ? NULL : PQexec(s->pg->conn, sql);
    if (!rc && !(rc = c12_bpg_rows(s, r, "batches: active batches", err))) {
        for (int i = 0; i < PQntuples(r) && *n < cap; i++)
            snprintf(ids[(*n)++], C12_BATCH_ID_MAX, "%s", PQgetvalue(r, i, 0));
        PQclear(r);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}
