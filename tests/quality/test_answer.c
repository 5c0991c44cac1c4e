/* Unit tests for src/quality/answer.c: normalisation (case, punctuation,
 * thousands separators, decimals, number words, signs), where the final
 * answer sits in a reply, when generation may stop, whole-token matching,
 * loading {text, answers} rows, grounded rows (kind from the category, the
 * prompt as sent, the key span anywhere), and every allocation failing
 * cleanly. */
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

static void check_norm(const char *in, const char *want)
{
    c12_buf b;
    c12_buf_init(&b, 0);
    assert_int_equal(c12_quality_normalize(in, strlen(in), &b), C12_OK);
    assert_string_equal(b.data, want);
    c12_buf_free(&b);
}

static void test_normalize(void **state)
{
    check_norm("", " ");
    check_norm("  Canberra!  ", " canberra ");
    check_norm("The Pacific\tOcean.", " the pacific ocean ");
    check_norm("1,200 litres", " 1200 litres ");
    check_norm("604,800", " 604800 ");
    check_norm("1,000,000.", " 1000000 ");
    check_norm("14, 22, 35", " 14 22 35 ");        /* a list, not thousands */
    check_norm("1,2345", " 1 2345 ");              /* not a group of three */
    check_norm("$8.20", " 8.2 ");                  /* trailing decimal zeros */
    check_norm("12.0 and 0.50 and 007", " 12 and 0.5 and 7 ");
    check_norm("It is 48.", " it is 48 ");         /* a full stop is not a decimal point */
    check_norm("48km/h", " 48 km h ");
    check_norm("Six sides, TWELVE eggs, twenty-one", " 6 sides 12 eggs 20 1 ");
    check_norm("-5 and a-5 and 3 - 2", " -5 and a 5 and 3 2 ");
    check_norm("CO2, 12:35, 3/28", " co2 12 35 3 28 ");
    check_norm("caf\xc3\xa9 100\xc2\xb0" "C", " caf 100 c "); /* non-ASCII bytes separate */
}

static void span(const char *reply, int completion, const char *want)
{
    size_t off, n;
    c12_quality_answer_span(reply, strlen(reply), completion, &off, &n);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(reply + off, want, n);
}

static void test_answer_span(void **state)
{
    span("Let me think.\nAnswer: 42\n", 0, " 42");
    span("answer: 1\nNo wait.\n**Answer:** 7", 0, "** 7");        /* the last marker */
    span("So the final answer is 48 km.\nDone", 0, " 48 km.");
    span("Answer:\n\n  Canberra\n", 0, "  Canberra");               /* the next line */
    span("The final answer is:\n**\n\\boxed{6}", 0, "\\boxed{6}");
    span("First 10.\nThen it is 12.\n\n", 0, "Then it is 12.");    /* last line */
    span("1. Add them.\n4. Now divide the total by", 0, "Now divide the total by");
    span("Step 5: compute 3", 0, "compute 3");
    span("The answers are 3 and 4.", 0, "The answers are 3 and 4."); /* not a marker */
    span(" Canberra\nQuestion: What is", 1, " Canberra");          /* completion: first line */
    span("\n\n 12\nmore", 1, " 12");
    span("", 0, "");
    span("\n \n", 1, "");
}

static void test_reply_done(void **state)
{
    assert_true(c12_quality_has_answer_line("x\nThe final ANSWER is 4", 21));
    assert_false(c12_quality_has_answer_line("The answers: 4", 14));
    const char *r = "Answer: 4";
    assert_false(c12_quality_reply_done(r, strlen(r), 0));
    r = "Answer: 4\n";
    assert_true(c12_quality_reply_done(r, strlen(r), 0));
    r = "Answer:\n";
    assert_false(c12_quality_reply_done(r, strlen(r), 0));
    r = "So the final answer is:\n\n**\n"; /* no letter or digit yet */
    assert_false(c12_quality_reply_done(r, strlen(r), 0));
    r = "So the final answer is:\n\n\\boxed{Mercury}\n";
    assert_true(c12_quality_reply_done(r, strlen(r), 0));
    r = "Let us add.\n3 + 4 = 7\n";
    assert_false(c12_quality_reply_done(r, strlen(r), 0));
    r = " 7\n";
    assert_true(c12_quality_reply_done(r, strlen(r), 1));
    r = "\n 7";
    assert_false(c12_quality_reply_done(r, strlen(r), 1));
}

