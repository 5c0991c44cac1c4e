/* Unit tests for the ledger's reads: every grouping (key, user, hour, step
 * buckets), until, a second grouping, the group cap, recent rows newest
 * first, the migration of a version-1 database (the API key label moves out
 * of `user`), and reading through an open ledger while its writer commits. */
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

#include "ledger/ledger.h"
#include "ledger/migrate.h"
#include "ledger_test.h"

/* The rows the grouping tests read: 2026-01-01 00:10, 00:20, 01:05, 01:50
 * and 2026-01-02 00:00. */
static void *open_filled(char *path)
{
    const c12_store_ops *ops = c12_ledger_store_find("sqlite");
    void *s;
    c12_err err;
    int v;
    assert_int_equal(ops->open(path, 0, &s, &err), C12_OK);
    assert_int_equal(ops->migrate(s, &v, &err), C12_OK);
    c12_ledger_row rows[5];
    ledger_test_row(&rows[0], T0 + 10 * 60000, "qwen", "key:bbbb", "zoe");
    ledger_test_row(&rows[1], T0 + 20 * 60000, "smol", "key:aaaa", "");
    ledger_test_row(&rows[2], T0 + 65 * 60000, "smol", "key:aaaa", "adam");
    ledger_test_row(&rows[3], T0 + 110 * 60000, "qwen", "", "zoe");
    ledger_test_row(&rows[4], T0 + DAY_MS, "smol", "key:bbbb", "adam");
    assert_int_equal(ops->append(s, NULL, rows, 5, &err), C12_OK);
    return s;
}

static c12_ledger_totals q(void *s, c12_ledger_filter f)
{
    c12_ledger_totals t = {0};
    c12_err err;
    assert_int_equal(c12_ledger_store_find("sqlite")->query(s, &f, &t, &err), C12_OK);
    return t;
}

static void test_text_groups(void **state)
{
    (void)state;
    char *p = db_path();
    void *s = open_filled(p);
    c12_ledger_totals t = q(s, (c12_ledger_filter){.by = C12_LEDGER_BY_KEY});
    assert_int_equal(t.n, 3); /* keys ascending, the keyless row under "" */
    assert_string_equal(t.t[0].key, "");
    assert_string_equal(t.t[1].key, "key:aaaa");
    assert_int_equal(t.t[1].requests, 2);
    assert_string_equal(t.t[2].key, "key:bbbb");
    assert_int_equal(t.t[2].bucket_ms, 0);
    assert_string_equal(t.t[2].key2, "");
    c12_ledger_totals_free(&t);
    t = q(s, (c12_ledger_filter){.by = C12_LEDGER_BY_USER});
    assert_int_equal(t.n, 3);
    assert_string_equal(t.t[0].key, "");
    assert_string_equal(t.t[1].key, "adam");
    assert_int_equal(t.t[1].requests, 2);
    assert_string_equal(t.t[2].key, "zoe");
    assert_int_equal(t.t[2].prompt_tokens, 20);
    /* the counterfactual's sums: tokens x intensity x PUE */
    assert_float_equal(t.t[2].prompt_tok_gkwh, 20 * 100 * 1.5, 1e-9);
    assert_float_equal(t.t[2].completion_tok_gkwh, 10 * 100 * 1.5, 1e-9);
    c12_ledger_totals_free(&t);
    c12_ledger_store_find("sqlite")->close(s);
    rm_db(p);
}

static void test_time_groups_and_until(void **state)
{
    (void)state;
    char *p = db_path();
    void *s = open_filled(p);
    c12_ledger_totals t = q(s, (c12_ledger_filter){.by = C12_LEDGER_BY_HOUR});
    assert_int_equal(t.n, 3);
    assert_string_equal(t.t[0].key, "2026-01-01T00:00Z");
    assert_int_equal(t.t[0].bucket_ms, T0);
    assert_int_equal(t.t[0].requests, 2);
    assert_string_equal(t.t[1].key, "2026-01-01T01:00Z");
    assert_int_equal(t.t[1].bucket_ms, T0 + HOUR_MS);
    assert_string_equal(t.t[2].key, "2026-01-02T00:00Z");
    c12_ledger_totals_free(&t);
    /* until is exclusive: the 01:50 row is out at 01:50, in at 01:50:00.001 */
    t = q(s, (c12_ledger_filter){.since_ms = T0 + 20 * 60000, .until_ms = T0 + 110 * 60000});
    assert_int_equal(t.n, 1);
    assert_int_equal(t.t[0].requests, 2);
    c12_ledger_totals_free(&t);
    t = q(s, (c12_ledger_filter){.since_ms = T0 + 20 * 60000, .until_ms = T0 + 110 * 60000 + 1});
    assert_int_equal(t.t[0].requests, 3);
    c12_ledger_totals_free(&t);
    /* 45-minute steps from the epoch: 00:00, 00:45 (01:05), 01:30 (01:50), and the next day */
    t = q(s, (c12_ledger_filter){.by = C12_LEDGER_BY_STEP, .step_ms = 45 * 60000});
    assert_int_equal(t.n, 4);
    assert_string_equal(t.t[1].key, "2026-01-01T00:45:00Z");
    assert_int_equal(t.t[1].bucket_ms, T0 + 45 * 60000);
    assert_string_equal(t.t[2].key, "2026-01-01T01:30:00Z");
    assert_int_equal(t.t[3].bucket_ms, T0 + DAY_MS);
    c12_ledger_totals_free(&t);
    t = q(s, (c12_ledger_filter){.by = C12_LEDGER_BY_DAY, .until_ms = T0 + DAY_MS});
    assert_int_equal(t.n, 1);
    assert_string_equal(t.t[0].key, "2026-01-01");
    assert_int_equal(t.t[0].requests, 4);
    c12_ledger_totals_free(&t);
    c12_ledger_store_find("sqlite")->close(s);
    rm_db(p);
}

