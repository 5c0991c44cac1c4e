/* cmd_eval_quality.c - `c12 eval-quality -m MODEL`: pass@1 of a model,
 * greedy, on tasks with executable tests (MBPP; the code runs in a
 * subprocess), on questions with accepted answers (the reply's final answer
 * is matched, never run) and on questions about a given passage (the reply
 * must hold a key span), with a breakdown by the router's tier. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/c12_clock.h"
#include "base/c12_alloc.h"
#include "cli.h"
#include "cli_model.h"
#include "quality/quality.h"
#include "route/route.h"

/* the repository's copy of MBPP (data/quality/SOURCES.md), as the commands run from the root */
#define EQ_DEFAULT_TASKS "data/quality/mbpp.jsonl"

typedef struct eq_opts {
    const char *model, *tasks, *replies;
    const char *directive; /* a system turn before each chat prompt (the policy's answer-length directive) */
    size_t n;
    double timeout_s;
    int json, threads, max_tokens, verbose, completion;
} eq_opts;

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: c12 eval-quality -m MODEL [--tasks FILE.jsonl] [--n N] [--timeout S] [--max-tokens N]\n"
               "                        [-t THREADS] [--json] [-v] [--replies FILE.jsonl [--completion]]\n"
               "                        [--directive TEXT]\n"
               "  rows {text, test_list, test_setup_code?, task_id?} (MBPP; with task_id only the test split\n"
               "  11..510 is used): each answer's code runs with its tests in a python3 subprocess with a time\n"
               "  limit (default 10 s). Rows {text, answers}: the reply's final answer, normalised, must hold\n"
               "  one of the answers; with a category closed_qa, information_extraction or summarization (a\n"
               "  question about a passage in the text) the whole reply, sent the text as it is, must hold one\n"
               "  of them anywhere. The first N rows (default 40); greedy. Prints pass@1, its 95%% Wilson\n"
               "  interval and the passes per router complexity tier. --replies scores canned replies (one\n"
               "  JSON string per line, in row order) without loading a model (--completion: they continue a\n"
               "  base model's prompt). --directive puts TEXT at the end of each chat prompt's system turn, as the\n"
               "  policy's answer-length directives do (policy.directives); the totals give the output tokens.\n"
               "  --tasks defaults to $C12_QUALITY_TASKS or %s\n", EQ_DEFAULT_TASKS);
    return rc;
}

/* MBPP's prompt; a base model completes it: open the code block for it. */
static c12_rc code_prompt(const c12_quality_task *t, int completion, c12_buf *out, c12_err *err)
{
    c12_rc rc = c12_quality_prompt(t, out, err);
    if (!rc && completion && (rc = c12_buf_puts(out, "\n```python\n"))) c12_fail(err, rc, "prompt too long");
    return rc;
}

/* What each kind of row needs (c12_quality_kind): its prompt, when its
 * reply is complete (a fenced block closed, an answer line ended), where the
 * scored text sits and how it is matched (NULL: code, run with its tests). */
typedef struct eq_kind {
    c12_rc (*prompt)(const c12_quality_task *t, int completion, c12_buf *out, c12_err *err);
    int (*done)(const char *reply, size_t len, int completion);
    void (*span)(const char *reply, size_t len, int completion, size_t *off, size_t *n);
    c12_rc (*match)(const char *reply, size_t len, int completion, char *const *answers, size_t n_answers,
                    int *matched, c12_err *err);
    int answer_line; /* a chat reply cut off before its "Answer:" line gave no answer */
} eq_kind;

static const eq_kind k_kinds[] = {
    [C12_QUALITY_CODE] = {code_prompt, c12_quality_answer_done, NULL, NULL, 0},
    [C12_QUALITY_ANSWER] = {c12_quality_answer_prompt, c12_quality_reply_done, c12_quality_answer_span,
                            c12_quality_match, 1},
    [C12_QUALITY_GROUNDED] = {c12_quality_grounded_prompt, c12_quality_grounded_done, c12_quality_grounded_span,
                              c12_quality_match_grounded, 0},
};

