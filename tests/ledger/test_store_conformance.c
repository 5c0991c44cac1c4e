/* The store conformance test: the same cases against every store, SQLite
 * (a temporary file) and PostgreSQL (a throw-away server, pg_test.h, one
 * fresh database per case). Migrations (from empty, again, a newer schema
 * refused, a reader finding no ledger); every grouping by every second
 * grouping over two windows, checked against a plain in-memory oracle (the
 * same keys, order, counts and sums); rows back bit for bit, newest first
 * and in append order; batch ids; the group cap; bad filters; two writers
 * on one ledger at once; an OOM loop. PostgreSQL only: connections cut
 * under the writer and the reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "ledger/ledger.h"
#include "ledger/migrate.h"
#include "ledger_test.h"
#include "pg_test.h"
#include "store_oracle.h"

static pg_test PG; /* the server of this program, started in main */

typedef struct store_fx {
    const c12_store_ops *ops;
    char target[1024]; /* the file, or the DSN */
    char db[32];       /* PostgreSQL: the database's name */
    char *path;        /* SQLite: db_path(), removed after */
} store_fx;

static int setup_sqlite(void **state)
{
    store_fx *fx = calloc(1, sizeof *fx);
    fx->ops = c12_ledger_store_find("sqlite");
    fx->path = db_path();
    snprintf(fx->target, sizeof fx->target, "%s", fx->path);
    *state = fx;
    return 0;
}

static int setup_pg(void **state)
{
    store_fx *fx = calloc(1, sizeof *fx);
    fx->ops = c12_ledger_store_find("postgresql");
    pg_test_db(&PG, fx->target, sizeof fx->target, fx->db, sizeof fx->db);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    store_fx *fx = *state;
    if (fx->path) rm_db(fx->path);
    free(fx);
    return 0;
}

static int is_pg(const store_fx *fx)
{
    return fx->ops->connects;
}