static void test_second_grouping(void **state)
{
    (void)state;
    char *p = db_path();
    void *s = open_filled(p);
    /* by model, then by hour: the dashboard's series per model */
    c12_ledger_totals t = q(s, (c12_ledger_filter){.by = C12_LEDGER_BY_MODEL, .by2 = C12_LEDGER_BY_HOUR});
    assert_int_equal(t.n, 5); /* qwen: 00h, 01h; smol: 00h, 01h, the next day */
    assert_string_equal(t.t[0].key, "qwen");
    assert_string_equal(t.t[0].key2, "2026-01-01T00:00Z");
    assert_int_equal(t.t[0].bucket_ms, T0); /* by2's bucket when by has none */
    assert_string_equal(t.t[1].key2, "2026-01-01T01:00Z");
    assert_string_equal(t.t[2].key, "smol");
    assert_string_equal(t.t[2].key2, "2026-01-01T00:00Z");
    assert_int_equal(t.t[2].requests, 1);
    assert_string_equal(t.t[4].key2, "2026-01-02T00:00Z");
    assert_int_equal(t.t[4].bucket_ms, T0 + DAY_MS);
    c12_ledger_totals_free(&t);
    /* by day, then by user: time order first, users ascending within */
    t = q(s, (c12_ledger_filter){.by = C12_LEDGER_BY_DAY, .by2 = C12_LEDGER_BY_USER});
    assert_int_equal(t.n, 4);
    assert_string_equal(t.t[0].key2, "");
    assert_string_equal(t.t[1].key2, "adam");
    assert_string_equal(t.t[2].key2, "zoe");
    assert_int_equal(t.t[2].requests, 2);
    assert_string_equal(t.t[3].key, "2026-01-02");
    assert_int_equal(t.t[3].bucket_ms, T0 + DAY_MS);
    c12_ledger_totals_free(&t);
    c12_ledger_store_find("sqlite")->close(s);
    rm_db(p);
}

static void test_bad_filters(void **state)
{
    (void)state;
    char *p = db_path();
    void *s = open_filled(p);
    const c12_store_ops *ops = c12_ledger_store_find("sqlite");
    c12_ledger_totals t = {0};
    c12_err err;
    c12_ledger_filter f = {.by = C12_LEDGER_BY_STEP, .step_ms = 999};
    assert_int_equal(ops->query(s, &f, &t, &err), C12_ERR_INVALID);
    assert_non_null(strstr(err.msg, "999"));
    f = (c12_ledger_filter){.by2 = C12_LEDGER_BY_STEP};
    assert_int_equal(ops->query(s, &f, &t, &err), C12_ERR_INVALID);
    f = (c12_ledger_filter){.by = (c12_ledger_group)42};
    assert_int_equal(ops->query(s, &f, &t, &err), C12_ERR_INVALID);
    f = (c12_ledger_filter){.since_ms = -1};
    assert_int_equal(ops->query(s, &f, &t, &err), C12_ERR_INVALID);
    assert_null(t.t);
    ops->close(s);
    rm_db(p);
}

