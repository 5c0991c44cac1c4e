/* Unit tests for src/batch/bstore: files (put, get, read, list newest
 * first with paging, delete), a batch created over an input file with its
 * lines queued, lines answered once each in order, the batch's row written
 * with them, a refused input leaving nothing behind, and all of it found
 * again after the store is closed and opened (a restart). The store-level
 * tests run against both implementations: SQLite in a folder, and
 * PostgreSQL on a throw-away server (scripts/pg_scratch.sh, skipped with a
 * note where PostgreSQL's server is not installed), where two stores on one
 * database also show that only one gateway holds a batch's claim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "base/c12_json.h"
#include "batch/bstore.h"

#define LINE(id) "{\"custom_id\": \"" id "\", \"method\": \"POST\", \"url\": \"/v1/completions\", " \
                 "\"body\": {\"model\": \"auto\", \"prompt\": \"" id "\"}}\n"

static char dir[256];
static char dsn[512]; /* "": SQLite in dir */

static c12_bstore *open_store(void)
{
    c12_bstore *s = NULL;
    c12_err err;
    c12_rc rc = dsn[0] ? c12_bstore_open_pg(dsn, 0, &s, &err) : c12_bstore_open(dir, &s, &err);
    if (rc) fprintf(stderr, "open: %s\n", err.msg);
    assert_int_equal(rc, C12_OK);
    assert_string_equal(c12_bstore_kind(s), dsn[0] ? "postgresql" : "sqlite");
    return s;
}

static void test_files(void **state)
{
    c12_bstore *s = open_store();
    c12_err err;
    c12_bfile a = {.filename = "a.jsonl", .purpose = "batch", .owner = "key:1"}, b = a, got;
    assert_int_equal(c12_bstore_file_put(s, &a, "hello", 5, &err), C12_OK);
    snprintf(b.filename, sizeof b.filename, "b.jsonl");
    assert_int_equal(c12_bstore_file_put(s, &b, "", 0, &err), C12_OK);
    assert_true(!strncmp(a.id, "file-", 5) && strlen(a.id) == 29 && strcmp(a.id, b.id));
    assert_int_equal(c12_bstore_file_get(s, a.id, &got, &err), C12_OK);
    assert_string_equal(got.filename, "a.jsonl");
    assert_int_equal(got.bytes, 5);
    char *data;
    size_t len;
    assert_int_equal(c12_bstore_file_read(s, a.id, 100, &data, &len, &err), C12_OK);
    assert_true(len == 5 && !memcmp(data, "hello", 5));
    c12_free(data);
    c12_bfile list[4];
    size_t n;
    int more;
    assert_int_equal(c12_bstore_file_list(s, "key:1", NULL, NULL, 1, list, &n, &more, &err), C12_OK);
    assert_true(n == 1 && more && !strcmp(list[0].id, b.id)); /* newest first */
    assert_int_equal(c12_bstore_file_list(s, "key:1", NULL, list[0].id, 4, list, &n, &more, &err), C12_OK);
    assert_true(n == 1 && !more && !strcmp(list[0].id, a.id));
    assert_int_equal(c12_bstore_file_list(s, "key:1", "batch_output", NULL, 4, list, &n, &more, &err), C12_OK);
    assert_int_equal(n, 0);
    assert_int_equal(c12_bstore_file_delete(s, a.id, &err), C12_OK);
    assert_int_equal(c12_bstore_file_get(s, a.id, &got, &err), C12_ERR_NOT_FOUND);
    assert_int_equal(c12_bstore_file_delete(s, a.id, &err), C12_ERR_NOT_FOUND);
    c12_bstore_close(s);
}

static int collect(void *ud, const char *result)
{
    strcat(ud, result);
    strcat(ud, "|");
    return 0;
}

