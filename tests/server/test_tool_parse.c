/* tool_parse.c: calls read out of model output, whole and in pieces of
 * every size (the same findings either way); text around calls as content;
 * partial and broken tags, nested braces and tags inside JSON strings,
 * invalid JSON passed on as text; a reader that stops; the hold's limit;
 * and Jinja2's tojson (tool_json.c) on the cases Python writes specially. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "base/c12_json.h"
#include "server/api_tools.h"
#include "server/tool_parse.h"

/* What the parser told, as one string: text as is, calls as
 * "[CALL i name args]". */
typedef struct seen {
    c12_buf out;
    int stop_at_call; /* nonzero: the reader stops at the first call */
} seen;

static int on_text(void *ud, const char *s, size_t n)
{
    seen *v = ud;
    assert_true(n > 0); /* never told empty text */
    return c12_buf_append(&v->out, s, n) != C12_OK;
}

static int on_call(void *ud, int index, const char *name, const char *args)
{
    seen *v = ud;
    c12_buf_printf(&v->out, "[CALL %d %s %s]", index, name, args);
    return v->stop_at_call;
}

/* The parser's findings for `in` fed in pieces of `step` bytes (0: whole). */
static char *parse(const char *in, size_t step, size_t limit, int *n_calls)
{
    seen v = {0};
    c12_buf_init(&v.out, 0);
    c12_buf_puts(&v.out, "");
    c12_toolp p;
    c12_toolp_init(&p, limit);
    c12_toolp_cbs cb = {on_text, on_call, &v};
    c12_err err;
    size_t n = strlen(in);
    for (size_t i = 0; i < n; i += step ? step : n)
        assert_int_equal(c12_toolp_feed(&p, in + i, step && n - i > step ? step : n - i, &cb, &err), C12_OK);
    assert_int_equal(c12_toolp_end(&p, &cb, &err), C12_OK);
    if (n_calls) *n_calls = p.n_calls;
    c12_toolp_free(&p);
    return c12_buf_take(&v.out);
}

/* Every way of cutting the input gives `want`. */
static void check(const char *in, const char *want, int calls)
{
    for (size_t step = 0; step <= strlen(in) + 1; step++) {
        int n = -1;
        char *got = parse(in, step, 0, &n);
        if (strcmp(got, want)) fail_msg("step %zu: got '%s', want '%s'", step, got, want);
        assert_int_equal(n, calls);
        c12_free(got);
    }
}

static void test_plain_text_passes_unchanged(void **state)
{
    (void)state;
    check("Hello, world.\n", "Hello, world.\n", 0);
    check("a < b and <tool_ is not a tag <tool_cal", "a < b and <tool_ is not a tag <tool_cal", 0);
    check("", "", 0);
    check("  \n", "  \n", 0);
}

static void test_calls(void **state)
{
    (void)state;
    check("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
          "[CALL 0 get_weather {\"city\": \"Paris\"}]", 1);
    /* text before is content (the whitespace before the tag dropped); two calls; whitespace after dropped */
    check("Let me look.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n"
          "{\"name\": \"b\", \"arguments\": {\"x\": [1, {\"y\": 2}]}}\n</tool_call>\n",
          "Let me look.[CALL 0 a {}][CALL 1 b {\"x\": [1, {\"y\": 2}]}]", 2);
    /* nested braces and tags inside JSON strings */
    check("<tool_call>{\"name\": \"f\", \"arguments\": {\"s\": \"}} </tool_ {x} <tool_call>\"}}</tool_call>",
          "[CALL 0 f {\"s\": \"}} </tool_ {x} <tool_call>\"}]", 1);
    /* arguments given as a string holding an object */
    check("<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"a\\\": 1}\"}</tool_call>", "[CALL 0 f {\"a\": 1}]", 1);
    /* the last block unclosed at the end of the output: a call when its inside is one */
    check("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n", "[CALL 0 f {\"a\": 1}]", 1);
    /* text after a call is content too */
    check("<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>\nDone.", "[CALL 0 f {}]Done.", 1);
}

