/* C12's forecaster: learns a daily shape, blends it with persistence, never
 * sees the future, and beats persistence at 6 and 24 h on the 2023 GB trace.
 * Also the trace replay's mapping of now onto the trace. */
#include "carbon_test.h"
#include "base/c12_file.h"
#include "carbon/carbon_forecast.h"
#include "carbon/carbon_parse.h"
#include "carbon/carbon_trace.h"

#define STEP (30 * 60000LL)

/* days of half-hours from 2023-01-01: a daily wave, plus a slow weather-like swing */
static void synth(c12_carbon_series *s, int days, int with_swing)
{
    int64_t t0 = t_ms("2023-01-01T00:00:00Z");
    for (int i = 0; i < days * 48; i++) {
        double day = 2 * M_PI * (i % 48) / 48.0;
        double v = 150 + 60 * sin(day) + (with_swing ? 40 * sin(2 * M_PI * i / (48.0 * 5.3)) : 0);
        assert_int_equal(c12_carbon_series_push(s, t0 + i * STEP, t0 + (i + 1) * STEP, v), C12_OK);
    }
}

static void test_learns_the_day(void **state)
{
    (void)state;
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    synth(&s, 60, 1);
    int hours[] = {1, 6, 24};
    c12_carbon_backtest_result r;
    c12_err err;
    assert_int_equal(c12_carbon_backtest(&s, hours, 3, &r, &err), C12_OK);
    assert_int_equal(r.step_ms, STEP);
    for (int i = 0; i < 3; i++) assert_true(r.mae[i] < r.persistence_mae[i]);
    assert_true(r.mae[1] < 0.5 * r.persistence_mae[1]);
    assert_int_equal(r.count[0], 60 * 48 - 7 * 48 - 2);
    c12_carbon_series_free(&s);
}

/* The forecast made at slot k must not change when the future changes. */
static void test_no_peeking(void **state)
{
    (void)state;
    size_t hz[] = {12};
    c12_carbon_fc *f1, *f2;
    c12_err err;
    assert_int_equal(c12_carbon_fc_new(STEP, hz, 1, &f1, &err), C12_OK);
    assert_int_equal(c12_carbon_fc_new(STEP, hz, 1, &f2, &err), C12_OK);
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    synth(&s, 20, 1);
    for (size_t i = 0; i < 15 * 48; i++) {
        c12_carbon_fc_observe(f1, s.pts[i].from_ms, s.pts[i].value);
        c12_carbon_fc_observe(f2, s.pts[i].from_ms, s.pts[i].value);
    }
    double before = c12_carbon_fc_predict(f1, 0);
    assert_true(before == c12_carbon_fc_predict(f2, 0));
    c12_carbon_fc_observe(f2, s.pts[15 * 48].from_ms, 9999); /* a wild next value changes f2 only */
    assert_true(c12_carbon_fc_predict(f1, 0) == before);
    c12_carbon_fc_free(f1);
    c12_carbon_fc_free(f2);
    c12_carbon_series_free(&s);
}

static void test_beats_persistence_on_gb_2023(void **state)
{
    (void)state;
    char *text;
    size_t n;
    c12_err err;
    assert_int_equal(c12_read_file("data/carbon/gb_2023-01-01_2023-12-31.csv", 1u << 26, &text, &n, &err), C12_OK);
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    assert_int_equal(c12_carbon_parse_trace_csv(text, n, &s, &err), C12_OK);
    assert_int_equal(s.n, 17429);
    c12_free(text);
    int hours[] = {1, 6, 24};
    c12_carbon_backtest_result r;
    assert_int_equal(c12_carbon_backtest(&s, hours, 3, &r, &err), C12_OK);
    assert_true(r.mae[1] < r.persistence_mae[1]);
    assert_true(r.mae[2] < r.persistence_mae[2]);
    assert_true(r.count[2] > 16000); /* the October gap is skipped, not scored */
    c12_carbon_series_free(&s);
}

