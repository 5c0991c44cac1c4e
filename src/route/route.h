/* route.h - query analysis: what a request is (code, a question about a
 * passage the prompt gives, or general) and how hard it looks (complexity
 * tier), with the reasons in words.
 *
 * c12_route_analyse() is on every request's path, so it is deterministic,
 * allocates nothing (it writes into the caller's struct) and reads each byte a
 * bounded number of times: a few microseconds for a typical prompt. The policy
 * (which model) is built on top of it and lives elsewhere.
 *
 * The detector is a weighted sum of evidence, not a trained model: code syntax
 * (fences, code lines, stack traces, shell commands, file names, identifiers,
 * operators) and words (programming languages, things one writes in code,
 * programming concepts, data structures with an operation on them). Ambiguous
 * words (python the snake, java the island, a school class, a TV program, the
 * function of the liver) count only when the rest of the text supports the
 * programming sense. A prompt that is not code and asks about a passage it
 * holds (a context block, a document, a table, a quotation; before or after
 * the question, or in an earlier message) is grounded (route_grounded.c).
 * See docs/routing.md. */
#ifndef C12_ROUTE_H
#define C12_ROUTE_H

#include <stddef.h>

#include "base/c12_rc.h"

typedef enum { C12_ROUTE_GENERAL = 0, C12_ROUTE_CODE = 1, C12_ROUTE_GROUNDED = 2 } c12_route_category;
#define C12_ROUTE_NCAT 3 /* categories: what indexes by category has this many */
typedef enum { C12_ROUTE_LOW = 0, C12_ROUTE_MEDIUM = 1, C12_ROUTE_HIGH = 2 } c12_route_tier;

/* One chat message; text need not be NUL-terminated. role is "system",
 * "user", "assistant" or "tool" (NULL counts as "user"). */
typedef struct c12_route_msg {
    const char *role;
    const char *text;
    size_t len;
} c12_route_msg;

#define C12_ROUTE_REASONS_MAX 8
#define C12_ROUTE_REASON_LEN 112
/* A code score at or above this makes a text code: a language named alone
 * (8) is not enough, a language and any other evidence is. */
#define C12_ROUTE_CODE_THRESHOLD 9

typedef struct c12_route_analysis {
    c12_route_category category;
    int code_score;      /* evidence for code; >= C12_ROUTE_CODE_THRESHOLD means code */
    int complexity;      /* 0..100 */
    c12_route_tier tier; /* from complexity: low < 30 <= medium < 60 <= high */
    long out_tokens;     /* requested output length in tokens, estimated; 0 = not stated */
    int follow_up;       /* 1 when the category came from earlier turns */
    size_t passage_words; /* words of a passage the text holds (0: none); grounded when it is asked about */
    size_t n_words;      /* words in the analysed (last user) message */
    int n_asks;          /* questions and requests in it */
    size_t n_reasons;
    char reasons[C12_ROUTE_REASONS_MAX][C12_ROUTE_REASON_LEN];
} c12_route_analysis;

/* Analyse a conversation: the last user message decides, earlier turns carry
 * a code conversation over to a short follow-up. n >= 1; returns
 * C12_ERR_INVALID when there is no message with text. */
c12_rc c12_route_analyse(const c12_route_msg *msgs, size_t n, c12_route_analysis *out, c12_err *err);

/* The same for one user message. */
c12_rc c12_route_analyse_text(const char *text, size_t len, c12_route_analysis *out, c12_err *err);

const char *c12_route_category_name(c12_route_category c); /* "code" | "general" | "grounded" */
/* The category of a name, or -1. */
int c12_route_category_parse(const char *name);
const char *c12_route_tier_name(c12_route_tier t);         /* "low" | "medium" | "high" */

/* An OpenAI messages array, read by the one reader (route_msgs.c) that the
 * server's request parser and `c12 route --messages` share: roles system,
 * user, assistant (developer reads as system); content a string or text
 * parts (concatenated). One block owns the texts; free with
 * c12_route_msgs_free. */
typedef struct c12_route_msgs {
    c12_route_msg *msgs;
    size_t n;
    char *store; /* the texts' bytes */
} c12_route_msgs;

struct json_t; /* jansson's */
#define C12_ROUTE_MSGS_MAX 1024
#define C12_ROUTE_PARAM_MAX 64
/* arr: a jansson array (NULL: "'messages' is required"). A refusal is
 * C12_ERR_INVALID; `param` (NULL or C12_ROUTE_PARAM_MAX bytes) names the
 * field. *out is set only on success. */
c12_rc c12_route_msgs_read(const struct json_t *arr, c12_route_msgs *out, char *param, c12_err *err);
/* JSON text: an array, or an object with "messages" (C12_ERR_FORMAT: not JSON). */
c12_rc c12_route_msgs_parse(const char *json, size_t len, c12_route_msgs *out, c12_err *err);
void c12_route_msgs_free(c12_route_msgs *m);

/* Scoring the detectors on labelled rows (c12 eval-router): JSON lines
 * {"text": ..., "label": "code"|"general"|"grounded", "category"?: ...}.
 * Two figures: code (every row; label code is the positive class, grounded
 * counts as not code) and grounded (positive: label grounded or a category
 * closed_qa, information_extraction, summarization; negative: a category
 * open_qa, general_qa, brainstorming, or label general without a category;
 * other rows are not counted). Each decision is timed `reps` times with
 * CLOCK_MONOTONIC; a row's time is the median of those, and p50/p99 are over
 * the rows a figure counts. `miss` (may be NULL) sees each wrong decision
 * with the label it missed (the category for a grounded figure's row). */
typedef struct c12_route_score {
    size_t n, tp, fp, fn, tn;
    double precision, recall, f1, p50_us, p99_us;
} c12_route_score;

typedef struct c12_route_eval {
    c12_route_score code, grounded;
} c12_route_eval;

typedef void (*c12_route_miss_fn)(void *ctx, size_t line, const char *text, const char *label,
                                  const c12_route_analysis *a);
c12_rc c12_route_eval_file(const char *path, int reps, c12_route_miss_fn miss, void *ctx, c12_route_eval *out,
                           c12_err *err);

#endif
