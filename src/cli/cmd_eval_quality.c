/* cmd_eval_quality.c - `c12 eval-quality -m MODEL`: pass@1 of a model on
 * tasks with executable tests (MBPP), greedy, code run in a subprocess. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "cli.h"
#include "cli_model.h"
#include "quality/quality.h"
#include "route/route.h"

#define EQ_DEFAULT_TASKS "/work/shared/data/quality/mbpp.jsonl"

typedef struct eq_opts {
    const char *model, *tasks;
    size_t n;
    double timeout_s;
    int json, threads, max_tokens, verbose;
} eq_opts;

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: c12 eval-quality -m MODEL [--tasks FILE.jsonl] [--n N] [--timeout S] [--max-tokens N]\n"
               "                        [-t THREADS] [--json] [-v]\n"
               "  rows {text, test_list, test_setup_code?, task_id?} (MBPP); with task_id only the test\n"
               "  split (11..510) is used; the first N (default 40). Greedy; each answer's code runs with\n"
               "  its tests in a python3 subprocess with a time limit (default 10 s). Prints pass@1 and its\n"
               "  95%% Wilson interval. --tasks defaults to $C12_QUALITY_TASKS or %s\n", EQ_DEFAULT_TASKS);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct eq_gen {
    c12_buf *answer;
    int in_fence;
} eq_gen;

/* Collect the answer; stop once a fenced block is complete. */
static int on_text(void *ud, const char *text, size_t len)
{
    eq_gen *g = ud;
    if (c12_buf_append(g->answer, text, len)) return 1;
    return c12_quality_answer_done(g->answer->data, g->answer->len, g->in_fence);
}

/* Generate the answer to one task into `answer`. */
static c12_rc answer_task(c12_model *m, c12_session *s, const c12_quality_task *t, const eq_opts *o, int chat,
                          c12_buf *answer, int *n_gen, c12_err *err)
{
    c12_buf prompt;
    c12_buf_init(&prompt, 1u << 20);
    char *text = NULL;
    int32_t *ids = NULL;
    size_t n = 0;
    c12_rc rc = c12_quality_prompt(t, &prompt, err);
    if (!rc && chat) {
        c12_chat_msg msg = {.role = "user", .content = prompt.data};
        rc = c12_model_chat_prompt(m, &msg, 1, 1, &text, err);
    } else if (!rc) {
        /* a base model completes: open the code block for it */
        rc = c12_buf_puts(&prompt, "\n```python\n");
    }
    const char *full = chat ? text : prompt.data;
    if (!rc) rc = c12_model_tokenize(m, full, strlen(full), 1, chat, &ids, &n, err);
    if (!rc) {
        c12_gen_params gp = {.max_tokens = o->max_tokens, .sampling = c12_sampling_default()};
        gp.sampling.temperature = 0; /* greedy */
        eq_gen g = {answer, !chat};
        c12_gen_result r;
        c12_buf_reset(answer);
        c12_session_truncate(s, 0);
        rc = c12_generate(s, ids, (int)n, &gp, on_text, &g, &r, err);
        if (!rc) *n_gen = r.n_completion;
    }
    c12_free(ids);
    c12_free(text);
    c12_buf_free(&prompt);
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
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout, 0);
        else if (!v) return usage(stderr, 2);
        else if (!strcmp(a, "-m")) o->model = v, i++;
        else if (!strcmp(a, "--tasks")) o->tasks = v, i++;
        else if (!strcmp(a, "--n") && atol(v) >= 1) o->n = (size_t)atol(v), i++;
        else if (!strcmp(a, "--timeout") && atof(v) > 0 && atof(v) <= 3600) o->timeout_s = atof(v), i++;
        else if (!strcmp(a, "--max-tokens") && atoi(v) >= 16) o->max_tokens = atoi(v), i++;
        else if (!strcmp(a, "-t") && atoi(v) >= 0) o->threads = atoi(v), i++;
        else return usage(stderr, 2);
    }
    if (!o->model) return usage(stderr, 2);
    return -1;
}

