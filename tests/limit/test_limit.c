/* The limiter on the caller's clock: a request bucket empties and refills
 * at rpm/60 a second; tokens are reserved and the unused given back; a
 * request asking more than a minute's tokens is too large; the carbon
 * budget refuses once spent and resets with the UTC day (or month); a
 * seeded spend counts; per-user keys keep users apart (and a flood of user
 * names cannot grow the table); the periods' bounds; OpenAI's duration
 * format; every allocation failing in turn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/c12_alloc.h"
#include "limit/limit.h"

#define T0 1764806400000LL /* 2025-12-04T00:00:00Z */
#define DAY 86400000LL

static c12_limits *limits(const c12_limit_rule *rules, size_t n)
{
    c12_limits *l = NULL;
    c12_err err;
    assert_int_equal(c12_limits_new(rules, n, &l, &err), C12_OK);
    return l;
}

static void test_requests_bucket(void **state)
{
    c12_limit_rule r[] = {{.rpm = 3}};
    c12_limits *l = limits(r, 1);
    c12_limit_state st;
    for (int i = 0; i < 3; i++) assert_int_equal(c12_limits_admit(l, 0, "", 1, 1, T0, &st), C12_LIMIT_OK);
    assert_true(st.requests_left == 0);
    assert_true(st.requests_reset_s > 59.9 && st.requests_reset_s <= 60);
    assert_int_equal(c12_limits_admit(l, 0, "", 1, 1, T0 + 1000, &st), C12_LIMIT_REQUESTS);
    assert_true(st.retry_after_s > 18.9 && st.retry_after_s < 19.1); /* one request per 20 s, 1 s gone */
    assert_int_equal(c12_limits_admit(l, 0, "", 1, 1, T0 + 21000, &st), C12_LIMIT_OK);
    assert_int_equal(c12_limits_admit(l, 0, "", 1, 1, T0 + 21000, &st), C12_LIMIT_REQUESTS);
    /* a batch line (rates 0) is not counted */
    assert_int_equal(c12_limits_admit(l, 0, "", 1, 0, T0 + 21000, &st), C12_LIMIT_OK);
    /* other keys, and no key, are free */
    assert_int_equal(c12_limits_admit(l, -1, "", 1, 1, T0, &st), C12_LIMIT_OK);
    assert_int_equal(c12_limits_admit(l, 7, "", 1, 1, T0, &st), C12_LIMIT_OK);
    c12_limits_free(l);
}

static void test_tokens_reserved_then_settled(void **state)
{
    c12_limit_rule r[] = {{.tpm = 1000}};
    c12_limits *l = limits(r, 1);
    c12_limit_state st;
    assert_int_equal(c12_limits_admit(l, 0, "", 600, 1, T0, &st), C12_LIMIT_OK);
    assert_true(st.tokens_left == 400);
    assert_int_equal(c12_limits_admit(l, 0, "", 600, 1, T0, &st), C12_LIMIT_TOKENS);
    assert_true(st.retry_after_s > 11.9 && st.retry_after_s < 12.1); /* 200 more at 1000/min */
    c12_limits_settle(l, 0, "", 600, 100, 0, T0); /* used 100 of 600 */
    assert_int_equal(c12_limits_admit(l, 0, "", 600, 1, T0, &st), C12_LIMIT_OK);
    assert_true(st.tokens_left == 300);
    assert_int_equal(c12_limits_admit(l, 0, "", 1001, 1, T0 + DAY, &st), C12_LIMIT_TOO_LARGE);
    /* used more than reserved: the bucket goes below zero and the wait is longer */
    c12_limits_settle(l, 0, "", 0, 1300, 0, T0 + DAY);
    c12_limits_peek(l, 0, "", T0 + DAY, &st);
    assert_true(st.tokens_left == 0);
    assert_true(st.tokens_reset_s > 77.9 && st.tokens_reset_s < 78.1);
    c12_limits_free(l);
}

static void test_carbon_budget(void **state)
{
    c12_limit_rule r[] = {{.co2_g = 5}};
    c12_limits *l = limits(r, 1);
    c12_limit_state st;
    int64_t t = T0 + 3600000; /* 01:00 */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(c12_limits_admit(l, 0, "", 0, 1, t, &st), C12_LIMIT_OK);
        c12_limits_settle(l, 0, "", 0, 0, 1.2, t);
    }
    assert_int_equal(c12_limits_budget(l, 0, "", t, &st), C12_LIMIT_OK); /* 4.8: still under */
    c12_limits_settle(l, 0, "", 0, 0, 0.21, t);
    assert_int_equal(c12_limits_admit(l, 0, "", 0, 1, t, &st), C12_LIMIT_CARBON);
    assert_int_equal(c12_limits_budget(l, 0, "", t, &st), C12_LIMIT_CARBON);
    assert_true(st.co2_spent_g > 5.0 && st.co2_spent_g < 5.02);
    assert_true(st.retry_after_s > 82799 && st.retry_after_s < 82801); /* until midnight UTC */
    assert_true(st.period_end_ms == T0 + DAY);
    /* the next UTC day starts from nothing */
    assert_int_equal(c12_limits_admit(l, 0, "", 0, 1, T0 + DAY, &st), C12_LIMIT_OK);
    assert_true(st.co2_spent_g == 0);
    c12_limits_free(l);
}