typedef struct eq_gen {
    c12_buf *answer;
    const eq_kind *kind;
    int completion;
} eq_gen;

/* Collect the answer; stop once the kind's reply is complete. */
static int on_text(void *ud, const char *text, size_t len)
{
    eq_gen *g = ud;
    if (c12_buf_append(g->answer, text, len)) return 1;
    return g->kind->done(g->answer->data, g->answer->len, g->completion);
}

/* The tokens the model sees for task t (its text in prompt). */
static c12_rc task_prompt(c12_model *m, const c12_quality_task *t, int chat, const char *directive, c12_buf *prompt,
                          int32_t **ids, size_t *n, c12_err *err)
{
    c12_rc rc = k_kinds[t->kind].prompt(t, !chat, prompt, err);
    if (!rc && chat) {
        /* the directive as the server adds it: at the end of the system turn */
        c12_chat_msg msg = {.role = "user", .content = prompt->data};
        return c12_model_chat_tokens_note(m, &msg, 1, 1, directive, ids, n, err);
    }
    if (!rc) rc = c12_model_tokenize(m, prompt->data, prompt->len, 1, 0, ids, n, err);
    return rc;
}

/* Generate the answer to one task into `answer`. */
static c12_rc answer_task(c12_model *m, c12_session *s, const c12_quality_task *t, const eq_opts *o, int chat,
                          c12_buf *answer, int *n_gen, c12_err *err)
{
    c12_buf prompt;
    c12_buf_init(&prompt, 1u << 20);
    int32_t *ids = NULL;
    size_t n = 0;
    c12_rc rc = task_prompt(m, t, chat, o->directive, &prompt, &ids, &n, err);
    if (!rc) {
        c12_gen_params gp = {.max_tokens = o->max_tokens, .sampling = c12_sampling_default()};
        gp.sampling.temperature = 0; /* greedy */
        eq_gen g = {answer, &k_kinds[t->kind], !chat};
        c12_gen_result r;
        c12_buf_reset(answer);
        c12_session_truncate(s, 0);
        rc = c12_generate(s, ids, (int)n, &gp, on_text, &g, &r, err);
        if (!rc) *n_gen = r.n_completion;
    }
    c12_free(ids);
    c12_buf_free(&prompt);
    return rc;
}

/* Canned replies, in row order: one per line, a JSON string or
 * {"reply": string, "truncated": bool} (cut off at the token limit). */
typedef struct eq_replies {
    char **r;
    unsigned char *truncated;
    size_t n;
} eq_replies;

static void replies_free(eq_replies *rp)
{
    for (size_t i = 0; i < rp->n; i++) c12_free(rp->r[i]);
    c12_free(rp->r);
    c12_free(rp->truncated);
    rp->r = NULL;
    rp->truncated = NULL;
    rp->n = 0;
}

static c12_rc replies_load(const char *path, size_t want, eq_replies *rp, c12_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return c12_fail(err, C12_ERR_NOT_FOUND, "cannot open %s", path);
    rp->r = c12_calloc(want, sizeof *rp->r);
    rp->truncated = c12_calloc(want, 1);
    c12_rc rc = rp->r && rp->truncated ? C12_OK : c12_fail(err, C12_ERR_NOMEM, "out of memory");
    char *line = NULL;
    size_t cap = 0;
    while (!rc && rp->n < want && getline(&line, &cap, f) > 0) {
        json_error_t je;
        json_t *j = json_loads(line, JSON_DECODE_ANY, &je), *text = json_is_object(j) ? json_object_get(j, "reply") : j;
        if (!json_is_string(text))
            rc = c12_fail(err, C12_ERR_FORMAT, "%s:%zu: not a JSON string or {\"reply\": string}", path, rp->n + 1);
        else if (!(rp->r[rp->n] = c12_strdup(json_string_value(text))))
            rc = c12_fail(err, C12_ERR_NOMEM, "out of memory");
        else rp->truncated[rp->n++] = json_is_true(json_object_get(j, "truncated"));
        json_decref(j);
    }
    free(line); /* getline's buffer comes from the C library */
    fclose(f);
    if (!rc && rp->n < want) rc = c12_fail(err, C12_ERR_FORMAT, "%s: %zu replies for %zu rows", path, rp->n, want);
    if (rc) replies_free(rp);
    return rc;
}

