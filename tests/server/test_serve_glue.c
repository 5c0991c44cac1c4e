/* The pure parts of c12 serve's wiring: policy model names to served
 * models, the candidate filter, the energy:/ledger: sections, the ledger
 * status of an outcome, which acquire errors fall back to the next
 * candidate, and the prompt-token guess. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "server/gen.h"
#include "server/serve_env.h"

static c12_config *two_models(void)
{
    c12_config *c = NULL;
    c12_err err;
    static const char Y[] = "models:\n"
                            "  - {id: coder, source: qwen2.5-coder-1.5b}\n"
                            "  - smollm2-135m\n"
                            "  - {id: local, path: /nonexistent/x.gguf}\n";
    assert_int_equal(c12_config_parse(Y, strlen(Y), "t.yaml", &c, &err), C12_OK);
    return c;
}

static void test_policy_model(void **state)
{
    (void)state;
    c12_config *c = two_models();
    assert_int_equal(c12_server_policy_model(c, "coder"), 0);              /* by id */
    assert_int_equal(c12_server_policy_model(c, "qwen2.5-coder-1.5b"), 0); /* by catalogue source */
    assert_int_equal(c12_server_policy_model(c, "smollm2-135m"), 1);
    assert_int_equal(c12_server_policy_model(c, "gemma3-270m"), -1);
    c12_config_free(c);
}

/* Present: everything but the model "local". */
static int present(const c12_model_cfg *m, void *ud)
{
    (*(int *)ud)++;
    return strcmp(m->id, "local") != 0;
}

static void test_filter(void **state)
{
    (void)state;
    c12_config *c = two_models();
    c12_policy_params in, out;
    c12_policy_defaults(&in);
    snprintf(in.models[in.n_models++].name, C12_POLICY_NAME_MAX, "local");
    char note[256];
    int calls = 0;
    assert_int_equal(c12_server_policy_filter(&in, c, present, &calls, &out, note, sizeof note), 2);
    assert_string_equal(out.models[0].name, "qwen2.5-coder-1.5b");
    assert_string_equal(out.models[1].name, "smollm2-135m");
    assert_int_equal(out.models[0].served_idx, 0); /* resolved once: the served model each stands for */
    assert_int_equal(out.models[1].served_idx, 1);
    assert_true(out.min_rating == in.min_rating && out.n_levels == in.n_levels);
    assert_string_equal(note, "gemma3-270m (not served), local (no model file)");
    assert_int_equal(calls, 3);
    /* none served: nothing kept */
    c12_policy_params only;
    c12_policy_defaults(&only);
    only.n_models = 0;
    snprintf(only.models[only.n_models++].name, C12_POLICY_NAME_MAX, "gemma3-270m");
    assert_int_equal(c12_server_policy_filter(&only, c, NULL, NULL, &out, note, sizeof note), 0);
    c12_config_free(c);
}

/* The energy: and ledger: sections through the one configuration reader. */
static c12_rc parse_sections(const char *yaml, c12_energy_cfg *e, c12_ledger_cfg *l, c12_err *err)
{
    c12_config *c = NULL;
    c12_rc rc = c12_config_parse(yaml, strlen(yaml), "c.yaml", &c, err);
    if (!rc) *e = c->energy, *l = c->ledger;
    c12_config_free(c);
    return rc;
}

