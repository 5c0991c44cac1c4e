/* A generation request's accounting with the model and the meter faked
 * through their interfaces: the fake backend emits two tokens, the fake
 * meter says every generation took 36 J. The ledger row's energy and CO2
 * (36 J at 200 g/kWh and PUE 1.5), tokens, names and status; the x-c12-*
 * figures; and the outcome -> status mapping. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/c12_alloc.h"
#include "server/gen.h"

#define FAKE_J 36.0

/* ---- the fake meter: 36 J a generation ---- */

typedef struct fake_meter {
    int begins, ends;
} fake_meter;

static c12_rc m_create(const c12_energy_cfg *cfg, void **out, c12_err *err)
{
    (void)cfg;
    fake_meter *f = c12_calloc(1, sizeof *f);
    if (!f) return c12_fail(err, C12_ERR_NOMEM, "no memory");
    *out = f;
    return C12_OK;
}

static void m_destroy(void *self) { c12_free(self); }

static c12_rc m_begin(void *self, c12_energy_mark *mark, c12_err *err)
{
    (void)err;
    ((fake_meter *)self)->begins++;
    memset(mark, 0, sizeof *mark);
    return C12_OK;
}

static c12_rc m_end(void *self, const c12_energy_mark *mark, double cpu_s, c12_energy_result *out, c12_err *err)
{
    (void)mark, (void)cpu_s, (void)err;
    ((fake_meter *)self)->ends++;
    *out = (c12_energy_result){.joules = FAKE_J, .method = "fake"};
    return C12_OK;
}

static void m_describe(const void *self, char *buf, size_t cap)
{
    (void)self;
    snprintf(buf, cap, "fake");
}

static const c12_meter_ops FAKE_METER = {
    .name = "fake", .create = m_create, .destroy = m_destroy, .begin = m_begin, .end = m_end,
    .describe = m_describe,
};

/* ---- the fake backend: "hi" and "!" as two tokens ---- */

static c12_rc b_generate(void *self, void *model, int slot, const c12_backend_req *req, c12_text_cb cb, void *cb_ud,
                         c12_backend_result *res, c12_err *err)
{
    (void)self, (void)model, (void)slot;
    static const char *const pieces[] = {"hi", "!"};
    for (int i = 0; i < 2; i++) {
        req->gen.on_token(cb_ud, i);
        if (cb(cb_ud, pieces[i], strlen(pieces[i]))) return c12_fail(err, C12_ERR_CANCELLED, "stopped");
    }
    *res = (c12_backend_result){.n_prompt = 5, .n_completion = 2, .finish = C12_FINISH_STOP};
    return C12_OK;
}

static const c12_backend_ops FAKE_BACKEND = {.name = "fake", .generate = b_generate};
static const c12_backend BACKEND = {.ops = &FAKE_BACKEND};

static int keep_text(void *ud, const char *text, size_t len)
{
    (void)ud, (void)text, (void)len;
    return 0;
}

static int stop_at_once(void *ud, const char *text, size_t len)
{
    (void)ud, (void)text, (void)len;
    return 1;
}

/* A job priced at 200 g/kWh ("static") on a server with PUE 1.5. */
static void setup_job(c12_server *s, c12_gen_job *job, const c12_meter *meter)
{
    memset(s, 0, sizeof *s);
    s->backend = &BACKEND;
    s->deps = (c12_server_deps){.meter = meter, .pue = 1.5};
    *job = (c12_gen_job){.srv = s, .id = "chatcmpl-1", .model = "m1", .api_key = "key:abcd1234",
                        .user = "bob"};
    c12_account_begin(job);
    job->price = (c12_gen_price){.intensity = 200, .provider = "static", .age_s = 2, .next_hour = NAN};
    snprintf(job->choice.reason, sizeof job->choice.reason, "explicit model");
}