static void test_group_cap(void **state)
{
    (void)state;
    char *p = db_path();
    const c12_store_ops *ops;
    c12_err err;
    void *s = open_store(p, &ops);
    enum { N = C12_LEDGER_GROUPS_MAX + 1 };
    c12_ledger_row *rows = calloc(N, sizeof *rows);
    for (int i = 0; i < N; i++) ledger_test_row(&rows[i], T0 + (int64_t)i * 1000, "m", "", "");
    assert_int_equal(ops->append(s, NULL, rows, N, &err), C12_OK);
    free(rows);
    c12_ledger_totals t = {0};
    c12_ledger_filter f = {.by = C12_LEDGER_BY_STEP, .step_ms = 1000};
    assert_int_equal(ops->query(s, &f, &t, &err), C12_ERR_RANGE);
    assert_null(t.t);
    f.step_ms = 2000; /* half as many buckets */
    assert_int_equal(ops->query(s, &f, &t, &err), C12_OK);
    assert_int_equal(t.n, N / 2 + 1);
    c12_ledger_totals_free(&t);
    ops->close(s);
    rm_db(p);
}

static void test_recent(void **state)
{
    (void)state;
    char *p = db_path();
    void *s = open_filled(p);
    const c12_store_ops *ops = c12_ledger_store_find("sqlite");
    c12_ledger_row rows[8];
    size_t n = 99;
    c12_err err;
    assert_int_equal(ops->recent(s, 0, 8, rows, &n, &err), C12_OK);
    assert_int_equal(n, 5);
    assert_int_equal(rows[0].time_ms, T0 + DAY_MS); /* newest first */
    assert_int_equal(rows[4].time_ms, T0 + 10 * 60000);
    for (size_t i = 1; i < n; i++) assert_true(rows[i - 1].time_ms >= rows[i].time_ms);
    assert_string_equal(rows[0].user, "adam");
    assert_string_equal(rows[0].api_key, "key:bbbb");
    assert_string_equal(rows[0].model, "smol");
    assert_string_equal(rows[0].status, "ok");
    assert_int_equal(rows[0].prompt_tokens, 10);
    assert_float_equal(rows[0].pue, 1.5, 1e-12);
    assert_int_equal(ops->recent(s, 0, 2, rows, &n, &err), C12_OK); /* the limit */
    assert_int_equal(n, 2);
    assert_int_equal(rows[1].time_ms, T0 + 110 * 60000);
    assert_int_equal(ops->recent(s, T0 + 65 * 60000, 8, rows, &n, &err), C12_OK); /* since */
    assert_int_equal(n, 3);
    assert_int_equal(ops->recent(s, 0, 0, rows, &n, &err), C12_OK);
    assert_int_equal(n, 0);
    ops->close(s);
    rm_db(p);
}

/* A database as c12 wrote it before migration 2: `user` held the key's
 * label, "/" and the request's user. */
static void test_migrate_from_v1(void **state)
{
    (void)state;
    char *p = db_path();
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    const char *v1 =
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL);"
        "INSERT INTO schema_version VALUES (1, 0);"
        "CREATE TABLE requests (id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL,"
        " request_id TEXT NOT NULL DEFAULT '', user TEXT NOT NULL DEFAULT '', model TEXT NOT NULL,"
        " category TEXT NOT NULL DEFAULT '', complexity REAL NOT NULL DEFAULT 0,"
        " prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,"
        " queue_ms REAL NOT NULL DEFAULT 0, ttft_ms REAL NOT NULL DEFAULT 0, total_ms REAL NOT NULL DEFAULT 0,"
        " energy_j REAL NOT NULL DEFAULT 0, energy_method TEXT NOT NULL DEFAULT '',"
        " intensity REAL NOT NULL DEFAULT 0, intensity_provider TEXT NOT NULL DEFAULT '',"
        " intensity_age_s REAL NOT NULL DEFAULT 0, pue REAL NOT NULL DEFAULT 1, co2_g REAL NOT NULL DEFAULT 0,"
        " route_reason TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'ok');"
        "CREATE INDEX requests_time ON requests(time_ms);"
        "INSERT INTO requests (time_ms, user, model) VALUES (1000, 'key:abcd1234/bob', 'm'),"
        " (2000, 'key:abcd1234', 'm'), (3000, 'alice', 'm'), (4000, '', 'm'), (5000, 'key:ffff0000/a/b', 'm');";
    assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    const c12_store_ops *ops = c12_ledger_store_find("sqlite");
    void *s;
    c12_err err;
    int v = 0;
    assert_int_equal(ops->open(p, 0, &s, &err), C12_OK);
    assert_int_equal(ops->migrate(s, &v, &err), C12_OK);
    assert_int_equal(v, c12_migrate_latest());
    c12_ledger_row rows[5];
    size_t n = 0;
    assert_int_equal(ops->recent(s, 0, 5, rows, &n, &err), C12_OK);
    assert_int_equal(n, 5);
    static const char *const KEY[] = {"key:ffff0000", "", "", "key:abcd1234", "key:abcd1234"};
    static const char *const USER[] = {"a/b", "", "alice", "", "bob"};
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(rows[i].api_key, KEY[i]);
        assert_string_equal(rows[i].user, USER[i]);
    }
    /* a new row goes on with both columns */
    c12_ledger_row r;
    ledger_test_row(&r, 6000, "m", "key:1", "u");
    assert_int_equal(ops->append(s, NULL, &r, 1, &err), C12_OK);
    c12_ledger_totals t = q(s, (c12_ledger_filter){.by = C12_LEDGER_BY_KEY});
    assert_int_equal(t.n, 4);
    assert_string_equal(t.t[1].key, "key:1");
    assert_string_equal(t.t[2].key, "key:abcd1234");
    assert_int_equal(t.t[2].requests, 2);
    c12_ledger_totals_free(&t);
    ops->close(s);
    assert_int_equal(ops->open(p, 0, &s, &err), C12_OK); /* applied once */
    assert_int_equal(ops->migrate(s, &v, &err), C12_OK);
    assert_int_equal(ops->recent(s, 0, 1, rows, &n, &err), C12_OK);
    assert_string_equal(rows[0].api_key, "key:1");
    ops->close(s);
    rm_db(p);
}

