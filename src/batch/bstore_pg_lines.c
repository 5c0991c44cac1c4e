/* bstore_pg_lines.c - a batch's lines in PostgreSQL (see bstore_pg.c): the
 * next pending one, an answer committed with its batch's counters, the
 * results streamed row by row, and the figures /metrics shows. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "batch/bstore_pg.h"

c12_rc c12_bpg_line_next(void *self, const char *batch_id, c12_bline *out, c12_err *err)
{
    c12_bpg *s = self;
    const char *vals[] = {batch_id};
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    PGresult *r = rc ? NULL : c12_bpg_q(s, "SELECT idx, custom_id, body FROM batch_lines WHERE batch_id = $1 AND"
                                        " state = 0 ORDER BY idx LIMIT 1", 1, vals);
    if (!rc && !(rc = c12_bpg_rows(s, r, "batches: next line", err))) {
        if (PQntuples(r) != 1) {
            rc = C12_ERR_NOT_FOUND;
        } else {
            out->idx = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
            snprintf(out->custom_id, sizeof out->custom_id, "%s", PQgetvalue(r, 0, 1));
            if (!(out->body = c12_strdup(PQgetvalue(r, 0, 2)))) rc = c12_fail(err, C12_ERR_NOMEM, "batches: out of memory");
        }
        PQclear(r);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

#define PG_NAME(k, c, m) #c,
static const char *const COUNTERS[] = {BATCH_COUNTERS(PG_NAME)};
#define N_COUNTERS (sizeof COUNTERS / sizeof COUNTERS[0])

/* UPDATE batches SET <counters> WHERE id: b's counters as they stand. */
static c12_rc update_counters(c12_bpg *s, const c12_batch *b, c12_err *err)
{
    char sql[1024], num[N_COUNTERS][32];
    const char *v[N_COUNTERS + 1];
    size_t w = (size_t)snprintf(sql, sizeof sql, "UPDATE batches SET ");
    int i = 0;
#define C_INT(m) snprintf(num[i], 32, "%lld", (long long)b->m), v[i] = num[i], i++;
#define C_DBL(m) snprintf(num[i], 32, "%.17g", b->m), v[i] = num[i], i++;
#define C_COL(k, c, m) C_##k(m)
    BATCH_COUNTERS(C_COL)
    for (size_t k = 0; k < N_COUNTERS && w < sizeof sql; k++)
        w += (size_t)snprintf(sql + w, sizeof sql - w, "%s%s = $%zu", k ? ", " : "", COUNTERS[k], k + 1);
    if (w < sizeof sql) snprintf(sql + w, sizeof sql - w, " WHERE id = $%zu", N_COUNTERS + 1);
    v[i++] = b->id;
    return c12_pg_check(s->pg, c12_bpg_q(s, sql, i, v), "batches: counters", err);
}

c12_rc c12_bpg_line_done(void *self, const c12_batch *b, int64_t idx, int ok, const char *result, c12_err *err)
{
    c12_bpg *s = self;
    char state[8], ix[24], msg[128];
    snprintf(state, sizeof state, "%d", ok ? LINE_OK : LINE_FAILED);
    snprintf(ix, sizeof ix, "%lld", (long long)idx);
    snprintf(msg, sizeof msg, "batch %s line %lld was not pending", b->id, (long long)idx);
    const char *vals[] = {state, result, b->id, ix};
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    int began = !rc && !(rc = c12_pg_exec(s->pg, "BEGIN", err));
    if (!rc)
        rc = c12_bpg_cmd(s, c12_bpg_q(s, "UPDATE batch_lines SET state = $1::int, result = $2 WHERE batch_id = $3"
                                      " AND idx = $4::bigint AND state = 0", 4, vals),
                         "batches: a line's answer", 1, C12_ERR_INVALID, msg, err);
    if (!rc) rc = update_counters(s, b, err);
    if (!rc) rc = c12_pg_exec(s->pg, "COMMIT", err);
    if (rc && began) c12_bpg_rollback(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Row by row (single-row mode): a batch's results need not fit in memory
 * twice. The rest is drained when fn stops early. */
c12_rc c12_bpg_lines_each(void *self, const char *batch_id, int ok, c12_bline_fn fn, void *ud, c12_err *err)
{
    c12_bpg *s = self;
    char state[8];
    snprintf(state, sizeof state, "%d", ok ? LINE_OK : LINE_FAILED);
    const char *vals[] = {batch_id, state};
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    PGconn *conn = s->pg->conn;
    int sent = !rc && PQsendQueryParams(conn, "SELECT result FROM batch_lines WHERE batch_id = $1 AND"
                                        " state = $2::int ORDER BY idx", 2, NULL, vals, NULL, NULL, 0);
    if (!rc && !sent) rc = c12_pg_fail(s->pg, NULL, "batches: results", err);
    if (sent) PQsetSingleRowMode(conn);
    PGresult *r;
    while (sent && (r = PQgetResult(conn))) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_SINGLE_TUPLE && !rc) {
            if (fn(ud, PQgetisnull(r, 0, 0) ? "{}" : PQgetvalue(r, 0, 0)))
                rc = c12_fail(err, C12_ERR_IO, "batch %s: cannot write its results", batch_id);
        } else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && !rc) {
            rc = c12_pg_fail(s->pg, r, "batches: results", err);
        }
        PQclear(r);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

c12_rc c12_bpg_get_stats(void *self, c12_bstore_stats *out, c12_err *err)
{
    c12_bpg *s = self;
    c12_bstore_stats st;
    memset(&st, 0, sizeof st);
    char sql[C12_BSTORE_STATS_SQL_MAX];
    c12_bstore_stats_sql(sql, sizeof sql);
    pthread_mutex_lock(&s->mu);
    c12_rc rc = c12_bpg_ready(s, err);
    PGresult *r = rc ? NULL : PQexec(s->pg->conn, sql);
    if (!rc && !(rc = c12_bpg_rows(s, r, "batches: figures", err))) {
        for (int i = 0; i < PQntuples(r); i++) {
            int k = atoi(PQgetvalue(r, i, 0));
            if (k >= 0 && k < C12_BATCH_STATUSES) st.by_status[k] = strtoll(PQgetvalue(r, i, 1), NULL, 10);
            st.deferred_s += strtod(PQgetvalue(r, i, 2), NULL);
            st.co2_g += strtod(PQgetvalue(r, i, 3), NULL);
            st.co2_at_submit_g += strtod(PQgetvalue(r, i, 4), NULL);
            st.lines_pending += strtoll(PQgetvalue(r, i, 5), NULL, 10);
        }
        PQclear(r);
    }
    pthread_mutex_unlock(&s->mu);
    st.co2_avoided_g = st.co2_at_submit_g - st.co2_g;
    if (!rc) *out = st;
    return rc;
}
