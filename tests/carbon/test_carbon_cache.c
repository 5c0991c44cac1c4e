/* The cache and its refresher, driven by a fake clock and fake providers
 * registered in a test table: TTL with jitter, exponential backoff,
 * Retry-After, the fallback chain with its staleness limit and the return
 * to the first provider, forecasts, and the thread that never makes a
 * request wait. */
#include <pthread.h>
#include <time.h>

#include "base/c12_json.h"
#include "carbon_test.h"
#include "carbon/carbon_cache.h"
#include "carbon/carbon_config.h"

/* ---- a fake clock ---- */
typedef struct fake_clock {
    int64_t now;
} fake_clock;

static int64_t fake_now(void *ctx) { return ((fake_clock *)ctx)->now; }

/* ---- fake providers: behaviour per name ("a", "b", "c") ---- */
typedef struct fake_ctl {
    c12_rc rc;              /* what fetch answers */
    double value;
    int64_t retry_after_ms;
    int forecast_points;    /* own forecast: this many hourly points */
    int sleep_ms;           /* block in fetch, as a slow network would */
    int calls;
    int forecast_asks;
} fake_ctl;

static fake_ctl ctl[3];

static fake_ctl *ctl_of(const char *name) { return &ctl[(name[0] - 'a') % 3]; }

static c12_rc fake_create(const c12_carbon_provider_cfg *cfg, int64_t now_ms, void **out, c12_err *err)
{
    (void)now_ms;
    (void)err;
    *out = ctl_of(cfg->name);
    return C12_OK;
}

static void fake_destroy(void *self) { (void)self; }

