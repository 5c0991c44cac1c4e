/* Unit tests for the sampler: greedy, penalties, top-k/top-p/min-p,
 * temperature, seeds, and the allocation-failure loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "base/c12_alloc.h"
#include "engine/c12_engine.h"

#define NV 8

static c12_sampler *make(c12_sampling p)
{
    c12_sampler *s = NULL;
    c12_err e;
    assert_int_equal(c12_sampler_new(&p, NV, &s, &e), C12_OK);
    return s;
}

static void test_greedy_takes_the_argmax(void **state)
{
    (void)state;
    c12_sampling p = c12_sampling_default();
    p.temperature = 0;
    c12_sampler *s = make(p);
    float l[NV] = {0.1f, 2.0f, 1.9f, -1, 0, 0, 0, 0};
    for (int i = 0; i < 5; i++) assert_int_equal(c12_sampler_sample(s, l), 1);
    c12_sampler_free(s);
}

static void test_repetition_and_frequency_penalties(void **state)
{
    (void)state;
    c12_sampling p = c12_sampling_default();
    p.temperature = 0;
    p.repeat_penalty = 1.5f;
    c12_sampler *s = make(p);
    float l[NV] = {0.1f, 2.0f, 1.9f, -1, 0, 0, 0, 0};
    c12_sampler_accept(s, 1); /* 2.0 / 1.5 = 1.33 < 1.9 */
    assert_int_equal(c12_sampler_sample(s, l), 2);
    c12_sampler_free(s);

    p.repeat_penalty = 1.0f;
    p.frequency_penalty = 0.06f; /* two occurrences: 2.0 - 0.12 < 1.9 */
    s = make(p);
    c12_sampler_accept(s, 1);
    assert_int_equal(c12_sampler_sample(s, l), 1);
    c12_sampler_accept(s, 1);
    assert_int_equal(c12_sampler_sample(s, l), 2);
    c12_sampler_free(s);

    p.frequency_penalty = 0;
    p.presence_penalty = 0.2f;
    p.repeat_last_n = 2; /* the window forgets old tokens */
    s = make(p);
    c12_sampler_accept(s, 1);
    assert_int_equal(c12_sampler_sample(s, l), 2);
    c12_sampler_accept(s, 5);
    c12_sampler_accept(s, 6);
    assert_int_equal(c12_sampler_sample(s, l), 1);
    c12_sampler_free(s);
}

static void test_filters(void **state)
{
    (void)state;
    float l[NV] = {5.0f, 4.9f, 4.8f, 0, 0, 0, 0, 0};
    c12_sampling p = c12_sampling_default();
    p.temperature = 1.0f;
    p.top_p = 1.0f;
    p.min_p = 0;
    p.top_k = 1; /* top-k 1 is greedy */
    c12_sampler *s = make(p);
    for (int i = 0; i < 50; i++) assert_int_equal(c12_sampler_sample(s, l), 0);
    c12_sampler_free(s);

    p.top_k = 0;
    p.min_p = 0.5f; /* keeps 0, 1, 2 (p >= 0.5 * p0), never the tail */
    s = make(p);
    for (int i = 0; i < 300; i++) assert_true(c12_sampler_sample(s, l) <= 2);
    c12_sampler_free(s);

    p.min_p = 0;
    p.top_p = 0.3f; /* the first token alone holds > 0.3 of the mass */
    s = make(p);
    for (int i = 0; i < 100; i++) assert_int_equal(c12_sampler_sample(s, l), 0);
    c12_sampler_free(s);
}

static void test_temperature_follows_softmax_and_seed_repeats(void **state)
{
    (void)state;
    float l[NV] = {1.0f, 0.0f, -50, -50, -50, -50, -50, -50};
    c12_sampling p = c12_sampling_default();
    p.temperature = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0;
    p.seed = 7;
    c12_sampler *a = make(p), *b = make(p);
    int n0 = 0, n = 20000;
    for (int i = 0; i < n; i++) {
        int32_t x = c12_sampler_sample(a, l);
        assert_int_equal(x, c12_sampler_sample(b, l));
        n0 += x == 0;
    }
    double want = 1.0 / (1.0 + exp(-1.0)); /* 0.731 */
    assert_true(fabs((double)n0 / n - want) < 0.02);
    c12_sampler_free(a);
    c12_sampler_free(b);
}

static void test_oom_loop(void **state)
{
    (void)state;
    c12_sampling p = c12_sampling_default();
    for (unsigned long k = 1; k < 8; k++) {
        c12_alloc_fail_at(k, 1);
        c12_sampler *s = NULL;
        c12_err e;
        c12_rc rc = c12_sampler_new(&p, NV, &s, &e);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        if (!injected) {
            assert_int_equal(rc, C12_OK);
            c12_sampler_free(s);
            break;
        }
        assert_int_equal(rc, C12_ERR_NOMEM);
        assert_null(s);
    }
}

/* Damaged weights compute NaN logits: nothing to choose from is -1 (the
 * generation fails with a clear error), never a read before the candidates
 * (the temperature path once read c[-1]). Some NaN among numbers are passed over. */
static void test_nan_logits(void **state)
{
    (void)state;
    float nan[NV], some[NV] = {NAN, 1, NAN, 3, NAN, 0, 0, 0};
    for (int i = 0; i < NV; i++) nan[i] = NAN;
    c12_sampling p = c12_sampling_default();
    c12_sampler *s = make(p);
    assert_int_equal(c12_sampler_sample(s, nan), -1);
    assert_int_equal(c12_sampler_sample(s, some) % 2, 1); /* 1 or 3, never a NaN's */
    c12_sampler_free(s);
    p.temperature = 0;
    s = make(p);
    assert_int_equal(c12_sampler_sample(s, nan), -1);
    assert_int_equal(c12_sampler_sample(s, some), 3);
    c12_sampler_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greedy_takes_the_argmax),
        cmocka_unit_test(test_repetition_and_frequency_penalties),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_temperature_follows_softmax_and_seed_repeats),
        cmocka_unit_test(test_nan_logits),
        cmocka_unit_test(test_oom_loop),
    };
    return cmocka_run_group_tests_name("sample", tests, NULL, NULL);
}
