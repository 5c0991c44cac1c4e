/* Unit tests for src/ledger: SQLite migrations (from empty, re-open, newer
 * schema), append and totals, the batch writer under several threads, drain
 * on close, a store that fails or stalls, committed rows surviving a crash,
 * and an OOM loop. Queries: test_ledger_query.c; the report: test_report.c. */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "ledger/ledger.h"
#include "ledger/migrate.h"
#include "ledger/report.h"
#include "ledger_test.h"

static void row(c12_ledger_row *r, int i)
{
    memset(r, 0, sizeof *r);
    r->time_ms = T0 + (i % 2) * DAY_MS;
    C12_LEDGER_SET(r->model, i % 3 ? "smollm2-135m" : "qwen2.5-coder-1.5b");
    C12_LEDGER_SET(r->category, i % 2 ? "code" : "general");
    r->prompt_tokens = 10;
    r->completion_tokens = 5;
    r->energy_j = 36;
    r->intensity = 100;
    r->pue = 1.0;
    r->co2_g = 0.001;
    r->total_ms = 500;
    C12_LEDGER_SET(r->status, i % 10 == 9 ? "error" : "ok");
}

static int64_t count_rows(const char *path)
{
    c12_ledger_totals t = {0};
    c12_err err;
    c12_ledger_filter all = {0};
    assert_int_equal(c12_ledger_query_file("sqlite", path, &all, &t, &err), C12_OK);
    int64_t n = t.n ? t.t[0].requests : 0;
    c12_ledger_totals_free(&t);
    return n;
}

static void test_migrations(void **state)
{
    (void)state;
    char *p = db_path();
    const c12_store_ops *ops = c12_ledger_store_find("sqlite");
    void *s;
    c12_err err;
    int v = 0;
    assert_int_equal(ops->open(p, 1, &s, &err), C12_ERR_NOT_FOUND);
    for (int pass = 0; pass < 2; pass++) { /* from empty, then re-open */
        assert_int_equal(ops->open(p, 0, &s, &err), C12_OK);
        assert_int_equal(ops->migrate(s, &v, &err), C12_OK);
        assert_int_equal(v, c12_migrate_latest());
        ops->close(s);
    }
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM schema_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), c12_migrate_latest());
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    /* a ledger from a newer c12 is refused, not altered */
    assert_int_equal(sqlite3_exec(db, "INSERT INTO schema_version VALUES (99, 0)", 0, 0, 0), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(ops->open(p, 0, &s, &err), C12_OK);
    assert_int_equal(ops->migrate(s, &v, &err), C12_ERR_UNSUPPORTED);
    ops->close(s);
    rm_db(p);
}

static void test_append_totals(void **state)
{
    (void)state;
    char *p = db_path();
    const c12_store_ops *ops;
    c12_err err;
    void *s = open_store(p, &ops);
    c12_ledger_row rows[30];
    for (int i = 0; i < 30; i++) row(&rows[i], i);
    assert_int_equal(ops->append(s, NULL, rows, 30, &err), C12_OK);
    c12_ledger_totals t = {0};
    c12_ledger_filter f = {.by = C12_LEDGER_BY_MODEL};
    assert_int_equal(ops->query(s, &f, &t, &err), C12_OK);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.t[0].key, "qwen2.5-coder-1.5b");
    assert_int_equal(t.t[0].requests, 10);
    assert_int_equal(t.t[1].requests, 20);
    assert_int_equal(t.t[1].prompt_tokens, 200);
    assert_float_equal(t.t[1].energy_j, 720, 1e-9);
    assert_float_equal(t.t[1].prompt_tok_gkwh, 200 * 100.0, 1e-9);
    f.by = C12_LEDGER_BY_DAY;
    assert_int_equal(ops->query(s, &f, &t, &err), C12_OK);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.t[0].key, "2026-01-01");
    assert_string_equal(t.t[1].key, "2026-01-02");
    f = (c12_ledger_filter){.since_ms = T0 + DAY_MS};
    assert_int_equal(ops->query(s, &f, &t, &err), C12_OK);
    assert_int_equal(t.t[0].requests, 15);
    f = (c12_ledger_filter){.by = C12_LEDGER_BY_CATEGORY};
    assert_int_equal(ops->query(s, &f, &t, &err), C12_OK);
    assert_string_equal(t.t[0].key, "code");
    assert_int_equal(t.t[0].errors + t.t[1].errors, 3);
    c12_ledger_totals_free(&t);
    ops->close(s);
    rm_db(p);
}