/* The server's reads: through the open ledger, while its writer commits. */
static void test_read_through_ledger(void **state)
{
    (void)state;
    char *p = db_path();
    c12_ledger_cfg cfg;
    c12_ledger_cfg_defaults(&cfg);
    snprintf(cfg.target, sizeof cfg.target, "%s", p);
    cfg.flush_ms = 1;
    cfg.batch_max = 8;
    cfg.block_ms = 10000;
    c12_ledger *l;
    c12_err err;
    assert_int_equal(c12_ledger_open(&cfg, &l, &err), C12_OK);
    ledger_producer w = {l, 2000, 0, ledger_test_ab_row};
    pthread_t th;
    pthread_create(&th, NULL, ledger_produce, &w);
    c12_ledger_filter f = {.by = C12_LEDGER_BY_MODEL};
    int64_t last = 0;
    for (int i = 0; i < 50; i++) { /* what is read only grows */
        c12_ledger_totals t = {0};
        assert_int_equal(c12_ledger_query(l, &f, &t, &err), C12_OK);
        int64_t seen = 0;
        for (size_t k = 0; k < t.n; k++) seen += t.t[k].requests;
        assert_true(seen >= last && seen <= 2000);
        last = seen;
        c12_ledger_totals_free(&t);
    }
    void *ret;
    pthread_join(th, &ret);
    assert_null(ret);
    assert_int_equal(c12_ledger_flush(l, 30000, &err), C12_OK);
    c12_ledger_totals t = {0};
    assert_int_equal(c12_ledger_query(l, &f, &t, &err), C12_OK);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.t[0].requests + t.t[1].requests, 2000);
    c12_ledger_totals_free(&t);
    c12_ledger_row rows[3];
    size_t n = 0;
    assert_int_equal(c12_ledger_recent(l, 0, 3, rows, &n, &err), C12_OK);
    assert_int_equal(n, 3);
    assert_int_equal(rows[0].time_ms, T0 + 1999);
    assert_int_equal(c12_ledger_close(l, &err), C12_OK);
    rm_db(p);
}

static void test_names_and_keys(void **state)
{
    (void)state;
    for (int g = 0; g < C12_LEDGER_BY_COUNT; g++)
        assert_int_equal(c12_ledger_group_parse(c12_ledger_group_name((c12_ledger_group)g)), g);
    assert_int_equal(c12_ledger_group_parse("week"), -1);
    assert_string_equal(c12_ledger_group_name(C12_LEDGER_BY_KEY), "key");
    char k[32];
    c12_ledger_bucket_key(C12_LEDGER_BY_DAY, T0 + DAY_MS, k, sizeof k);
    assert_string_equal(k, "2026-01-02");
    c12_ledger_bucket_key(C12_LEDGER_BY_HOUR, T0 + 13 * HOUR_MS, k, sizeof k);
    assert_string_equal(k, "2026-01-01T13:00Z");
    c12_ledger_bucket_key(C12_LEDGER_BY_STEP, T0 + 90500, k, sizeof k);
    assert_string_equal(k, "2026-01-01T00:01:30Z");
    c12_ledger_bucket_key(C12_LEDGER_BY_MODEL, T0, k, sizeof k);
    assert_string_equal(k, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_groups),     cmocka_unit_test(test_time_groups_and_until),
        cmocka_unit_test(test_second_grouping), cmocka_unit_test(test_bad_filters),
        cmocka_unit_test(test_group_cap),       cmocka_unit_test(test_recent),
        cmocka_unit_test(test_migrate_from_v1), cmocka_unit_test(test_read_through_ledger),
        cmocka_unit_test(test_names_and_keys),
    };
    return cmocka_run_group_tests_name("ledger_query", tests, NULL, NULL);
}