typedef c12_rc (*match_fn)(const char *reply, size_t len, int completion, char *const *answers, size_t n,
                           int *matched, c12_err *err);

static int match_by(match_fn fn, const char *reply, int completion, const char *a0, const char *a1)
{
    char *answers[] = {(char *)a0, (char *)a1};
    int ok = -1;
    c12_err err;
    assert_int_equal(fn(reply, strlen(reply), completion, answers, a1 ? 2 : 1, &ok, &err), C12_OK);
    return ok;
}

static int match(const char *reply, int completion, const char *a0, const char *a1)
{
    return match_by(c12_quality_match, reply, completion, a0, a1);
}

/* Grounded rows: the key span anywhere in the reply (a base model's: its first line). */
static int anywhere(const char *reply, int completion, const char *a0, const char *a1)
{
    return match_by(c12_quality_match_grounded, reply, completion, a0, a1);
}

static void test_match(void **state)
{
    assert_true(match("Answer: The capital is CANBERRA.", 0, "Canberra", NULL));
    assert_true(match("Answer: 1,331 dollars", 0, "1331", NULL));
    assert_true(match("Answer: $36.80", 0, "36.80", NULL));
    assert_true(match("Answer: 36.8", 0, "36.80", NULL));
    assert_true(match("Answer: six", 0, "6", NULL));
    assert_true(match("Answer: 12:35 p.m.", 0, "12:35", NULL));
    assert_true(match("Answer: 4pm", 0, "16:00", "4 pm"));
    assert_true(match("Answer: William Shakespeare", 0, "Shakespeare", NULL));
    assert_true(match("Answer: Leonardo da Vinci", 0, "da Vinci", "Leonardo"));
    assert_false(match("Answer: 148", 0, "48", NULL));          /* whole tokens only */
    assert_false(match("Answer: 4.8", 0, "48", NULL));
    assert_false(match("Answer: -30", 0, "30", NULL));
    assert_false(match("Answer: Vinci", 0, "da Vinci", NULL));
    assert_false(match("Answer: 6/56", 0, "3/28", NULL));
    /* only the answer span counts, not the working before it */
    assert_false(match("48 would be wrong.\nAnswer: 50", 0, "48", NULL));
    assert_true(match("We get 50, not 48.\n\nThe final answer is 48.", 0, "48", NULL));
    assert_false(match("3. Multiply by 4 to get the speed", 0, "3", NULL));
    assert_true(match(" Friday.\nQuestion: next", 1, "Friday", NULL));
    assert_false(match(" Thursday.\nFriday", 1, "Friday", NULL));
    assert_false(match("", 0, "yes", NULL));
    /* a number counts only when no other number follows it */
    assert_false(match("Answer: 1, 2, 3, 42, 43, 44", 0, "42", NULL));
    assert_false(match("Answer: 48 = 120 / 2.5", 0, "48", NULL));
    assert_true(match("Answer: 48, then 48", 0, "48", NULL));
    assert_true(match("Answer: 12:35 (after 2 h 50 min from 9:45) so 12:35", 0, "12:35", NULL));
    assert_true(match("Answer: No, since 91 = 7 x 13", 0, "no", NULL)); /* words: anywhere */
    assert_false(match("Answer: anything", 0, "!!", NULL));       /* an empty answer never matches */
}

