/* backend_remote_body.c: the body a site gets, read back as JSON and
 * compared with the document it must be: a chat with and without a system
 * turn for the policy's note, the messages' tool fields as the client sent
 * them (an assistant turn of calls alone keeps its content absent or
 * null), tools and response_format passed on, a completion's prompt (with
 * and without the client's JSON), every sampling field, stop strings; a
 * string that needs escaping stays the same string; and every allocation
 * failing in turn is an error, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/c12_alloc.h"
#include "base/c12_json.h"
#include "base/oom_loop.h"
#include "pool/backend_remote.h"

/* The body for req, parsed. */
static json_t *body_of(const c12_backend_req *req, const char *model)
{
    c12_remote_call c = {.model = model, .req = req};
    c12_buf b;
    c12_err err;
    c12_buf_init(&b, 0);
    assert_int_equal(c12_remote_body(&c, &b, &err), C12_OK);
    json_error_t je;
    json_t *j = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &je);
    if (!j) fail_msg("not JSON (%s): %s", je.text, b.data);
    c12_buf_free(&b);
    return j;
}

static void assert_json(json_t *got, const char *want_text)
{
    json_error_t je;
    json_t *want = json_loads(want_text, 0, &je);
    if (!want) fail_msg("bad expectation: %s", je.text);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS), *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
        fail_msg("got  %s\nwant %s", g, w);
    }
    json_decref(want);
    json_decref(got);
}

static void test_chat(void **state)
{
    (void)state;
    const c12_chat_msg msgs[] = {{.role = "user", .content = "say \"hi\"\n\\ caf\xC3\xA9"}};
    c12_backend_req r = {.messages = msgs, .n_messages = 1, .gen = {.max_tokens = 8}};
    assert_json(body_of(&r, "smollm2-135m"),
                "{\"model\":\"smollm2-135m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                "\"messages\":[{\"role\":\"user\",\"content\":\"say \\\"hi\\\"\\n\\\\ caf\\u00e9\"}],"
                "\"temperature\":0.0,\"max_tokens\":8}");
}

static void test_note(void **state)
{
    (void)state;
    const c12_chat_msg with[] = {{.role = "system", .content = "Be kind."}, {.role = "user", .content = "hi"},
                                 {.role = "system", .content = "later"}};
    c12_backend_req r = {.messages = with, .n_messages = 3, .system_note = "Answer briefly."};
    assert_json(body_of(&r, "m"), "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                                  "\"messages\":[{\"role\":\"system\",\"content\":\"Be kind.\\nAnswer briefly.\"},"
                                  "{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"system\",\"content\":\"later\"}],"
                                  "\"temperature\":0.0}");
    r.messages = with + 1; /* no system turn: the note is one, first */
    r.n_messages = 1;
    assert_json(body_of(&r, "m"), "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                                  "\"messages\":[{\"role\":\"system\",\"content\":\"Answer briefly.\"},"
                                  "{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.0}");
}

static void test_tools_passed_on(void **state)
{
    (void)state;
    const char *wire_text =
        "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"},"
        "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"w\",\"arguments\":\"{}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"sunny\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[]}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"w\",\"parameters\":{\"type\":\"object\"}}}],"
        "\"tool_choice\":\"auto\",\"parallel_tool_calls\":null,\"response_format\":{\"type\":\"json_object\"}}";
    json_t *wire = json_loads(wire_text, 0, NULL);
    const c12_chat_msg msgs[] = {{.role = "user", .content = "weather?"},
                                 {.role = "assistant", .content = ""},
                                 {.role = "tool", .content = "sunny"},
                                 {.role = "assistant", .content = ""}};
    c12_chat_tools tools = {0};
    c12_backend_req r = {.messages = msgs, .n_messages = 4, .wire = wire, .tools = &tools};
    assert_json(body_of(&r, "m"),
                "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":["
                "{\"role\":\"user\",\"content\":\"weather?\"},"
                "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"w\",\"arguments\":\"{}\"}}]},"
                "{\"role\":\"tool\",\"content\":\"sunny\",\"tool_call_id\":\"c1\"},"
                "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[]}],"
                "\"response_format\":{\"type\":\"json_object\"},"
                "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"w\",\"parameters\":{\"type\":\"object\"}}}],"
                "\"tool_choice\":\"auto\",\"temperature\":0.0}");
    json_decref(wire);
}