/* SQL straight to the database, around the store. */
static void raw_sql(store_fx *fx, const char *sql)
{
    if (is_pg(fx)) {
        pg_test_sql(&PG, fx->db, sql, NULL, 0);
        return;
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void *open_rw(store_fx *fx)
{
    void *s;
    int v;
    c12_err err;
    assert_int_equal(fx->ops->open(fx->target, 0, &s, &err), C12_OK);
    assert_int_equal(fx->ops->migrate(s, &v, &err), C12_OK);
    assert_int_equal(v, c12_migrate_latest());
    return s;
}

/* A ledger (queue and writer) on the fixture's store. */
static c12_ledger *open_ledger(store_fx *fx, int flush_ms)
{
    c12_ledger_cfg cfg;
    c12_ledger_cfg_defaults(&cfg);
    snprintf(cfg.store, sizeof cfg.store, "%s", fx->ops->name);
    if (is_pg(fx)) {
        snprintf(cfg.dsn_env, sizeof cfg.dsn_env, "C12_TEST_LEDGER_DSN");
        setenv(cfg.dsn_env, fx->target, 1);
    } else {
        snprintf(cfg.target, sizeof cfg.target, "%s", fx->target);
    }
    cfg.flush_ms = flush_ms;
    cfg.batch_max = 16;
    cfg.block_ms = 30000;
    c12_ledger *l;
    c12_err err;
    assert_int_equal(c12_ledger_open(&cfg, &l, &err), C12_OK);
    return l;
}

static int64_t count(store_fx *fx, void *s)
{
    c12_ledger_totals t = {0};
    c12_ledger_filter all = {0};
    c12_err err;
    assert_int_equal(fx->ops->query(s, &all, &t, &err), C12_OK);
    int64_t n = t.n ? t.t[0].requests : 0;
    c12_ledger_totals_free(&t);
    return n;
}

static void test_migrations(void **state)
{
    store_fx *fx = *state;
    void *s;
    c12_err err;
    int v = 0;
    assert_int_equal(fx->ops->open(fx->target, 1, &s, &err), C12_ERR_NOT_FOUND); /* no ledger yet */
    fx->ops->close(open_rw(fx));
    s = open_rw(fx); /* again: nothing left to apply */
    fx->ops->close(s);
    assert_int_equal(fx->ops->open(fx->target, 1, &s, &err), C12_OK);
    assert_int_equal(count(fx, s), 0);
    fx->ops->close(s);
    raw_sql(fx, "INSERT INTO schema_version VALUES (99, 0)"); /* a newer c12 wrote it */
    assert_int_equal(fx->ops->open(fx->target, 0, &s, &err), C12_OK);
    assert_int_equal(fx->ops->migrate(s, &v, &err), C12_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "schema version 99 is newer than this c12 knows"));
    fx->ops->close(s);
}

static void test_groups_match_oracle(void **state)
{
    store_fx *fx = *state;
    c12_ledger_row rows[ORACLE_ROWS];
    oracle_rows(rows);
    void *s = open_rw(fx);
    c12_err err;
    assert_int_equal(fx->ops->append(s, NULL, rows, ORACLE_ROWS, &err), C12_OK);
    static const int64_t WINDOWS[][2] = {{0, 0}, {T0 + 20 * 60000, T0 + DAY_MS}, {T0 + HOUR_MS, 0}};
    for (size_t w = 0; w < sizeof WINDOWS / sizeof WINDOWS[0]; w++)
        for (int by = 0; by < C12_LEDGER_BY_COUNT; by++)
            for (int by2 = 0; by2 < C12_LEDGER_BY_COUNT; by2++) {
                c12_ledger_filter f = {WINDOWS[w][0], WINDOWS[w][1], (c12_ledger_group)by, (c12_ledger_group)by2,
                                       45 * 60000};
                c12_ledger_totals got = {0}, want = {0};
                assert_int_equal(fx->ops->query(s, &f, &got, &err), C12_OK);
                oracle_query(rows, ORACLE_ROWS, &f, &want);
                oracle_compare(&got, &want, &f);
                c12_ledger_totals_free(&got);
                c12_ledger_totals_free(&want);
            }
    fx->ops->close(s);
}

static void test_rows_back(void **state)
{
    store_fx *fx = *state;
    c12_ledger_row rows[ORACLE_ROWS], got[ORACLE_ROWS + 1];
    oracle_rows(rows);
    void *s = open_rw(fx);
    c12_err err;
    assert_int_equal(fx->ops->append(s, NULL, rows, ORACLE_ROWS, &err), C12_OK);
    size_t n = 0;
    assert_int_equal(fx->ops->recent(s, 0, ORACLE_ROWS + 1, got, &n, &err), C12_OK);
    assert_int_equal(n, ORACLE_ROWS);
    size_t order[ORACLE_ROWS];
    oracle_newest_first(rows, ORACLE_ROWS, order);
    for (size_t i = 0; i < n; i++) assert_memory_equal(&got[i], &rows[order[i]], sizeof got[i]);
    assert_int_equal(fx->ops->recent(s, T0 + DAY_MS, 3, got, &n, &err), C12_OK);
    assert_true(n <= 3);
    for (size_t i = 0; i < n; i++) assert_true(got[i].time_ms >= T0 + DAY_MS);
    /* every row in append order, seven at a time */
    int64_t cursor = 0;
    size_t seen = 0;
    do {
        assert_int_equal(fx->ops->scan(s, &cursor, 7, got, &n, &err), C12_OK);
        for (size_t i = 0; i < n; i++) assert_memory_equal(&got[i], &rows[seen + i], sizeof got[i]);
        seen += n;
    } while (n == 7);
    assert_int_equal(seen, ORACLE_ROWS);
    fx->ops->close(s);
}

static void test_batch_ids(void **state)
{
    store_fx *fx = *state;
    c12_ledger_row rows[ORACLE_ROWS];
    oracle_rows(rows);
    void *s = open_rw(fx);
    c12_err err;
    assert_int_equal(fx->ops->append(s, "0123abcd-1", rows, 3, &err), C12_OK);
    assert_int_equal(fx->ops->append(s, "0123abcd-1", rows, 3, &err), C12_OK); /* a retry: nothing more */
    assert_int_equal(count(fx, s), 3);
    assert_int_equal(fx->ops->append(s, "0123abcd-2", rows, 3, &err), C12_OK);
    assert_int_equal(fx->ops->append(s, NULL, rows, 2, &err), C12_OK);
    assert_int_equal(fx->ops->append(s, "", rows, 2, &err), C12_OK); /* no id: always written */
    assert_int_equal(count(fx, s), 10);
    fx->ops->close(s);
}

static void test_group_cap_and_bad_filters(void **state)
{
    store_fx *fx = *state;
    enum { N = C12_LEDGER_GROUPS_MAX + 1 };
    c12_ledger_row *rows = calloc(N, sizeof *rows);
    for (int i = 0; i < N; i++) ledger_test_row(&rows[i], T0 + (int64_t)i * 1000, "m", "", "");
    void *s = open_rw(fx);
    c12_err err;
    assert_int_equal(fx->ops->append(s, NULL, rows, N, &err), C12_OK);
    free(rows);
    c12_ledger_totals t = {0};
    c12_ledger_filter f = {.by = C12_LEDGER_BY_STEP, .step_ms = 1000};
    assert_int_equal(fx->ops->query(s, &f, &t, &err), C12_ERR_RANGE);
    assert_null(t.t);
    f.step_ms = 2000;
    assert_int_equal(fx->ops->query(s, &f, &t, &err), C12_OK);
    assert_int_equal(t.n, N / 2 + 1);
    c12_ledger_totals_free(&t);
    static const c12_ledger_filter BAD[] = {{.by = C12_LEDGER_BY_STEP, .step_ms = 999},
                                            {.by2 = C12_LEDGER_BY_STEP},
                                            {.by = (c12_ledger_group)42},
                                            {.since_ms = -1}};
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        assert_int_equal(fx->ops->query(s, &BAD[i], &t, &err), C12_ERR_INVALID);
    assert_null(t.t);
    fx->ops->close(s);
}

/* Two ledgers (two processes, as far as the store can tell) on one store,
 * two threads each. */
static void test_two_writers(void **state)
{
    store_fx *fx = *state;
    c12_ledger *l[2] = {open_ledger(fx, 2), open_ledger(fx, 2)};
    enum { EACH = 400 };
    pthread_t th[4];
    ledger_producer pr[4];
    for (int i = 0; i < 4; i++) {
        pr[i] = (ledger_producer){l[i % 2], EACH, i * EACH, ledger_test_ab_row};
        pthread_create(&th[i], NULL, ledger_produce, &pr[i]);
    }
    for (int i = 0; i < 4; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    c12_err err;
    for (int i = 0; i < 2; i++) assert_int_equal(c12_ledger_close(l[i], &err), C12_OK);
    void *s = open_rw(fx);
    assert_int_equal(count(fx, s), 4 * EACH);
    fx->ops->close(s);
}

/* The server cuts every connection of the database (what a restart does)
 * while the writer and the reader hold theirs: both reconnect, and every
 * row is committed once. */
static void test_connections_cut(void **state)
{
    store_fx *fx = *state;
    c12_ledger *l = open_ledger(fx, 1);
    c12_err err;
    c12_ledger_row r;
    c12_ledger_filter all = {0};
    c12_ledger_totals t = {0};
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 50; i++) {
            ledger_test_row(&r, T0 + round * 100 + i, "m", "", "");
            assert_int_equal(c12_ledger_submit(l, &r, &err), C12_OK);
        }
        assert_int_equal(c12_ledger_flush(l, 20000, &err), C12_OK);
        assert_int_equal(c12_ledger_query(l, &all, &t, &err), C12_OK);
        assert_int_equal(t.t[0].requests, 50 * (round + 1));
        char sql[200], killed[32];
        snprintf(sql, sizeof sql,
                 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                 " WHERE datname = '%s' AND pid <> pg_backend_pid()", fx->db);
        pg_test_sql(&PG, fx->db, sql, killed, sizeof killed);
        assert_int_equal(atoi(killed), 2); /* the writer's and the reader's */
    }
    c12_ledger_stats st;
    c12_ledger_get_stats(l, &st);
    assert_int_equal(st.committed, 150);
    assert_int_equal(c12_ledger_close(l, &err), C12_OK);
    void *s = open_rw(fx);
    assert_int_equal(count(fx, s), 150);
    fx->ops->close(s);
    c12_ledger_totals_free(&t);
}

