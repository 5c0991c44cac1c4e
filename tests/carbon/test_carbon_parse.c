/* Parsers of the providers' answers, on real-shaped fixtures: the same
 * intensity in three wire formats becomes the same reading, units converted;
 * malformed, missing and null fields fail cleanly; every allocation failure
 * is a clean C12_ERR_NOMEM (OOM loop). */
#include "base/c12_json.h"
#include "carbon_test.h"
#include "carbon/carbon_parse.h"

static void test_time(void **state)
{
    (void)state;
    assert_int_equal(t_ms("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(t_ms("2023-01-01T00:30Z"), 1672533000000LL);
    assert_int_equal(t_ms("2023-01-01T00:30:00.250Z"), 1672533000250LL);
    assert_int_equal(t_ms("2023-01-01T01:30:00+01:00"), 1672533000000LL);
    assert_int_equal(t_ms("2023-01-01 00:30"), 1672533000000LL);
    assert_int_equal(t_ms("2024-02-29T00:00:00Z"), 1709164800000LL);
    int64_t t;
    assert_int_equal(c12_carbon_parse_time("2023-13-01T00:00Z", &t), C12_ERR_FORMAT);
    assert_int_equal(c12_carbon_parse_time("2023-01-01T00:00Zjunk", &t), C12_ERR_FORMAT);
    assert_int_equal(c12_carbon_parse_time("yesterday", &t), C12_ERR_FORMAT);
    char buf[32];
    c12_carbon_format_time(1672533000250LL, buf, sizeof buf);
    assert_string_equal(buf, "2023-01-01T00:30:00Z");
    c12_carbon_format_time(-1000, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59Z");
}

static void test_em_latest(void **state)
{
    (void)state;
    size_t n;
    char *b = fixture("em_latest.json", &n);
    c12_carbon_reading r;
    c12_err err;
    assert_int_equal(c12_carbon_parse_em_latest(b, n, &r, &err), C12_OK);
    assert_true(r.value == 302);
    assert_int_equal(r.kind, C12_CARBON_AVERAGE);
    assert_string_equal(r.region, "DE");
    assert_string_equal(r.source_unit, "gCO2eq/kWh");
    assert_int_equal(r.from_ms, t_ms("2019-05-21T00:00:00Z"));
    assert_int_equal(r.to_ms - r.from_ms, C12_CARBON_HOUR_MS);
    assert_false(r.is_forecast);
    c12_free(b);
}

static void test_em_forecast(void **state)
{
    (void)state;
    size_t n;
    char *b = fixture("em_forecast.json", &n);
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    c12_err err;
    assert_int_equal(c12_carbon_parse_em_forecast(b, n, &s, &err), C12_OK);
    assert_int_equal(s.n, 4);
    assert_true(s.pts[0].value == 366 && s.pts[3].value == 322);
    assert_int_equal(s.pts[1].from_ms, t_ms("2019-05-21T02:00Z"));
    c12_carbon_series_free(&s);
    c12_free(b);
}

static void test_em_bad(void **state)
{
    (void)state;
    static const char *bodies[] = {
        "{\"zone\":\"DE\",\"datetime\":\"2019-05-21T00:00:00.000Z\"}",                         /* missing */
        "{\"zone\":\"DE\",\"carbonIntensity\":null,\"datetime\":\"2019-05-21T00:00:00Z\"}",     /* null */
        "{\"zone\":\"DE\",\"carbonIntensity\":\"302\",\"datetime\":\"2019-05-21T00:00:00Z\"}",  /* string */
        "{\"zone\":\"DE\",\"carbonIntensity\":-4,\"datetime\":\"2019-05-21T00:00:00Z\"}",       /* negative */
        "{\"zone\":\"DE\",\"carbonIntensity\":302}",                                          /* no time */
        "{\"zone\":\"DE\",\"carbonIntensity\":302,", "[1,2]", "", "<html>502</html>",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        c12_carbon_reading r;
        c12_err err;
        r.value = 7;
        assert_int_equal(c12_carbon_parse_em_latest(bodies[i], strlen(bodies[i]), &r, &err), C12_ERR_FORMAT);
        assert_true(r.value == 7); /* untouched on failure */
        assert_non_null(strstr(err.msg, "electricitymaps"));
    }
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    c12_err err;
    const char *unordered = "{\"forecast\":[{\"carbonIntensity\":1,\"datetime\":\"2019-05-21T02:00Z\"},"
                            "{\"carbonIntensity\":2,\"datetime\":\"2019-05-21T01:00Z\"}]}";
    assert_int_equal(c12_carbon_parse_em_forecast(unordered, strlen(unordered), &s, &err), C12_ERR_FORMAT);
    assert_int_equal(s.n, 0);
}

static void test_wt_login(void **state)
{
    (void)state;
    size_t n;
    char *b = fixture("wt_login.json", &n);
    char *tok = NULL;
    c12_err err;
    assert_int_equal(c12_carbon_parse_wt_login(b, n, &tok, &err), C12_OK);
    assert_string_equal(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjMTIifQ.c2lnbmF0dXJl");
    c12_free(tok);
    c12_free(b);
    assert_int_equal(c12_carbon_parse_wt_login("{\"token\":\"\"}", 12, &tok, &err), C12_ERR_FORMAT);
    assert_int_equal(c12_carbon_parse_wt_login("{}", 2, &tok, &err), C12_ERR_FORMAT);
}

static void test_wt_signals(void **state)
{
    (void)state;
    size_t n;
    char *b = fixture("wt_forecast.json", &n);
    c12_carbon_wt_signal w;
    memset(&w, 0, sizeof w);
    c12_err err;
    assert_int_equal(c12_carbon_parse_wt_signal(b, n, &w, &err), C12_OK);
    assert_false(w.is_percentile);
    assert_int_equal(w.pts.n, 3);
    /* 1000 lbs/MWh = 453.59237 g/kWh */
    assert_true(fabs(w.pts.pts[0].value - 453.59237) < 1e-9);
    assert_int_equal(w.pts.pts[0].to_ms - w.pts.pts[0].from_ms, 300000);
    assert_string_equal(w.region, "CAISO_NORTH");
    assert_string_equal(w.units, "lbs_co2_per_mwh");
    c12_free(b);
    b = fixture("wt_signal_index.json", &n);
    assert_int_equal(c12_carbon_parse_wt_signal(b, n, &w, &err), C12_OK);
    assert_true(w.is_percentile);
    assert_true(w.pts.pts[0].value == 56.0);
    c12_carbon_wt_signal_free(&w);
    c12_free(b);
    const char *odd = "{\"data\":[{\"point_time\":\"2023-07-15T00:00:00+00:00\",\"value\":1}],"
                      "\"meta\":{\"units\":\"furlongs\"}}";
    assert_int_equal(c12_carbon_parse_wt_signal(odd, strlen(odd), &w, &err), C12_ERR_UNSUPPORTED);
    const char *nodata = "{\"meta\":{\"units\":\"lbs_co2_per_mwh\"}}";
    assert_int_equal(c12_carbon_parse_wt_signal(nodata, strlen(nodata), &w, &err), C12_ERR_FORMAT);
    const char *empty = "{\"data\":[],\"meta\":{\"units\":\"lbs_co2_per_mwh\"}}";
    assert_int_equal(c12_carbon_parse_wt_signal(empty, strlen(empty), &w, &err), C12_ERR_FORMAT);
}

static void test_uk(void **state)
{
    (void)state;
    size_t n;
    c12_carbon_uk_list l = {NULL, 0, ""};
    c12_err err;
    char *b = fixture("uk_intensity.json", &n);
    assert_int_equal(c12_carbon_parse_uk(b, n, &l, &err), C12_OK);
    assert_int_equal(l.n, 1);
    assert_true(l.items[0].value == 263 && l.items[0].has_actual);
    assert_string_equal(l.items[0].index, "moderate");
    assert_string_equal(l.region, "GB");
    assert_int_equal(l.items[0].to_ms - l.items[0].from_ms, 30 * 60000);
    c12_free(b);
    b = fixture("uk_intensity_null_actual.json", &n);
    assert_int_equal(c12_carbon_parse_uk(b, n, &l, &err), C12_OK);
    assert_true(l.items[0].value == 266 && !l.items[0].has_actual); /* forecast stands in */
    c12_free(b);
    b = fixture("uk_fw48h.json", &n);
    assert_int_equal(c12_carbon_parse_uk(b, n, &l, &err), C12_OK);
    assert_int_equal(l.n, 3);
    assert_true(l.items[2].value == 241);
    c12_free(b);
    b = fixture("uk_regional.json", &n);
    assert_int_equal(c12_carbon_parse_uk(b, n, &l, &err), C12_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.region, "London");
    assert_true(l.items[0].value == 180 && !l.items[0].has_actual);
    c12_free(b);
    b = fixture("uk_regional_fw48h.json", &n);
    assert_int_equal(c12_carbon_parse_uk(b, n, &l, &err), C12_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.region, "London");
    c12_free(b);
    c12_carbon_uk_list_free(&l);
    static const char *bad[] = {
        "{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\"}]}",
        "{\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\",\"intensity\":{\"actual\":null,\"forecast\":null}}]}",
        "{\"data\":[{\"to\":\"2018-01-20T12:30Z\",\"intensity\":{\"forecast\":1}}]}",
        "{\"data\":[]}", "{\"error\":{\"code\":\"400\"}}", "{\"data\":[{\"data\":[{\"data\":[]}]}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(c12_carbon_parse_uk(bad[i], strlen(bad[i]), &l, &err), C12_ERR_FORMAT);
    assert_null(l.items);
}

/* The same 200 gCO2eq/kWh in all three wire formats is the same reading. */
static void test_same_reading(void **state)
{
    (void)state;
    const char *em = "{\"zone\":\"GB\",\"carbonIntensity\":200,\"datetime\":\"2024-03-01T12:00:00.000Z\"}";
    char wt[256];
    snprintf(wt, sizeof wt,
             "{\"data\":[{\"point_time\":\"2024-03-01T12:00:00+00:00\",\"value\":%.10f}],"
             "\"meta\":{\"units\":\"lbs_co2_per_mwh\",\"region\":\"GB\"}}",
             200.0 / C12_CARBON_LBS_MWH_TO_G_KWH);
    const char *uk = "{\"data\":[{\"from\":\"2024-03-01T12:00Z\",\"to\":\"2024-03-01T12:30Z\","
                     "\"intensity\":{\"forecast\":210,\"actual\":200,\"index\":\"moderate\"}}]}";
    c12_carbon_reading r;
    c12_carbon_wt_signal w;
    memset(&w, 0, sizeof w);
    c12_carbon_uk_list l = {NULL, 0, ""};
    c12_err err;
    assert_int_equal(c12_carbon_parse_em_latest(em, strlen(em), &r, &err), C12_OK);
    assert_int_equal(c12_carbon_parse_wt_signal(wt, strlen(wt), &w, &err), C12_OK);
    assert_int_equal(c12_carbon_parse_uk(uk, strlen(uk), &l, &err), C12_OK);
    assert_true(fabs(r.value - 200) < 1e-9);
    assert_true(fabs(w.pts.pts[0].value - 200) < 1e-6);
    assert_true(fabs(l.items[0].value - 200) < 1e-9);
    assert_int_equal(r.from_ms, w.pts.pts[0].from_ms);
    assert_int_equal(r.from_ms, l.items[0].from_ms);
    c12_carbon_wt_signal_free(&w);
    c12_carbon_uk_list_free(&l);
}

static void test_trace_csv(void **state)
{
    (void)state;
    size_t n;
    char *b = fixture("trace_small.csv", &n);
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    c12_err err;
    assert_int_equal(c12_carbon_parse_trace_csv(b, n, &s, &err), C12_OK);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.pts[3].to_ms - s.pts[3].from_ms, 30 * 60000); /* the trace's step, across the gap */
    assert_true(s.pts[1].value == 80);
    c12_free(b);
    static const char *bad[] = {
        "datetime,intensity_gco2_per_kwh\n2023-01-01T00:00:00Z,abc\n",
        "datetime,intensity_gco2_per_kwh\n2023-01-01T01:00:00Z,1\n2023-01-01T00:00:00Z,2\n",
        "datetime,intensity_gco2_per_kwh\n", "hello\n", "2023-02-30X,1\n",
        "datetime,intensity_gco2_per_kwh\n2023-01-01T00:00:00Z,1\ndatetime,x\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(c12_carbon_parse_trace_csv(bad[i], strlen(bad[i]), &s, &err), C12_ERR_FORMAT);
    const char *crlf = "datetime,intensity_gco2_per_kwh\r\n2023-01-01T00:00:00Z,1\r\n2023-01-01T00:30:00Z, 2.5\r\n";
    assert_int_equal(c12_carbon_parse_trace_csv(crlf, strlen(crlf), &s, &err), C12_OK);
    assert_true(s.n == 2 && s.pts[1].value == 2.5);
    c12_carbon_series_free(&s);
}

typedef c12_rc (*parse_fn)(const char *body, size_t len);

static c12_rc p_em_latest(const char *b, size_t n)
{
    c12_carbon_reading r;
    return c12_carbon_parse_em_latest(b, n, &r, NULL);
}
static c12_rc p_em_forecast(const char *b, size_t n)
{
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    c12_rc rc = c12_carbon_parse_em_forecast(b, n, &s, NULL);
    c12_carbon_series_free(&s);
    return rc;
}
static c12_rc p_wt(const char *b, size_t n)
{
    c12_carbon_wt_signal w;
    memset(&w, 0, sizeof w);
    c12_rc rc = c12_carbon_parse_wt_signal(b, n, &w, NULL);
    c12_carbon_wt_signal_free(&w);
    return rc;
}
static c12_rc p_wt_login(const char *b, size_t n)
{
    char *t = NULL;
    c12_rc rc = c12_carbon_parse_wt_login(b, n, &t, NULL);
    c12_free(t);
    return rc;
}
static c12_rc p_uk(const char *b, size_t n)
{
    c12_carbon_uk_list l = {NULL, 0, ""};
    c12_rc rc = c12_carbon_parse_uk(b, n, &l, NULL);
    c12_carbon_uk_list_free(&l);
    return rc;
}
static c12_rc p_trace(const char *b, size_t n)
{
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    c12_rc rc = c12_carbon_parse_trace_csv(b, n, &s, NULL);
    c12_carbon_series_free(&s);
    return rc;
}

/* Fail each allocation in turn: the parser must answer NOMEM (or succeed
 * when the failed allocation was not its own) and leak nothing (ASan). */
static void oom_loop(parse_fn fn, const char *fixture_name)
{
    size_t n;
    char *b = fixture(fixture_name, &n);
    c12_alloc_fail_at(0, 0);
    assert_int_equal(fn(b, n), C12_OK);
    unsigned long count = c12_alloc_fail_at(0, 0);
    for (unsigned long k = 1; k <= count; k++) {
        c12_alloc_fail_at(k, 1);
        c12_rc rc = fn(b, n);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        if (injected) assert_int_equal(rc, C12_ERR_NOMEM);
        else assert_int_equal(rc, C12_OK);
    }
    c12_free(b);
}

static void test_oom(void **state)
{
    (void)state;
    oom_loop(p_em_latest, "em_latest.json");
    oom_loop(p_em_forecast, "em_forecast.json");
    oom_loop(p_wt, "wt_forecast.json");
    oom_loop(p_wt_login, "wt_login.json");
    oom_loop(p_uk, "uk_fw48h.json");
    oom_loop(p_uk, "uk_regional_fw48h.json");
    oom_loop(p_trace, "trace_small.csv");
}

int main(void)
{
    c12_json_init(); /* as main() does: jansson's allocations fail in the OOM loops too */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time),       cmocka_unit_test(test_em_latest), cmocka_unit_test(test_em_forecast),
        cmocka_unit_test(test_em_bad),     cmocka_unit_test(test_wt_login),  cmocka_unit_test(test_wt_signals),
        cmocka_unit_test(test_uk),         cmocka_unit_test(test_same_reading), cmocka_unit_test(test_trace_csv),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
