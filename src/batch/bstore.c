/* bstore.c - the batch store's front: the implementation chosen at open
 * (SQLite in a folder, or PostgreSQL where the ledger is), and every
 * c12_bstore_* call passed to its ops table (bstore_impl.h). */
#include <jansson.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "batch/bstore_impl.h"

static c12_rc open_with(const c12_bstore_ops *ops, c12_bstore_open_fn open, const char *target, int readonly,
                        c12_bstore **out, c12_err *err)
{
    c12_bstore *s = c12_calloc(1, sizeof *s);
    if (!s) return c12_fail(err, C12_ERR_NOMEM, "batches: out of memory");
    s->ops = ops;
    c12_rc rc = open(target, readonly, &s->self, err);
    if (rc) {
        c12_free(s);
        return rc;
    }
    *out = s;
    return C12_OK;
}

c12_rc c12_bstore_open(const char *dir, c12_bstore **out, c12_err *err)
{
    return open_with(&c12_bstore_sqlite_ops, c12_bsq_open, dir, 0, out, err);
}

c12_rc c12_bstore_open_pg(const char *dsn, int readonly, c12_bstore **out, c12_err *err)
{
    return open_with(&c12_bstore_pg_ops, c12_bpg_open, dsn, readonly, out, err);
}

const char *c12_bstore_kind(const c12_bstore *s) { return s->ops->name; }

void c12_bstore_close(c12_bstore *s)
{
    if (!s) return;
    s->ops->close(s->self);
    c12_free(s);
}

c12_rc c12_bstore_file_put(c12_bstore *s, c12_bfile *f, const char *data, size_t len, c12_err *err)
{
    return s->ops->file_put(s->self, f, data, len, err);
}

c12_rc c12_bstore_file_get(c12_bstore *s, const char *id, c12_bfile *out, c12_err *err)
{
    return s->ops->file_get(s->self, id, out, err);
}

c12_rc c12_bstore_file_read(c12_bstore *s, const char *id, size_t max, char **data, size_t *len, c12_err *err)
{
    return s->ops->file_read(s->self, id, max, data, len, err);
}

c12_rc c12_bstore_file_list(c12_bstore *s, const char *owner, const char *purpose, const char *after, size_t limit,
                            c12_bfile *out, size_t *n, int *more, c12_err *err)
{
    return s->ops->file_list(s->self, owner, purpose, after, limit, out, n, more, err);
}

c12_rc c12_bstore_file_delete(c12_bstore *s, const char *id, c12_err *err)
{
    return s->ops->file_delete(s->self, id, err);
}

c12_rc c12_bstore_batch_create(c12_bstore *s, c12_batch *b, const char *input, size_t len,
                               const c12_batch_input_rules *rules, c12_err *err)
{
    return s->ops->batch_create(s->self, b, input, len, rules, err);
}

c12_rc c12_bstore_batch_get(c12_bstore *s, const char *id, c12_batch *out, c12_err *err)
{
    return s->ops->batch_get(s->self, id, out, err);
}

c12_rc c12_bstore_batch_put(c12_bstore *s, const c12_batch *b, c12_batch_status from, c12_err *err)
{
    return s->ops->batch_put(s->self, b, from, err);
}

c12_rc c12_bstore_batch_list(c12_bstore *s, const char *owner, const char *after, size_t limit, c12_batch **out,
                             size_t *n, int *more, c12_err *err)
{
    return s->ops->batch_list(s->self, owner, after, limit, out, n, more, err);
}

c12_rc c12_bstore_batch_add(c12_bstore *s, c12_batch *b, c12_err *err)
{
    return s->ops->batch_add(s->self, b, err);
}

c12_rc c12_bstore_batch_active(c12_bstore *s, char (*ids)[C12_BATCH_ID_MAX], size_t cap, size_t *n, c12_err *err)
{
    return s->ops->batch_active(s->self, ids, cap, n, err);
}

c12_rc c12_bstore_batch_claim(c12_bstore *s, const char *id, c12_err *err)
{
    return s->ops->batch_claim ? s->ops->batch_claim(s->self, id, err) : C12_OK;
}

c12_rc c12_bstore_line_next(c12_bstore *s, const char *batch_id, c12_bline *out, c12_err *err)
{
    return s->ops->line_next(s->self, batch_id, out, err);
}

c12_rc c12_bstore_line_done(c12_bstore *s, const c12_batch *b, int64_t idx, int ok, const char *result, c12_err *err)
{
    return s->ops->line_done(s->self, b, idx, ok, result, err);
}

c12_rc c12_bstore_lines_each(c12_bstore *s, const char *batch_id, int ok, c12_bline_fn fn, void *ud, c12_err *err)
{
    return s->ops->lines_each(s->self, batch_id, ok, fn, ud, err);
}

c12_rc c12_bstore_get_stats(c12_bstore *s, c12_bstore_stats *out, c12_err *err)
{
    return s->ops->get_stats(s->self, out, err);
}

void c12_batch_new_id(const char *prefix, char out[C12_BATCH_ID_MAX])
{
    unsigned char r[12];
    if (RAND_bytes(r, sizeof r) != 1) { /* no entropy source: time and a counter still make it unique here */
        uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
        for (size_t i = 0; i < sizeof r; i++) r[i] = (unsigned char)(t >> (8 * (i % 8))) ^ (unsigned char)(i * 37);
    }
    int n = snprintf(out, C12_BATCH_ID_MAX, "%s", prefix);
    for (size_t i = 0; i < sizeof r && n + 2 < C12_BATCH_ID_MAX; i++) n += snprintf(out + n, 3, "%02x", r[i]);
}


void c12_bstore_stats_sql(char *sql, size_t cap)
{
    snprintf(sql, cap,
             "SELECT status, COUNT(*), SUM(deferred_s), SUM(CASE WHEN status IN (%d, %d, %d, %d) THEN co2_g END),"
             " SUM(CASE WHEN status IN (%d, %d, %d, %d) THEN co2_at_submit_g END),"
             " SUM(CASE WHEN status IN (%d, %d, %d, %d) THEN 0 ELSE total - completed - failed END)"
             " FROM batches GROUP BY status",
             C12_BATCH_FAILED, C12_BATCH_COMPLETED, C12_BATCH_EXPIRED, C12_BATCH_CANCELLED, C12_BATCH_FAILED,
             C12_BATCH_COMPLETED, C12_BATCH_EXPIRED, C12_BATCH_CANCELLED, C12_BATCH_FAILED, C12_BATCH_COMPLETED,
             C12_BATCH_EXPIRED, C12_BATCH_CANCELLED);
}

json_t *c12_bstore_stats_json(const c12_bstore_stats *st)
{
    json_t *by = json_object();
    for (int k = 0; by && k < C12_BATCH_STATUSES; k++)
        if (st->by_status[k])
            json_object_set_new(by, c12_batch_status_name((c12_batch_status)k), json_integer(st->by_status[k]));
    return json_pack("{s:o, s:I, s:f, s:f, s:f}", "by_status", by ? by : json_object(), "lines_pending",
                     (json_int_t)st->lines_pending, "deferred_h", st->deferred_s / 3600, "co2_g", st->co2_g,
                     "co2_avoided_g", st->co2_avoided_g);
}