static int parse(int argc, char **argv, eq_opts *o)
{
    *o = (eq_opts){.n = 40, .timeout_s = 10, .max_tokens = 384};
    o->tasks = getenv("C12_QUALITY_TASKS") ? getenv("C12_QUALITY_TASKS") : EQ_DEFAULT_TASKS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) o->json = 1;
        else if (!strcmp(a, "-v")) o->verbose = 1;
        else if (!strcmp(a, "--completion")) o->completion = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout, 0);
        else if (!v) return usage(stderr, 2);
        else if (!strcmp(a, "-m")) o->model = v, i++;
        else if (!strcmp(a, "--tasks")) o->tasks = v, i++;
        else if (!strcmp(a, "--replies")) o->replies = v, i++;
        else if (!strcmp(a, "--directive") && *v) o->directive = v, i++;
        else if (!strcmp(a, "--n") && atol(v) >= 1) o->n = (size_t)atol(v), i++;
        else if (!strcmp(a, "--timeout") && atof(v) > 0 && atof(v) <= 3600) o->timeout_s = atof(v), i++;
        else if (!strcmp(a, "--max-tokens") && atoi(v) >= 16) o->max_tokens = atoi(v), i++;
        else if (!strcmp(a, "-t") && atoi(v) >= 0) o->threads = atoi(v), i++;
        else return usage(stderr, 2);
    }
    if (!o->model && !o->replies) return usage(stderr, 2);
    if (!o->model) o->model = "replies";
    return -1;
}

/* Everything one run holds. */
typedef struct eq_run {
    eq_opts o;
    c12_quality_tasks ts;
    eq_replies rp;
    c12_model *m;
    c12_session *s;
    int chat;
    c12_buf answer, code, prog;
    size_t passed, timeouts, done;
    long long out_tokens;           /* generated, over all rows */
    size_t tier_n[3], tier_pass[3]; /* by the router's complexity tier of the row's text */
    double gen_s, test_s;
} eq_run;

/* Score the reply in r->answer for task t: *res is the outcome's name. */
static c12_rc score(eq_run *r, const c12_quality_task *t, int truncated, c12_quality_outcome *out, const char **res,
                    c12_err *err)
{
    const eq_kind *k = &k_kinds[t->kind];
    *out = C12_QUALITY_FAIL;
    const char *a = r->answer.data ? r->answer.data : "";
    if (k->answer_line && r->chat && truncated && !c12_quality_has_answer_line(a, r->answer.len)) {
        /* cut off in its working: its last line is a fragment, not an answer */
        *res = "no_answer";
        return C12_OK;
    }
    if (k->match) {
        int ok = 0;
        c12_rc rc = k->match(a, r->answer.len, !r->chat, t->answers, t->n_answers, &ok, err);
        if (ok) *out = C12_QUALITY_PASS;
        *res = c12_quality_outcome_name(*out);
        return rc;
    }
    int found = c12_quality_extract(a, r->answer.len, !r->chat, &r->code);
    *res = found ? NULL : "no_code";
    c12_buf_reset(&r->prog);
    if (!found) return C12_OK;
    c12_rc rc = c12_quality_program(t, r->code.data, &r->prog, err);
    if (!rc) rc = c12_quality_run_python(r->prog.data, r->o.timeout_s, out, err);
    *res = c12_quality_outcome_name(*out);
    return rc;
}

/* The scored span of a reply (whole: all of it) as a JSON string, for the
 * record; c12_free it. */
static char *span_json(const eq_run *r, const eq_kind *k, int whole)
{
    size_t off = 0, n = r->answer.len;
    const char *a = r->answer.data ? r->answer.data : "";
    if (!whole) k->span(a, r->answer.len, !r->chat, &off, &n);
    json_t *j = json_stringn(a + off, n); /* NULL for bytes that are not UTF-8 */
    char *s = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    return s;
}

