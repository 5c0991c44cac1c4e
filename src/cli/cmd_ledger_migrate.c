/* cmd_ledger_migrate.c - `c12 ledger migrate --from sqlite:FILE --to
 * postgresql`: every row of one ledger, in the order it was written, into
 * another through the real writer (batches, retries, the batch ids that
 * keep a retried batch from being written twice). The source is brought to
 * the current schema first, as `c12 serve` would; the destination must be
 * empty, so that running it twice cannot count requests twice. */
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "cli_ledger.h"

#define CHUNK 1024

/* Rows in a ledger (0 when it does not exist yet). */
static c12_rc count_rows(const cli_ledger *l, int64_t *n, c12_err *err)
{
    c12_ledger_totals t = {0};
    c12_ledger_filter all = {0};
    c12_rc rc = c12_ledger_query_file(l->cfg.store, l->target, &all, &t, err);
    if (rc == C12_ERR_NOT_FOUND) rc = C12_OK;
    if (rc == C12_OK) *n = t.n ? t.t[0].requests : 0;
    c12_ledger_totals_free(&t);
    return rc;
}

/* The source, existing, read-write and migrated. */
static c12_rc open_source(const cli_ledger *l, const c12_store_ops *ops, void **out, c12_err *err)
{
    void *s = NULL;
    int version;
    c12_rc rc = ops->open(l->target, 1, &s, err); /* absent: NOT_FOUND, nothing created */
    if (rc) return rc;
    ops->close(s);
    rc = ops->open(l->target, 0, &s, err);
    if (rc == C12_OK) rc = ops->migrate(s, &version, err);
    if (rc == C12_OK) *out = s;
    else if (s) ops->close(s);
    return rc;
}

/* Every row of src into dst; *copied counts them. */
static c12_rc copy_rows(const c12_store_ops *ops, void *src, c12_ledger *dst, int64_t *copied, c12_err *err)
{
    c12_ledger_row *rows = c12_calloc(CHUNK, sizeof *rows);
    if (!rows) return c12_fail(err, C12_ERR_NOMEM, "ledger: no memory");
    int64_t cursor = 0;
    size_t n = 0;
    c12_rc rc;
    do {
        rc = ops->scan(src, &cursor, CHUNK, rows, &n, err);
        for (size_t i = 0; rc == C12_OK && i < n; i++) rc = c12_ledger_submit(dst, &rows[i], err);
        if (rc == C12_OK) *copied += (int64_t)n;
    } while (rc == C12_OK && n == CHUNK);
    c12_free(rows);
    return rc;
}

static int copy(const cli_ledger *from, const cli_ledger *to)
{
    const c12_store_ops *ops = c12_ledger_store_find(from->cfg.store);
    c12_err err, cerr;
    int64_t there = 0, copied = 0;
    void *src = NULL;
    c12_ledger *dst = NULL;
    c12_ledger_cfg cfg = to->cfg;
    cfg.block_ms = 60000; /* the writer takes them as fast as the store does */
    c12_rc rc = count_rows(to, &there, &err);
    if (rc == C12_OK && there > 0)
        rc = c12_fail(&err, C12_ERR_INVALID, "%s already holds %lld requests: migrate copies into an empty ledger",
                      to->desc, (long long)there);
    if (rc == C12_OK) rc = open_source(from, ops, &src, &err);
    if (rc == C12_OK) rc = c12_ledger_open(&cfg, &dst, &err);
    if (rc == C12_OK) rc = copy_rows(ops, src, dst, &copied, &err);
    if (dst && c12_ledger_close(dst, &cerr) != C12_OK && rc == C12_OK) err = cerr, rc = cerr.rc;
    if (src) ops->close(src);
    if (rc) {
        fprintf(stderr, "c12 ledger migrate: %s\n", err.msg);
        return 1;
    }
    printf("copied %lld requests from %s to %s\n", (long long)copied, from->desc, to->desc);
    return 0;
}

int cli_ledger_migrate(const char *from, const char *to)
{
    cli_ledger src, dst;
    int st = cli_ledger_parse("ledger migrate", from, &src);
    if (st < 0) st = cli_ledger_parse("ledger migrate", to, &dst);
    if (st >= 0) return st;
    if (!strcmp(src.cfg.store, dst.cfg.store) && !strcmp(src.target, dst.target)) {
        fprintf(stderr, "c12 ledger migrate: --from and --to are the same ledger\n");
        return 2;
    }
    st = copy(&src, &dst);
    explicit_bzero(src.target, sizeof src.target);
    explicit_bzero(dst.target, sizeof dst.target);
    return st;
}
