/* cmd_logits.c - `c12 logits -m MODEL --ids ID,ID,... [--top K] [--json]`:
 * the model's logits at every position of a sequence of token ids, read as
 * one prompt (teacher-forced). Entry i is the distribution after ids[0..i]:
 * its K highest logits, best first. The reference the server's logprobs and
 * llama.cpp's logits are checked against (tests/integration/test_logprobs.py,
 * scripts/logits_vs_llama.py). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "cli.h"
#include "cli_model.h"

#define MAX_IDS 65536

typedef struct logits_opts {
    const char *model, *ids;
    int top, json, threads, batch;
} logits_opts;

static void usage(FILE *out)
{
    fprintf(out, "usage: c12 logits -m NAME|PATH --ids ID,ID,... [--top K (10)] [--json] [-t THREADS]\n"
                 "                  [--batch N (64; 1 = one token per step, as decoding)]\n"
                 "\n"
                 "The ids are read as one prompt; for each position, the K highest logits after it, best\n"
                 "first. --json prints {\"positions\": [{\"top\": [[id, logit], ...]}, ...]}.\n");
}

/* "12,5,7" -> ids; 0 with a message when it is not a list of whole numbers. */
static int parse_ids(const char *s, int32_t **out, int *n_out)
{
    int32_t *ids = c12_malloc(sizeof *ids * MAX_IDS);
    int n = 0;
    if (!ids) return fprintf(stderr, "c12 logits: out of memory\n"), 0;
    for (const char *p = s;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT32_MAX || (*end && *end != ',') || n == MAX_IDS) {
            fprintf(stderr, "c12 logits: --ids must be token ids (whole numbers >= 0) separated by commas, "
                            "at most %d; bad at '%.20s'\n", MAX_IDS, p);
            c12_free(ids);
            return 0;
        }
        ids[n++] = (int32_t)v;
        if (!*end) break;
        p = end + 1;
    }
    *out = ids;
    *n_out = n;
    return 1;
}

static void print_row(const float *row, const int32_t *top, int k, int json, int pos, int id)
{
    if (json) fputs(pos ? ",\n{\"top\": [" : "\n{\"top\": [", stdout);
    else printf("%d %d:", pos, id);
    for (int j = 0; j < k; j++) {
        float v = row[top[j]];
        if (json && isfinite(v)) printf(j ? ", [%d, %.9g]" : "[%d, %.9g]", top[j], v);
        else if (json) printf(j ? ", [%d, null]" : "[%d, null]", top[j]);
        else printf(" %d:%.6g", top[j], v);
    }
    fputs(json ? "]}" : "\n", stdout);
}

/* Evaluate in chunks of the session's batch, printing each chunk's rows. */
static int run(c12_model *m, const int32_t *ids, int n, const logits_opts *o)
{
    int nv = c12_model_get_info(m)->n_vocab, k = o->top < nv ? o->top : nv;
    c12_session_params sp = {.n_ctx = n, .n_threads = o->threads, .n_batch = o->batch, .logits_all = 1};
    c12_session *s = NULL;
    c12_err err;
    if (c12_session_new(m, &sp, &s, &err)) return fprintf(stderr, "c12 logits: %s\n", err.msg), 1;
    int b = o->batch < n ? o->batch : n;
    float *rows = c12_malloc(sizeof *rows * (size_t)b * nv);
    int32_t *top = c12_malloc(sizeof *top * (size_t)(k ? k : 1));
    int rc = rows && top ? 0 : 1;
    if (o->json) fputs("{\"positions\": [", stdout);
    for (int i = 0; i < n && !rc; i += b) {
        int c = n - i < b ? n - i : b;
        rc = c12_session_decode(s, ids + i, c, 0, rows, &err) ? 1 : 0;
        for (int j = 0; j < c && !rc; j++) {
            const float *row = rows + (size_t)j * nv;
            rc = c12_logits_top(row, nv, k, top, &err) ? 1 : 0;
            if (!rc) print_row(row, top, k, o->json, i + j, ids[i + j]);
        }
    }
    if (o->json && !rc) fputs("\n]}\n", stdout);
    if (rc) fprintf(stderr, "c12 logits: %s\n", rows && top ? err.msg : "out of memory");
    if (fflush(stdout) && !rc) rc = 1;
    c12_free(rows);
    c12_free(top);
    c12_session_free(s);
    return rc;
}

int cmd_logits(int argc, char **argv)
{
    static const struct option lo[] = {{"model", 1, 0, 'm'}, {"ids", 1, 0, 'i'},  {"top", 1, 0, 'k'},
                                       {"json", 0, 0, 'j'},  {"threads", 1, 0, 't'}, {"batch", 1, 0, 'b'},
                                       {"help", 0, 0, 'h'},  {0, 0, 0, 0}};
    logits_opts o = {.model = "smollm2-135m", .top = 10, .batch = 64};
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:t:h", lo, NULL)) != -1) {
        if (c == 'm') o.model = optarg;
        else if (c == 'i') o.ids = optarg;
        else if (c == 'j') o.json = 1;
        else if (c == 't') o.threads = atoi(optarg);
        else if ((c == 'k' || c == 'b') && (errno = 0, strtol(optarg, &end, 10) >= (c == 'k' ? 0 : 1)) &&
                 !*end && !errno && strtol(optarg, NULL, 10) <= 1 << 24)
            *(c == 'k' ? &o.top : &o.batch) = (int)strtol(optarg, NULL, 10);
        else {
            if (c == 'k' || c == 'b') fprintf(stderr, "c12 logits: --%s must be a whole number%s\n",
                                              c == 'k' ? "top" : "batch", c == 'k' ? " >= 0" : " >= 1");
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind < argc || !o.ids) {
        fprintf(stderr, "c12 logits: %s\n", o.ids ? "unexpected argument" : "--ids is required");
        usage(stderr);
        return 2;
    }
    int32_t *ids = NULL;
    int n = 0;
    if (!parse_ids(o.ids, &ids, &n)) return 2;
    c12_model *m = cli_load_model("logits", o.model);
    int rc = m ? 0 : 1;
    const c12_model_info *in = m ? c12_model_get_info(m) : NULL;
    for (int i = 0; m && i < n && !rc; i++)
        if (ids[i] >= in->n_vocab) {
            fprintf(stderr, "c12 logits: token id %d (position %d) is out of the vocabulary (%d tokens)\n", ids[i], i,
                    in->n_vocab);
            rc = 2;
        }
    if (m && !rc && n > in->n_ctx_train) {
        fprintf(stderr, "c12 logits: %d ids are more than the model's context (%d)\n", n, in->n_ctx_train);
        rc = 2;
    }
    if (m && !rc) rc = run(m, ids, n, &o);
    c12_model_free(m);
    c12_free(ids);
    return rc;
}