static void test_oom(void **state)
{
    store_fx *fx = *state;
    fx->ops->close(open_rw(fx));
    c12_ledger_row rows[4];
    oracle_rows_n(rows, 4);
    for (unsigned long n = 1; n < 40; n++) {
        void *s = NULL;
        int v;
        c12_err err;
        c12_ledger_totals t = {0};
        c12_ledger_filter f = {.by = C12_LEDGER_BY_MODEL};
        c12_alloc_fail_at(n, 0);
        c12_rc rc = fx->ops->open(fx->target, 0, &s, &err);
        if (rc == C12_OK) rc = fx->ops->migrate(s, &v, &err);
        if (rc == C12_OK) rc = fx->ops->append(s, NULL, rows, 4, &err);
        if (rc == C12_OK) rc = fx->ops->query(s, &f, &t, &err);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        assert_true(rc == C12_OK || (injected && rc == C12_ERR_NOMEM));
        c12_ledger_totals_free(&t);
        if (s) fx->ops->close(s);
    }
}

#define BOTH(f) {"sqlite: " #f, f, setup_sqlite, teardown, NULL}, {"postgresql: " #f, f, setup_pg, teardown, NULL}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_migrations),
        BOTH(test_groups_match_oracle),
        BOTH(test_rows_back),
        BOTH(test_batch_ids),
        BOTH(test_group_cap_and_bad_filters),
        BOTH(test_two_writers),
        BOTH(test_oom),
        {"postgresql: test_connections_cut", test_connections_cut, setup_pg, teardown, NULL},
    };
    pg_test_start(&PG);
    int failed = cmocka_run_group_tests_name("store_conformance", tests, NULL, NULL);
    pg_test_stop(&PG);
    return failed;
}
