/* Unit tests for src/sim/deferral: on a trace with a fixed daily shape the
 * online forecaster learns it and C12's schedule matches the oracle; on a
 * flat trace nothing is saved or moved; arrivals are weekday office hours
 * only; a window too short for the job is refused; on GB 2023 no decision
 * changes when the trace after it changes, and the 24 h figure holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "base/c12_alloc.h"
#include "base/c12_file.h"
#include "carbon/carbon_parse.h"
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

static c12_carbon_series gb_2023(void)
{
    char *text;
    size_t n;
    c12_err err;
    assert_int_equal(c12_read_file("data/carbon/gb_2023-01-01_2023-12-31.csv", 1u << 26, &text, &n, &err), C12_OK);
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    assert_int_equal(c12_carbon_parse_trace_csv(text, n, &s, &err), C12_OK);
    c12_free(text);
    return s;
}

/* The jobs of log[0..n) that started at or before cut_ms, in order, into out. */
static size_t started_by(const c12_deferral_job *log, size_t n, int64_t cut_ms, c12_deferral_job *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (log[i].start_ms <= cut_ms) out[m++] = log[i];
    return m;
}

/* The step in March 2023 or later at which most jobs of log[0..n) start (the
 * first of equals); *count: how many. */
static int64_t busiest_start(const c12_deferral_job *log, size_t n, size_t *count)
{
    const int64_t march = 1677628800000LL; /* 2023-03-01T00:00Z: two months of jobs before */
    int64_t best = 0;
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = 0;
        for (size_t j = i; j < n && log[j].start_ms == log[i].start_ms; j++) c++;
        if (log[i].start_ms >= march && c > *count) best = log[i].start_ms, *count = c;
    }
    return best;
}

/* The decisions of a replay use nothing from their own time on (a decision
 * at the start of a step does not know that step's value either). Take the
 * step at which most jobs start from March on, make the trace 300 g dirtier
 * from that step on, and every job that either replay started by that step
 * starts at the same step in both. A scheduler that read the value of the
 * step it decides on would hold those jobs back (checked: a replay that
 * observes a step before deciding on it fails here), and the jobs after it
 * do move. */
static void test_gb_2023_no_peeking(void **state)
{
    c12_carbon_series a = gb_2023(), b = gb_2023();
    enum { CAP = 8192 };
    c12_deferral_job *la = c12_calloc(CAP, sizeof *la), *lb = c12_calloc(CAP, sizeof *lb);
    c12_deferral_job *ea = c12_calloc(CAP, sizeof *ea), *eb = c12_calloc(CAP, sizeof *eb);
    assert_non_null(la && lb && ea && eb);
    c12_deferral_params p = {.trace = &a, .window_h = 24, .job_s = 1800, .first_hour = 9, .last_hour = 17,
                             .log = la, .log_cap = CAP};
    c12_deferral_result ra, rb;
    c12_err err;
    assert_int_equal(c12_sim_deferral(&p, &ra, &err), C12_OK);
    assert_true(ra.logged == ra.jobs && ra.jobs > 4000);
    size_t at_cut;
    const int64_t cut = busiest_start(la, ra.logged, &at_cut);
    assert_true(at_cut >= 10); /* the decision on the cut's own step is in the comparison */
    for (size_t i = 0; i < b.n; i++)
        if (b.pts[i].from_ms >= cut) b.pts[i].value += 300;
    p.trace = &b;
    p.log = lb;
    assert_int_equal(c12_sim_deferral(&p, &rb, &err), C12_OK);
    assert_true(rb.logged == rb.jobs);
    size_t na = started_by(la, ra.logged, cut, ea), nb = started_by(lb, rb.logged, cut, eb);
    assert_true(na > 600); /* two months of jobs at least */
    assert_int_equal(na, nb);
    assert_memory_equal(ea, eb, na * sizeof *ea);
    size_t moved = 0; /* after the cut the dirtier trace does change decisions */
    for (size_t i = na; i < ra.logged && i < rb.logged; i++) moved += la[i].start_ms != lb[i].start_ms;
    assert_true(moved > 100);
    c12_free(la);
    c12_free(lb);
    c12_free(ea);
    c12_free(eb);
    c12_carbon_series_free(&a);
    c12_carbon_series_free(&b);
}

/* The year's figure (docs/deferral.md) does not slip: C12's share of the
 * oracle's saving at 24 h. Issue 14's goal is 0.90; history alone gets 0.68
 * (docs/deferral.md says why). */
static void test_gb_2023_figure(void **state)
{
    c12_carbon_series t = gb_2023();
    c12_deferral_result r = run(&t, 24);
    assert_true(r.jobs > 4000 && r.oracle_g < r.c12_g && r.c12_g < r.arrival_g);
    assert_true(r.fraction_of_oracle >= 0.68);
    c12_carbon_series_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learns_a_daily_shape),
        cmocka_unit_test(test_flat_saves_nothing),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_gb_2023_no_peeking),
        cmocka_unit_test(test_gb_2023_figure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
