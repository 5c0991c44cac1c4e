/* Request bodies: every field, the defaults, wrong types named by field,
 * malformed JSON, allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "base/c12_json.h"
#include "base/c12_alloc.h"
#include "server/api_req.h"
#include "server/api_tools.h"

static const char CHAT[] =
    "{\"model\":\"auto\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"},{\"type\":\"text\",\"text\":\" there\"}]},"
    "{\"role\":\"developer\",\"content\":\"d\"}],"
    "\"max_tokens\":8,\"temperature\":0.5,\"top_p\":0.9,\"stop\":[\"\\n\",\"END\"],\"seed\":7,"
    "\"presence_penalty\":0.1,\"frequency_penalty\":-0.2,\"user\":\"u\",\"n\":1,\"stream\":true,"
    "\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true,\"logit_bias\":{\"1\":2},\"tools\":null}";

static void test_chat(void **state)
{
    (void)state;
    c12_api_req r;
    char param[64];
    c12_err err;
    assert_int_equal(c12_api_req_parse(CHAT, strlen(CHAT), C12_API_CHAT, &r, param, &err), C12_OK);
    assert_string_equal(r.model, "auto");
    assert_string_equal(r.user, "u");
    assert_int_equal(r.n_messages, 3);
    assert_string_equal(r.messages[1].role, "user");
    assert_string_equal(r.messages[1].content, "Hi there");
    assert_string_equal(r.messages[2].role, "system");
    assert_int_equal(r.max_tokens, 8);
    assert_true(r.sampling.temperature == 0.5f);
    assert_true(r.sampling.top_p == 0.9f);
    assert_true(r.sampling.frequency_penalty == -0.2f);
    assert_int_equal(r.sampling.seed, 7);
    assert_string_equal(r.stop[0], "\n");
    assert_string_equal(r.stop[1], "END");
    assert_null(r.stop[2]);
    assert_true(r.stream);
    assert_true(r.include_usage);
    assert_true(r.ignore_eos);
    c12_api_req_free(&r);
}

static void test_completion_defaults(void **state)
{
    (void)state;
    const char *b = "{\"model\":\"m\",\"prompt\":[\"once\"],\"max_completion_tokens\":3,\"stop\":\".\",\"seed\":null}";
    c12_api_req r;
    c12_err err;
    assert_int_equal(c12_api_req_parse(b, strlen(b), C12_API_COMPLETION, &r, NULL, &err), C12_OK);
    assert_string_equal(r.prompt, "once");
    assert_int_equal(r.max_tokens, 3);
    assert_string_equal(r.stop[0], ".");
    c12_api_req_free(&r);
    b = "{\"model\":\"m\",\"prompt\":\"x\",\"stop\":[\"\",\"a\",\"\"]}";
    assert_int_equal(c12_api_req_parse(b, strlen(b), C12_API_COMPLETION, &r, NULL, &err), C12_OK);
    assert_string_equal(r.stop[0], "a"); /* empty stop strings are dropped */
    assert_null(r.stop[1]);
    c12_api_req_free(&r);
    b = "{\"model\":\"m\",\"prompt\":\"x\",\"stop\":\"\"}";
    assert_int_equal(c12_api_req_parse(b, strlen(b), C12_API_COMPLETION, &r, NULL, &err), C12_OK);
    assert_null(r.stop[0]);
    assert_true(r.sampling.temperature == 1.0f); /* OpenAI's default */
    assert_false(r.stream);
    c12_api_req_free(&r);
}

static void expect(const char *body, c12_api_kind kind, c12_rc want, const char *param_want)
{
    c12_api_req r;
    char param[64];
    c12_err err;
    c12_rc rc = c12_api_req_parse(body, strlen(body), kind, &r, param, &err);
    if (rc != want || strcmp(param, param_want)) {
        fprintf(stderr, "%s: rc %d param '%s' (%s)\n", body, rc, param, err.msg);
        fail();
    }
}

