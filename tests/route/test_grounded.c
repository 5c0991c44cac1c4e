/* Unit tests for the grounded category (src/route/route_grounded.c): a
 * question or instruction about a passage the prompt holds, in either
 * order, in one block with a strong reference, as a quotation or a table, or
 * in an earlier message; code evidence wins; open questions, the writer's own
 * situation and requests for new writing stay general; nothing allocated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "route/route.h"

static c12_route_analysis run(const char *text)
{
    c12_route_analysis a;
    c12_err err;
    assert_int_equal(c12_route_analyse_text(text, strlen(text), &a, &err), C12_OK);
    return a;
}

static c12_route_category cat(const char *text) { return run(text).category; }

static int has_reason(const c12_route_analysis *a, const char *needle)
{
    for (size_t i = 0; i < a->n_reasons; i++)
        if (strstr(a->reasons[i], needle)) return 1;
    return 0;
}

#define BRIDGE                                                                                                     \
    "The Forth Bridge is a cantilever railway bridge across the Firth of Forth in the east of Scotland. It was "   \
    "designed by the English engineers Sir John Fowler and Sir Benjamin Baker, and construction began in 1882. It " \
    "opened on 4 March 1890."

static void test_passage_then_question(void **state)
{
    c12_route_analysis a = run(BRIDGE "\n\nWho designed the bridge?");
    assert_int_equal(a.category, C12_ROUTE_GROUNDED);
    assert_true(a.passage_words >= 40 && a.passage_words < 50);
    assert_string_equal(a.reasons[0], "a passage of 43 words before the question");
    assert_int_equal(a.follow_up, 0);
    /* a lead-in line before the passage is part of it */
    assert_int_equal(cat("Context:\n\n" BRIDGE "\n\nWhen did it open?"), C12_ROUTE_GROUNDED);
}

static void test_question_then_passage(void **state)
{
    c12_route_analysis a = run("Who designed the bridge?\n\n" BRIDGE);
    assert_int_equal(a.category, C12_ROUTE_GROUNDED);
    assert_true(has_reason(&a, "words after the request"));
    /* Dolly's shapes: a question without its mark, an instruction, a reference */
    assert_int_equal(cat("Who is Sir John Fowler\n\n" BRIDGE), C12_ROUTE_GROUNDED);
    assert_int_equal(cat("In which year did construction begin.\n\n" BRIDGE), C12_ROUTE_GROUNDED);
    assert_int_equal(cat("Extract the names of the engineers.\n\n" BRIDGE), C12_ROUTE_GROUNDED);
    a = run("Using the paragraph, give the opening date\n\n" BRIDGE);
    assert_int_equal(a.category, C12_ROUTE_GROUNDED);
    assert_true(has_reason(&a, "refers to the text: paragraph"));
}

static void test_one_block_reference(void **state)
{
    c12_route_analysis a = run("Summarize the following text: " BRIDGE);
    assert_int_equal(a.category, C12_ROUTE_GROUNDED);
    assert_true(has_reason(&a, "the request points to a passage of"));
    assert_int_equal(cat("Context: " BRIDGE "\nQuestion: Who designed it?"), C12_ROUTE_GROUNDED);
    assert_int_equal(cat(BRIDGE " According to the text above, when did it open?"), C12_ROUTE_GROUNDED);
    /* a reference without a passage beside it is an ordinary question */
    assert_int_equal(cat("Can you summarize the article Attention Is All You Need?"), C12_ROUTE_GENERAL);
}

static void test_quotation_and_table(void **state)
{
    c12_route_analysis a = run("What does the poet mean by \"Two roads diverged in a wood, and I took the one less "
                               "traveled by, and that has made all the difference\"?");
    assert_int_equal(a.category, C12_ROUTE_GROUNDED);
    assert_true(has_reason(&a, "a quoted passage of 21 words"));
    /* curly quotes, and a quoted block of lines starting with > */
    assert_int_equal(cat("Explain this: \xe2\x80\x9cThe only thing we have to fear is fear itself, nameless, "
                         "unreasoning, unjustified terror which paralyzes needed efforts.\xe2\x80\x9d"),
                     C12_ROUTE_GROUNDED);
    assert_int_equal(cat("> The committee concluded that the bridge could remain open to pedestrians but must be "
                         "closed to heavy vehicles until the repairs are finished.\n\nCan a lorry cross it now?"),
                     C12_ROUTE_GROUNDED);
    a = run("| City | Population |\n|---|---|\n| Lagos | 15,400,000 |\n| Cairo | 21,300,000 |\n\n"
            "Which city has the largest population?");
    assert_int_equal(a.category, C12_ROUTE_GROUNDED);
    assert_int_equal(cat("Month\tUnits\nJanuary\t120\nFebruary\t95\nWhich month sold least?"), C12_ROUTE_GROUNDED);
    /* a short quotation is a phrase, not a passage */
    assert_int_equal(cat("What does \"carpe diem\" mean?"), C12_ROUTE_GENERAL);
}

static void test_code_stays_code(void **state)
{
    assert_int_equal(cat("What does this function do?\n\n```python\ndef f(xs):\n"
                         "    return [x for x in xs if x % 2 == 0]\n```"),
                     C12_ROUTE_CODE);
    assert_int_equal(cat("Given this SQL, what does it return?\n\nSELECT name, COUNT(*) FROM orders GROUP BY name "
                         "HAVING COUNT(*) > 5;"),
                     C12_ROUTE_CODE);
    assert_int_equal(cat("Explain this error:\n\nTraceback (most recent call last):\n  File \"app.py\", line 12, in "
                         "<module>\n    main()\nKeyError: 'user_id'"),
                     C12_ROUTE_CODE);
}