static void test_live_forecast(void **state)
{
    (void)state;
    c12_carbon_series s, fc;
    c12_carbon_series_init(&s);
    c12_carbon_series_init(&fc);
    synth(&s, 10, 0);
    int64_t now = s.pts[s.n - 1].from_ms + 10 * 60000; /* 10 minutes into the last slot */
    c12_err err;
    assert_int_equal(c12_carbon_forecast(&s, now, 6, &fc, &err), C12_OK);
    assert_int_equal(fc.n, 12);
    assert_int_equal(fc.pts[0].from_ms, s.pts[s.n - 1].to_ms);
    for (size_t i = 0; i < fc.n; i++) {
        double day = 2 * M_PI * ((s.n + i) % 48) / 48.0;
        assert_true(fabs(fc.pts[i].value - (150 + 60 * sin(day))) < 5);
    }
    assert_int_equal(c12_carbon_forecast(&s, now, 0, &fc, &err), C12_ERR_RANGE);
    c12_carbon_series empty;
    c12_carbon_series_init(&empty);
    assert_int_equal(c12_carbon_forecast(&empty, now, 6, &fc, &err), C12_ERR_INVALID);
    /* OOM loop */
    for (unsigned long k = 1;; k++) {
        c12_alloc_fail_at(k, 1);
        c12_rc rc = c12_carbon_forecast(&s, now, 6, &fc, NULL);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        assert_int_equal(rc, injected ? C12_ERR_NOMEM : C12_OK);
        if (!injected) break;
    }
    c12_carbon_series_free(&fc);
    c12_carbon_series_free(&s);
}

static void test_trace_map(void **state)
{
    (void)state;
    c12_carbon_series year;
    c12_carbon_series_init(&year);
    int64_t t0 = t_ms("2023-01-01T00:00:00Z");
    for (int i = 0; i < 365 * 48; i++) c12_carbon_series_push(&year, t0 + i * STEP, t0 + (i + 1) * STEP, i);
    int64_t now = t_ms("2025-06-01T12:10:00Z");
    assert_int_equal(c12_carbon_trace_map(&year, now, 1, now), t_ms("2023-06-01T12:10:00Z"));
    assert_true(year.pts[c12_carbon_trace_at(&year, t_ms("2023-06-01T12:10:00Z"))].from_ms == t_ms("2023-06-01T12:00:00Z"));
    /* 31 December of a leap year wraps to the trace's 1 January */
    assert_int_equal(c12_carbon_trace_map(&year, 0, 1, t_ms("2024-12-31T06:00:00Z")), t_ms("2023-01-01T06:00:00Z"));
    /* speed: an hour of the clock is two of the trace */
    assert_int_equal(c12_carbon_trace_map(&year, now, 2, now + C12_CARBON_HOUR_MS), t_ms("2023-06-01T14:10:00Z"));
    /* a short trace keeps the time of day */
    c12_carbon_series two;
    c12_carbon_series_init(&two);
    for (int i = 0; i < 2 * 48; i++) c12_carbon_series_push(&two, t0 + i * STEP, t0 + (i + 1) * STEP, i);
    int64_t m = c12_carbon_trace_map(&two, 0, 1, t_ms("2030-03-07T17:45:00Z"));
    assert_int_equal((m - t0) % C12_CARBON_DAY_MS, (17 * 60 + 45) * 60000LL);
    assert_true(m >= t0 && m < t0 + 2 * C12_CARBON_DAY_MS);
    c12_carbon_series_free(&two);
    c12_carbon_series_free(&year);
}

static void test_cleanest(void **state)
{
    (void)state;
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    const double v[] = {300, 100, 200, 50, 400, 60};
    int64_t t0 = t_ms("2030-01-01T00:00:00Z"), h = C12_CARBON_HOUR_MS;
    for (int i = 0; i < 6; i++) c12_carbon_series_push(&s, t0 + i * h / 2, t0 + (i + 1) * h / 2, v[i]);
    c12_carbon_point w;
    /* half an hour: the 50 slot; an hour: 200+50 (mean 125) beats 100+200 (150) */
    assert_int_equal(c12_carbon_cleanest(&s, h / 2, &w), C12_OK);
    assert_true(w.value == 50 && w.from_ms == t0 + 3 * h / 2 && w.to_ms == t0 + 2 * h);
    assert_int_equal(c12_carbon_cleanest(&s, h, &w), C12_OK);
    assert_true(w.value == 125 && w.from_ms == t0 + h);
    /* the whole series is one window; longer is none */
    assert_int_equal(c12_carbon_cleanest(&s, 3 * h, &w), C12_OK);
    assert_true(w.from_ms == t0 && fabs(w.value - 185) < 1e-9);
    assert_int_equal(c12_carbon_cleanest(&s, 3 * h + 1, &w), C12_ERR_NOT_FOUND);
    assert_int_equal(c12_carbon_cleanest(&s, 0, &w), C12_ERR_NOT_FOUND);
    c12_carbon_series_free(&s);
    assert_int_equal(c12_carbon_cleanest(&s, h, &w), C12_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learns_the_day), cmocka_unit_test(test_no_peeking),
        cmocka_unit_test(test_beats_persistence_on_gb_2023), cmocka_unit_test(test_live_forecast),
        cmocka_unit_test(test_trace_map), cmocka_unit_test(test_cleanest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