static void report_row(eq_run *r, size_t i, const c12_quality_task *t, const char *res, int tier, int n_gen,
                       int truncated, double gen, double test)
{
    static const char *const tiers[] = {"low", "medium", "high", "none"};
    const eq_kind *k = &k_kinds[t->kind];
    if (r->o.json) {
        printf("%s{\"task_id\":%ld,\"row\":%zu,\"tier\":\"%s\",\"result\":\"%s\",\"tokens\":%d,\"gen_s\":%.2f,"
               "\"test_s\":%.2f",
               i ? "," : "", t->task_id, i + 1, tiers[tier], res, n_gen, gen, test);
        if (t->category) printf(",\"category\":\"%s\"", t->category);
        if (k->span) { /* the record of what was scored: the answer span and the whole reply */
            char *span = span_json(r, k, 0), *all = span_json(r, k, 1);
            printf(",\"truncated\":%s,\"answer\":%s,\"reply\":%s", truncated ? "true" : "false",
                   span ? span : "null", all ? all : "null");
            c12_free(span);
            c12_free(all);
        }
        printf("}");
    } else {
        fprintf(stderr, "%s %ld: %s (%s tier, %d tokens, %.1f s)\n", t->n_answers ? "row" : "task",
                t->n_answers ? (long)i + 1 : t->task_id, res, tiers[tier], n_gen, gen);
    }
    if (r->o.verbose)
        fprintf(stderr, "---- answer\n%s\n---- code\n%s\n", r->answer.data ? r->answer.data : "",
                r->code.data && !t->n_answers ? r->code.data : "");
    fflush(stdout);
}

/* Answer and score row i. */
static c12_rc eval_row(eq_run *r, size_t i, c12_err *err)
{
    const c12_quality_task *t = &r->ts.t[i];
    int n_gen = 0;
    double a = c12_clock_s();
    c12_quality_outcome out;
    const char *res;
    c12_rc rc = C12_OK;
    c12_buf_reset(&r->answer);
    c12_buf_reset(&r->code);
    if (r->rp.n) rc = c12_buf_puts(&r->answer, r->rp.r[i]);
    else rc = answer_task(r->m, r->s, t, &r->o, r->chat, &r->answer, &n_gen, err);
    double b = c12_clock_s();
    int truncated = r->rp.n ? r->rp.truncated[i] : n_gen >= r->o.max_tokens;
    if (!rc) rc = score(r, t, truncated, &out, &res, err);
    if (rc) return rc;
    double c = c12_clock_s();
    r->gen_s += b - a;
    r->test_s += c - b;
    r->done++;
    r->out_tokens += n_gen;
    r->passed += out == C12_QUALITY_PASS;
    r->timeouts += out == C12_QUALITY_TIMEOUT;
    c12_route_analysis ra;
    int tier = 3;
    if (!c12_route_analyse_text(t->text, strlen(t->text), &ra, err)) {
        tier = ra.tier;
        r->tier_n[tier]++;
        r->tier_pass[tier] += out == C12_QUALITY_PASS;
    }
    report_row(r, i, t, res, tier, n_gen, truncated, b - a, c - b);
    return C12_OK;
}

static double rate(size_t k, size_t n)
{
    return n ? (double)k / n : 0;
}