static void test_sections(void **state)
{
    (void)state;
    c12_energy_cfg e;
    c12_ledger_cfg l;
    c12_err err;
    c12_energy_cfg_defaults(&e);
    c12_ledger_cfg_defaults(&l);
    static const char OK[] = "server: {listen: 1}\nenergy:\n  watts_per_core: 3.5\n  pue: 1.2\n"
                             "ledger:\n  path: /tmp/x.db\n  flush_ms: 50\npolicy: {min_rating: 0.4}\n";
    assert_int_equal(parse_sections(OK, &e, &l, &err), C12_OK);
    assert_true(e.watts_per_core == 3.5 && e.pue == 1.2);
    assert_string_equal(l.target, "/tmp/x.db");
    assert_int_equal(l.flush_ms, 50);
    /* a refused value names file:line and leaves both settings as they were */
    static const char BAD[] = "energy:\n  pue: 1.5\nledger:\n  flush_ms: 50\n  queue_cap: lots\n";
    assert_int_equal(parse_sections(BAD, &e, &l, &err), C12_ERR_INVALID);
    assert_non_null(strstr(err.msg, "c.yaml:5: ledger.queue_cap"));
    assert_true(e.pue == 1.2);
    static const char UNKNOWN[] = "energy:\n  watts: 3\n";
    assert_int_equal(parse_sections(UNKNOWN, &e, &l, &err), C12_ERR_INVALID);
    assert_non_null(strstr(err.msg, "c.yaml:2: energy.watts: unknown key"));
    static const char NOTMAP[] = "ledger: [1, 2]\n";
    assert_int_equal(parse_sections(NOTMAP, &e, &l, &err), C12_ERR_INVALID);
    static const char EMPTY[] = "energy:\n";
    assert_int_equal(parse_sections(EMPTY, &e, &l, &err), C12_OK);
    assert_int_equal(parse_sections("a: [", &e, &l, &err), C12_ERR_FORMAT);
}

static void test_status(void **state)
{
    (void)state;
    assert_string_equal(c12_account_status(200, C12_OK), "ok");
    assert_string_equal(c12_account_status(400, C12_ERR_INVALID), "rejected");
    assert_string_equal(c12_account_status(404, C12_ERR_NOT_FOUND), "rejected");
    assert_string_equal(c12_account_status(429, C12_ERR_BUSY), "rejected");
    assert_string_equal(c12_account_status(504, C12_ERR_TIMEOUT), "timeout");
    assert_string_equal(c12_account_status(503, C12_ERR_CANCELLED), "cancelled");
    assert_string_equal(c12_account_status(200, C12_ERR_CANCELLED), "cancelled");
    assert_string_equal(c12_account_status(500, C12_ERR_FORMAT), "error");
    assert_int_equal(c12_http_rc_status(C12_ERR_RANGE), 400);
    assert_int_equal(c12_http_rc_status(C12_ERR_INVALID), 400);
    assert_int_equal(c12_http_rc_status(C12_ERR_BUSY), 429);
    assert_int_equal(c12_http_rc_status(C12_ERR_TIMEOUT), 504);
    assert_int_equal(c12_http_rc_status(C12_ERR_INTEGRITY), 500);
    assert_int_equal(c12_http_rc_status(C12_ERR_CANCELLED), 503);
}

static void test_load_failed(void **state)
{
    (void)state;
    assert_true(c12_pool_load_failed(C12_ERR_NOT_FOUND));
    assert_true(c12_pool_load_failed(C12_ERR_FORMAT));
    assert_true(c12_pool_load_failed(C12_ERR_INTEGRITY));
    assert_true(c12_pool_load_failed(C12_ERR_RANGE)); /* does not fit the memory budget */
    assert_false(c12_pool_load_failed(C12_ERR_BUSY));
    assert_false(c12_pool_load_failed(C12_ERR_TIMEOUT));
    assert_false(c12_pool_load_failed(C12_ERR_CANCELLED));
}

static void test_prompt_tokens(void **state)
{
    (void)state;
    c12_api_req q;
    memset(&q, 0, sizeof q);
    q.kind = C12_API_COMPLETION;
    q.prompt = "12345678";
    assert_true(c12_choose_prompt_tokens(&q) == 10.0);
    q.prompt = "12345"; /* rounded up, as the simulator rounds */
    assert_true(c12_choose_prompt_tokens(&q) == 10.0);
    assert_true(c12_choose_prompt_tokens(&q) == c12_policy_prompt_tokens(5));
    c12_chat_msg m[2] = {{.role = "system", .content = "abcd"}, {.role = "user", .content = ""}};
    q.kind = C12_API_CHAT;
    q.messages = m;
    q.n_messages = 2;
    assert_true(c12_choose_prompt_tokens(&q) == 17.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_model), cmocka_unit_test(test_filter),       cmocka_unit_test(test_sections),
        cmocka_unit_test(test_status),       cmocka_unit_test(test_load_failed), cmocka_unit_test(test_prompt_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
