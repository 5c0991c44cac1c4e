/* Unit tests for src/route: the code detector's features, ambiguous words,
 * the follow-up rule, complexity tiers, reasons, the messages parser, and
 * that analysing allocates nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_json.h"
#include "base/c12_alloc.h"
#include "route/route.h"
#include "route/route_impl.h"

static c12_route_analysis run(const char *text)
{
    c12_route_analysis a;
    c12_err err;
    assert_int_equal(c12_route_analyse_text(text, strlen(text), &a, &err), C12_OK);
    return a;
}

static int is_code(const char *text) { return run(text).category == C12_ROUTE_CODE; }

/* Whether some reason contains needle. */
static int has_reason(const c12_route_analysis *a, const char *needle)
{
    for (size_t i = 0; i < a->n_reasons; i++)
        if (strstr(a->reasons[i], needle)) return 1;
    return 0;
}

static void test_table_sorted_and_buckets(void **state)
{
    (void)state;
    for (size_t i = 1; i < rt_n_keywords; i++) assert_true(strcmp(rt_keywords[i - 1].word, rt_keywords[i].word) < 0);
    assert_int_equal(rt_first[26], rt_n_keywords);
    for (size_t i = 0; i < rt_n_keywords; i++) {
        const char *w = rt_keywords[i].word;
        assert_ptr_equal(rt_lookup(w, strlen(w)), &rt_keywords[i]);
    }
    assert_null(rt_lookup("zzzz", 4));
    assert_null(rt_lookup("functio", 7));
}

static void test_syntax_features(void **state)
{
    (void)state;
    c12_route_analysis a = run("Why does this fail?\n```\nx = [1, 2]\nprint(x[2])\n```");
    assert_int_equal(a.category, C12_ROUTE_CODE);
    assert_true(has_reason(&a, "fenced code block"));
    a = run("def add(a, b):\n    return a + b");
    assert_true(has_reason(&a, "python keywords: def"));
    a = run("Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\nKeyError: 'x'");
    assert_int_equal(a.category, C12_ROUTE_CODE);
    assert_true(has_reason(&a, "stack trace"));
    a = run("sudo apt-get install -y libcurl4-openssl-dev");
    assert_true(has_reason(&a, "shell command"));
    a = run("rename main.py and utils.js please");
    assert_true(has_reason(&a, "file names: main.py, utils.js"));
    a = run("what does get_user_name return, and getUserName?");
    assert_true(has_reason(&a, "identifiers: get_user_name, getUserName"));
    assert_true(is_code("SELECT id, name FROM users WHERE age > 30;"));
    assert_true(is_code("Explain what `sorted(d.items(), key=lambda kv: kv[1])` does"));
}

static void test_word_features(void **state)
{
    (void)state;
    c12_route_analysis a = run("Write a python function to check whether a number is prime.");
    assert_int_equal(a.category, C12_ROUTE_CODE);
    assert_true(has_reason(&a, "language: python"));
    assert_true(has_reason(&a, "asks to write code"));
    assert_true(is_code("Write a function that reverses a string."));
    assert_true(is_code("How do I sort a dictionary by value in Python?"));
    assert_true(is_code("Implement a stack using two queues."));
    assert_true(is_code("Create a SQL query that lists the customers without orders."));
    assert_true(is_code("Write a program that prints the first 20 primes."));
    assert_false(is_code("What is the capital of France?"));
    assert_false(is_code("Give me a list of ten fruits."));
    assert_false(is_code("Identify which instrument is string or percussion: Tabla, Cello"));
    assert_false(is_code("What is an API?"));
    /* phrases and tools in running text */
    assert_true(is_code("Write a regular expression that matches dates."));
    assert_true(is_code("How do I undo the last git commit?"));
    assert_true(is_code("Could you help me write a small Python tool that lists files?"));
    assert_true(is_code("What is the idiomatic way to iterate over a map in Go and get sorted keys?"));
    /* the thing written is prose */
    assert_false(is_code("Write an essay about the history of JavaScript."));
    assert_false(is_code("Play a song in C major."));
}

static void test_ambiguous_words(void **state)
{
    (void)state;
    c12_route_analysis a = run("Write a short poem about a python sleeping near the snakes at the zoo.");
    assert_int_equal(a.category, C12_ROUTE_GENERAL);
    assert_false(is_code("Plan a trip to Java, Indonesia, to see the volcano."));
    assert_false(is_code("What is the function of the liver?"));
    assert_false(is_code("Find the derivative of the function f(x) = 3x^2 + 2."));
    assert_false(is_code("Write a script for a comedy sketch about a lost umbrella."));
    assert_false(is_code("Design a training program for a 5 km run."));
    assert_false(is_code("What should I bring to my first yoga class?"));
    assert_false(is_code("What is the dress code for a black tie wedding?"));
    assert_false(is_code("How do I remove rust from a cast iron pan?"));
    /* the same words with programming context */
    assert_true(is_code("Write a Python script that renames files."));
    assert_true(is_code("Write a Java class for a bank account."));
    a = run("Mention python once");
    assert_true(has_reason(&a, "without programming context"));
}

