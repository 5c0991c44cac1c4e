/* The metrics registry and its exposition: exact text for counters, gauges
 * and histograms (cumulative buckets, +Inf, _sum, _count), escaping, number
 * formats, refused updates, concurrent updates under scrapes. The gateway's
 * families, collectors and allocation failures: test_metrics_gateway.c. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/c12_alloc.h"
#include "metrics/metrics.h"

static const char DROPPED_ZERO[] =
    "# HELP c12_metrics_dropped_total Metric updates that failed (label set limit, value too long, out of "
    "memory).\n# TYPE c12_metrics_dropped_total counter\nc12_metrics_dropped_total 0\n";

static c12_metrics_registry *registry(size_t max_series)
{
    c12_metrics_registry *r = NULL;
    c12_err err;
    assert_int_equal(c12_metrics_registry_new(max_series, &r, &err), C12_OK);
    return r;
}

static c12_metrics_family *family(c12_metrics_registry *r, const c12_metrics_desc *d)
{
    c12_metrics_family *f = NULL;
    c12_err err;
    if (c12_metrics_family_new(r, d, &f, &err)) fail_msg("%s", err.msg);
    return f;
}

/* The whole exposition (the caller frees it). */
static char *scrape(c12_metrics_registry *r)
{
    c12_buf b;
    c12_buf_init(&b, 0);
    c12_err err;
    assert_int_equal(c12_metrics_registry_write(r, &b, &err), C12_OK);
    return c12_buf_take(&b);
}

static const double BOUNDS[] = {0.1, 1, 2.5};

static void test_exposition_exact(void **state)
{
    c12_metrics_registry *r = registry(8);
    c12_metrics_desc dc = {.name = "t_requests_total", .help = "Requests.", .type = C12_METRIC_COUNTER,
                           .n_labels = 2, .labels = {"model", "status"}};
    c12_metrics_desc dg = {.name = "t_depth", .help = "Depth.", .type = C12_METRIC_GAUGE};
    c12_metrics_desc dh = {.name = "t_seconds", .help = "Seconds.", .type = C12_METRIC_HISTOGRAM,
                           .n_labels = 1, .labels = {"model"}, .n_buckets = 3, .buckets = BOUNDS};
    c12_metrics_family *c = family(r, &dc), *g = family(r, &dg), *h = family(r, &dh);
    const char *ok[] = {"m1", "ok"}, *err[] = {"m1", "error"}, *m1[] = {"m1"};
    assert_int_equal(c12_metrics_inc(c, ok, 1), C12_OK);
    assert_int_equal(c12_metrics_inc(c, ok, 2), C12_OK);
    assert_int_equal(c12_metrics_inc(c, err, 0.5), C12_OK);
    assert_int_equal(c12_metrics_set(g, NULL, 7), C12_OK);
    assert_int_equal(c12_metrics_inc(g, NULL, -2), C12_OK); /* gauges go down */
    /* On a bound counts in that bucket (le is <=); above the last, only +Inf. */
    const double obs[] = {0.05, 0.1, 0.7, 2.5, 10};
    for (size_t i = 0; i < 5; i++) assert_int_equal(c12_metrics_observe(h, m1, obs[i]), C12_OK);
    char *text = scrape(r);
    char want[2048];
    snprintf(want, sizeof want,
             "# HELP t_requests_total Requests.\n"
             "# TYPE t_requests_total counter\n"
             "t_requests_total{model=\"m1\",status=\"ok\"} 3\n"
             "t_requests_total{model=\"m1\",status=\"error\"} 0.5\n"
             "# HELP t_depth Depth.\n"
             "# TYPE t_depth gauge\n"
             "t_depth 5\n"
             "# HELP t_seconds Seconds.\n"
             "# TYPE t_seconds histogram\n"
             "t_seconds_bucket{model=\"m1\",le=\"0.1\"} 2\n"
             "t_seconds_bucket{model=\"m1\",le=\"1\"} 3\n"
             "t_seconds_bucket{model=\"m1\",le=\"2.5\"} 4\n"
             "t_seconds_bucket{model=\"m1\",le=\"+Inf\"} 5\n"
             "t_seconds_sum{model=\"m1\"} 13.35\n"
             "t_seconds_count{model=\"m1\"} 5\n%s",
             DROPPED_ZERO);
    assert_string_equal(text, want);
    c12_free(text);
    double v;
    uint64_t n;
    assert_int_equal(c12_metrics_get(h, m1, &v, &n), C12_OK);
    assert_int_equal(n, 5);
    const char *m2[] = {"m2"};
    assert_int_equal(c12_metrics_get(h, m2, &v, &n), C12_ERR_NOT_FOUND);
    c12_metrics_registry_free(r);
}

/* A family seen without samples still has HELP and TYPE; a histogram with
 * no labels writes le alone. */