static void test_writer_threads(void **state)
{
    (void)state;
    char *p = db_path();
    c12_ledger_cfg cfg;
    c12_ledger_cfg_defaults(&cfg);
    snprintf(cfg.target, sizeof cfg.target, "%s", p);
    cfg.queue_cap = 64; /* small, so producers meet a full queue and wait */
    cfg.batch_max = 16;
    cfg.flush_ms = 5;
    cfg.block_ms = 10000;
    c12_ledger *l;
    c12_err err;
    assert_int_equal(c12_ledger_open(&cfg, &l, &err), C12_OK);
    enum { THREADS = 4, EACH = 1500 };
    pthread_t th[THREADS];
    ledger_producer pr[THREADS];
    for (int i = 0; i < THREADS; i++) {
        pr[i] = (ledger_producer){l, EACH, i * EACH, row};
        pthread_create(&th[i], NULL, ledger_produce, &pr[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    assert_int_equal(c12_ledger_flush(l, 30000, &err), C12_OK);
    c12_ledger_stats st;
    c12_ledger_get_stats(l, &st);
    assert_int_equal(st.accepted, THREADS * EACH);
    assert_int_equal(st.committed, THREADS * EACH);
    assert_int_equal(st.refused, 0);
    assert_int_equal(st.schema_version, c12_migrate_latest());
    assert_int_equal(c12_ledger_close(l, &err), C12_OK);
    assert_int_equal(count_rows(p), THREADS * EACH);
    rm_db(p);
}

static void test_drain_on_close(void **state)
{
    (void)state;
    char *p = db_path();
    c12_ledger_cfg cfg;
    c12_ledger_cfg_defaults(&cfg);
    snprintf(cfg.target, sizeof cfg.target, "%s", p);
    cfg.flush_ms = 60000; /* the writer would wait a minute: close must not */
    c12_ledger *l;
    c12_err err;
    assert_int_equal(c12_ledger_open(&cfg, &l, &err), C12_OK);
    for (int i = 0; i < 100; i++) {
        c12_ledger_row r;
        row(&r, i);
        assert_int_equal(c12_ledger_submit(l, &r, &err), C12_OK);
    }
    time_t t0 = time(NULL);
    assert_int_equal(c12_ledger_close(l, &err), C12_OK);
    assert_true(time(NULL) - t0 < 5);
    assert_int_equal(count_rows(p), 100);
    rm_db(p);
}

static void test_crash_keeps_committed(void **state)
{
    (void)state;
    char *p = db_path();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        c12_ledger_cfg cfg;
        c12_ledger_cfg_defaults(&cfg);
        snprintf(cfg.target, sizeof cfg.target, "%s", p);
        c12_ledger *l;
        c12_err err;
        if (c12_ledger_open(&cfg, &l, &err) != C12_OK) _exit(2);
        for (int i = 0; i < 50; i++) {
            c12_ledger_row r;
            row(&r, i);
            if (c12_ledger_submit(l, &r, &err) != C12_OK) _exit(3);
        }
        if (c12_ledger_flush(l, 10000, &err) != C12_OK) _exit(4);
        _exit(0); /* a crash: no close, no checkpoint */
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(count_rows(p), 50);
    /* and a writer opened after the crash goes on appending */
    c12_ledger_cfg cfg;
    c12_ledger_cfg_defaults(&cfg);
    snprintf(cfg.target, sizeof cfg.target, "%s", p);
    c12_ledger *l;
    c12_err err;
    assert_int_equal(c12_ledger_open(&cfg, &l, &err), C12_OK);
    c12_ledger_row r;
    row(&r, 1);
    assert_int_equal(c12_ledger_submit(l, &r, &err), C12_OK);
    assert_int_equal(c12_ledger_close(l, &err), C12_OK);
    assert_int_equal(count_rows(p), 51);
    rm_db(p);
}

/* ---- a fake store that fails the first `fail` appends, or stalls ---- */

typedef struct fake_store {
    pthread_mutex_t mu;
    int fail;        /* appends to fail; -1 = all */
    int stall_ms;
    size_t rows;
} fake_store;

static fake_store FAKE; /* one fake per test, reset by fake_reset */

static void fake_reset(int fail, int stall_ms)
{
    FAKE.fail = fail;
    FAKE.stall_ms = stall_ms;
    FAKE.rows = 0;
}

static c12_rc fake_open(const char *t, int ro, void **out, c12_err *err)
{
    *out = &FAKE;
    return C12_OK;
}

static c12_rc fake_migrate(void *self, int *v, c12_err *err)
{
    *v = 7;
    return C12_OK;
}

static c12_rc fake_append(void *self, const char *batch, const c12_ledger_row *rows, size_t n, c12_err *err)
{
    fake_store *f = self;
    if (f->stall_ms) usleep((useconds_t)f->stall_ms * 1000);
    pthread_mutex_lock(&f->mu);
    c12_rc rc = C12_OK;
    if (f->fail != 0) {
        if (f->fail > 0) f->fail--;
        rc = c12_fail(err, C12_ERR_IO, "disk full");
    } else {
        f->rows += n;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static void fake_close(void *self) {}

static const c12_store_ops FAKE_OPS = {
    .name = "fake", .open = fake_open, .migrate = fake_migrate, .append = fake_append, .close = fake_close};

static c12_ledger *open_fake(size_t cap, int block_ms)
{
    c12_ledger_cfg cfg;
    c12_ledger_cfg_defaults(&cfg);
    cfg.queue_cap = cap;
    cfg.flush_ms = 1;
    cfg.block_ms = block_ms;
    c12_ledger *l;
    c12_err err;
    assert_int_equal(c12_ledger_open_store(&FAKE_OPS, &cfg, &l, &err), C12_OK);
    return l;
}

static void test_store_retry(void **state)
{
    (void)state;
    pthread_mutex_init(&FAKE.mu, NULL);
    fake_reset(2, 0); /* two failures, then it works: nothing is lost */
    c12_ledger *l = open_fake(16, 100);
    c12_err err;
    c12_ledger_row r;
    row(&r, 0);
    for (int i = 0; i < 10; i++) assert_int_equal(c12_ledger_submit(l, &r, &err), C12_OK);
    assert_int_equal(c12_ledger_flush(l, 10000, &err), C12_OK);
    c12_ledger_stats st;
    c12_ledger_get_stats(l, &st);
    assert_true(st.commit_errors >= 2);
    assert_int_equal(st.committed, 10);
    assert_int_equal(c12_ledger_close(l, &err), C12_OK);
    assert_int_equal(FAKE.rows, 10);
    /* a store that never works: close gives up and says how many */
    fake_reset(-1, 0);
    l = open_fake(16, 100);
    for (int i = 0; i < 3; i++) assert_int_equal(c12_ledger_submit(l, &r, &err), C12_OK);
    assert_int_equal(c12_ledger_close(l, &err), C12_ERR_IO);
    assert_non_null(strstr(err.msg, "3 accepted rows"));
    assert_non_null(strstr(err.msg, "disk full"));
}

static void test_full_queue_reports(void **state)
{
    (void)state;
    fake_reset(0, 300); /* each commit takes 300 ms */
    c12_ledger *l = open_fake(2, 20);
    c12_err err;
    c12_ledger_row r;
    row(&r, 0);
    int busy = 0, ok = 0;
    for (int i = 0; i < 8; i++) {
        c12_rc rc = c12_ledger_submit(l, &r, &err);
        if (rc == C12_ERR_BUSY) busy++;
        if (rc == C12_OK) ok++;
    }
    assert_true(busy > 0);
    c12_ledger_stats st;
    c12_ledger_get_stats(l, &st);
    assert_int_equal(st.refused, busy);
    assert_int_equal(st.accepted, ok);
    assert_int_equal(c12_ledger_close(l, &err), C12_OK);
    assert_int_equal(FAKE.rows, ok); /* every accepted row reached the store */
    assert_int_equal(c12_ledger_submit(l = open_fake(2, 0), &r, &err), C12_OK);
    assert_int_equal(c12_ledger_close(l, &err), C12_OK);
}

static void test_set_truncates_utf8(void **state)
{
    (void)state;
    char small[6];
    c12_ledger_set(small, sizeof small, "ab\xc3\xa9\xc3\xa9"); /* "abéé": 6 bytes */
    assert_string_equal(small, "ab\xc3\xa9");
    c12_ledger_set(small, sizeof small, NULL);
    assert_string_equal(small, "");
}

static void test_cfg_keys(void **state)
{
    (void)state;
    c12_ledger_cfg c;
    c12_ledger_cfg_defaults(&c);
    c12_err err;
    assert_int_equal(c12_ledger_cfg_set(&c, "queue_cap", "128", &err), C12_OK);
    assert_int_equal(c.queue_cap, 128);
    assert_int_equal(c12_ledger_cfg_set(&c, "path", "/var/lib/c12/ledger.db", &err), C12_OK);
    assert_string_equal(c.target, "/var/lib/c12/ledger.db");
    assert_int_equal(c12_ledger_cfg_set(&c, "store", "sqlite", &err), C12_OK);
    assert_int_equal(c12_ledger_cfg_set(&c, "store", "postgresql", &err), C12_OK);
    assert_int_equal(c12_ledger_cfg_set(&c, "store", "oracle", &err), C12_ERR_INVALID);
    assert_string_equal(c.store, "postgresql");
    assert_string_equal(c.dsn_env, "C12_LEDGER_DSN");
    assert_int_equal(c12_ledger_cfg_set(&c, "dsn_env", "MY_PG_DSN", &err), C12_OK);
    assert_string_equal(c.dsn_env, "MY_PG_DSN");
    assert_int_equal(c12_ledger_cfg_set(&c, "dsn_env", "1X", &err), C12_ERR_INVALID);
    assert_int_equal(c12_ledger_cfg_set(&c, "dsn_env", "A-B", &err), C12_ERR_INVALID);
    /* the DSN holds a password: never from the file, and never echoed */
    assert_int_equal(c12_ledger_cfg_set(&c, "dsn", "host=db password=hunter2", &err), C12_ERR_INVALID);
    assert_non_null(strstr(err.msg, "environment"));
    assert_null(strstr(err.msg, "hunter2"));
    assert_int_equal(c12_ledger_cfg_set(&c, "queue_cap", "0", &err), C12_ERR_INVALID);
    assert_int_equal(c12_ledger_cfg_set(&c, "flush_ms", "ten", &err), C12_ERR_INVALID);
    assert_non_null(strstr(err.msg, "ledger.flush_ms"));
    assert_int_equal(c12_ledger_cfg_set(&c, "speed", "1", &err), C12_ERR_INVALID);
    assert_int_equal(c.queue_cap, 128);
}

static void test_oom(void **state)
{
    (void)state;
    char *p = db_path();
    c12_ledger_cfg cfg;
    c12_ledger_cfg_defaults(&cfg);
    snprintf(cfg.target, sizeof cfg.target, "%s", p);
    c12_ledger *first;
    c12_err ferr;
    assert_int_equal(c12_ledger_open(&cfg, &first, &ferr), C12_OK); /* the file exists */
    assert_int_equal(c12_ledger_close(first, &ferr), C12_OK);
    for (unsigned long n = 1; n < 30; n++) {
        c12_alloc_fail_at(n, 0);
        c12_ledger *l = NULL;
        c12_err err;
        c12_rc rc = c12_ledger_open(&cfg, &l, &err);
        c12_report rep;
        c12_ledger_filter f = {0};
        c12_rc rr = c12_report_load("sqlite", p, &f, &rep, &err);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        assert_true(rc == C12_OK || (injected && rc == C12_ERR_NOMEM));
        assert_true(rr == C12_OK || (injected && rr == C12_ERR_NOMEM));
        if (rr == C12_OK) c12_report_free(&rep);
        if (rc == C12_OK) {
            c12_ledger_row r;
            row(&r, (int)n);
            assert_int_equal(c12_ledger_submit(l, &r, &err), C12_OK);
            assert_int_equal(c12_ledger_close(l, &err), C12_OK);
        }
    }
    rm_db(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrations),      cmocka_unit_test(test_append_totals),
        cmocka_unit_test(test_writer_threads),  cmocka_unit_test(test_drain_on_close),
        cmocka_unit_test(test_crash_keeps_committed), cmocka_unit_test(test_store_retry),
        cmocka_unit_test(test_full_queue_reports), cmocka_unit_test(test_set_truncates_utf8),
        cmocka_unit_test(test_cfg_keys),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
