/* Unit tests for src/batch/plan: the cleanest window before the deadline,
 * start now when now is cleanest or when slack has run out, the margin,
 * the intensity now before the forecast begins, time-weighted means. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "batch/plan.h"

#define H C12_CARBON_HOUR_MS

/* Hourly forecast from hour 0: values[i] covers [i h, (i+1) h). */
static c12_carbon_series hourly(const double *values, size_t n)
{
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(c12_carbon_series_push(&s, (int64_t)i * H, (int64_t)(i + 1) * H, values[i]), C12_OK);
    return s;
}

static c12_plan plan(const c12_carbon_series *f, c12_plan_req r)
{
    c12_plan p;
    c12_err err;
    assert_int_equal(c12_plan_start(f, &r, &p, &err), C12_OK);
    return p;
}

static void test_cleanest_window_before_the_deadline(void **state)
{
    const double v[] = {300, 250, 100, 120, 400, 50, 50};
    c12_carbon_series f = hourly(v, 7);
    /* 1 h of work, due at 7 h: the 50s at 5 h */
    c12_plan p = plan(&f, (c12_plan_req){.now_ms = 0, .deadline_ms = 7 * H, .duration_ms = H});
    assert_true(p.start_ms == 5 * H && p.mean == 50 && p.now_mean == 300 && !p.forced);
    /* due at 5 h: the 100 at 2 h (the 50s would end too late) */
    p = plan(&f, (c12_plan_req){.now_ms = 0, .deadline_ms = 5 * H, .duration_ms = H});
    assert_true(p.start_ms == 2 * H && p.mean == 100);
    /* 2 h of work due at 5 h: 2-4 h averages 110, the best pair that ends in time */
    p = plan(&f, (c12_plan_req){.now_ms = 0, .deadline_ms = 5 * H, .duration_ms = 2 * H});
    assert_true(p.start_ms == 2 * H && fabs(p.mean - 110) < 1e-9);
    /* a margin of 2 h before 7 h: runs must end by 5 h */
    p = plan(&f, (c12_plan_req){.now_ms = 0, .deadline_ms = 7 * H, .duration_ms = H, .margin_ms = 2 * H});
    assert_true(p.start_ms == 2 * H);
    c12_carbon_series_free(&f);
}

static void test_now_when_now_is_cleanest_or_slack_is_gone(void **state)
{
    const double v[] = {80, 90, 100, 80};
    c12_carbon_series f = hourly(v, 4);
    /* equal later: the earliest of equals, now */
    c12_plan p = plan(&f, (c12_plan_req){.now_ms = 0, .deadline_ms = 4 * H, .duration_ms = H});
    assert_true(p.start_ms == 0 && !p.forced);
    /* half past one: the rest of hour 1 and some of hour 2 */
    p = plan(&f, (c12_plan_req){.now_ms = 3 * H / 2, .deadline_ms = 4 * H, .duration_ms = H});
    assert_true(p.start_ms == 3 * H && p.now_mean == 95);
    /* the latest start is now (or gone): it starts now, whatever the forecast */
    p = plan(&f, (c12_plan_req){.now_ms = 2 * H, .deadline_ms = 3 * H, .duration_ms = H});
    assert_true(p.start_ms == 2 * H && p.forced);
    p = plan(&f, (c12_plan_req){.now_ms = 2 * H, .deadline_ms = 2 * H, .duration_ms = H});
    assert_true(p.start_ms == 2 * H && p.forced);
    c12_carbon_series_free(&f);
}

static void test_intensity_now_and_no_forecast(void **state)
{
    const double v[] = {200, 100};
    c12_carbon_series f = hourly(v, 2);
    /* the forecast begins at 0; from -1 h the intensity now (50) stands: now is cleanest */
    c12_plan p = plan(&f, (c12_plan_req){.now_ms = -H, .deadline_ms = 2 * H, .duration_ms = H, .intensity_now = 50});
    assert_true(p.start_ms == -H && p.now_mean == 50);
    /* unknown now: the gap before the forecast is no candidate */
    p = plan(&f, (c12_plan_req){.now_ms = -H, .deadline_ms = 2 * H, .duration_ms = H, .intensity_now = NAN});
    assert_true(p.start_ms == H && isnan(p.now_mean));
    /* no forecast at all: now */
    c12_carbon_series none;
    c12_carbon_series_init(&none);
    p = plan(&none, (c12_plan_req){.now_ms = 0, .deadline_ms = 9 * H, .duration_ms = H, .intensity_now = NAN});
    assert_true(p.start_ms == 0 && isnan(p.mean));
    c12_err err;
    c12_plan q;
    assert_int_equal(c12_plan_start(&f, &(c12_plan_req){.duration_ms = 0, .deadline_ms = H}, &q, &err), C12_ERR_INVALID);
    c12_carbon_series_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cleanest_window_before_the_deadline),
        cmocka_unit_test(test_now_when_now_is_cleanest_or_slack_is_gone),
        cmocka_unit_test(test_intensity_now_and_no_forecast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