static void test_empty_and_unlabelled(void **state)
{
    c12_metrics_registry *r = registry(8);
    c12_metrics_desc dc = {.name = "t_x_total", .help = "X.", .type = C12_METRIC_COUNTER, .n_labels = 1,
                           .labels = {"a"}};
    c12_metrics_desc dh = {.name = "t_h", .help = "H.", .type = C12_METRIC_HISTOGRAM, .n_buckets = 1,
                           .buckets = BOUNDS};
    family(r, &dc);
    family(r, &dh);
    char *text = scrape(r);
    char want[1024];
    snprintf(want, sizeof want,
             "# HELP t_x_total X.\n# TYPE t_x_total counter\n"
             "# HELP t_h H.\n# TYPE t_h histogram\n"
             "t_h_bucket{le=\"0.1\"} 0\nt_h_bucket{le=\"+Inf\"} 0\nt_h_sum 0\nt_h_count 0\n%s",
             DROPPED_ZERO);
    assert_string_equal(text, want);
    c12_free(text);
    c12_metrics_registry_free(r);
}

static void test_escaping(void **state)
{
    c12_metrics_registry *r = registry(8);
    c12_metrics_desc d = {.name = "t_g", .help = "Back\\slash, \"quoted\",\nnew line.", .type = C12_METRIC_GAUGE,
                          .n_labels = 1, .labels = {"v"}};
    c12_metrics_family *g = family(r, &d);
    const char *v[] = {"a\\b\"c\nd\xc3\xa9"};
    assert_int_equal(c12_metrics_set(g, v, 1), C12_OK);
    char *text = scrape(r);
    const char *want = "# HELP t_g Back\\\\slash, \"quoted\",\\nnew line.\n"
                       "# TYPE t_g gauge\n"
                       "t_g{v=\"a\\\\b\\\"c\\nd\xc3\xa9\"} 1\n";
    assert_memory_equal(text, want, strlen(want));
    c12_free(text);
    c12_metrics_registry_free(r);
}

static void test_format_value(void **state)
{
    const struct {
        double v;
        const char *s;
    } cases[] = {{0, "0"}, {3, "3"}, {0.1, "0.1"}, {2.5, "2.5"}, {1e-9, "1e-09"}, {123456789012.0, "123456789012"},
                 {1e21, "1e+21"}, {-4.25, "-4.25"}, {1.0 / 3, "0.3333333333333333"}, {INFINITY, "+Inf"},
                 {-INFINITY, "-Inf"}, {NAN, "NaN"}};
    char buf[40];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        c12_metrics_format_value(cases[i].v, buf, sizeof buf);
        assert_string_equal(buf, cases[i].s);
    }
}

static void expect_bad_desc(c12_metrics_registry *r, const c12_metrics_desc *d, const char *what)
{
    c12_metrics_family *f = NULL;
    c12_err err;
    assert_int_equal(c12_metrics_family_new(r, d, &f, &err), C12_ERR_INVALID);
    assert_null(f);
    assert_non_null(strstr(err.msg, what));
}

static void test_bad_descriptions(void **state)
{
    c12_metrics_registry *r = registry(8);
    static const double down[] = {1, 0.5};
    expect_bad_desc(r, &(c12_metrics_desc){.name = "9x", .help = "", .type = C12_METRIC_GAUGE}, "bad metric name");
    expect_bad_desc(r, &(c12_metrics_desc){.name = "a-b", .help = "", .type = C12_METRIC_GAUGE}, "bad metric name");
    expect_bad_desc(r, &(c12_metrics_desc){.name = "x", .type = C12_METRIC_GAUGE}, "no help");
    expect_bad_desc(r, &(c12_metrics_desc){.name = "x", .help = "", .n_labels = 1, .labels = {"__x"}}, "label");
    expect_bad_desc(r, &(c12_metrics_desc){.name = "x", .help = "", .n_labels = 1, .labels = {"a:b"}}, "label");
    expect_bad_desc(r, &(c12_metrics_desc){.name = "x", .help = "", .n_labels = 2, .labels = {"a", "a"}}, "twice");
    expect_bad_desc(r, &(c12_metrics_desc){.name = "x", .help = "", .n_labels = 5}, "labels");
    expect_bad_desc(r, &(c12_metrics_desc){.name = "h", .help = "", .type = C12_METRIC_HISTOGRAM, .n_labels = 1,
                                           .labels = {"le"}, .n_buckets = 1, .buckets = BOUNDS}, "label");
    expect_bad_desc(r, &(c12_metrics_desc){.name = "h", .help = "", .type = C12_METRIC_HISTOGRAM}, "buckets");
    expect_bad_desc(r, &(c12_metrics_desc){.name = "h", .help = "", .type = C12_METRIC_HISTOGRAM, .n_buckets = 2,
                                           .buckets = down}, "increasing");
    family(r, &(c12_metrics_desc){.name = "dup", .help = "", .type = C12_METRIC_GAUGE});
    expect_bad_desc(r, &(c12_metrics_desc){.name = "dup", .help = "", .type = C12_METRIC_GAUGE}, "twice");
    c12_metrics_registry_free(r);
}