static void test_follow_up(void **state)
{
    (void)state;
#define MSG(role, text) {role, text, sizeof text - 1}
    c12_route_msg conv[] = {
        MSG("system", "You are helpful."),
        MSG("user", "Write a Python function that parses ISO dates."),
        MSG("assistant", "```python\nfrom datetime import date\n```"),
        MSG("user", "Now make it faster."),
    };
    c12_route_analysis a;
    c12_err err;
    assert_int_equal(c12_route_analyse(conv, 4, &a, &err), C12_OK);
    assert_int_equal(a.category, C12_ROUTE_CODE);
    assert_int_equal(a.follow_up, 1);
    assert_true(strstr(a.reasons[0], "follow-up in a code conversation (turn 3)") != NULL);
    /* alone, the follow-up is general */
    assert_int_equal(c12_route_analyse(conv + 3, 1, &a, &err), C12_OK);
    assert_int_equal(a.category, C12_ROUTE_GENERAL);
    assert_int_equal(a.follow_up, 0);
    /* a long new general question in a code conversation is judged alone */
    char long_q[1000] = "Tell me about the history of the Roman Empire";
    for (int i = 0; i < 40; i++) strcat(long_q, " and its emperors");
    c12_route_msg conv2[] = {conv[1], {"user", long_q, strlen(long_q)}};
    assert_int_equal(c12_route_analyse(conv2, 2, &a, &err), C12_OK);
    assert_int_equal(a.category, C12_ROUTE_GENERAL);
    /* only the 8 most recent earlier turns are read */
    c12_route_msg many[12];
    many[0] = conv[1];
    for (int i = 1; i < 12; i++) many[i] = (c12_route_msg)MSG("user", "ok, thanks");
    assert_int_equal(c12_route_analyse(many, 9, &a, &err), C12_OK);
    assert_int_equal(a.category, C12_ROUTE_CODE);
    assert_int_equal(c12_route_analyse(many, 12, &a, &err), C12_OK);
    assert_int_equal(a.category, C12_ROUTE_GENERAL);
    /* no user message */
    assert_int_equal(c12_route_analyse(conv, 1, &a, &err), C12_ERR_INVALID);
}

static void test_complexity_tiers(void **state)
{
    (void)state;
    c12_route_analysis a = run("What is the capital of France?");
    assert_int_equal(a.tier, C12_ROUTE_LOW);
    assert_int_equal(a.n_asks, 1);
    a = run("Explain why the Roman Empire fell, compare it with the Han dynasty, and analyse the role of the "
            "economy. First describe the third century crisis, then the division of the empire, and finally the "
            "fall of the west. Write at least 800 words.");
    assert_int_equal(a.tier, C12_ROUTE_HIGH);
    assert_true(a.out_tokens >= 1000);
    assert_true(has_reason(&a, "reasoning: "));
    a = run("Describe the water cycle in three paragraphs. Why does it matter for farming?");
    assert_int_equal(a.tier, C12_ROUTE_MEDIUM);
    assert_int_equal(a.n_asks, 2);
    assert_int_equal(a.out_tokens, 400);
    assert_true(has_reason(&a, "2 asks"));
    a = run("In one sentence, briefly: what is DNA?");
    assert_int_equal(a.tier, C12_ROUTE_LOW);
    assert_true(has_reason(&a, "asks for brevity"));
}

static void test_reasons_text(void **state)
{
    (void)state;
    c12_route_analysis a = run("Write a function to merge two sorted lists in Python.");
    assert_true(a.n_reasons >= 2 && a.n_reasons <= C12_ROUTE_REASONS_MAX);
    for (size_t i = 0; i < a.n_reasons; i++) assert_true(strlen(a.reasons[i]) < C12_ROUTE_REASON_LEN);
    assert_true(has_reason(&a, "complexity "));
    a = run("Tell me a joke.");
    assert_true(has_reason(&a, "no code evidence"));
    assert_string_equal(c12_route_category_name(C12_ROUTE_CODE), "code");
    assert_string_equal(c12_route_tier_name(C12_ROUTE_MEDIUM), "medium");
}

static void test_no_allocation(void **state)
{
    (void)state;
    const char *t = "Write a python function to sort a list.\n\n```python\ndef f(x):\n    return sorted(x)\n```";
    c12_route_msg m[] = {{"user", t, strlen(t)}, {"user", "and now?", 8}};
    c12_route_analysis a;
    c12_err err;
    c12_alloc_fail_at(1, 1);
    c12_rc rc1 = c12_route_analyse_text(t, strlen(t), &a, &err);
    c12_rc rc2 = c12_route_analyse(m, 2, &a, &err);
    int injected = c12_alloc_injected();
    c12_alloc_fail_at(0, 0);
    assert_int_equal(rc1, C12_OK);
    assert_int_equal(rc2, C12_OK);
    assert_false(injected);
}