static void test_general_stays_general(void **state)
{
    /* a long open question: no passage */
    assert_int_equal(cat("I'm planning a two-week trip to Japan in April with my wife. We like hiking, food markets "
                         "and quiet temples, and we don't want to spend more than 4,000 dollars including flights. "
                         "What itinerary would you suggest for us?"),
                     C12_ROUTE_GENERAL);
    assert_int_equal(cat("Compare the economic policies of Franklin D. Roosevelt and Ronald Reagan. Which one had a "
                         "larger effect on the American middle class, and why do historians still disagree?"),
                     C12_ROUTE_GENERAL);
    /* the writer's own situation, asked about in their own words */
    assert_int_equal(cat("I have a beagle who barks all night. He is three years old, gets two walks a day and "
                         "sleeps in the kitchen. We tried a crate and the radio, but nothing works.\n\nHow can I "
                         "get him to stop barking at night?"),
                     C12_ROUTE_GENERAL);
    /* new writing with its specification */
    assert_int_equal(cat("Write a short story about a lighthouse keeper.\n\nThe story should be set in the 1920s, "
                         "include a storm and a mysterious visitor, and end with a twist."),
                     C12_ROUTE_GENERAL);
    /* a greeting is not a passage; a list of questions is not one either */
    assert_int_equal(cat("Hi!\n\nWhat is the best way to learn French quickly?"), C12_ROUTE_GENERAL);
    assert_int_equal(cat("Answer these:\n\nWho wrote Hamlet? When was it written? Where is it set? Why is it "
                         "famous? How long is it?"),
                     C12_ROUTE_GENERAL);
    /* a passage with no question or request */
    c12_route_analysis a = run(BRIDGE "\n\n" BRIDGE);
    assert_int_equal(a.category, C12_ROUTE_GENERAL);
    assert_true(a.passage_words > 0); /* but a later question may be about it */
}

static c12_route_analysis chat(const c12_route_msg *m, size_t n)
{
    c12_route_analysis a;
    c12_err err;
    assert_int_equal(c12_route_analyse(m, n, &a, &err), C12_OK);
    return a;
}

static void test_follow_up(void **state)
{
    const char *doc = "Answer from the document below.\n\n" BRIDGE;
    c12_route_msg sys[] = {{"system", doc, strlen(doc)}, {"user", "When did it open?", 17}};
    c12_route_analysis a = chat(sys, 2);
    assert_int_equal(a.category, C12_ROUTE_GROUNDED);
    assert_int_equal(a.follow_up, 1);
    assert_string_equal(a.reasons[0], "follow-up on a passage in an earlier message (turn 1)");
    /* a passage pasted in an earlier user turn, the assistant's reply between */
    c12_route_msg user[] = {{"user", BRIDGE, strlen(BRIDGE)}, {"assistant", "Noted.", 6},
                            {"user", "Who designed it?", 16}};
    a = chat(user, 3);
    assert_int_equal(a.category, C12_ROUTE_GROUNDED);
    assert_string_equal(a.reasons[0], "follow-up on a passage in an earlier message (turn 1)");
    /* the assistant's own long answer is not a given passage */
    c12_route_msg asst[] = {{"user", "Tell me about the Forth Bridge.", 31}, {"assistant", BRIDGE, strlen(BRIDGE)},
                            {"user", "Who designed it?", 16}};
    assert_int_equal(chat(asst, 3).category, C12_ROUTE_GENERAL);
    /* a later code turn decides over an older passage */
    const char *code = "```python\nprint(1)\n```";
    c12_route_msg mixed[] = {{"system", doc, strlen(doc)}, {"user", code, strlen(code)},
                             {"user", "and now?", 8}};
    assert_int_equal(chat(mixed, 3).category, C12_ROUTE_CODE);
    /* a long new question is judged on its own */
    const char *q = "Forget that. What are the main causes of inflation, and how do central banks try to control "
                    "it when prices rise faster than wages over several years in a row, in Europe and elsewhere, "
                    "and what tools do they use first?";
    c12_route_msg own[] = {{"system", doc, strlen(doc)}, {"user", q, strlen(q)}};
    assert_int_equal(chat(own, 2).category, C12_ROUTE_GENERAL);
}

static void test_names_and_no_allocation(void **state)
{
    assert_string_equal(c12_route_category_name(C12_ROUTE_GROUNDED), "grounded");
    assert_int_equal(c12_route_category_parse("grounded"), C12_ROUTE_GROUNDED);
    assert_int_equal(c12_route_category_parse("code"), C12_ROUTE_CODE);
    assert_int_equal(c12_route_category_parse("other"), -1);
    assert_int_equal(c12_route_category_parse(NULL), -1);
    const char *doc = "Context:\n\n" BRIDGE;
    c12_route_msg m[] = {{"system", doc, strlen(doc)}, {"user", "Who designed it?", 16}};
    c12_route_analysis a;
    c12_err err;
    c12_alloc_fail_at(1, 1);
    c12_rc rc = c12_route_analyse(m, 2, &a, &err);
    int injected = c12_alloc_injected();
    c12_alloc_fail_at(0, 0);
    assert_int_equal(rc, C12_OK);
    assert_false(injected);
    assert_int_equal(a.category, C12_ROUTE_GROUNDED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passage_then_question), cmocka_unit_test(test_question_then_passage),
        cmocka_unit_test(test_one_block_reference),   cmocka_unit_test(test_quotation_and_table),
        cmocka_unit_test(test_code_stays_code),       cmocka_unit_test(test_general_stays_general),
        cmocka_unit_test(test_follow_up),             cmocka_unit_test(test_names_and_no_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