static void test_batch_lines_and_restart(void **state)
{
    c12_bstore *s = open_store();
    c12_err err;
    const char input[] = LINE("one") LINE("two") LINE("three");
    c12_batch_input_rules rules = {.only_endpoint = C12_BATCH_COMPLETIONS};
    c12_batch b = {.endpoint = C12_BATCH_COMPLETIONS, .status = C12_BATCH_IN_PROGRESS, .window_s = 3600};
    snprintf(b.metadata, sizeof b.metadata, "{\"k\":\"v\"}");
    assert_int_equal(c12_bstore_batch_create(s, &b, input, sizeof input - 1, &rules, &err), C12_OK);
    assert_true(!strncmp(b.id, "batch_", 6) && b.total == 3 && b.at.created > 0);
    /* a refused input: nothing is left behind */
    c12_batch bad = b;
    const char wrong[] = LINE("x") "{\"custom_id\": \"y\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": {}}\n";
    assert_int_equal(c12_bstore_batch_create(s, &bad, wrong, sizeof wrong - 1, &rules, &err), C12_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "line 2"));
    assert_int_equal(c12_bstore_batch_get(s, bad.id, &bad, &err), C12_ERR_NOT_FOUND);
    c12_bline l;
    assert_int_equal(c12_bstore_line_next(s, b.id, &l, &err), C12_OK);
    assert_true(l.idx == 0 && !strcmp(l.custom_id, "one") && strstr(l.body, "\"prompt\":\"one\""));
    c12_free(l.body);
    b.completed = 1;
    b.co2_g = 0.5;
    assert_int_equal(c12_bstore_line_done(s, &b, 0, 1, "{\"custom_id\":\"one\"}", &err), C12_OK);
    assert_int_equal(c12_bstore_line_done(s, &b, 0, 1, "again", &err), C12_ERR_INVALID); /* answered once */
    /* a restart: the first line stays answered, the others pending */
    c12_bstore_close(s);
    s = open_store();
    c12_batch again;
    assert_int_equal(c12_bstore_batch_get(s, b.id, &again, &err), C12_OK);
    assert_true(again.completed == 1 && again.co2_g == 0.5 && again.total == 3 && again.window_s == 3600);
    assert_string_equal(again.metadata, "{\"k\":\"v\"}");
    assert_int_equal(again.status, C12_BATCH_IN_PROGRESS);
    assert_int_equal(again.total - again.completed - again.failed, 2); /* pending */
    assert_int_equal(c12_bstore_line_next(s, b.id, &l, &err), C12_OK);
    assert_string_equal(l.custom_id, "two");
    c12_free(l.body);
    assert_int_equal(c12_bstore_line_done(s, &again, 2, 0, "{\"custom_id\":\"three\"}", &err), C12_OK);
    assert_int_equal(c12_bstore_line_done(s, &again, 1, 1, "{\"custom_id\":\"two\"}", &err), C12_OK);
    assert_int_equal(c12_bstore_line_next(s, b.id, &l, &err), C12_ERR_NOT_FOUND);
    char ok[256] = "", failed[256] = "";
    assert_int_equal(c12_bstore_lines_each(s, b.id, 1, collect, ok, &err), C12_OK);
    assert_int_equal(c12_bstore_lines_each(s, b.id, 0, collect, failed, &err), C12_OK);
    assert_string_equal(ok, "{\"custom_id\":\"one\"}|{\"custom_id\":\"two\"}|"); /* in line order */
    assert_string_equal(failed, "{\"custom_id\":\"three\"}|");
    char ids[4][C12_BATCH_ID_MAX];
    size_t n;
    assert_int_equal(c12_bstore_batch_active(s, ids, 4, &n, &err), C12_OK);
    assert_true(n == 1 && !strcmp(ids[0], b.id));
    again.status = C12_BATCH_COMPLETED;
    assert_int_equal(c12_bstore_batch_put(s, &again, C12_BATCH_IN_PROGRESS, &err), C12_OK);
    assert_int_equal(c12_bstore_batch_active(s, ids, 4, &n, &err), C12_OK);
    assert_int_equal(n, 0);
    c12_batch *list;
    int more;
    assert_int_equal(c12_bstore_batch_list(s, "", NULL, 10, &list, &n, &more, &err), C12_OK);
    assert_true(n == 1 && !more && list[0].status == C12_BATCH_COMPLETED);
    c12_free(list);
    c12_bstore_close(s);
}

