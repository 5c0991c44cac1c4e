/* quality.h - measuring a model's answer quality (`c12 eval-quality`) on
 * tasks with executable tests (MBPP-style rows: the prompt, extracting the
 * code from an answer, running code + tests in a sandboxed subprocess), on
 * questions with accepted answers (general rows: the reply's final answer,
 * normalised, against the accepted ones) and on questions about a passage the
 * prompt contains (grounded rows: the reply must hold a key span of the
 * reference answer), and pass@1 with its Wilson interval.
 *
 * Generated code is outside bytes of the worst kind: it never runs inside
 * C12. c12_quality_run_python forks a python3 child in its own process group,
 * in a fresh temporary folder, with CPU, memory and file-size limits and a
 * wall-clock deadline after which the whole group is killed. */
#ifndef C12_QUALITY_H
#define C12_QUALITY_H

#include <stddef.h>

#include "base/c12_buf.h"
#include "base/c12_rc.h"

/* The MBPP test split is task_id 11..510 (500 tasks). */
#define C12_QUALITY_TEST_FIRST 11
#define C12_QUALITY_TEST_LAST 510
#define C12_QUALITY_MAX_TESTS 16

/* What a row is, from its fields (tasks.c): how it is prompted and scored. */
typedef enum {
    C12_QUALITY_CODE = 0, /* {text, test_list}: the code runs with its tests */
    C12_QUALITY_ANSWER,   /* {text, answers}: the final answer line holds one */
    C12_QUALITY_GROUNDED, /* {text, answers, category: a grounded one}: the reply holds a key span */
} c12_quality_kind;

typedef struct c12_quality_task {
    c12_quality_kind kind;
    const char *category; /* grounded rows: the row's category (static); NULL otherwise */
    long task_id;        /* -1 when the row has none */
    char *text;          /* the problem statement */
    char *setup;         /* test_setup_code ("" when absent) */
    size_t n_tests;
    char *tests[C12_QUALITY_MAX_TESTS]; /* assert statements */
    size_t n_answers;    /* > 0: a question scored by its answers, not by tests */
    char *answers[C12_QUALITY_MAX_TESTS];
} c12_quality_task;

typedef struct c12_quality_tasks {
    c12_quality_task *t;
    size_t n;
} c12_quality_tasks;

/* Read JSON lines {text, test_list, test_setup_code?, task_id?} (code),
 * {text, answers} (a question and its accepted answers) or {text, answers,
 * category} with a category of a question about a given passage
 * (closed_qa, information_extraction, summarization: grounded; any other
 * category leaves the row an answer row). Rows with a
 * task_id outside the MBPP test split are skipped (rows without one are all
 * kept); at most max_n (0: all) are kept, in file order. */
c12_rc c12_quality_load(const char *path, size_t max_n, c12_quality_tasks *out, c12_err *err);
void c12_quality_free(c12_quality_tasks *ts);

/* The instruction for a task, as MBPP evaluations usually write it: the
 * problem and the tests the function must pass. */
c12_rc c12_quality_prompt(const c12_quality_task *t, c12_buf *out, c12_err *err);

/* Extract the Python code from a model's answer into out (replacing its
 * contents): the first fenced block (```python or ```; an unterminated fence
 * runs to the end); without a fence, from the first line that starts with
 * "def ", "import ", "from " or "class " to the end. Returns 1 when it found
 * code, 0 when not (out is then empty). `in_fence`: the answer continues a
 * prompt that already opened a fence (completion models). */
int c12_quality_extract(const char *answer, size_t len, int in_fence, c12_buf *out);

/* Whether an answer holds a complete fenced block already (generation can stop). */
int c12_quality_answer_done(const char *answer, size_t len, int in_fence);

typedef enum { C12_QUALITY_PASS = 0, C12_QUALITY_FAIL, C12_QUALITY_TIMEOUT } c12_quality_outcome;

const char *c12_quality_outcome_name(c12_quality_outcome o);

/* Run `program` with python3 (-I: isolated mode) in a new temporary folder,
 * with a wall-clock limit of timeout_s (the group is killed after it), a CPU
 * limit, 1 GiB of address space and 16 MiB of file size. *out: PASS when it
 * exits 0. The folder is removed afterwards. */
c12_rc c12_quality_run_python(const char *program, double timeout_s, c12_quality_outcome *out, c12_err *err);

/* The program for a task: setup, code, then each test. */
c12_rc c12_quality_program(const c12_quality_task *t, const char *code, c12_buf *out, c12_err *err);

/* Rows with answers. The prompt: for a chat model the question and the
 * request to end with a line "Answer: ..."; for a base model (completion)
 * "Question: ...\nAnswer:", which it completes. */
c12_rc c12_quality_answer_prompt(const c12_quality_task *t, int completion, c12_buf *out, c12_err *err);

/* Where the final answer sits in a reply: [*off, *off + *n). Completion: the
 * first non-blank line. Chat: the rest of the line after the last
 * "answer:" or "answer is" (any case; the next non-blank line when that rest
 * is blank); without a marker, the last non-blank line less a list number
 * ("4. ", "Step 5: "). */
void c12_quality_answer_span(const char *reply, size_t len, int completion, size_t *off, size_t *n);

/* Whether a chat reply has an "answer:" / "answer is" marker. A reply cut
 * off at the token limit without one gave no answer (eval-quality:
 * no_answer) rather than whatever its last, cut line holds. */
int c12_quality_has_answer_line(const char *reply, size_t len);

/* Whether the answer line is complete (generation can stop). */
int c12_quality_reply_done(const char *reply, size_t len, int completion);

/* Normalise text into out (replacing it): tokens, each as " tok ", of ASCII
 * letters and digits, lowercased; punctuation, spaces and non-ASCII bytes
 * separate them. Numbers are canonical: "1,200" is 1200, "8.50" is 8.5,
 * "12.0" and "012" are 12, "-5" keeps its sign, "48km" is 48 km; the words
 * zero..twenty are digits. */
c12_rc c12_quality_normalize(const char *s, size_t len, c12_buf *out);

/* *matched = 1 when the normalised answer span of the reply contains any
 * accepted answer, normalised, as whole tokens ("8" is not in "48"); an
 * answer with a number only where no number follows it in the span. */
c12_rc c12_quality_match(const char *reply, size_t len, int completion, char *const *answers, size_t n_answers,
                         int *matched, c12_err *err);

/* Grounded rows (a question about a passage in the text). The prompt: for a
 * chat model the text as it stands, as a user sends it; for a base model the
 * answer rows' "Question: ...\nAnswer:". */
c12_rc c12_quality_grounded_prompt(const c12_quality_task *t, int completion, c12_buf *out, c12_err *err);

/* What is scored: a chat reply whole; a base model's first line. */
void c12_quality_grounded_span(const char *reply, size_t len, int completion, size_t *off, size_t *n);

/* Whether generation can stop: a base model's first line is complete (a
 * chat reply runs to its end). */
int c12_quality_grounded_done(const char *reply, size_t len, int completion);

/* *matched = 1 when the scored text holds any key span, normalised, as
 * whole tokens anywhere (no last-number rule: a reply is not one final
 * answer). */
c12_rc c12_quality_match_grounded(const char *reply, size_t len, int completion, char *const *answers,
                                  size_t n_answers, int *matched, c12_err *err);

/* Wilson score interval for k successes of n at z (1.96: 95%). */
void c12_quality_wilson(size_t k, size_t n, double z, double *lo, double *hi);

#endif