static void test_month_and_seed(void **state)
{
    c12_limit_rule r[] = {{.co2_g = 10, .period = C12_LIMIT_MONTH}, {.period = C12_LIMIT_DAY}};
    c12_limits *l = limits(r, 2);
    c12_limit_state st;
    c12_limits_seed(l, 0, "", 9.5, T0); /* what the ledger held at a restart */
    c12_limits_seed(l, 1, "", 2.0, T0);
    assert_int_equal(c12_limits_admit(l, 0, "", 0, 1, T0 + 20 * DAY, &st), C12_LIMIT_OK); /* Dec 24 */
    c12_limits_settle(l, 0, "", 0, 0, 0.6, T0 + 20 * DAY);
    assert_int_equal(c12_limits_admit(l, 0, "", 0, 1, T0 + 20 * DAY, &st), C12_LIMIT_CARBON);
    assert_true(st.period_end_ms == T0 + 28 * DAY); /* 2026-01-01 */
    assert_int_equal(c12_limits_admit(l, 0, "", 0, 1, T0 + 28 * DAY, &st), C12_LIMIT_OK);
    c12_limits_peek(l, 1, "", T0, &st); /* a key without a budget still reports its spend (per day) */
    assert_true(st.co2_spent_g == 2.0 && st.rule.co2_g == 0);
    c12_limits_free(l);
}

static void test_per_user(void **state)
{
    c12_limit_rule r[] = {{.rpm = 1, .per_user = 1}, {.rpm = 1}};
    c12_limits *l = limits(r, 2);
    assert_int_equal(c12_limits_admit(l, 0, "ann", 1, 1, T0, NULL), C12_LIMIT_OK);
    assert_int_equal(c12_limits_admit(l, 0, "ann", 1, 1, T0, NULL), C12_LIMIT_REQUESTS);
    assert_int_equal(c12_limits_admit(l, 0, "bob", 1, 1, T0, NULL), C12_LIMIT_OK);
    assert_int_equal(c12_limits_admit(l, 0, "", 1, 1, T0, NULL), C12_LIMIT_OK); /* no user: the key's own */
    /* a key without per_user: users share it */
    assert_int_equal(c12_limits_admit(l, 1, "ann", 1, 1, T0, NULL), C12_LIMIT_OK);
    assert_int_equal(c12_limits_admit(l, 1, "bob", 1, 1, T0, NULL), C12_LIMIT_REQUESTS);
    /* thousands of made-up users: past the cap they share the key's own (spent above) */
    char u[32];
    int refused = 0;
    for (int i = 0; i < 10000; i++) {
        snprintf(u, sizeof u, "u%d", i);
        refused += c12_limits_admit(l, 0, u, 1, 1, T0, NULL) != C12_LIMIT_OK;
    }
    assert_true(refused > 5000 && refused < 10000);
    c12_limits_free(l);
}

static void test_bounds_and_durations(void **state)
{
    int64_t s, e;
    c12_limit_period_bounds(C12_LIMIT_DAY, T0 + 5, &s, &e);
    assert_true(s == T0 && e == T0 + DAY);
    c12_limit_period_bounds(C12_LIMIT_MONTH, T0 + 5, &s, &e);
    assert_true(s == T0 - 3 * DAY && e == T0 + 28 * DAY); /* 2025-12-01 .. 2026-01-01 */
    c12_limit_period_bounds(C12_LIMIT_MONTH, T0 + 60 * DAY, &s, &e); /* Feb 2 2026 */
    assert_true(e - s == 28 * DAY);
    char b[32];
    c12_limit_duration(0.02, b, sizeof b);
    assert_string_equal(b, "20ms");
    c12_limit_duration(1.5, b, sizeof b);
    assert_string_equal(b, "1.5s");
    c12_limit_duration(360, b, sizeof b);
    assert_string_equal(b, "6m0s");
    c12_limit_duration(3723, b, sizeof b);
    assert_string_equal(b, "1h2m3s");
    c12_limit_duration(-1, b, sizeof b);
    assert_string_equal(b, "0ms");
    assert_string_equal(c12_limit_period_name(C12_LIMIT_MONTH), "month");
}

static int oom_round(void)
{
    c12_limit_rule r[] = {{.rpm = 2}};
    c12_limits *l = NULL;
    c12_err err;
    if (c12_limits_new(r, 1, &l, &err) != C12_OK) return 0;
    int ok = c12_limits_admit(l, 0, "", 1, 1, T0, NULL) == C12_LIMIT_OK;
    c12_limits_free(l);
    return ok;
}

static void test_oom(void **state)
{
    c12_alloc_fail_at(0, 0);
    assert_true(oom_round());
    unsigned long n = c12_alloc_fail_at(0, 0);
    assert_true(n > 0);
    for (unsigned long i = 1; i <= n; i++) {
        c12_alloc_fail_at(i, 1);
        int ok = oom_round();
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        assert_true(!ok || !injected);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_bucket),   cmocka_unit_test(test_tokens_reserved_then_settled),
        cmocka_unit_test(test_carbon_budget),     cmocka_unit_test(test_month_and_seed),
        cmocka_unit_test(test_per_user),          cmocka_unit_test(test_bounds_and_durations),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