/* A cancel while the runner holds an older copy: its writes cannot undo it. */
static void test_a_cancel_stands(void **state)
{
    c12_bstore *s = open_store();
    c12_err err;
    const char input[] = LINE("a") LINE("b");
    c12_batch_input_rules rules = {.only_endpoint = -1};
    c12_batch runner = {.endpoint = C12_BATCH_COMPLETIONS, .status = C12_BATCH_IN_PROGRESS}, api, got;
    assert_int_equal(c12_bstore_batch_create(s, &runner, input, sizeof input - 1, &rules, &err), C12_OK);
    api = runner;
    api.status = C12_BATCH_CANCELLING;
    assert_int_equal(c12_bstore_batch_put(s, &api, C12_BATCH_IN_PROGRESS, &err), C12_OK);
    /* the runner's line ends: its counters go in, the status stays */
    runner.completed = 1;
    assert_int_equal(c12_bstore_line_done(s, &runner, 0, 1, "{}", &err), C12_OK);
    assert_int_equal(c12_bstore_batch_get(s, runner.id, &got, &err), C12_OK);
    assert_true(got.status == C12_BATCH_CANCELLING && got.completed == 1);
    /* and its status write from what it read is refused */
    runner.planned_start_ms = 5;
    assert_int_equal(c12_bstore_batch_put(s, &runner, C12_BATCH_IN_PROGRESS, &err), C12_ERR_BUSY);
    assert_int_equal(c12_bstore_batch_get(s, runner.id, &got, &err), C12_OK);
    assert_true(got.status == C12_BATCH_CANCELLING && got.planned_start_ms == 0);
    c12_bstore_close(s);
}

static void test_names_and_windows(void **state)
{
    assert_string_equal(c12_batch_status_name(C12_BATCH_IN_PROGRESS), "in_progress");
    assert_int_equal(c12_batch_status_parse("cancelling"), C12_BATCH_CANCELLING);
    assert_int_equal(c12_batch_status_parse("done"), -1);
    assert_true(c12_batch_status_final(C12_BATCH_EXPIRED) && !c12_batch_status_final(C12_BATCH_FINALIZING));
    assert_int_equal(c12_batch_window_parse("24h"), 86400);
    assert_int_equal(c12_batch_window_parse("1m"), 60);
    assert_int_equal(c12_batch_window_parse("7d"), 7 * 86400);
    assert_int_equal(c12_batch_window_parse("90m"), 5400);
    assert_int_equal(c12_batch_window_parse("8d"), 0);
    assert_int_equal(c12_batch_window_parse("30s"), 0);
    assert_int_equal(c12_batch_window_parse("h"), 0);
    assert_int_equal(c12_batch_window_parse("-1h"), 0);
    assert_int_equal(c12_batch_window_parse("2hh"), 0);
}

/* Two gateways on one database: a batch's claim is one's at a time, taken
 * again without stacking, freed by a final status and by a closed
 * connection (a crash). */