static void test_row_from_meter_and_intensity(void **state)
{
    (void)state;
    c12_energy_cfg ecfg;
    c12_energy_cfg_defaults(&ecfg);
    c12_meter *meter = NULL;
    c12_err err;
    assert_int_equal(c12_meter_open_ops(&FAKE_METER, &ecfg, &meter, &err), C12_OK);
    c12_server s;
    c12_gen_job job;
    setup_job(&s, &job, meter);
    c12_backend_result res;
    assert_int_equal(c12_account_generate(&job, keep_text, NULL, &res, &err), C12_OK);
    c12_ledger_row row;
    c12_account_row(&job, c12_account_status(200, C12_OK), &res, &row);
    assert_true(row.energy_j == FAKE_J);
    assert_string_equal(row.energy_method, "fake");
    double co2 = FAKE_J / 3.6e6 * 200 * 1.5;
    assert_true(fabs(row.co2_g - co2) < 1e-12);
    assert_true(row.intensity == 200 && row.pue == 1.5 && row.intensity_age_s == 2);
    assert_string_equal(row.intensity_provider, "static");
    assert_int_equal(row.prompt_tokens, 5);
    assert_int_equal(row.completion_tokens, 2);
    assert_string_equal(row.status, "ok");
    assert_string_equal(row.model, "m1");
    assert_string_equal(row.request_id, "chatcmpl-1");
    assert_string_equal(row.api_key, "key:abcd1234");
    assert_string_equal(row.user, "bob");
    assert_string_equal(row.route_reason, "explicit model");
    assert_string_equal(row.category, ""); /* not analysed */
    assert_true(row.ttft_ms >= 0 && row.total_ms >= row.ttft_ms && row.time_ms > 0);
    /* the client sees the same figures */
    c12_gen_hdrs h;
    c12_gen_hdrs_fill(&job, &h);
    assert_string_equal(h.basis, "measured");
    assert_string_equal(h.energy, "36.000");
    assert_string_equal(h.co2, "0.003000");
    assert_string_equal(h.intensity, "200.0");
    assert_string_equal(h.provider, "static");
    assert_string_equal(h.model, ""); /* no slot was leased */
    c12_meter_close(meter);
}

/* A generation cut after its first token: the tokens so far, no result. */
static void test_cancelled_counts_tokens(void **state)
{
    (void)state;
    c12_server s;
    c12_gen_job job;
    c12_err err;
    setup_job(&s, &job, NULL); /* no meter: energy 0, "none" */
    c12_backend_result res;
    c12_rc rc = c12_account_generate(&job, stop_at_once, NULL, &res, &err);
    assert_int_equal(rc, C12_ERR_CANCELLED);
    c12_ledger_row row;
    c12_account_row(&job, c12_account_status(c12_http_rc_status(rc), rc), NULL, &row);
    assert_string_equal(row.status, "cancelled");
    assert_int_equal(row.prompt_tokens, 0);
    assert_int_equal(row.completion_tokens, 1);
    assert_true(row.energy_j == 0 && row.co2_g == 0);
    assert_string_equal(row.energy_method, "none");
}

/* Turned away before generating: nothing metered, the reading still priced. */
static void test_rejected_row(void **state)
{
    (void)state;
    c12_server s;
    c12_gen_job job;
    setup_job(&s, &job, NULL);
    c12_ledger_row row;
    c12_account_row(&job, c12_account_status(404, C12_ERR_NOT_FOUND), NULL, &row);
    assert_string_equal(row.status, "rejected");
    assert_true(row.energy_j == 0 && row.ttft_ms == 0 && row.intensity == 200);
    c12_gen_hdrs h;
    c12_gen_hdrs_fill(&job, &h);
    assert_string_equal(h.basis, "none");
}

static void test_status_mapping(void **state)
{
    (void)state;
    assert_string_equal(c12_account_status(200, C12_OK), "ok");
    assert_string_equal(c12_account_status(c12_http_rc_status(C12_ERR_BUSY), C12_ERR_BUSY), "rejected");
    assert_string_equal(c12_account_status(c12_http_rc_status(C12_ERR_RANGE), C12_ERR_RANGE), "rejected");
    assert_string_equal(c12_account_status(c12_http_rc_status(C12_ERR_TIMEOUT), C12_ERR_TIMEOUT), "timeout");
    assert_string_equal(c12_account_status(c12_http_rc_status(C12_ERR_CANCELLED), C12_ERR_CANCELLED), "cancelled");
    assert_string_equal(c12_account_status(200, C12_ERR_CANCELLED), "cancelled"); /* cut by the grace period */
    assert_string_equal(c12_account_status(c12_http_rc_status(C12_ERR_IO), C12_ERR_IO), "error");
    assert_string_equal(c12_account_status(c12_http_rc_status(C12_ERR_NOMEM), C12_ERR_NOMEM), "error");
    assert_string_equal(c12_account_status(c12_http_rc_status(C12_ERR_INTERNAL), C12_ERR_INTERNAL), "error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row_from_meter_and_intensity),
        cmocka_unit_test(test_cancelled_counts_tokens),
        cmocka_unit_test(test_rejected_row),
        cmocka_unit_test(test_status_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