static void test_prompt(void **state)
{
    c12_quality_task t = {.task_id = -1, .text = "What is 2 + 2?"};
    c12_buf b;
    c12_err err;
    c12_buf_init(&b, 0);
    assert_int_equal(c12_quality_answer_prompt(&t, 1, &b, &err), C12_OK);
    assert_string_equal(b.data, "Question: What is 2 + 2?\nAnswer:");
    c12_buf_reset(&b);
    assert_int_equal(c12_quality_answer_prompt(&t, 0, &b, &err), C12_OK);
    assert_non_null(strstr(b.data, "What is 2 + 2?"));
    assert_non_null(strstr(b.data, "\"Answer: <answer>\""));
    c12_buf_free(&b);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Rows written to a fresh temporary file and loaded; the file is removed. */
static c12_rc load_rows(const char *rows, c12_quality_tasks *ts, c12_err *err)
{
    char path[] = "/tmp/c12-test-answers-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, rows);
    c12_rc rc = c12_quality_load(path, 0, ts, err);
    unlink(path);
    return rc;
}

static void test_load_answers(void **state)
{
    c12_quality_tasks ts;
    c12_err err;
    assert_int_equal(load_rows("{\"text\": \"q1\", \"answers\": [\"a\", \"b\"]}\n"
                               "{\"task_id\": 11, \"text\": \"t\", \"test_list\": [\"assert 1\"]}\n",
                               &ts, &err),
                     C12_OK);
    assert_int_equal(ts.n, 2);
    assert_int_equal(ts.t[0].n_answers, 2);
    assert_string_equal(ts.t[0].answers[1], "b");
    assert_int_equal(ts.t[0].n_tests, 0);
    assert_int_equal(ts.t[1].n_answers, 0);
    c12_quality_free(&ts);
    const char *bad[] = {"{\"text\": \"q\", \"answers\": []}\n", "{\"text\": \"q\", \"answers\": [1]}\n",
                         "{\"text\": \"q\", \"answers\": [\"a\"], \"test_list\": [\"assert 1\"]}\n",
                         "{\"text\": \"q\", \"answers\": \"a\"}\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(load_rows(bad[i], &ts, &err), C12_ERR_FORMAT);
        assert_non_null(strstr(err.msg, ":1:"));
    }
}

static void test_grounded_rows(void **state)
{
    const char *rows =
        "{\"text\": \"Who?\\n\\nAda wrote it.\", \"answers\": [\"Ada\"], \"category\": \"closed_qa\"}\n"
        "{\"text\": \"q\", \"answers\": [\"a\"], \"category\": \"information_extraction\"}\n"
        "{\"text\": \"q\", \"answers\": [\"a\"], \"category\": \"summarization\"}\n"
        "{\"text\": \"q\", \"answers\": [\"a\"], \"category\": \"open_qa\"}\n"
        "{\"text\": \"q\", \"answers\": [\"a\"], \"category\": 7}\n"
        "{\"text\": \"t\", \"test_list\": [\"assert 1\"], \"category\": \"closed_qa\"}\n";
    c12_quality_tasks ts;
    c12_err err;
    assert_int_equal(load_rows(rows, &ts, &err), C12_OK);
    const c12_quality_kind want[] = {C12_QUALITY_GROUNDED, C12_QUALITY_GROUNDED, C12_QUALITY_GROUNDED,
                                     C12_QUALITY_ANSWER, C12_QUALITY_ANSWER, C12_QUALITY_CODE};
    assert_int_equal(ts.n, 6);
    for (size_t i = 0; i < ts.n; i++) assert_int_equal(ts.t[i].kind, want[i]);
    assert_string_equal(ts.t[0].category, "closed_qa");
    assert_null(ts.t[3].category);
    assert_null(ts.t[5].category);
    /* the prompt: the text as a user sends it; a base model's "Question: ...\nAnswer:" */
    c12_buf b;
    c12_buf_init(&b, 0);
    assert_int_equal(c12_quality_grounded_prompt(&ts.t[0], 0, &b, &err), C12_OK);
    assert_string_equal(b.data, "Who?\n\nAda wrote it.");
    c12_buf_reset(&b);
    assert_int_equal(c12_quality_grounded_prompt(&ts.t[0], 1, &b, &err), C12_OK);
    assert_string_equal(b.data, "Question: Who?\n\nAda wrote it.\nAnswer:");
    c12_buf_free(&b);
    c12_quality_free(&ts);
    /* what is scored and when generation stops: a chat reply whole, a base model's first line */
    const char *reply = "Ada wrote it.\n\nShe was a poet.";
    size_t off, n;
    c12_quality_grounded_span(reply, strlen(reply), 0, &off, &n);
    assert_true(off == 0 && n == strlen(reply));
    c12_quality_grounded_span(reply, strlen(reply), 1, &off, &n);
    assert_true(off == 0 && n == strlen("Ada wrote it."));
    assert_false(c12_quality_grounded_done(reply, strlen(reply), 0));
    assert_true(c12_quality_grounded_done(" Ada.\n", 6, 1));
    assert_false(c12_quality_grounded_done(" Ada", 4, 1));
}

static void test_grounded_match(void **state)
{
    assert_true(anywhere("Colnago worked with Ferrari to develop carbon fiber.", 0, "Ferrari", NULL));
    assert_true(anywhere("The owners:\n- Force 10 Hoops LLC (2008-present)\n", 0, "Force 10 Hoops", NULL));
    assert_true(anywhere("At least 125,284 people, in 75 sites.", 0, "125,284", NULL)); /* a later number is fine */
    assert_true(anywhere("City won: Sergio Ag\xc3\xbc" "ero scored.", 0, "Aguero", "Ag\xc3\xbc" "ero"));
    assert_true(anywhere("The band is called LIT.", 0, "Lit", NULL));
    assert_false(anywhere("The band is called Little Feat.", 0, "Lit", NULL)); /* whole tokens */
    assert_false(anywhere("About 4,0001 people.", 0, "4,000", NULL));
    assert_false(anywhere("Colnago worked with Fiat.", 0, "Ferrari", NULL));
    assert_false(anywhere("", 0, "Ferrari", NULL));
    assert_true(anywhere(" Ferrari.\nQuestion: ...", 1, "Ferrari", NULL));
    assert_false(anywhere(" Fiat.\nFerrari", 1, "Ferrari", NULL));
    /* the answer rows' rule differs: the answer line, the last number */
    assert_false(match("Colnago worked with Ferrari.\nAnswer: Fiat", 0, "Ferrari", NULL));
    assert_true(anywhere("Colnago worked with Ferrari.\nAnswer: Fiat", 0, "Ferrari", NULL));
}

/* Every allocation that matching and loading make may fail: each failure is
 * C12_ERR_NOMEM, with nothing leaked (ASan) and nothing half-built. */
static void test_allocation_failures(void **state)
{
    char path[] = "/tmp/c12-test-answers-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "{\"text\": \"q1\", \"answers\": [\"a\", \"b\"]}\n{\"text\": \"q2\", \"answers\": [\"c\"]}\n");
    char *answers[] = {"one thousand", "1,000"};
    const char *reply = "Working: 999 + 1.\nAnswer: 1000";
    int ok = 0;
    c12_err err;
    const match_fn fns[] = {c12_quality_match, c12_quality_match_grounded};
    unsigned long n;
    for (size_t f = 0; f < sizeof fns / sizeof *fns; f++) {
        c12_alloc_fail_at(0, 0);
        assert_int_equal(fns[f](reply, strlen(reply), 0, answers, 2, &ok, &err), C12_OK);
        n = c12_alloc_fail_at(0, 0);
        assert_true(ok && n > 0);
        for (unsigned long i = 1; i <= n; i++) {
            c12_alloc_fail_at(i, 1);
            c12_rc rc = fns[f](reply, strlen(reply), 0, answers, 2, &ok, &err);
            c12_alloc_fail_at(0, 0);
            assert_int_equal(rc, C12_ERR_NOMEM);
            assert_false(ok);
        }
    }
    c12_quality_tasks ts;
    assert_int_equal(c12_quality_load(path, 0, &ts, &err), C12_OK);
    c12_quality_free(&ts);
    n = c12_alloc_fail_at(0, 0);
    for (unsigned long i = 1; i <= n; i++) {
        c12_alloc_fail_at(i, 1);
        c12_rc rc = c12_quality_load(path, 0, &ts, &err);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        if (rc == C12_OK) c12_quality_free(&ts);
        /* jansson's own allocations use malloc: only ours are injected */
        if (injected) assert_int_equal(rc, C12_ERR_NOMEM);
    }
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),    cmocka_unit_test(test_answer_span),
        cmocka_unit_test(test_reply_done),   cmocka_unit_test(test_match),
        cmocka_unit_test(test_prompt),       cmocka_unit_test(test_load_answers),
        cmocka_unit_test(test_grounded_rows), cmocka_unit_test(test_grounded_match),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