static void test_deterministic_and_bounded(void **state)
{
    (void)state;
    static char big[40000];
    for (size_t i = 0; i < sizeof big - 1; i++) big[i] = "word ( [ x_y.py `a` == \n"[i % 24];
    c12_route_analysis a, b;
    assert_int_equal(c12_route_analyse_text(big, strlen(big), &a, NULL), C12_OK);
    assert_int_equal(c12_route_analyse_text(big, strlen(big), &b, NULL), C12_OK);
    assert_memory_equal(&a, &b, sizeof a);
    assert_true(a.n_words > 5000); /* the unread tail still counts */
    assert_int_equal(c12_route_analyse_text("", 0, &a, NULL), C12_OK);
    assert_int_equal(a.category, C12_ROUTE_GENERAL);
    assert_int_equal(c12_route_analyse_text(NULL, 3, &a, NULL), C12_ERR_INVALID);
}

/* The one messages reader (the server's rules): text parts concatenated,
 * null content only for an assistant turn, developer read as system, every
 * refusal naming the field. */
static void test_msgs_parse(void **state)
{
    (void)state;
    const char *j = "{\"messages\": [{\"role\": \"developer\", \"content\": \"hi\"},"
                    "{\"role\": \"assistant\", \"content\": null},"
                    "{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a\"},"
                    "{\"type\": \"text\", \"text\": \"b\"}]}]}";
    c12_route_msgs m;
    c12_err err;
    assert_int_equal(c12_route_msgs_parse(j, strlen(j), &m, &err), C12_OK);
    assert_int_equal(m.n, 3);
    assert_string_equal(m.msgs[0].role, "system");
    assert_string_equal(m.msgs[0].text, "hi");
    assert_int_equal(m.msgs[1].len, 0);
    assert_string_equal(m.msgs[2].text, "ab");
    assert_int_equal(m.msgs[2].len, 2);
    c12_route_msgs_free(&m);
    const char *syntax[] = {"", "["};
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++)
        assert_int_equal(c12_route_msgs_parse(syntax[i], strlen(syntax[i]), &m, &err), C12_ERR_FORMAT);
    static const struct { const char *json, *param; } bad[] = {
        {"[]", "messages"}, {"{}", "messages"}, {"[1]", "messages[0]"}, {"[{\"role\": 3}]", "messages[0].role"},
        {"[{\"role\": \"robot\", \"content\": \"x\"}]", "messages[0].role"},
        {"[{\"role\": \"user\", \"content\": 5}]", "messages[0].content"},
        {"[{\"role\": \"user\"}]", "messages[0].content"},
        {"[{\"role\": \"user\", \"content\": null}]", "messages[0].content"},
        {"[{\"role\": \"user\", \"content\": \"x\"}, {\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]",
         "messages[1].content"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *arr = json_loads(bad[i].json, 0, NULL);
        char param[C12_ROUTE_PARAM_MAX] = "";
        const json_t *a = json_is_object(arr) ? json_object_get(arr, "messages") : arr;
        assert_int_equal(c12_route_msgs_read(a, &m, param, &err), C12_ERR_INVALID);
        assert_string_equal(param, bad[i].param);
        assert_non_null(strstr(err.msg, bad[i].param));
        json_decref(arr);
    }
}

static void test_msgs_oom(void **state)
{
    (void)state;
    const char *j = "[{\"role\": \"user\", \"content\": \"hello there\"}]";
    for (unsigned long n = 1; n < 10; n++) {
        c12_route_msgs m = {0};
        c12_err err;
        c12_alloc_fail_at(n, 1);
        c12_rc rc = c12_route_msgs_parse(j, strlen(j), &m, &err);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        if (rc == C12_OK) c12_route_msgs_free(&m);
        if (injected) assert_true(rc == C12_ERR_NOMEM || rc == C12_ERR_FORMAT || rc == C12_ERR_INVALID);
        else assert_int_equal(rc, C12_OK);
    }
}

int main(void)
{
    c12_json_init(); /* as main() does: jansson's allocations fail in the OOM loops too */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_sorted_and_buckets),
        cmocka_unit_test(test_syntax_features),
        cmocka_unit_test(test_word_features),
        cmocka_unit_test(test_ambiguous_words),
        cmocka_unit_test(test_follow_up),
        cmocka_unit_test(test_complexity_tiers),
        cmocka_unit_test(test_reasons_text),
        cmocka_unit_test(test_no_allocation),
        cmocka_unit_test(test_deterministic_and_bounded),
        cmocka_unit_test(test_msgs_parse),
        cmocka_unit_test(test_msgs_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