static void test_prompt_and_sampling(void **state)
{
    (void)state;
    const char *stop[] = {"\n\n", "END", NULL};
    c12_backend_req r = {.prompt = "Once upon",
                         .gen = {.sampling = {.temperature = 0.75, .top_p = 0.875, .presence_penalty = 0.5,
                                              .frequency_penalty = -0.25, .seed = 42},
                                 .max_tokens = 3, .ignore_eos = 1, .stop = stop}};
    const char *want = "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                       "\"prompt\":\"Once upon\",\"temperature\":0.75,\"top_p\":0.875,\"presence_penalty\":0.5,"
                       "\"frequency_penalty\":-0.25,\"seed\":42,\"max_tokens\":3,\"ignore_eos\":true,"
                       "\"stop\":[\"\\n\\n\",\"END\"]}";
    assert_json(body_of(&r, "m"), want);
    json_t *wire = json_loads("{\"prompt\":\"Once upon\",\"response_format\":{\"type\":\"text\"}}", 0, NULL);
    r.wire = wire; /* the client's JSON: the prompt goes along all the same */
    assert_json(body_of(&r, "m"), "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                                  "\"prompt\":\"Once upon\",\"response_format\":{\"type\":\"text\"},"
                                  "\"temperature\":0.75,\"top_p\":0.875,\"presence_penalty\":0.5,"
                                  "\"frequency_penalty\":-0.25,\"seed\":42,\"max_tokens\":3,\"ignore_eos\":true,"
                                  "\"stop\":[\"\\n\\n\",\"END\"]}");
    json_decref(wire);
}

static void test_refused_without_wire(void **state)
{
    (void)state;
    const c12_chat_msg msgs[] = {{.role = "user", .content = "hi"}};
    c12_chat_tools tools = {0};
    c12_backend_req r = {.messages = msgs, .n_messages = 1, .tools = &tools};
    c12_remote_call c = {.model = "m", .req = &r};
    c12_buf b;
    c12_err err;
    c12_buf_init(&b, 0);
    assert_int_equal(c12_remote_body(&c, &b, &err), C12_ERR_INVALID);
    assert_non_null(strstr(err.msg, "Tools and response_format"));
    c12_buf_free(&b);
}

static c12_rc one_body(void *ud)
{
    c12_buf b;
    c12_err err;
    c12_buf_init(&b, 0);
    c12_rc rc = c12_remote_body(ud, &b, &err);
    c12_buf_free(&b);
    return rc;
}

static void test_oom(void **state)
{
    (void)state;
    json_t *wire = json_loads("{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"tool\","
                              "\"tool_call_id\":\"c1\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\"}]}",
                              0, NULL);
    const c12_chat_msg msgs[] = {{.role = "system", .content = "s"}, {.role = "tool", .content = "x"}};
    const char *stop[] = {"a", NULL};
    c12_chat_tools tools = {0};
    c12_backend_req r = {.messages = msgs, .n_messages = 2, .system_note = "brief", .wire = wire, .tools = &tools,
                         .gen = {.stop = stop}};
    c12_remote_call c = {.model = "m", .req = &r};
    c12_test_oom_loop(one_body, &c);
    json_decref(wire);
}

int main(void)
{
    c12_json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat),         cmocka_unit_test(test_note),
        cmocka_unit_test(test_tools_passed_on), cmocka_unit_test(test_prompt_and_sampling),
        cmocka_unit_test(test_refused_without_wire), cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
