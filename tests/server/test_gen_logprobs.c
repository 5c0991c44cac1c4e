/* gen_logprobs.c's JSON: chat's content entries (token, logprob, bytes,
 * top_logprobs; a token that is part of a character keeps its bytes and
 * shows '?'), the legacy completions' shape (the chosen token in the top
 * dict, text_offset counted in characters across takes), null when not
 * asked or nothing is left, and every allocation failing in turn. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/c12_alloc.h"
#include "base/c12_json.h"
#include "server/gen.h"

static c12_token_logprob tok(int32_t id, float lp, const char *piece, size_t len)
{
    c12_token_logprob t = {.id = id, .logprob = lp, .len = len};
    memcpy(t.piece, piece, len);
    return t;
}

/* "é" is 0xC3 0xA9: the first token has its first byte only. */
static void add_two(c12_gen_job *job)
{
    c12_logprobs a = {.chosen = tok(5, -0.5f, "\xC3", 1), .n_top = 2};
    a.top[0] = tok(5, -0.5f, "\xC3", 1);
    a.top[1] = tok(7, -1.5f, "ab", 2);
    c12_gen_lp_add(job, &a);
    c12_logprobs b = {.chosen = tok(9, -2.0f, "h\xC3\xA9", 3), .n_top = 2};
    b.top[0] = tok(8, -0.25f, "x", 1);
    b.top[1] = tok(8, -0.25f, "x", 1); /* two ids with one text: the dict keeps one */
    c12_gen_lp_add(job, &b);
}

static void test_chat(void **state)
{
    (void)state;
    c12_gen_job job = {.q = {.kind = C12_API_CHAT, .logprobs = 1}};
    add_two(&job);
    json_t *lp = c12_gen_lp_take(&job, 1);
    assert_non_null(lp);
    assert_true(json_is_null(json_object_get(lp, "refusal")));
    json_t *content = json_object_get(lp, "content");
    assert_int_equal(json_array_size(content), 2);
    json_t *e0 = json_array_get(content, 0), *e1 = json_array_get(content, 1);
    assert_string_equal(json_string_value(json_object_get(e0, "token")), "?");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(e0, "bytes"), 0)), 0xC3);
    assert_true(fabs(json_real_value(json_object_get(e0, "logprob")) + 0.5) < 1e-9);
    json_t *top = json_object_get(e0, "top_logprobs");
    assert_int_equal(json_array_size(top), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(top, 1), "token")), "ab");
    assert_null(json_object_get(json_array_get(top, 1), "top_logprobs"));
    assert_string_equal(json_string_value(json_object_get(e1, "token")), "h\xC3\xA9");
    assert_int_equal(json_array_size(json_object_get(e1, "bytes")), 3);
    json_decref(lp);
    lp = c12_gen_lp_take(&job, 0); /* nothing left */
    assert_true(json_is_null(lp));
    json_decref(lp);
    lp = c12_gen_lp_take(&job, 1);
    assert_int_equal(json_array_size(json_object_get(lp, "content")), 0);
    json_decref(lp);
    c12_gen_lp_free(&job);
}

static void test_completion(void **state)
{
    (void)state;
    c12_gen_job job = {.q = {.kind = C12_API_COMPLETION, .logprobs = 1}};
    add_two(&job);
    json_t *lp = c12_gen_lp_take(&job, 1);
    assert_non_null(lp);
    json_t *tokens = json_object_get(lp, "tokens"), *offs = json_object_get(lp, "text_offset");
    assert_int_equal(json_array_size(tokens), 2);
    assert_string_equal(json_string_value(json_array_get(tokens, 1)), "h\xC3\xA9");
    assert_true(fabs(json_real_value(json_array_get(json_object_get(lp, "token_logprobs"), 1)) + 2.0) < 1e-9);
    assert_int_equal(json_integer_value(json_array_get(offs, 0)), 0);
    assert_int_equal(json_integer_value(json_array_get(offs, 1)), 1); /* "?" is one character */
    json_t *top1 = json_array_get(json_object_get(lp, "top_logprobs"), 1);
    assert_int_equal(json_object_size(top1), 2); /* "x" once, and the chosen "hé" */
    assert_true(fabs(json_real_value(json_object_get(top1, "h\xC3\xA9")) + 2.0) < 1e-9);
    json_decref(lp);
    add_two(&job); /* offsets go on from the text already sent: "?" + "hé" = 3 characters */
    lp = c12_gen_lp_take(&job, 1);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(lp, "text_offset"), 0)), 3);
    json_decref(lp);
    c12_gen_lp_free(&job);
}

static void test_not_asked(void **state)
{
    (void)state;
    c12_gen_job job = {.q = {.kind = C12_API_CHAT}};
    json_t *lp = c12_gen_lp_take(&job, 1);
    assert_true(json_is_null(lp));
    json_decref(lp);
}

static void test_oom(void **state)
{
    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        c12_alloc_fail_at(0, 0);
        c12_gen_job job = {.q = {.kind = (c12_api_kind)kind, .logprobs = 1}};
        add_two(&job);
        json_decref(c12_gen_lp_take(&job, 1));
        c12_gen_lp_free(&job);
        unsigned long n = c12_alloc_fail_at(0, 0);
        for (unsigned long i = 1; i <= n; i++) {
            c12_gen_job j = {.q = {.kind = (c12_api_kind)kind, .logprobs = 1}};
            c12_alloc_fail_at(i, 1);
            add_two(&j);
            json_t *lp = c12_gen_lp_take(&j, 1);
            c12_alloc_fail_at(0, 0);
            if (lp) assert_true(json_is_object(lp)); /* whole, or nothing */
            json_decref(lp);
            c12_gen_lp_free(&j);
        }
    }
}

int main(void)
{
    c12_json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat), cmocka_unit_test(test_completion), cmocka_unit_test(test_not_asked),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests_name("gen_logprobs", tests, NULL, NULL);
}
