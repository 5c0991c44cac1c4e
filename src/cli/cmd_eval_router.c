/* cmd_eval_router.c - `c12 eval-router FILE.jsonl`: the code and grounded
 * detectors scored on labelled prompts and timed per decision. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "route/route.h"

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: c12 eval-router [--json] [--reps N] [--errors] FILE.jsonl\n"
               "  rows {\"text\": ..., \"label\": \"code\"|\"general\"|\"grounded\", \"category\"?: ...}; prints\n"
               "  precision, recall, F1, the confusion matrix and decision time p50/p99 over rows (each row's\n"
               "  time: the median of N timed repetitions, default 20) for code (every row) and for grounded\n"
               "  (label grounded or category closed_qa, information_extraction, summarization against\n"
               "  open_qa, general_qa, brainstorming or label general without a category);\n"
               "  --errors lists the wrong decisions on stderr\n");
    return rc;
}

static void print_miss(void *ctx, size_t line, const char *text, const char *label, const c12_route_analysis *a)
{
    (void)ctx;
    fprintf(stderr, "line %zu: label %s, decided %s (score %d): %.160s\n", line, label,
            c12_route_category_name(a->category), a->code_score, text);
    for (size_t i = 0; i < a->n_reasons; i++) fprintf(stderr, "    %s\n", a->reasons[i]);
}

static void print_json(const c12_route_score *r)
{
    printf("\"n\":%zu,\"precision\":%.4f,\"recall\":%.4f,\"f1\":%.4f,\"p50_us\":%.3f,\"p99_us\":%.3f,"
           "\"tp\":%zu,\"fp\":%zu,\"fn\":%zu,\"tn\":%zu",
           r->n, r->precision, r->recall, r->f1, r->p50_us, r->p99_us, r->tp, r->fp, r->fn, r->tn);
}

/* One figure in words: yes is the positive class's name, no the rest's. */
static void print_text(const c12_route_score *r, const char *yes, const char *no, int reps)
{
    printf("rows: %zu (%s %zu, %s %zu)\n", r->n, yes, r->tp + r->fn, no, r->fp + r->tn);
    printf("precision %.4f  recall %.4f  F1 %.4f  (%s is the positive class)\n", r->precision, r->recall, r->f1,
           yes);
    printf("confusion (rows: label, columns: decision)\n");
    printf("  %-9s %8s %8s\n", "", yes, no);
    printf("  %-9s %8zu %8zu\n", yes, r->tp, r->fn);
    printf("  %-9s %8zu %8zu\n", no, r->fp, r->tn);
    printf("decision time: p50 %.2f us, p99 %.2f us (over %zu rows, each the median of %d timings)\n", r->p50_us,
           r->p99_us, r->n, reps);
}

int cmd_eval_router(int argc, char **argv)
{
    int json = 0, errors = 0, reps = 20, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--errors"))
            errors = 1;
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc && atoi(argv[i + 1]) >= 1 && atoi(argv[i + 1]) <= 10000)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return usage(stdout, 0);
        else
            return usage(stderr, 2);
    }
    if (i != argc - 1) return usage(stderr, 2);
    c12_route_eval r;
    c12_err err;
    if (c12_route_eval_file(argv[i], reps, errors ? print_miss : NULL, NULL, &r, &err)) {
        fprintf(stderr, "c12 eval-router: %s\n", err.msg);
        return 1;
    }
    if (json) {
        /* the code figure at the top level, as before the grounded one existed */
        printf("{");
        print_json(&r.code);
        printf(",\"reps\":%d,\"grounded\":{", reps);
        print_json(&r.grounded);
        printf("}}\n");
        return 0;
    }
    print_text(&r.code, "code", "general", reps);
    if (!r.grounded.n) return 0;
    printf("\ngrounded (a question about a passage in the prompt):\n");
    print_text(&r.grounded, "grounded", "not", reps);
    return 0;
}