int cmd_eval_quality(int argc, char **argv)
{
    eq_opts o;
    int prc = parse(argc, argv, &o);
    if (prc >= 0) return prc;
    c12_err err;
    c12_quality_tasks ts;
    if (c12_quality_load(o.tasks, o.n, &ts, &err)) {
        fprintf(stderr, "c12 eval-quality: %s\n", err.msg);
        return 1;
    }
    c12_model *m = cli_load_model("eval-quality", o.model);
    if (!m) {
        c12_quality_free(&ts);
        return 1;
    }
    int chat = c12_model_get_info(m)->has_chat_template;
    c12_session_params sp = {.n_ctx = 2048, .n_threads = o.threads};
    c12_session *s = NULL;
    c12_buf answer, code, prog;
    c12_buf_init(&answer, 1u << 20);
    c12_buf_init(&code, 1u << 20);
    c12_buf_init(&prog, 1u << 21);
    size_t passed = 0, timeouts = 0, done = 0;
    size_t tier_n[3] = {0}, tier_pass[3] = {0}; /* by the router's complexity tier of the task text */
    int rc = 0;
    double t0 = now_s(), gen_s = 0, test_s = 0;
    if (c12_session_new(m, &sp, &s, &err)) {
        fprintf(stderr, "c12 eval-quality: %s\n", err.msg);
        rc = 1;
    }
    if (o.json && !rc) printf("{\"model\":\"%s\",\"tasks\":[", o.model);
    for (size_t i = 0; !rc && i < ts.n; i++) {
        const c12_quality_task *t = &ts.t[i];
        int n_gen = 0;
        double a = now_s();
        c12_quality_outcome out = C12_QUALITY_FAIL;
        if (answer_task(m, s, t, &o, chat, &answer, &n_gen, &err)) {
            fprintf(stderr, "c12 eval-quality: task %ld: %s\n", t->task_id, err.msg);
            rc = 1;
            break;
        }
        double b = now_s();
        int found = c12_quality_extract(answer.data ? answer.data : "", answer.len, !chat, &code);
        c12_buf_reset(&prog);
        if (found && (c12_quality_program(t, code.data, &prog, &err) ||
                      c12_quality_run_python(prog.data, o.timeout_s, &out, &err))) {
            fprintf(stderr, "c12 eval-quality: task %ld: %s\n", t->task_id, err.msg);
            rc = 1;
            break;
        }
        double c = now_s();
        gen_s += b - a;
        test_s += c - b;
        done++;
        passed += out == C12_QUALITY_PASS;
        c12_route_analysis ra;
        if (!c12_route_analyse_text(t->text, strlen(t->text), &ra, &err)) {
            tier_n[ra.tier]++;
            tier_pass[ra.tier] += out == C12_QUALITY_PASS;
        }
        timeouts += out == C12_QUALITY_TIMEOUT;
        const char *res = found ? c12_quality_outcome_name(out) : "no_code";
        if (o.json)
            printf("%s{\"task_id\":%ld,\"result\":\"%s\",\"tokens\":%d,\"gen_s\":%.2f,\"test_s\":%.2f}", i ? "," : "",
                   t->task_id, res, n_gen, b - a, c - b);
        else
            fprintf(stderr, "task %ld: %s (%d tokens, %.1f s)\n", t->task_id, res, n_gen, b - a);
        if (o.verbose) fprintf(stderr, "---- answer\n%s\n---- code\n%s\n", answer.data ? answer.data : "",
                               code.data ? code.data : "");
        fflush(stdout);
    }
    if (!rc) {
        double lo, hi;
        c12_quality_wilson(passed, done, 1.96, &lo, &hi);
        double p = done ? (double)passed / done : 0;
        if (o.json)
            printf("],\"by_tier\":{\"low\":[%zu,%zu],\"medium\":[%zu,%zu],\"high\":[%zu,%zu]},", tier_pass[0],
                   tier_n[0], tier_pass[1], tier_n[1], tier_pass[2], tier_n[2]);
        if (o.json)
            printf("\"n\":%zu,\"passed\":%zu,\"timeouts\":%zu,\"pass_at_1\":%.4f,\"ci95\":[%.4f,%.4f],"
                   "\"greedy\":true,\"timeout_s\":%g,\"chat\":%s,\"seconds\":%.1f,\"gen_s\":%.1f,\"test_s\":%.1f}\n",
                   done, passed, timeouts, p, lo, hi, o.timeout_s, chat ? "true" : "false", now_s() - t0, gen_s,
                   test_s);
        else
            fprintf(stderr, "by complexity tier (passed/tasks): low %zu/%zu, medium %zu/%zu, high %zu/%zu\n",
                    tier_pass[0], tier_n[0], tier_pass[1], tier_n[1], tier_pass[2], tier_n[2]);
        if (!o.json)
            printf("%s: pass@1 %zu/%zu = %.3f (95%% Wilson CI %.3f-%.3f), %zu timed out; greedy, %s prompt;"
                   " %.0f s (generation %.0f s, tests %.0f s)\n",
                   o.model, passed, done, p, lo, hi, timeouts, chat ? "chat" : "completion", now_s() - t0, gen_s,
                   test_s);
    } else if (o.json) {
        printf("]}\n");
    }
    c12_buf_free(&answer);
    c12_buf_free(&code);
    c12_buf_free(&prog);
    c12_session_free(s);
    c12_model_free(m);
    c12_quality_free(&ts);
    return rc;
}
