/* Unit tests for src/sim/deferral: on a trace with a fixed daily shape the
 * online forecaster learns it and C12's schedule matches the oracle; on a
 * flat trace nothing is saved or moved; arrivals are weekday office hours
 * only; a window too short for the job is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "sim/deferral.h"

#define STEP (30 * 60000LL)

/* days of half-hours from Monday 2024-01-01 00:00 UTC; shape(hour of day) */
static c12_carbon_series trace(int days, double (*shape)(double))
{
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    const int64_t t0 = 1704067200000LL; /* a Monday */
    for (int64_t i = 0; i < days * 48; i++)
        assert_int_equal(c12_carbon_series_push(&s, t0 + i * STEP, t0 + (i + 1) * STEP, shape((double)(i % 48) / 2)), C12_OK);
    return s;
}

static double daily(double h) { return 200 - 100 * cos(2 * M_PI * (h - 3) / 24); } /* cleanest at 03:00 */
static double flat(double h) { return 150; }

static c12_deferral_result run(const c12_carbon_series *t, double window_h)
{
    c12_deferral_params p = {.trace = t, .window_h = window_h, .job_s = 1800, .first_hour = 9, .last_hour = 17};
    c12_deferral_result r;
    c12_err err;
    assert_int_equal(c12_sim_deferral(&p, &r, &err), C12_OK);
    return r;
}

static void test_learns_a_daily_shape(void **state)
{
    c12_carbon_series t = trace(35, daily);
    c12_deferral_result r = run(&t, 24);
    /* 5 weeks less the warm-up week and the last day: 4 weeks of 5 weekdays, 16 arrivals each */
    assert_true(r.jobs >= 15 * 16 && r.jobs <= 20 * 16);
    assert_true(r.oracle_g < r.c12_g + 1e-9 && r.c12_g < r.arrival_g);
    assert_true(r.fraction_of_oracle > 0.97);
    assert_true(r.deferred > r.jobs * 9 / 10 && r.hours_deferred / r.deferred > 9); /* 09:00-17:00 -> 03:00 */
    /* a 4 h window: later in the afternoon is cleaner (the curve falls after 15:00) */
    c12_deferral_result s = run(&t, 4);
    assert_true(s.saving_pct > 0 && s.saving_pct < r.saving_pct && s.fraction_of_oracle > 0.9);
    c12_carbon_series_free(&t);
}

static void test_flat_saves_nothing(void **state)
{
    c12_carbon_series t = trace(21, flat);
    c12_deferral_result r = run(&t, 8);
    assert_true(r.jobs > 0 && r.deferred == 0 && r.arrival_g == r.c12_g && r.c12_g == r.oracle_g);
    assert_true(r.saving_pct == 0 && isnan(r.fraction_of_oracle));
    c12_carbon_series_free(&t);
}

static void test_bad_params(void **state)
{
    c12_carbon_series t = trace(10, flat);
    c12_deferral_params p = {.trace = &t, .window_h = 0.25, .job_s = 1800, .first_hour = 9, .last_hour = 17};
    c12_deferral_result r;
    c12_err err;
    assert_int_equal(c12_sim_deferral(&p, &r, &err), C12_ERR_INVALID); /* 15 min cannot hold 30 */
    p.window_h = 8;
    p.first_hour = 17;
    assert_int_equal(c12_sim_deferral(&p, &r, &err), C12_ERR_INVALID);
    c12_carbon_series_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learns_a_daily_shape),
        cmocka_unit_test(test_flat_saves_nothing),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