static void test_errors(void **state)
{
    (void)state;
    expect("{\"model\":", C12_API_CHAT, C12_ERR_FORMAT, "body");
    expect("[1]", C12_API_CHAT, C12_ERR_INVALID, "body");
    expect("{\"messages\":[]}", C12_API_CHAT, C12_ERR_INVALID, "model");
    expect("{\"model\":3,\"messages\":[]}", C12_API_CHAT, C12_ERR_INVALID, "model");
    expect("{\"model\":\"m\"}", C12_API_CHAT, C12_ERR_INVALID, "messages");
    expect("{\"model\":\"m\",\"messages\":{}}", C12_API_CHAT, C12_ERR_INVALID, "messages");
    expect("{\"model\":\"m\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", C12_API_CHAT,
           C12_ERR_INVALID, "messages[0].role");
    expect("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":5}]}", C12_API_CHAT, C12_ERR_INVALID,
           "messages[0].content");
    expect("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}",
           C12_API_CHAT, C12_ERR_INVALID, "messages[0].content");
    const char *ok = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],";
    char b[256];
    static const struct { const char *field; } f[] = {
        {"\"max_tokens\":\"8\""}, {"\"max_tokens\":0"}, {"\"max_completion_tokens\":1.5"}, {"\"temperature\":\"hot\""},
        {"\"temperature\":3"}, {"\"top_p\":2"}, {"\"stop\":5"}, {"\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]"},
        {"\"seed\":\"x\""}, {"\"presence_penalty\":9"}, {"\"frequency_penalty\":true"}, {"\"user\":1"}, {"\"n\":17"},
        {"\"stream\":\"yes\""}, {"\"stream_options\":1"}, {"\"stream_options\":{\"include_usage\":1}"}, {"\"ignore_eos\":1"}};
    static const char *const names[] = {"max_tokens", "max_tokens", "max_completion_tokens", "temperature",
                                        "temperature", "top_p", "stop", "stop", "seed", "presence_penalty",
                                        "frequency_penalty", "user", "n", "stream", "stream_options",
                                        "stream_options.include_usage", "ignore_eos"};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        snprintf(b, sizeof b, "%s%s}", ok, f[i].field);
        expect(b, C12_API_CHAT, C12_ERR_INVALID, names[i]);
    }
    expect("{\"model\":\"m\"}", C12_API_COMPLETION, C12_ERR_INVALID, "prompt");
    expect("{\"model\":\"m\",\"prompt\":[\"a\",\"b\"]}", C12_API_COMPLETION, C12_ERR_INVALID, "prompt");
}

/* logprobs: chat's boolean and top_logprobs (0-20, only with it);
 * completions' integer (0-20). */
static void test_logprobs(void **state)
{
    (void)state;
    c12_api_req r;
    c12_err err;
    const char *b = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logprobs\":true,"
                    "\"top_logprobs\":20}";
    assert_int_equal(c12_api_req_parse(b, strlen(b), C12_API_CHAT, &r, NULL, &err), C12_OK);
    assert_int_equal(r.logprobs, 1);
    assert_int_equal(r.top_logprobs, 20);
    c12_api_req_free(&r);
    b = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logprobs\":false,"
        "\"top_logprobs\":null}";
    assert_int_equal(c12_api_req_parse(b, strlen(b), C12_API_CHAT, &r, NULL, &err), C12_OK);
    assert_int_equal(r.logprobs, 0);
    c12_api_req_free(&r);
    b = "{\"model\":\"m\",\"prompt\":\"x\",\"logprobs\":0}";
    assert_int_equal(c12_api_req_parse(b, strlen(b), C12_API_COMPLETION, &r, NULL, &err), C12_OK);
    assert_int_equal(r.logprobs, 1);
    assert_int_equal(r.top_logprobs, 0);
    c12_api_req_free(&r);
    b = "{\"model\":\"m\",\"prompt\":\"x\",\"logprobs\":null}";
    assert_int_equal(c12_api_req_parse(b, strlen(b), C12_API_COMPLETION, &r, NULL, &err), C12_OK);
    assert_int_equal(r.logprobs, 0);
    c12_api_req_free(&r);
    const char *chat = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],";
    static const char *const bad[] = {"\"top_logprobs\":2}", "\"logprobs\":false,\"top_logprobs\":0}",
                                      "\"logprobs\":true,\"top_logprobs\":21}", "\"logprobs\":1}"};
    static const char *const names[] = {"top_logprobs", "top_logprobs", "top_logprobs", "logprobs"};
    char body[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(body, sizeof body, "%s%s", chat, bad[i]);
        expect(body, C12_API_CHAT, C12_ERR_INVALID, names[i]);
    }
    expect("{\"model\":\"m\",\"prompt\":\"x\",\"logprobs\":21}", C12_API_COMPLETION, C12_ERR_INVALID, "logprobs");
    expect("{\"model\":\"m\",\"prompt\":\"x\",\"logprobs\":true}", C12_API_COMPLETION, C12_ERR_INVALID, "logprobs");
}

static const char TOOLS[] =
    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
    "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":"
    "{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\", \\\"a\\\": 1}\"}}]},"
    "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"21 C\"}],"
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}},"
    "{\"type\":\"function\",\"function\":{\"name\":\"other\"}}],"
    "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"other\"}},\"parallel_tool_calls\":false}";

/* tools, a named tool_choice and a history with a call and its result, read
 * as the template renders them (tojson: sorted keys). */