/* Refused updates change nothing and are counted. */
static void test_refused_updates(void **state)
{
    c12_metrics_registry *r = registry(2);
    c12_metrics_family *c = family(r, &(c12_metrics_desc){.name = "t_c_total", .help = "C.",
                                                          .type = C12_METRIC_COUNTER, .n_labels = 1, .labels = {"k"}});
    c12_metrics_family *h = family(r, &(c12_metrics_desc){.name = "t_h", .help = "H.", .type = C12_METRIC_HISTOGRAM,
                                                          .n_buckets = 1, .buckets = BOUNDS});
    const char *a[] = {"a"}, *b[] = {"b"}, *c3[] = {"c"}, *nul[] = {NULL};
    char longv[C12_METRICS_VALUE_MAX + 1];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    const char *lv[] = {longv};
    assert_int_equal(c12_metrics_inc(c, a, -1), C12_ERR_INVALID);   /* counters only go up */
    assert_int_equal(c12_metrics_inc(c, a, NAN), C12_ERR_INVALID);
    assert_int_equal(c12_metrics_observe(c, a, 1), C12_ERR_INVALID); /* not a histogram */
    assert_int_equal(c12_metrics_set(h, NULL, 1), C12_ERR_INVALID);
    assert_int_equal(c12_metrics_inc(c, nul, 1), C12_ERR_INVALID);
    assert_int_equal(c12_metrics_inc(c, NULL, 1), C12_ERR_INVALID);
    assert_int_equal(c12_metrics_inc(c, lv, 1), C12_ERR_RANGE);
    longv[C12_METRICS_VALUE_MAX - 1] = '\0'; /* the longest that fits */
    assert_int_equal(c12_metrics_inc(c, lv, 1), C12_OK);
    assert_int_equal(c12_metrics_inc(c, a, 1), C12_OK);
    assert_int_equal(c12_metrics_inc(c, b, 1), C12_ERR_BUSY); /* max_series 2 */
    assert_int_equal(c12_metrics_inc(c, a, 1), C12_OK);        /* known sets still update */
    assert_int_equal(c12_metrics_set(c, c3, 1), C12_ERR_BUSY);
    assert_int_equal(c12_metrics_registry_dropped(r), 9);
    char *text = scrape(r);
    assert_non_null(strstr(text, "t_c_total{k=\"a\"} 2\n"));
    assert_non_null(strstr(text, "\nc12_metrics_dropped_total 9\n"));
    c12_free(text);
    c12_metrics_registry_free(r);
}

/* ---- concurrency: updates from several threads while others scrape ---- */

typedef struct worker {
    c12_metrics_family *c, *h;
    c12_metrics_registry *r;
    int id, scraper;
} worker;

#define ROUNDS 20000

static void *work(void *ud)
{
    worker *w = ud;
    if (w->scraper) {
        for (int i = 0; i < 50; i++) c12_free(scrape(w->r));
        return NULL;
    }
    const char *l[] = {w->id % 2 ? "odd" : "even"};
    for (int i = 0; i < ROUNDS; i++) {
        c12_metrics_inc(w->c, l, 1);
        c12_metrics_observe(w->h, l, 0.5);
    }
    return NULL;
}

static void test_concurrency(void **state)
{
    c12_metrics_registry *r = registry(8);
    c12_metrics_family *c = family(r, &(c12_metrics_desc){.name = "t_c_total", .help = "C.",
                                                          .type = C12_METRIC_COUNTER, .n_labels = 1, .labels = {"k"}});
    c12_metrics_family *h = family(r, &(c12_metrics_desc){.name = "t_h", .help = "H.", .type = C12_METRIC_HISTOGRAM,
                                                          .n_labels = 1, .labels = {"k"}, .n_buckets = 3,
                                                          .buckets = BOUNDS});
    worker w[6];
    pthread_t t[6];
    for (int i = 0; i < 6; i++) {
        w[i] = (worker){c, h, r, i, i >= 4};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 6; i++) pthread_join(t[i], NULL);
    const char *even[] = {"even"}, *odd[] = {"odd"};
    double v;
    uint64_t n;
    assert_int_equal(c12_metrics_get(c, even, &v, NULL), C12_OK);
    assert_true(v == 2 * ROUNDS);
    assert_int_equal(c12_metrics_get(c, odd, &v, NULL), C12_OK);
    assert_true(v == 2 * ROUNDS);
    assert_int_equal(c12_metrics_get(h, odd, &v, &n), C12_OK);
    assert_int_equal(n, 2 * ROUNDS);
    assert_true(v == ROUNDS); /* 0.5 x 2 x ROUNDS, exact in binary */
    assert_int_equal(c12_metrics_registry_dropped(r), 0);
    c12_metrics_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exposition_exact), cmocka_unit_test(test_empty_and_unlabelled),
        cmocka_unit_test(test_escaping),         cmocka_unit_test(test_format_value),
        cmocka_unit_test(test_bad_descriptions), cmocka_unit_test(test_refused_updates),
        cmocka_unit_test(test_concurrency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