static c12_rc fake_fetch(void *self, int64_t now_ms, int want_forecast, c12_carbon_fetch *out, c12_err *err)
{
    fake_ctl *f = self;
    f->calls++;
    if (f->sleep_ms) {
        struct timespec ts = {f->sleep_ms / 1000, (f->sleep_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    out->retry_after_ms = f->retry_after_ms;
    if (f->rc) return c12_fail(err, f->rc, "fake: failing as told");
    out->reading.value = f->value;
    out->reading.from_ms = now_ms;
    out->reading.to_ms = now_ms + C12_CARBON_HOUR_MS;
    strcpy(out->reading.region, "XX");
    if (want_forecast) {
        f->forecast_asks++;
        for (int i = 0; i < f->forecast_points; i++)
            c12_carbon_series_push(&out->forecast, now_ms + i * C12_CARBON_HOUR_MS,
                                   now_ms + (i + 1) * C12_CARBON_HOUR_MS, f->value + i);
    }
    return C12_OK;
}

static const c12_carbon_provider_ops fake_ops = {
    .type = "fake", .own_forecast = 1, .create = fake_create, .destroy = fake_destroy, .fetch = fake_fetch,
};
static const c12_carbon_provider_ops plain_ops = {
    .type = "plain", .own_forecast = 0, .create = fake_create, .destroy = fake_destroy, .fetch = fake_fetch,
};
static const c12_carbon_provider_ops *const test_table[] = {&fake_ops, &plain_ops, NULL};

static c12_carbon_cache *make_cache(const char *yaml, fake_clock *clk)
{
    c12_carbon_config_opts o = {test_table, NULL};
    c12_carbon_config *cfg;
    c12_err err;
    if (carbon_test_parse(yaml, "test.yaml", &o, &cfg, &err)) fail_msg("%s", err.msg);
    c12_carbon_cache_opts co = {clk ? fake_now : NULL, clk, 42};
    c12_carbon_cache *c;
    if (c12_carbon_cache_new(cfg, &co, &c, &err)) fail_msg("%s", err.msg);
    c12_carbon_config_free(cfg);
    return c;
}

static int setup(void **state)
{
    (void)state;
    memset(ctl, 0, sizeof ctl);
    for (int i = 0; i < 3; i++) ctl[i].value = 100 * (i + 1);
    return 0;
}

static c12_carbon_status status_of(c12_carbon_cache *c, size_t i)
{
    c12_carbon_status st[4];
    assert_true(c12_carbon_cache_status(c, st, 4) > i);
    return st[i];
}

static const char *answer_provider(c12_carbon_cache *c, c12_carbon_answer *a)
{
    c12_err err;
    return c12_carbon_cache_now(c, a, &err) == C12_OK ? a->reading.provider : "none";
}

static void test_ttl(void **state)
{
    (void)state;
    fake_clock clk = {1000000};
    c12_carbon_cache *c = make_cache("carbon:\n  jitter: 0\n  providers:\n    a: {type: fake, ttl_s: 10}\n", &clk);
    c12_carbon_answer a;
    c12_err err;
    assert_int_equal(c12_carbon_cache_now(c, &a, &err), C12_ERR_NOT_FOUND); /* nothing fetched yet */
    assert_int_equal(c12_carbon_cache_tick(c), 10000);
    assert_int_equal(ctl[0].calls, 1);
    clk.now += 5000;
    assert_int_equal(c12_carbon_cache_tick(c), 5000);
    assert_int_equal(ctl[0].calls, 1); /* not due */
    assert_int_equal(c12_carbon_cache_now(c, &a, &err), C12_OK);
    assert_string_equal(a.reading.provider, "a");
    assert_string_equal(a.reading.type, "fake");
    assert_int_equal(a.age_ms, 5000);
    assert_int_equal(a.reading.fetched_ms, 1000000);
    assert_true(a.reading.value == 100);
    clk.now += 5000;
    c12_carbon_cache_tick(c);
    assert_int_equal(ctl[0].calls, 2);
    c12_carbon_cache_free(c);
}

static void test_jitter(void **state)
{
    (void)state;
    fake_clock clk = {0};
    c12_carbon_cache *c = make_cache("carbon:\n  jitter: 0.5\n  providers:\n    a: {type: fake, ttl_s: 100}\n", &clk);
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 50; i++) {
        int64_t wait = c12_carbon_cache_tick(c);
        assert_true(wait >= 50000 && wait <= 150000);
        if (wait < lo) lo = wait;
        if (wait > hi) hi = wait;
        clk.now += wait;
    }
    assert_true(hi - lo > 20000); /* spread out, so many gateways do not call in step */
    c12_carbon_cache_free(c);
}

static void test_backoff_and_retry_after(void **state)
{
    (void)state;
    fake_clock clk = {0};
    c12_carbon_cache *c = make_cache("carbon:\n  jitter: 0\n  backoff_base_s: 1\n  backoff_max_s: 8\n"
                                     "  providers:\n    a: {type: fake, ttl_s: 300}\n", &clk);
    ctl[0].rc = C12_ERR_NETWORK;
    const int64_t want[] = {1000, 2000, 4000, 8000, 8000};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(c12_carbon_cache_tick(c), want[i]);
        c12_carbon_status st = status_of(c, 0);
        assert_int_equal(st.errors, (unsigned)i + 1);
        assert_non_null(strstr(st.last_error, "failing as told"));
        clk.now += want[i] - 1;
        c12_carbon_cache_tick(c); /* a millisecond early: no call */
        assert_int_equal(ctl[0].calls, i + 1);
        clk.now += 1;
    }
    ctl[0].retry_after_ms = 30000; /* 429 with Retry-After: 30 */
    ctl[0].rc = C12_ERR_BUSY;
    assert_int_equal(c12_carbon_cache_tick(c), 30000);
    clk.now += 30000;
    ctl[0].rc = C12_OK;
    ctl[0].retry_after_ms = 0;
    assert_int_equal(c12_carbon_cache_tick(c), 300000); /* healthy again: back to the TTL */
    assert_int_equal(status_of(c, 0).errors, 0);
    c12_carbon_cache_free(c);
}

/* The status carries what metrics label a provider with: its region (the
 * configured one until a reading names its own), value, age and failures. */
static void test_status_region(void **state)
{
    (void)state;
    fake_clock clk = {0};
    c12_carbon_cache *c = make_cache("carbon:\n  jitter: 0\n  providers:\n"
                                     "    a: {type: fake, ttl_s: 10, region: CONF}\n", &clk);
    ctl[0].rc = C12_ERR_NETWORK;
    c12_carbon_cache_tick(c);
    c12_carbon_status st = status_of(c, 0);
    assert_string_equal(st.region, "CONF");
    assert_int_equal(st.has_reading, 0);
    assert_int_equal(st.failures, 1);
    ctl[0].rc = C12_OK;
    clk.now = 60000;
    c12_carbon_cache_tick(c);
    clk.now = 62500;
    st = status_of(c, 0);
    assert_string_equal(st.region, "XX"); /* what the reading says */
    assert_int_equal(st.has_reading, 1);
    assert_true(st.value == 100);
    assert_int_equal(st.age_ms, 2500);
    assert_int_equal(st.fetches, 2);
    c12_carbon_cache_free(c);
}

static void test_chain(void **state)
{
    (void)state;
    fake_clock clk = {0};
    c12_carbon_cache *c = make_cache("carbon:\n  chain: [a, b, c]\n  jitter: 0\n  max_staleness_s: 60\n"
                                     "  backoff_base_s: 10\n  backoff_max_s: 10\n  providers:\n"
                                     "    a: {type: fake, ttl_s: 10}\n    b: {type: fake, ttl_s: 10}\n"
                                     "    c: {type: plain, ttl_s: 10}\n", &clk);
    c12_carbon_answer a;
    c12_carbon_cache_tick(c);
    assert_string_equal(answer_provider(c, &a), "a");
    assert_int_equal(a.chain_pos, 0);
    ctl[0].rc = C12_ERR_NETWORK; /* a goes down at t=10 */
    for (clk.now = 10000; clk.now <= 60000; clk.now += 10000) c12_carbon_cache_tick(c);
    clk.now = 60000;
    assert_string_equal(answer_provider(c, &a), "a"); /* 60 s old: still within the limit */
    assert_int_equal(a.age_ms, 60000);
    clk.now = 61000;
    assert_string_equal(answer_provider(c, &a), "b"); /* a is stale now */
    assert_int_equal(a.chain_pos, 1);
    assert_true(a.reading.value == 200);
    ctl[1].rc = C12_ERR_AUTH; /* b goes down too */
    for (clk.now = 70000; clk.now <= 140000; clk.now += 10000) c12_carbon_cache_tick(c);
    assert_string_equal(answer_provider(c, &a), "c");
    ctl[0].rc = C12_OK; /* a recovers */
    clk.now += 10000;
    c12_carbon_cache_tick(c);
    assert_string_equal(answer_provider(c, &a), "a");
    assert_int_equal(a.age_ms, 0);
    ctl[2].rc = C12_ERR_NETWORK;
    ctl[0].rc = C12_ERR_NETWORK;
    clk.now += 1000000; /* everything stale */
    c12_err err;
    assert_int_equal(c12_carbon_cache_now(c, &a, &err), C12_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "a: stale"));
    c12_carbon_cache_free(c);
}