static void test_tools(void **state)
{
    (void)state;
    c12_api_req r;
    c12_err err;
    char param[64];
    assert_int_equal(c12_api_req_parse(TOOLS, strlen(TOOLS), C12_API_CHAT, &r, param, &err), C12_OK);
    assert_int_equal(r.tools.n, 2);
    assert_string_equal(r.tools.tools[0],
                        "{\"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\"}}, "
                        "\"type\": \"function\"}");
    assert_int_equal(r.tool_choice, C12_TOOL_NAMED);
    assert_true(r.tools.force && r.tool_use);
    assert_string_equal(r.tools.name, "other");
    assert_string_equal(r.messages[1].content, "");
    assert_int_equal(r.messages[1].n_calls, 1);
    assert_string_equal(r.messages[1].calls[0].name, "get_weather");
    assert_string_equal(r.messages[1].calls[0].arguments, "{\"a\": 1, \"city\": \"Paris\"}");
    assert_string_equal(r.messages[2].role, "tool");
    char buf[128];
    assert_string_equal(c12_api_tools_prefill(&r, buf, sizeof buf), "<tool_call>\n{\"name\": \"other");
    c12_api_req_free(&r);
    /* no tools: nothing forced, not a tools request */
    assert_int_equal(c12_api_req_parse(CHAT, strlen(CHAT), C12_API_CHAT, &r, param, &err), C12_OK);
    assert_true(r.tool_choice == C12_TOOL_NONE && !r.tool_use && !r.tools.n);
    assert_string_equal(c12_api_tools_prefill(&r, buf, sizeof buf), "");
    c12_api_req_free(&r);
}

static void test_oom(void **state)
{
    (void)state;
    c12_api_req r;
    c12_err err;
    c12_alloc_fail_at(0, 0);
    assert_int_equal(c12_api_req_parse(CHAT, strlen(CHAT), C12_API_CHAT, &r, NULL, &err), C12_OK);
    c12_api_req_free(&r);
    unsigned long n = c12_alloc_fail_at(0, 0);
    for (unsigned long i = 1; i <= n; i++) {
        c12_alloc_fail_at(i, 1);
        c12_rc rc = c12_api_req_parse(CHAT, strlen(CHAT), C12_API_CHAT, &r, NULL, &err);
        c12_alloc_fail_at(0, 0);
        if (rc == C12_OK) c12_api_req_free(&r);
    }
    c12_alloc_fail_at(0, 0);
    assert_int_equal(c12_api_req_parse(TOOLS, strlen(TOOLS), C12_API_CHAT, &r, NULL, &err), C12_OK);
    c12_api_req_free(&r);
    n = c12_alloc_fail_at(0, 0);
    for (unsigned long i = 1; i <= n; i++) {
        c12_alloc_fail_at(i, 1);
        c12_rc rc = c12_api_req_parse(TOOLS, strlen(TOOLS), C12_API_CHAT, &r, NULL, &err);
        c12_alloc_fail_at(0, 0);
        assert_true(rc == C12_OK || rc == C12_ERR_NOMEM);
        if (rc == C12_OK) c12_api_req_free(&r);
    }
}

/* n and response_format: read into the request; refused with its field named */
static void test_n_and_response_format(void **state)
{
    (void)state;
    const char *b = "{\"model\":\"m\",\"prompt\":\"x\",\"n\":16,\"response_format\":{\"type\":\"json_schema\","
                    "\"json_schema\":{\"schema\":{\"type\":\"object\"},\"name\":\"s\"}}}";
    c12_api_req r;
    c12_err err;
    assert_int_equal(c12_api_req_parse(b, strlen(b), C12_API_COMPLETION, &r, NULL, &err), C12_OK);
    assert_int_equal(r.n, 16);
    assert_non_null(r.rfmt);
    /* the cache's key: sorted keys, so the same format written otherwise is the same */
    assert_string_equal(r.rfmt_key, "{\"json_schema\":{\"name\":\"s\",\"schema\":{\"type\":\"object\"}},"
                                    "\"type\":\"json_schema\"}");
    c12_api_req_free(&r);
    b = "{\"model\":\"m\",\"prompt\":\"x\",\"response_format\":{\"type\":\"text\"}}";
    assert_int_equal(c12_api_req_parse(b, strlen(b), C12_API_COMPLETION, &r, NULL, &err), C12_OK);
    assert_int_equal(r.n, 1);
    assert_null(r.rfmt);
    assert_null(r.rfmt_key);
    c12_api_req_free(&r);
    expect("{\"model\":\"m\",\"prompt\":\"x\",\"n\":0}", C12_API_COMPLETION, C12_ERR_INVALID, "n");
    expect("{\"model\":\"m\",\"prompt\":\"x\",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
           "{\"name\":\"s\",\"schema\":{\"type\":\"string\",\"pattern\":\"a\"}}}}",
           C12_API_COMPLETION, C12_ERR_INVALID, "response_format.json_schema.schema");
    expect("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\","
           "\"function\":{\"name\":\"f\"}}],\"response_format\":{\"type\":\"json_object\"}}",
           C12_API_CHAT, C12_ERR_INVALID, "response_format");
}

int main(void)
{
    c12_json_init(); /* as main does: jansson's memory fails too */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat), cmocka_unit_test(test_completion_defaults), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_logprobs), cmocka_unit_test(test_tools), cmocka_unit_test(test_oom),
        cmocka_unit_test(test_n_and_response_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
