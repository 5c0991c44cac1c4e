/* gen_answer.c against jansson: for texts that need escaping
 * (escape_texts.h), for chat and completions, each finish, flex or not, and figures from zero to tiny and
 * huge, the plain answer written directly is byte for byte the
 * json_dumps(JSON_COMPACT) of the tree api_gen.c's plain_body() builds
 * (rebuilt here from the same pieces: c12_gen_usage, c12_gen_usage_c12);
 * a NaN is refused (the tree cannot hold it either); and every allocation
 * failing in turn is an error, never a crash. c12_json_put_real is checked
 * against jansson's own real numbers on the way. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/c12_alloc.h"
#include "base/c12_json.h"
#include "base/oom_loop.h"
#include "server/gen.h"
#include "server/server_impl.h"
#include "server/escape_texts.h"
#include "server/written.h"

/* The reference: plain_body()'s tree for one choice of text. */
static char *reference(const c12_gen_job *job, const char *text, size_t n, const char *fin,
                       const c12_backend_result *res)
{
    char *t = c12_strndup(text, n);
    json_t *choice = job->q.kind == C12_API_CHAT
        ? json_pack("{s:i, s:{s:s, s:o}, s:o, s:s}", "index", 0, "message", "role", "assistant", "content",
                    c12_json_text(t, strlen(t)), "logprobs", json_null(), "finish_reason", fin)
        : json_pack("{s:i, s:o, s:o, s:s}", "index", 0, "text", c12_json_text(t, strlen(t)), "logprobs", json_null(),
                    "finish_reason", fin);
    json_t *usage = c12_gen_usage(res);
    json_object_set_new(usage, "c12", c12_gen_usage_c12(job));
    json_t *body = json_pack("{s:s, s:s, s:I, s:s, s:[o], s:o}", "id", job->id, "object",
                             job->q.kind == C12_API_CHAT ? "chat.completion" : "text_completion", "created",
                             (json_int_t)job->created, "model", job->model, "choices", choice, "usage", usage);
    if (body && job->q.flex) json_object_set_new(body, "service_tier", json_string("flex"));
    char *out = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    c12_free(t);
    return out;
}

static const double figures[] = {0.0, 1.36, 1.3600000000000001, 3.7777777777777778e-05, 1e-300, 123.0, 1e17, 2.5e300};

static void check(c12_gen_job *job, const c12_backend_result *res)
{
    static const char *const fins[] = {"stop", "length"};
    for (size_t i = 0; i < N_ESCAPE_TEXTS; i++)
        for (size_t f = 0; f < 2; f++) {
            c12_buf out;
            c12_buf_init(&out, 0);
            c12_test_written(c12_gen_answer_text(job, escape_texts[i].s, escape_texts[i].n, fins[f], res, &out), &out,
                             reference(job, escape_texts[i].s, escape_texts[i].n, fins[f], res));
        }
}

static void test_matches_jansson(void **state)
{
    (void)state;
    c12_server srv;
    c12_gen_job job;
    c12_test_site_job(&srv, &job, "bench");
    c12_backend_result res = {.n_prompt = 8, .n_completion = 6, .n_cached = 2};
    for (size_t f = 0; f < sizeof figures / sizeof *figures; f++) {
        job.cost.energy_j = figures[f];
        job.price.intensity = figures[(f + 3) % (sizeof figures / sizeof *figures)];
        check(&job, &res);
    }
    job.q.flex = 1;
    job.model = "odd \"model\"\\name";
    check(&job, &res);
    job.q.kind = C12_API_COMPLETION;
    snprintf(job.id, sizeof job.id, "cmpl-1");
    check(&job, &res);
    job.q.flex = 0;
    job.site[0] = '\0';
    check(&job, &res);
}

static void test_put_real(void **state)
{
    (void)state;
    const double v[] = {0.0, -0.0, 1.0, -2.5, 0.1, 1.0 / 3, 1e-5, 1e-4, 1e16, 1e17, 1e100, -1e-100, 1e-320,
                        1.7976931348623157e308, 123456789012345678.0};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        json_t *r = json_real(v[i]);
        c12_buf out;
        c12_buf_init(&out, 0);
        c12_test_written(c12_json_put_real(&out, v[i]), &out, json_dumps(r, JSON_ENCODE_ANY));
        json_decref(r);
    }
    c12_buf out;
    c12_buf_init(&out, 0);
    assert_int_equal(c12_json_put_real(&out, NAN), C12_ERR_INVALID);
    assert_int_equal(c12_json_put_real(&out, -INFINITY), C12_ERR_INVALID);
    c12_buf_free(&out);
}

static void test_nan_refused(void **state)
{
    (void)state;
    c12_server srv = {0};
    srv.deps.pue = 1.0;
    c12_gen_job job = {.srv = &srv, .model = "m", .q = {.kind = C12_API_CHAT}};
    job.cost.energy_j = NAN;
    c12_backend_result res = {0};
    c12_buf out;
    c12_buf_init(&out, 0);
    assert_int_equal(c12_gen_answer_text(&job, "x", 1, "stop", &res, &out), C12_ERR_INVALID);
    c12_buf_free(&out);
}

static c12_rc one_answer(void *ud)
{
    c12_backend_result res = {.n_prompt = 1, .n_completion = 1};
    c12_buf out;
    c12_buf_init(&out, 0);
    c12_rc rc = c12_gen_answer_text(ud, "bad \xFF text", 10, "stop", &res, &out);
    c12_buf_free(&out);
    return rc;
}

static void test_oom(void **state)
{
    (void)state;
    c12_server srv = {0};
    srv.deps.pue = 1.0;
    c12_gen_job job = {.srv = &srv, .created = 1, .model = "m", .q = {.kind = C12_API_CHAT}};
    snprintf(job.id, sizeof job.id, "chatcmpl-1");
    c12_test_oom_loop(one_answer, &job);
}

int main(void)
{
    c12_json_init();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_matches_jansson), cmocka_unit_test(test_put_real),
                                       cmocka_unit_test(test_nan_refused), cmocka_unit_test(test_oom)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