static void test_forecasts(void **state)
{
    (void)state;
    fake_clock clk = {1700000000000LL};
    c12_carbon_cache *c = make_cache("carbon:\n  chain: [a, c]\n  jitter: 0\n  providers:\n"
                                     "    a: {type: fake, ttl_s: 10, forecast_ttl_s: 60}\n    c: {type: plain, ttl_s: 10}\n",
                                     &clk);
    ctl[0].forecast_points = 30;
    c12_carbon_cache_tick(c);
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    c12_carbon_answer a;
    c12_err err;
    assert_int_equal(c12_carbon_cache_forecast(c, 6, &s, &a, &err), C12_OK);
    assert_string_equal(a.forecast_by, "provider");
    assert_int_equal(s.n, 6);
    assert_true(s.pts[0].value == 100 && s.pts[5].value == 105);
    clk.now += 10000;
    c12_carbon_cache_tick(c);
    assert_int_equal(ctl[0].forecast_asks, 1); /* forecasts have their own, longer TTL */
    clk.now += 60000;
    c12_carbon_cache_tick(c);
    assert_int_equal(ctl[0].forecast_asks, 2);
    /* A provider without a forecast gets C12's, from its record of readings. */
    ctl[0].rc = C12_ERR_NETWORK;
    clk.now += 100000000;
    c12_carbon_cache_tick(c);
    assert_int_equal(c12_carbon_cache_forecast(c, 3, &s, &a, &err), C12_OK);
    assert_string_equal(a.reading.provider, "c");
    assert_string_equal(a.forecast_by, "c12");
    assert_true(s.n >= 6);
    assert_true(fabs(s.pts[0].value - 300) < 1e-6); /* a constant history forecasts itself */
    assert_true(s.pts[0].to_ms > clk.now);
    c12_carbon_series_free(&s);
    c12_carbon_cache_free(c);
}

static int64_t real_ms(void) { return c12_carbon_clock_real(NULL); }

