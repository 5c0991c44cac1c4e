/* route_eval.c - precision, recall, F1 and decision time of the code and
 * grounded detectors on a labelled JSON-lines file (c12 eval-router). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/c12_clock.h"
#include "base/c12_alloc.h"
#include "route/route.h"

#define LINE_MAX_BYTES (1 << 20)

/* Which side of the grounded figure a row's category puts it on (Dolly's
 * names, as data/router/dev.jsonl carries them); other categories are not
 * counted. */
typedef struct cat_role {
    const char *name;
    int grounded;
} cat_role;

static const cat_role k_roles[] = {
    {"closed_qa", 1}, {"information_extraction", 1}, {"summarization", 1},
    {"open_qa", 0},   {"general_qa", 0},             {"brainstorming", 0},
};

/* One figure's counts and the times of the rows it counts. */
typedef struct tally {
    c12_route_score r;
    double *us;
    size_t n_us, cap_us;
} tally;

typedef struct evalst {
    tally code, grounded;
    double *rep; /* the repetitions of the current row */
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
static double time_row(evalst *e, const char *text, size_t len)
{
    c12_route_analysis a;
    for (int i = 0; i < e->reps; i++) {
        double t0 = (double)c12_clock_ns() / 1e3;
        c12_route_analyse_text(text, len, &a, NULL);
        e->rep[i] = (double)c12_clock_ns() / 1e3 - t0;
    }
    qsort(e->rep, (size_t)e->reps, sizeof *e->rep, cmp_double);
    return e->rep[(e->reps - 1) / 2];
}

static c12_rc count(tally *t, int truth, int pred, double us)
{
    if (t->n_us + 1 > t->cap_us) {
        size_t cap = t->cap_us ? t->cap_us * 2 : 4096;
        double *p = c12_realloc(t->us, cap * sizeof *p);
        if (!p) return C12_ERR_NOMEM;
        t->us = p;
        t->cap_us = cap;
    }
    t->us[t->n_us++] = us;
    t->r.n++;
    t->r.tp += truth && pred;
    t->r.fp += !truth && pred;
    t->r.fn += truth && !pred;
    t->r.tn += !truth && !pred;
    return C12_OK;
}

/* The grounded figure's truth for a row: 1, 0, or -1 (not counted). */
static int grounded_truth(const char *label, const char *category)
{
    if (!strcmp(label, "grounded")) return 1;
    for (size_t i = 0; category && i < sizeof k_roles / sizeof *k_roles; i++)
        if (!strcmp(category, k_roles[i].name)) return k_roles[i].grounded;
    return !strcmp(label, "general") && (!category || !category[0]) ? 0 : -1;
}

static c12_rc row(evalst *e, size_t lineno, const char *line, size_t len, c12_route_miss_fn miss, void *ctx,
                  c12_err *err)
{
    json_error_t je;
    json_t *o = json_loadb(line, len, 0, &je);
    const json_t *t = json_object_get(o, "text");
    const char *label = json_string_value(json_object_get(o, "label"));
    const char *category = json_string_value(json_object_get(o, "category"));
    if (!o || !json_is_string(t) || c12_route_category_parse(label) < 0) {
        json_decref(o);
        return c12_fail(err, C12_ERR_FORMAT,
                        "line %zu: expected {\"text\": ..., \"label\": \"code\"|\"general\"|\"grounded\"}", lineno);
    }
    c12_route_analysis a;
    const char *text = json_string_value(t);
    size_t tn = json_string_length(t);
    c12_route_analyse_text(text, tn, &a, NULL);
    double us = time_row(e, text, tn);
    int code = !strcmp(label, "code"), g = grounded_truth(label, category);
    c12_rc rc = count(&e->code, code, a.category == C12_ROUTE_CODE, us);
    if (!rc && g >= 0) rc = count(&e->grounded, g, a.category == C12_ROUTE_GROUNDED, us);
    if (miss && code != (a.category == C12_ROUTE_CODE))
        miss(ctx, lineno, text, label, &a);
    else if (miss && g >= 0 && g != (a.category == C12_ROUTE_GROUNDED))
        miss(ctx, lineno, text, category && category[0] ? category : label, &a);
    json_decref(o);
    return rc ? c12_fail(err, rc, "out of memory") : C12_OK;
}

static void finish(tally *t)
{
    c12_route_score *r = &t->r;
    r->precision = r->tp + r->fp ? (double)r->tp / (double)(r->tp + r->fp) : 0.0;
    r->recall = r->tp + r->fn ? (double)r->tp / (double)(r->tp + r->fn) : 0.0;
    r->f1 = r->precision + r->recall > 0 ? 2 * r->precision * r->recall / (r->precision + r->recall) : 0.0;
    if (t->n_us) {
        qsort(t->us, t->n_us, sizeof *t->us, cmp_double);
        r->p50_us = t->us[(t->n_us - 1) / 2];
        r->p99_us = t->us[(size_t)((double)(t->n_us - 1) * 0.99)];
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
    if (!rc && !e.code.r.n) rc = c12_fail(err, C12_ERR_FORMAT, "%s: no rows", path);
    if (!rc) {
        finish(&e.code);
        finish(&e.grounded);
        *out = (c12_route_eval){e.code.r, e.grounded.r};
    }
    c12_free(e.code.us);
    c12_free(e.grounded.us);
    c12_free(e.rep);
    return rc;
}
