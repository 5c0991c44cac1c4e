/* gen_chunk.c against jansson: for every text (quotes, backslashes, each
 * control character, DEL, '/', multi-byte and invalid UTF-8, a NUL inside),
 * with and without the role, for chat and completions, with and without
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
#include "server/gen.h"
#include "server/server_impl.h"

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

static const struct {
    const char *s;
    size_t n;
} texts[] = {
    {"", 0},
    {"Hello", 5},
    {"say \"hi\" \\ back/slash", 22},
    {"\x01\x02\x07\x08\x09\x0a\x0b\x0c\x0d\x1b\x1f\x7f", 12},
    {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14},
    {"cut \xC3", 5},
    {"bad \xFF\xFE mid \xED\xA0\x80 surrogate", 26},
    {"before\0after", 12},
};

static void check_all(c12_gen_job *job)
{
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        for (int role = 0; role < 2; role++) {
            char *want = reference(job, texts[i].s, texts[i].n, role);
            assert_non_null(want);
            c12_buf out;
            c12_buf_init(&out, 0);
            assert_int_equal(c12_gen_chunk_text(job, texts[i].s, texts[i].n, role, &out), C12_OK);
            assert_string_equal(out.data, want);
            c12_buf_free(&out);
            c12_free(want);
        }
}

static void test_matches_jansson(void **state)
{
    (void)state;
    c12_gen_job job = {.created = 1796449703, .model = "qwen2.5-coder-1.5b", .q = {.kind = C12_API_CHAT}};
    snprintf(job.id, sizeof job.id, "chatcmpl-6b13a5a0000000");
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

static void test_oom(void **state)
{
    (void)state;
    c12_gen_job job = {.created = 1, .model = "m", .q = {.kind = C12_API_CHAT}};
    snprintf(job.id, sizeof job.id, "chatcmpl-1");
    for (unsigned long n = 1;; n++) {
        c12_buf out;
        c12_buf_init(&out, 0);
        c12_alloc_fail_at(n, 0);
        c12_rc rc = c12_gen_chunk_text(&job, "bad \xFF text", 10, 1, &out);
        int failed = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        c12_buf_free(&out);
        if (!failed) {
            assert_int_equal(rc, C12_OK);
            break;
        }
        assert_int_equal(rc, C12_ERR_NOMEM);
    }
}

int main(void)
{
    c12_json_init();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_matches_jansson), cmocka_unit_test(test_oom)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
