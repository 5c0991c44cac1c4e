/* Unit tests for logprobs.c: top-k order (ties by id, the small and the
 * sorting path agree), the log-sum-exp, and a token's log-probabilities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "base/c12_alloc.h"
#include "engine/c12_engine.h"

static void test_top_order_and_ties(void **state)
{
    (void)state;
    const float row[] = {1.0f, 3.0f, -2.0f, 3.0f, 0.5f, 2.0f};
    int32_t ids[6];
    c12_err err;
    assert_int_equal(c12_logits_top(row, 6, 4, ids, &err), C12_OK);
    const int32_t want[] = {1, 3, 5, 0}; /* the tie 3.0 at ids 1 and 3: lower id first */
    for (int i = 0; i < 4; i++) assert_int_equal(ids[i], want[i]);
    assert_int_equal(c12_logits_top(row, 6, 6, ids, &err), C12_OK);
    assert_int_equal(ids[5], 2);
    assert_int_equal(c12_logits_top(row, 6, 0, ids, &err), C12_OK);
    assert_int_equal(c12_logits_top(row, 6, 7, ids, &err), C12_ERR_INVALID);
}

/* The sorting path (k > 64) gives what the insertion path gives. */
static void test_large_k_matches_small(void **state)
{
    (void)state;
    enum { N = 1000 };
    float *row = c12_malloc(sizeof *row * N);
    int32_t *big = c12_malloc(sizeof *big * N), small[64];
    assert_non_null(row);
    assert_non_null(big);
    uint64_t x = 7;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        row[i] = (float)((x >> 40) % 50) / 7.0f; /* many ties */
    }
    c12_err err;
    assert_int_equal(c12_logits_top(row, N, N, big, &err), C12_OK);
    assert_int_equal(c12_logits_top(row, N, 64, small, &err), C12_OK);
    for (int i = 0; i < 64; i++) assert_int_equal(small[i], big[i]);
    for (int i = 1; i < N; i++)
        assert_true(row[big[i - 1]] > row[big[i]] || (row[big[i - 1]] == row[big[i]] && big[i - 1] < big[i]));
    c12_free(row);
    c12_free(big);
}

static void test_lse_is_stable(void **state)
{
    (void)state;
    const float row[] = {1000.0f, 1000.0f}; /* exp(1000) overflows a naive sum */
    assert_true(fabs(c12_logits_lse(row, 2) - (1000.0 + log(2.0))) < 1e-9);
    const float r2[] = {0.0f, log(3.0f)};
    assert_true(fabs(c12_logits_lse(r2, 2) - log(4.0)) < 1e-6);
}

static void test_fill(void **state)
{
    (void)state;
    const float row[] = {0.0f, log(2.0f), log(5.0f), log(2.0f)}; /* p = 1/10, 2/10, 5/10, 2/10 */
    c12_logprobs lp;
    c12_logprobs_fill(row, 4, 3, 2, &lp);
    assert_int_equal(lp.chosen.id, 3);
    assert_true(fabs(lp.chosen.logprob - log(0.2)) < 1e-6);
    assert_int_equal(lp.n_top, 2);
    assert_int_equal(lp.top[0].id, 2);
    assert_true(fabs(lp.top[0].logprob - log(0.5)) < 1e-6);
    assert_int_equal(lp.top[1].id, 1);
    assert_int_equal(lp.top[1].len, 0);
    double sum = 0;
    for (int i = 0; i < 4; i++) {
        c12_logprobs one;
        c12_logprobs_fill(row, 4, i, 0, &one);
        assert_int_equal(one.n_top, 0);
        sum += exp(one.chosen.logprob);
    }
    assert_true(fabs(sum - 1.0) < 1e-6);
    c12_logprobs_fill(row, 4, 0, 99, &lp); /* clamped to the row */
    assert_int_equal(lp.n_top, 4);
    assert_int_equal(lp.top[3].id, 0);
}

static void test_large_k_out_of_memory(void **state)
{
    (void)state;
    enum { N = 100 };
    float row[N];
    int32_t ids[N];
    for (int i = 0; i < N; i++) row[i] = (float)i;
    c12_err err;
    c12_alloc_fail_at(1, 0);
    assert_int_equal(c12_logits_top(row, N, N, ids, &err), C12_ERR_NOMEM);
    c12_alloc_fail_at(0, 0);
    assert_int_equal(c12_logits_top(row, N, N, ids, &err), C12_OK);
    assert_int_equal(ids[0], N - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_order_and_ties),
        cmocka_unit_test(test_large_k_matches_small),
        cmocka_unit_test(test_lse_is_stable),
        cmocka_unit_test(test_fill),
        cmocka_unit_test(test_large_k_out_of_memory),
    };
    return cmocka_run_group_tests_name("logprobs", tests, NULL, NULL);
}