static void test_broken_blocks_are_text(void **state)
{
    (void)state;
    const char *bad[] = {
        "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}\n</tool_call>",   /* a brace short */
        "<tool_call>{\"arguments\": {}}</tool_call>",                             /* no name */
        "<tool_call>{\"name\": 7, \"arguments\": {}}</tool_call>",                /* name not a string */
        "<tool_call>{\"name\": \"\", \"arguments\": {}}</tool_call>",             /* empty name */
        "<tool_call>{\"name\": \"f\", \"arguments\": [1]}</tool_call>",           /* arguments not an object */
        "<tool_call>{\"name\": \"f\", \"arguments\": \"nope\"}</tool_call>",      /* a string holding no object */
        "<tool_call>{\"name\": \"f\", \"name\": \"g\", \"arguments\": {}}</tool_call>", /* duplicate key */
        "<tool_call>[]</tool_call>",
        "<tool_call></tool_call>",
        "<tool_call>\n{\"name\": \"f\", \"argu",                                 /* cut mid-call */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) check(bad[i], bad[i], 0);
    /* a broken block between good ones: the good ones are calls, the bad one text */
    check("<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call><tool_call>{oops}</tool_call>",
          "[CALL 0 a {}]<tool_call>{oops}</tool_call>", 1);
}

static void test_reader_stops(void **state)
{
    (void)state;
    seen v = {.stop_at_call = 1};
    c12_buf_init(&v.out, 0);
    c12_toolp p;
    c12_toolp_init(&p, 0);
    c12_toolp_cbs cb = {on_text, on_call, &v};
    c12_err err;
    const char *in = "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call> more";
    assert_int_equal(c12_toolp_feed(&p, in, strlen(in), &cb, &err), C12_ERR_CANCELLED);
    c12_toolp_free(&p);
    c12_buf_free(&v.out);
}

static void test_limit(void **state)
{
    (void)state;
    /* a block longer than the hold: passed on as text, nothing lost */
    const char *in = "ab<tool_call>{\"name\": \"f\", \"arguments\": "
                     "{\"long\": \"xxxxxxxxxxxxxxxxxxxxxxxx\"}}</tool_call>";
    for (size_t step = 1; step < 8; step++) {
        int n = -1;
        char *got = parse(in, step, 16, &n);
        assert_string_equal(got, in);
        assert_int_equal(n, 0);
        c12_free(got);
    }
}

static void tojson_is(const char *json, const char *want)
{
    json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    char *got = NULL;
    c12_err err;
    assert_int_equal(c12_tool_tojson(v, &got, &err), C12_OK);
    assert_string_equal(got, want);
    c12_free(got);
    json_decref(v);
}

static void test_tojson(void **state)
{
    (void)state;
    /* sorted keys, Python's separators, HTML-safe escapes, \u for non-ASCII (UTF-16 pairs beyond the BMP) */
    tojson_is("{\"b\": 1, \"a\": [true, false, null], \"c\": {}}",
              "{\"a\": [true, false, null], \"b\": 1, \"c\": {}}");
    tojson_is("\"<|im_start|> & 'x' \\\" \\\\ \\n\\t\\u0001\\u007f é 😀\"",
              "\"\\u003c|im_start|\\u003e \\u0026 \\u0027x\\u0027 \\\" \\\\ "
              "\\n\\t\\u0001\\u007f \\u00e9 \\ud83d\\ude00\"");
    /* Python's float repr */
    tojson_is("[1.5, 1e16, 1e15, 0.0001, 1e-05, 100.0, -0.0, 0.1, 123456789.125]",
              "[1.5, 1e+16, 1000000000000000.0, 0.0001, 1e-05, 100.0, -0.0, 0.1, 123456789.125]");
    tojson_is("[]", "[]");
}

int main(void)
{
    c12_json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_passes_unchanged), cmocka_unit_test(test_calls),
        cmocka_unit_test(test_broken_blocks_are_text), cmocka_unit_test(test_reader_stops),
        cmocka_unit_test(test_limit), cmocka_unit_test(test_tojson),
    };
    return cmocka_run_group_tests_name("tool_parse", tests, NULL, NULL);
}