static void test_thread_never_blocks_requests(void **state)
{
    (void)state;
    c12_carbon_cache *c = make_cache("carbon:\n  chain: [a, b]\n  providers:\n    a: {type: fake, ttl_s: 0.05}\n"
                                     "    b: {type: fake, ttl_s: 0.05}\n", NULL);
    ctl[0].sleep_ms = 300; /* a slow provider */
    c12_err err;
    assert_int_equal(c12_carbon_cache_start(c, &err), C12_OK);
    c12_carbon_answer a;
    int64_t deadline = real_ms() + 3000;
    while (c12_carbon_cache_now(c, &a, &err) != C12_OK && real_ms() < deadline) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(c12_carbon_cache_now(c, &a, &err), C12_OK);
    int64_t worst = 0;
    for (int i = 0; i < 40; i++) { /* ~400 ms, across a's slow fetches */
        int64_t t0 = real_ms();
        assert_int_equal(c12_carbon_cache_now(c, &a, &err), C12_OK);
        if (real_ms() - t0 > worst) worst = real_ms() - t0;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    assert_true(worst < 50);
    int64_t t0 = real_ms();
    c12_carbon_cache_stop(c);
    assert_true(real_ms() - t0 < 1000);
    assert_true(ctl[0].calls >= 1);
    assert_true(ctl[1].calls >= 2 * ctl[0].calls); /* the slow one held nobody else up */
    c12_carbon_cache_free(c);
}

static void test_trace_provider(void **state)
{
    (void)state;
    /* The fixture covers 2023-01-01 00:00-02:30: a short trace keeps the time of day. */
    fake_clock clk = {t_ms("2025-06-01T00:40:00Z")};
    c12_carbon_config_opts o = {NULL, NULL};
    const char *y = "carbon:\n  providers:\n    t: {type: trace, path: fixtures/trace_small.csv}\n";
    c12_carbon_config *cfg;
    c12_err err;
    assert_int_equal(carbon_test_parse(y, "tests/carbon/c12.yaml", &o, &cfg, &err), C12_OK);
    c12_carbon_cache_opts co = {fake_now, &clk, 1};
    c12_carbon_cache *c;
    assert_int_equal(c12_carbon_cache_new(cfg, &co, &c, &err), C12_OK);
    c12_carbon_config_free(cfg);
    c12_carbon_cache_tick(c);
    c12_carbon_answer a;
    assert_int_equal(c12_carbon_cache_now(c, &a, &err), C12_OK);
    assert_true(a.reading.value == 80); /* the 00:30 row */
    assert_int_equal(a.reading.from_ms, t_ms("2025-06-01T00:30:00Z"));
    assert_string_equal(a.reading.type, "trace");
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    assert_int_equal(c12_carbon_cache_forecast(c, 2, &s, &a, &err), C12_OK);
    assert_string_equal(a.forecast_by, "c12");
    assert_true(s.n >= 4);
    assert_int_equal(s.pts[0].from_ms, t_ms("2025-06-01T01:00:00Z"));
    /* the record reaches back a day from the first fetch: the trace's
     * wrapped end (01:00, 02:00 the day before), 00:00, then the reading */
    assert_int_equal(c12_carbon_cache_history(c, 24, &s, &a, &err), C12_OK);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.pts[0].from_ms, t_ms("2025-05-31T01:00:00Z"));
    assert_true(s.pts[1].value == 65);
    assert_int_equal(s.pts[2].from_ms, t_ms("2025-06-01T00:00:00Z"));
    assert_true(s.pts[3].value == 80 && s.pts[3].from_ms == a.reading.from_ms);
    /* a shorter look back keeps the intervals that overlap it */
    assert_int_equal(c12_carbon_cache_history(c, 1, &s, NULL, &err), C12_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.pts[0].from_ms, t_ms("2025-06-01T00:00:00Z"));
    c12_carbon_series_free(&s);
    c12_carbon_cache_free(c);
}

/* Allocation failures anywhere in build / refresh / answer: clean codes, no leaks. */
static void test_oom(void **state)
{
    (void)state;
    const char *y = "carbon:\n  chain: [t, static]\n  providers:\n    t: {type: trace, path: tests/carbon/fixtures/trace_small.csv}\n"
                    "    static: {value: 5}\n";
    unsigned long k;
    for (k = 1; k < 2000; k++) {
        c12_alloc_fail_at(k, 1);
        c12_carbon_config *cfg = NULL;
        c12_carbon_cache *c = NULL;
        c12_rc rc = carbon_test_parse(y, "x.yaml", NULL, &cfg, NULL);
        if (rc == C12_OK) rc = c12_carbon_cache_new(cfg, NULL, &c, NULL);
        if (rc == C12_OK) {
            c12_carbon_cache_prime(c);
            c12_carbon_answer a;
            c12_carbon_series s;
            c12_carbon_series_init(&s);
            rc = c12_carbon_cache_now(c, &a, NULL);
            if (rc == C12_OK) rc = c12_carbon_cache_forecast(c, 3, &s, &a, NULL);
            c12_carbon_series_free(&s);
        }
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        c12_carbon_cache_free(c);
        c12_carbon_config_free(cfg);
        if (!injected) {
            assert_int_equal(rc, C12_OK);
            break; /* every allocation has had its turn */
        }
        assert_true(rc == C12_OK || rc == C12_ERR_NOMEM || rc == C12_ERR_NOT_FOUND);
    }
    assert_true(k < 2000); /* the loop reached a run with no failure: all were tried */
}

int main(void)
{
    c12_json_init(); /* as main() does: jansson's allocations fail in the OOM loops too */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ttl, setup),
        cmocka_unit_test_setup(test_jitter, setup),
        cmocka_unit_test_setup(test_backoff_and_retry_after, setup),
        cmocka_unit_test_setup(test_status_region, setup),
        cmocka_unit_test_setup(test_chain, setup),
        cmocka_unit_test_setup(test_forecasts, setup),
        cmocka_unit_test_setup(test_thread_never_blocks_requests, setup),
        cmocka_unit_test_setup(test_trace_provider, setup),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
