/* Unit tests for the grounded rows of eval-quality (src/quality: tasks.c
 * and answer.c): a row's kind from its category, the prompt (the text as a
 * user sends it; "Question: ...\nAnswer:" for a base model), the scored
 * span, when generation may stop, matching a key span anywhere as whole
 * tokens, and every allocation failing cleanly. */
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
#include "quality/quality.h"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_kind_from_category(void **state)
{
    char path[] = "/tmp/c12-test-grounded-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "{\"text\": \"Who?\\n\\nAda wrote it.\", \"answers\": [\"Ada\"], \"category\": \"closed_qa\"}\n"
                     "{\"text\": \"q\", \"answers\": [\"a\"], \"category\": \"information_extraction\"}\n"
                     "{\"text\": \"q\", \"answers\": [\"a\"], \"category\": \"summarization\"}\n"
                     "{\"text\": \"q\", \"answers\": [\"a\"], \"category\": \"open_qa\"}\n"
                     "{\"text\": \"q\", \"answers\": [\"a\"], \"category\": 7}\n"
                     "{\"text\": \"q\", \"answers\": [\"a\"]}\n"
                     "{\"text\": \"t\", \"test_list\": [\"assert 1\"], \"category\": \"closed_qa\"}\n");
    c12_quality_tasks ts;
    c12_err err;
    assert_int_equal(c12_quality_load(path, 0, &ts, &err), C12_OK);
    assert_int_equal(ts.n, 7);
    const c12_quality_kind want[] = {C12_QUALITY_GROUNDED, C12_QUALITY_GROUNDED, C12_QUALITY_GROUNDED,
                                     C12_QUALITY_ANSWER,   C12_QUALITY_ANSWER,   C12_QUALITY_ANSWER,
                                     C12_QUALITY_CODE};
    for (size_t i = 0; i < ts.n; i++) assert_int_equal(ts.t[i].kind, want[i]);
    assert_string_equal(ts.t[0].category, "closed_qa");
    assert_string_equal(ts.t[2].category, "summarization");
    assert_null(ts.t[3].category);
    assert_null(ts.t[6].category);
    c12_quality_free(&ts);
    unlink(path);
}

static void test_prompt_span_done(void **state)
{
    c12_quality_task t = {.kind = C12_QUALITY_GROUNDED, .task_id = -1, .text = "Who wrote it?\n\nAda wrote it."};
    c12_buf b;
    c12_err err;
    c12_buf_init(&b, 0);
    assert_int_equal(c12_quality_grounded_prompt(&t, 0, &b, &err), C12_OK);
    assert_string_equal(b.data, t.text); /* the user's prompt, nothing added */
    c12_buf_reset(&b);
    assert_int_equal(c12_quality_grounded_prompt(&t, 1, &b, &err), C12_OK);
    assert_string_equal(b.data, "Question: Who wrote it?\n\nAda wrote it.\nAnswer:");
    c12_buf_free(&b);

    const char *reply = "Ada wrote it.\n\nShe was a poet.";
    size_t off, n;
    c12_quality_grounded_span(reply, strlen(reply), 0, &off, &n);
    assert_true(off == 0 && n == strlen(reply)); /* chat: the whole reply */
    c12_quality_grounded_span(reply, strlen(reply), 1, &off, &n);
    assert_true(off == 0 && n == strlen("Ada wrote it.")); /* base model: its first line */

    assert_false(c12_quality_grounded_done(reply, strlen(reply), 0)); /* a chat reply runs to its end */
    assert_true(c12_quality_grounded_done(" Ada.\n", 6, 1));
    assert_false(c12_quality_grounded_done(" Ada", 4, 1));
}

static int match(const char *reply, int completion, const char *a1, const char *a2)
{
    char *answers[] = {(char *)a1, (char *)a2};
    int ok = -1;
    c12_err err;
    assert_int_equal(c12_quality_match_grounded(reply, strlen(reply), completion, answers, a2 ? 2 : 1, &ok, &err),
                     C12_OK);
    return ok;
}

static void test_match_anywhere(void **state)
{
    assert_true(match("Colnago worked with Ferrari to develop carbon fiber.", 0, "Ferrari", NULL));
    assert_true(match("The owners:\n- Force 10 Hoops LLC (2008-present)\n", 0, "Force 10 Hoops", NULL));
    assert_true(match("At least 125,284 people, in 75 sites.", 0, "125,284", NULL)); /* a later number is fine */
    assert_true(match("It was launched in January 1918.", 0, "1918", NULL));
    assert_true(match("City won: Sergio Ag\xc3\xbc" "ero scored.", 0, "Aguero", "Ag\xc3\xbc" "ero"));
    assert_true(match("The band is called LIT.", 0, "Lit", NULL));
    assert_false(match("The band is called Little Feat.", 0, "Lit", NULL)); /* whole tokens */
    assert_false(match("About 4,0001 people.", 0, "4,000", NULL));
    assert_false(match("Colnago worked with Fiat.", 0, "Ferrari", NULL));
    assert_false(match("", 0, "Ferrari", NULL));
    /* a base model's reply is its first line */
    assert_true(match(" Ferrari.\nQuestion: ...", 1, "Ferrari", NULL));
    assert_false(match(" Fiat.\nFerrari", 1, "Ferrari", NULL));
}

/* Matching allocates its normalised copies: each failure is C12_ERR_NOMEM,
 * with nothing leaked (ASan). */
static void test_allocation_failures(void **state)
{
    char *answers[] = {"Island Pond"};
    const char *reply = "They make maple products in Island Pond, Vermont.";
    int ok = 0;
    c12_err err;
    c12_alloc_fail_at(0, 0);
    assert_int_equal(c12_quality_match_grounded(reply, strlen(reply), 0, answers, 1, &ok, &err), C12_OK);
    unsigned long n = c12_alloc_fail_at(0, 0);
    assert_true(ok && n > 0);
    for (unsigned long i = 1; i <= n; i++) {
        c12_alloc_fail_at(i, 1);
        c12_rc rc = c12_quality_match_grounded(reply, strlen(reply), 0, answers, 1, &ok, &err);
        c12_alloc_fail_at(0, 0);
        assert_int_equal(rc, C12_ERR_NOMEM);
        assert_false(ok);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_from_category),
        cmocka_unit_test(test_prompt_span_done),
        cmocka_unit_test(test_match_anywhere),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
