/* gen_chunk.c against jansson: the finish and usage chunks (each finish,
 * with and without the figures and include_usage); and for every text
 * (escape_texts.h), with and without the role, for chat and completions, with and without
 * include_usage, the chunk written directly is byte for byte the
 * json_dumps(JSON_COMPACT) of the object stream.c built before; and every
 * allocation failing in turn is an error, never a crash. */
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

/* The reference: the tree stream.c's chunk() builds for a text chunk. */
static char *reference(const c12_gen_job *job, const char *text, size_t n, int role)
{
    char *t = c12_strndup(text, n);
    json_t *choice;
    if (job->q.kind == C12_API_CHAT) {
        json_t *delta = role ? json_pack("{s:s, s:o}", "role", "assistant", "content", c12_json_text(t, strlen(t)))
                             : json_pack("{s:o}", "content", c12_json_text(t, strlen(t)));
        choice = json_pack("{s:i, s:o, s:o, s:o}", "index", job->ci, "delta", delta, "logprobs", json_null(),
                           "finish_reason", json_null());
    } else
        choice = json_pack("{s:i, s:o, s:o, s:o}", "index", job->ci, "text", c12_json_text(t, strlen(t)), "logprobs",
                           json_null(), "finish_reason", json_null());
    json_t *c = json_pack("{s:s, s:s, s:I, s:s, s:[o]}", "id", job->id, "object",
                          job->q.kind == C12_API_CHAT ? "chat.completion.chunk" : "text_completion", "created",
                          (json_int_t)job->created, "model", job->model, "choices", choice);
    if (job->q.include_usage) json_object_set_new(c, "usage", json_null());
    char *out = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    c12_free(t);
    return out;
}

/* The references for the finish and usage chunks, built as stream.c's
 * end_choice and finish built them from chunk() before. */
static json_t *bare(const c12_gen_job *job, const char *finish)
{
    json_t *fin = finish ? json_string(finish) : json_null();
    json_t *choice = job->q.kind == C12_API_CHAT
        ? json_pack("{s:i, s:o, s:o, s:o}", "index", job->ci, "delta", json_object(), "logprobs", json_null(),
                    "finish_reason", fin)
        : json_pack("{s:i, s:s, s:o, s:o}", "index", job->ci, "text", "", "logprobs", json_null(), "finish_reason", fin);
    json_t *c = json_pack("{s:s, s:s, s:I, s:s, s:[o]}", "id", job->id, "object",
                          job->q.kind == C12_API_CHAT ? "chat.completion.chunk" : "text_completion", "created",
                          (json_int_t)job->created, "model", job->model, "choices", choice);
    if (job->q.include_usage) json_object_set_new(c, "usage", json_null());
    return c;
}

static char *dump(json_t *c)
{
    char *out = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    return out;
}

static void check_end(c12_gen_job *job, const c12_backend_result *res)
{
    static const char *const fins[] = {"stop", "length", "tool_calls"};
    for (size_t f = 0; f < 3; f++)
        for (int figures = 0; figures < 2; figures++) {
            json_t *c = bare(job, fins[f]);
            if (figures) json_object_set_new(c, "c12", c12_gen_usage_c12(job));
            c12_buf out;
            c12_buf_init(&out, 0);
            c12_test_written(c12_gen_chunk_finish(job, fins[f], figures, &out), &out, dump(c));
        }
    json_t *u = bare(job, NULL), *usage = c12_gen_usage(res);
    json_object_set_new(usage, "c12", c12_gen_usage_c12(job));
    json_object_set_new(u, "choices", json_array());
    json_object_set_new(u, "usage", usage);
    c12_buf out;
    c12_buf_init(&out, 0);
    c12_test_written(c12_gen_chunk_usage(job, res, &out), &out, dump(u));
}

static void test_finish_and_usage(void **state)
{
    (void)state;
    c12_server srv;
    c12_gen_job job;
    c12_test_site_job(&srv, &job, "smollm2-135m");
    c12_backend_result res = {.n_prompt = 20, .n_completion = 7, .n_cached = 16};
    for (int k = 0; k < 2; k++) {
        job.q.kind = k ? C12_API_COMPLETION : C12_API_CHAT;
        for (int usage = 0; usage < 2; usage++) {
            job.q.include_usage = usage;
            job.ci = usage * 2;
            check_end(&job, &res);
        }
    }
}

static void check_all(c12_gen_job *job)
{
    for (size_t i = 0; i < N_ESCAPE_TEXTS; i++)
        for (int role = 0; role < 2; role++) {
            c12_buf out;
            c12_buf_init(&out, 0);
            c12_test_written(c12_gen_chunk_text(job, escape_texts[i].s, escape_texts[i].n, role, &out), &out,
                             reference(job, escape_texts[i].s, escape_texts[i].n, role));
        }
}

static void test_matches_jansson(void **state)
{
    (void)state;
    c12_server srv;
    c12_gen_job job;
    c12_test_site_job(&srv, &job, "qwen2.5-coder-1.5b");
    check_all(&job);
    job.ci = 3;
    job.q.include_usage = 1;
    job.model = "odd \"model\"\\name";
    check_all(&job);
    job.q.kind = C12_API_COMPLETION;
    snprintf(job.id, sizeof job.id, "cmpl-1");
    check_all(&job);
    job.q.include_usage = 0;
    check_all(&job);
}

static c12_rc one_chunk(void *ud)
{
    c12_buf out;
    c12_buf_init(&out, 0);
    c12_rc rc = c12_gen_chunk_text(ud, "bad \xFF text", 10, 1, &out);
    c12_buf_free(&out);
    return rc;
}

static void test_oom(void **state)
{
    (void)state;
    c12_gen_job job = {.created = 1, .model = "m", .q = {.kind = C12_API_CHAT}};
    snprintf(job.id, sizeof job.id, "chatcmpl-1");
    c12_test_oom_loop(one_chunk, &job);
}

int main(void)
{
    c12_json_init();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_matches_jansson), cmocka_unit_test(test_finish_and_usage),
                                       cmocka_unit_test(test_oom)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