static void report_totals(const eq_run *r, double seconds)
{
    double lo, hi, p = rate(r->passed, r->done);
    c12_quality_wilson(r->passed, r->done, 1.96, &lo, &hi);
    const size_t *tn = r->tier_n, *tp = r->tier_pass;
    if (r->o.json) {
        printf("],\"by_tier\":{");
        for (int k = 0; k < 3; k++)
            printf("%s\"%s\":{\"n\":%zu,\"passed\":%zu,\"rate\":%.4f}", k ? "," : "",
                   c12_route_tier_name((c12_route_tier)k), tn[k], tp[k], rate(tp[k], tn[k]));
        printf("},\"n\":%zu,\"passed\":%zu,\"timeouts\":%zu,\"pass_at_1\":%.4f,\"ci95\":[%.4f,%.4f],"
               "\"greedy\":true,\"timeout_s\":%g,\"chat\":%s,\"seconds\":%.1f,\"gen_s\":%.1f,\"test_s\":%.1f,"
               "\"output_tokens\":%lld,\"directive\":",
               r->done, r->passed, r->timeouts, p, lo, hi, r->o.timeout_s, r->chat ? "true" : "false", seconds,
               r->gen_s, r->test_s, r->out_tokens);
        json_t *d = r->o.directive ? json_string(r->o.directive) : json_null();
        json_dumpf(d, stdout, JSON_ENCODE_ANY);
        json_decref(d);
        printf("}\n");
        return;
    }
    fprintf(stderr, "by complexity tier (passed/n = rate): low %zu/%zu = %.3f, medium %zu/%zu = %.3f, "
                    "high %zu/%zu = %.3f\n",
            tp[0], tn[0], rate(tp[0], tn[0]), tp[1], tn[1], rate(tp[1], tn[1]), tp[2], tn[2], rate(tp[2], tn[2]));
    printf("%s: pass@1 %zu/%zu = %.3f (95%% Wilson CI %.3f-%.3f), %zu timed out; greedy, %s prompt;"
           " %lld output tokens (%.1f a row); %.0f s (generation %.0f s, tests %.0f s)%s%s%s\n",
           r->o.model, r->passed, r->done, p, lo, hi, r->timeouts, r->chat ? "chat" : "completion", r->out_tokens,
           rate((size_t)r->out_tokens, r->done), seconds, r->gen_s, r->test_s, r->o.directive ? "; directive \"" : "",
           r->o.directive ? r->o.directive : "", r->o.directive ? "\"" : "");
}

/* Load the model (or the canned replies) and open a session. */
static c12_rc run_open(eq_run *r, c12_err *err)
{
    if (r->o.replies) {
        r->chat = !r->o.completion;
        return replies_load(r->o.replies, r->ts.n, &r->rp, err);
    }
    if (!(r->m = cli_load_model("eval-quality", r->o.model))) {
        c12_err_clear(err); /* cli_load_model said why */
        return C12_ERR_NOT_FOUND;
    }
    r->chat = c12_model_get_info(r->m)->has_chat_template;
    c12_session_params sp = {.n_ctx = 2048, .n_threads = r->o.threads};
    return c12_session_new(r->m, &sp, &r->s, err);
}

int cmd_eval_quality(int argc, char **argv)
{
    eq_run r = {0};
    int prc = parse(argc, argv, &r.o);
    if (prc >= 0) return prc;
    c12_err err;
    c12_err_clear(&err);
    c12_rc rc = c12_quality_load(r.o.tasks, r.o.n, &r.ts, &err);
    c12_buf_init(&r.answer, 1u << 20);
    c12_buf_init(&r.code, 1u << 20);
    c12_buf_init(&r.prog, 1u << 21);
    if (!rc) rc = run_open(&r, &err);
    if (rc && err.msg[0]) fprintf(stderr, "c12 eval-quality: %s\n", err.msg);
    double t0 = c12_clock_s();
    if (r.o.json && !rc) printf("{\"model\":\"%s\",\"tasks\":[", r.o.model);
    for (size_t i = 0; !rc && i < r.ts.n; i++) {
        if ((rc = eval_row(&r, i, &err))) {
            fprintf(stderr, "c12 eval-quality: row %zu (task %ld): %s\n", i + 1, r.ts.t[i].task_id, err.msg);
            if (r.o.json) printf("]}\n");
        }
    }
    if (!rc) report_totals(&r, c12_clock_s() - t0);
    c12_buf_free(&r.answer);
    c12_buf_free(&r.code);
    c12_buf_free(&r.prog);
    replies_free(&r.rp);
    c12_session_free(r.s);
    c12_model_free(r.m);
    c12_quality_free(&r.ts);
    return rc ? 1 : 0;
}
