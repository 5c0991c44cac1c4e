/* route_eval.c - precision, recall, F1 and decision time of the detector on
 * a labelled JSON-lines file (c12 eval-router). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/c12_clock.h"
#include "base/c12_alloc.h"
#include "route/route.h"

#define LINE_MAX_BYTES (1 << 20)

typedef struct evalst {
    c12_route_eval r;
    double *us;  /* one time per row: the median of its repetitions */
    double *rep; /* the repetitions of the current row */
    size_t n_us, cap_us;
    int reps;
} evalst;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A row's decision time is the median of its repetitions, so that a
 * preemption on a busy machine does not pass for a slow decision; the p99 is
 * then over rows, i.e. over prompts. */
static c12_rc time_row(evalst *e, const char *text, size_t len)
{
    if (e->n_us + 1 > e->cap_us) {
        size_t cap = e->cap_us ? e->cap_us * 2 : 4096;
        double *p = c12_realloc(e->us, cap * sizeof *p);
        if (!p) return C12_ERR_NOMEM;
        e->us = p;
        e->cap_us = cap;
    }
    c12_route_analysis a;
    for (int i = 0; i < e->reps; i++) {
        double t0 = (double)c12_clock_ns() / 1e3;
        c12_route_analyse_text(text, len, &a, NULL);
        e->rep[i] = (double)c12_clock_ns() / 1e3 - t0;
    }
    qsort(e->rep, (size_t)e->reps, sizeof *e->rep, cmp_double);
    e->us[e->n_us++] = e->rep[(e->reps - 1) / 2];
    return C12_OK;
}

static c12_rc row(evalst *e, size_t lineno, const char *line, size_t len, c12_route_miss_fn miss, void *ctx,
                  c12_err *err)
{
    json_error_t je;
    json_t *o = json_loadb(line, len, 0, &je);
    const json_t *t = json_object_get(o, "text"), *l = json_object_get(o, "label");
    const char *label = json_string_value(l);
    if (!o || !json_is_string(t) || !label || (strcmp(label, "code") && strcmp(label, "general"))) {
        json_decref(o);
        return c12_fail(err, C12_ERR_FORMAT, "line %zu: expected {\"text\": ..., \"label\": \"code\"|\"general\"}",
                        lineno);
    }
    c12_route_analysis a;
    const char *text = json_string_value(t);
    size_t tn = json_string_length(t);
    c12_route_analyse_text(text, tn, &a, NULL);
    int truth = !strcmp(label, "code"), pred = a.category == C12_ROUTE_CODE;
    e->r.n++;
    e->r.tp += truth && pred;
    e->r.fp += !truth && pred;
    e->r.fn += truth && !pred;
    e->r.tn += !truth && !pred;
    if (truth != pred && miss) miss(ctx, lineno, text, label, &a);
    c12_rc rc = time_row(e, text, tn);
    json_decref(o);
    return rc ? c12_fail(err, rc, "out of memory") : C12_OK;
}

static void finish(evalst *e)
{
    c12_route_eval *r = &e->r;
    r->precision = r->tp + r->fp ? (double)r->tp / (double)(r->tp + r->fp) : 0.0;
    r->recall = r->tp + r->fn ? (double)r->tp / (double)(r->tp + r->fn) : 0.0;
    r->f1 = r->precision + r->recall > 0 ? 2 * r->precision * r->recall / (r->precision + r->recall) : 0.0;
    if (e->n_us) {
        qsort(e->us, e->n_us, sizeof *e->us, cmp_double);
        r->p50_us = e->us[(e->n_us - 1) / 2];
        r->p99_us = e->us[(size_t)((double)(e->n_us - 1) * 0.99)];
    }
}

c12_rc c12_route_eval_file(const char *path, int reps, c12_route_miss_fn miss, void *ctx, c12_route_eval *out,
                           c12_err *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return c12_fail(err, C12_ERR_IO, "%s: cannot open", path);
    evalst e;
    memset(&e, 0, sizeof e);
    e.reps = reps < 1 ? 1 : reps;
    char *line = c12_malloc(LINE_MAX_BYTES);
    e.rep = c12_calloc((size_t)e.reps, sizeof *e.rep);
    c12_rc rc = line && e.rep ? C12_OK : c12_fail(err, C12_ERR_NOMEM, "out of memory");
    size_t lineno = 0;
    while (!rc && fgets(line, LINE_MAX_BYTES, fp)) {
        lineno++;
        size_t len = strlen(line);
        if (len == LINE_MAX_BYTES - 1 && line[len - 1] != '\n')
            rc = c12_fail(err, C12_ERR_RANGE, "%s:%zu: line longer than %d bytes", path, lineno, LINE_MAX_BYTES);
        else if (strspn(line, " \t\r\n") < len)
            rc = row(&e, lineno, line, len, miss, ctx, err);
    }
    fclose(fp);
    c12_free(line);
    if (!rc && !e.r.n) rc = c12_fail(err, C12_ERR_FORMAT, "%s: no rows", path);
    if (!rc) {
        finish(&e);
        *out = e.r;
    }
    c12_free(e.us);
    c12_free(e.rep);
    return rc;
}
