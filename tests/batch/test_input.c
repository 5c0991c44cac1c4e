/* Unit tests for src/batch/input: good files line by line (blank lines,
 * CRLF, no final newline), each refusal naming its line, the body check
 * and the per-line callback, repeated custom_ids, the line cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_json.h"
#include "batch/input.h"

#define CHAT "{\"custom_id\": \"%s\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": %s}"
#define BODY "{\"model\": \"auto\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"

typedef struct got {
    size_t n, lines[8];
    char ids[8][16];
    char bodies[8][128];
} got;

static int collect(void *ud, size_t line, const char *id, c12_batch_endpoint e, const char *body, char *msg,
                   size_t cap)
{
    got *g = ud;
    if (g->n < 8) {
        g->lines[g->n] = line;
        snprintf(g->ids[g->n], 16, "%s", id);
        snprintf(g->bodies[g->n], 128, "%s", body);
    }
    g->n++;
    return 0;
}

static c12_rc read(const char *text, const c12_batch_input_rules *r, got *g, c12_batch_input_stats *st, c12_err *err)
{
    c12_batch_input_rules any = {.only_endpoint = -1};
    return c12_batch_input_read(text, strlen(text), r ? r : &any, g ? collect : NULL, g, st, err);
}

static void test_good_file(void **state)
{
    char f[1024];
    snprintf(f, sizeof f, CHAT "\n\n" CHAT "\r\n  \n{\"custom_id\": \"c\", \"method\": \"POST\", \"url\": \"/v1/completions\", "
             "\"body\": {\"model\": \"m\", \"prompt\": \"x\"}}", "a", BODY, "b", BODY);
    got g = {0};
    c12_batch_input_stats st;
    c12_err err;
    assert_int_equal(read(f, NULL, &g, &st, &err), C12_OK);
    assert_int_equal(st.lines, 3);
    assert_int_equal(st.by_endpoint[C12_BATCH_CHAT], 2);
    assert_int_equal(st.by_endpoint[C12_BATCH_COMPLETIONS], 1);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.lines[1], 3); /* numbered as the file's lines */
    assert_int_equal(g.lines[2], 5);
    assert_string_equal(g.ids[2], "c");
    assert_string_equal(g.bodies[2], "{\"model\":\"m\",\"prompt\":\"x\"}");
    assert_string_equal(c12_batch_endpoint_url(C12_BATCH_COMPLETIONS), "/v1/completions");
    assert_int_equal(c12_batch_endpoint_parse("/v1/embeddings"), -1);
}

static void test_each_refusal_names_its_line(void **state)
{
    char good[256];
    snprintf(good, sizeof good, CHAT, "ok", BODY);
    const struct {
        const char *line, *says;
    } bad[] = {
        {"{\"custom_id\": \"x\"", "line 2: malformed JSON"},
        {"[1]", "line 2: not a JSON object"},
        {"{\"method\": \"POST\", \"url\": \"/v1/completions\", \"body\": {}}", "line 2: \"custom_id\""},
        {"{\"custom_id\": \"\", \"method\": \"POST\", \"url\": \"/v1/completions\", \"body\": {}}", "non-empty"},
        {"{\"custom_id\": \"x\", \"method\": \"GET\", \"url\": \"/v1/completions\", \"body\": {}}", "\"method\""},
        {"{\"custom_id\": \"x\", \"method\": \"POST\", \"url\": \"/v1/embeddings\", \"body\": {}}", "line 2: \"url\""},
        {"{\"custom_id\": \"x\", \"method\": \"POST\", \"url\": \"/v1/completions\", \"body\": \"hi\"}", "\"body\" must"},
        {"{\"custom_id\": \"ok\", \"method\": \"POST\", \"url\": \"/v1/completions\", \"body\": {}}",
         "line 2: \"custom_id\" \"ok\" was used on line 1"},
        {"{\"custom_id\": \"x\", \"custom_id\": \"y\", \"method\": \"POST\", \"url\": \"/v1/completions\", \"body\": {}}",
         "line 2: malformed JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char f[1024];
        snprintf(f, sizeof f, "%s\n%s\n", good, bad[i].line);
        c12_batch_input_stats st;
        c12_err err;
        if (read(f, NULL, NULL, &st, &err) != C12_ERR_FORMAT || !strstr(err.msg, bad[i].says))
            fail_msg("case %zu: '%s', wanted '%s'", i, err.msg, bad[i].says);
    }
    c12_batch_input_stats st;
    c12_err err;
    assert_int_equal(read("\n  \n", NULL, NULL, &st, &err), C12_ERR_INVALID);
}

static int no_bogus(void *ctx, c12_batch_endpoint e, const char *body, size_t len, char *msg, size_t cap)
{
    if (!strstr(body, "bogus")) return 0;
    snprintf(msg, cap, "model 'bogus' is not served");
    return 1;
}

static void test_rules(void **state)
{
    char f[2048];
    snprintf(f, sizeof f, CHAT "\n" CHAT "\n" CHAT "\n", "a", BODY, "b", "{\"model\": \"bogus\"}", "c", BODY);
    c12_batch_input_rules r = {.only_endpoint = -1, .check_body = no_bogus};
    c12_batch_input_stats st;
    c12_err err;
    assert_int_equal(read(f, &r, NULL, &st, &err), C12_ERR_FORMAT);
    assert_string_equal(err.msg, "line 2: model 'bogus' is not served");
    r.check_body = NULL;
    r.max_lines = 2;
    assert_int_equal(read(f, &r, NULL, &st, &err), C12_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "line 3: more than 2 requests"));
    r.max_lines = 0;
    r.only_endpoint = C12_BATCH_COMPLETIONS;
    assert_int_equal(read(f, &r, NULL, &st, &err), C12_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "line 1: \"url\" is /v1/chat/completions, but the batch's endpoint is /v1/completions"));
}

int main(void)
{
    c12_json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_each_refusal_names_its_line),
        cmocka_unit_test(test_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