static void test_claims(void **state)
{
    c12_bstore *a = open_store(), *b = open_store();
    c12_err err;
    const char input[] = LINE("c");
    c12_batch_input_rules rules = {.only_endpoint = -1};
    c12_batch x = {.endpoint = C12_BATCH_COMPLETIONS, .status = C12_BATCH_IN_PROGRESS}, y = x;
    assert_int_equal(c12_bstore_batch_create(a, &x, input, sizeof input - 1, &rules, &err), C12_OK);
    assert_int_equal(c12_bstore_batch_create(b, &y, input, sizeof input - 1, &rules, &err), C12_OK);
    assert_int_equal(c12_bstore_batch_claim(a, x.id, &err), C12_OK);
    assert_int_equal(c12_bstore_batch_claim(a, x.id, &err), C12_OK); /* again: still one hold */
    assert_int_equal(c12_bstore_batch_claim(b, x.id, &err), C12_ERR_BUSY);
    assert_int_equal(c12_bstore_batch_claim(b, y.id, &err), C12_OK);
    assert_int_equal(c12_bstore_batch_claim(a, y.id, &err), C12_ERR_BUSY);
    /* b sees a's batch and its file-less bytes alike */
    c12_batch got;
    assert_int_equal(c12_bstore_batch_get(b, x.id, &got, &err), C12_OK);
    assert_int_equal(got.total, 1);
    /* final: the claim goes (one unlock frees it: the second claim did not stack) */
    x.status = C12_BATCH_CANCELLED;
    assert_int_equal(c12_bstore_batch_put(a, &x, C12_BATCH_IN_PROGRESS, &err), C12_OK);
    assert_int_equal(c12_bstore_batch_claim(b, x.id, &err), C12_OK);
    /* b's connection ends, as by a crash: a takes y over */
    c12_bstore_close(b);
    assert_int_equal(c12_bstore_batch_claim(a, y.id, &err), C12_OK);
    /* a file put by one is read by another */
    c12_bfile f = {.filename = "x.jsonl", .purpose = "batch", .owner = "key:2"};
    assert_int_equal(c12_bstore_file_put(a, &f, "a\tb\\\n\0z", 8, &err), C12_OK);
    b = open_store();
    char *data;
    size_t len;
    assert_int_equal(c12_bstore_file_read(b, f.id, 100, &data, &len, &err), C12_OK);
    assert_true(len == 8 && !memcmp(data, "a\tb\\\n\0z", 8));
    c12_free(data);
    assert_int_equal(c12_bstore_file_read(b, f.id, 7, &data, &len, &err), C12_ERR_RANGE);
    c12_bstore_close(b);
    c12_bstore_close(a);
}

/* A throw-away PostgreSQL server in pgdir: its DSN into dsn, 0 if none. */
static int pg_start(const char *pgdir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "scripts/pg_scratch.sh start %s 2>/dev/null", pgdir);
    FILE *p = access("scripts/pg_scratch.sh", X_OK) == 0 ? popen(cmd, "r") : NULL;
    if (!p) return 0;
    int ok = fgets(dsn, sizeof dsn, p) != NULL;
    ok = pclose(p) == 0 && ok;
    dsn[strcspn(dsn, "\n")] = '\0';
    if (!ok) dsn[0] = '\0';
    return dsn[0] != '\0';
}

int main(void)
{
    c12_json_init();
    snprintf(dir, sizeof dir, "/tmp/c12-bstore-%d", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_batch_lines_and_restart),
        cmocka_unit_test(test_a_cancel_stands),
        cmocka_unit_test(test_names_and_windows),
    };
    int rc = cmocka_run_group_tests_name("bstore sqlite", tests, NULL, NULL);
    char cmd[600], pgdir[] = "/tmp/c12-bstore-pg-XXXXXX";
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) rc = 1;
    if (mkdtemp(pgdir) && pg_start(pgdir)) {
        const struct CMUnitTest pg[] = {
            cmocka_unit_test(test_files),
            cmocka_unit_test(test_batch_lines_and_restart),
            cmocka_unit_test(test_a_cancel_stands),
            cmocka_unit_test(test_claims),
        };
        rc |= cmocka_run_group_tests_name("bstore postgresql", pg, NULL, NULL);
        snprintf(cmd, sizeof cmd, "scripts/pg_scratch.sh stop %s >/dev/null", pgdir);
        if (system(cmd)) rc = 1;
    } else {
        printf("bstore postgresql: skipped (no PostgreSQL server here: scripts/deps.sh --test)\n");
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", pgdir);
    if (system(cmd)) rc = 1;
    return rc;
}
