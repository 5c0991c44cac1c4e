/* Unit tests for batch.c's figures: the marginal cost of one more decoding
 * sequence (what the policy prices a shared model's output tokens at), and
 * the batcher's parameter checks. The steps themselves run on a real model:
 * tests/integration/test_batched_decoding.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "engine/c12_engine.h"

static c12_batcher_stats steps(int active, double t1, double t2, double t3)
{
    c12_batcher_stats st = {.active = active};
    st.decode_step_s[1] = t1;
    st.decode_step_s[2] = t2;
    st.decode_step_s[3] = t3;
    return st;
}

static void test_marginal(void **state)
{
    (void)state;
    /* one decoding: a second adds 2 ms to a 10 ms step */
    c12_batcher_stats st = steps(1, 0.010, 0.012, 0.015);
    assert_true(fabs(c12_batcher_marginal(&st) - 0.2) < 1e-12);
    st.active = 2; /* the third adds 3 ms */
    assert_true(fabs(c12_batcher_marginal(&st) - 0.3) < 1e-12);
    /* nobody decoding: a token costs what it costs alone */
    st.active = 0;
    assert_true(c12_batcher_marginal(&st) == 1.0);
    /* the next size not measured yet: priced as alone */
    st.active = 3;
    assert_true(c12_batcher_marginal(&st) == 1.0);
    /* clamped: noise may make a bigger step look cheaper, or dearer than alone */
    st = steps(1, 0.010, 0.009, 0);
    assert_true(c12_batcher_marginal(&st) == 0.05);
    st = steps(1, 0.010, 0.030, 0);
    assert_true(c12_batcher_marginal(&st) == 1.0);
    st = steps(8, 0.010, 0.011, 0.012);
    assert_true(c12_batcher_marginal(&st) == 1.0);
}

static void test_bad_max_batch(void **state)
{
    (void)state;
    c12_batcher *b = NULL;
    c12_err err;
    c12_batcher_params p = {.max_batch = 0};
    assert_int_equal(c12_batcher_new(NULL, &p, &b, &err), C12_ERR_RANGE);
    p.max_batch = 65;
    assert_int_equal(c12_batcher_new(NULL, &p, &b, &err), C12_ERR_RANGE);
    assert_null(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marginal),
        cmocka_unit_test(test_bad_max_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
