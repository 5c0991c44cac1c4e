/* cmd_perplexity.c - `c12 perplexity`: as llama.cpp's perplexity tool computes it.
 *
 * Tokenize the whole file, cut it into consecutive windows of CTX tokens, set
 * each window's first token to BOS when the model adds BOS, evaluate the
 * window from an empty cache and score the second half: the mean negative
 * log-likelihood of each next token, exponentiated. --chunks N scores only the
 * first N windows, as llama.cpp's --chunks does. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_file.h"
#include "cli.h"
#include "cli_model.h"

/* A text to score: a book is a few MB; more is a wrong path. */
#define PPL_FILE_MAX (256u << 20)

/* -log p(target) from one row of logits, in double for stability. */
static double nll_of(const float *row, int n_vocab, int target)
{
    float mx = row[0];
    for (int i = 1; i < n_vocab; i++)
        if (row[i] > mx) mx = row[i];
    double sum = 0;
    for (int i = 0; i < n_vocab; i++) sum += exp((double)row[i] - mx);
    return log(sum) + mx - row[target];
}

static int score(c12_model *m, const int32_t *toks, size_t n_tok, int ctx, int threads,
                 int max_chunks)
{
    const c12_model_info *in = c12_model_get_info(m);
    int n_chunks = (int)(n_tok / (size_t)ctx), first = ctx / 2;
    if (max_chunks > 0 && n_chunks > max_chunks) n_chunks = max_chunks;
    if (n_chunks < 1) {
        fprintf(stderr, "c12 perplexity: need at least %d tokens, the file has %zu\n", ctx, n_tok);
        return 1;
    }
    c12_session_params sp = {.n_ctx = ctx, .n_threads = threads, .logits_all = 1};
    c12_session *s;
    c12_err err;
    if (c12_session_new(m, &sp, &s, &err)) {
        fprintf(stderr, "c12 perplexity: %s\n", err.msg);
        return 1;
    }
    float *logits = c12_malloc(sizeof(float) * (size_t)(ctx - first) * in->n_vocab);
    int32_t *win = c12_malloc(sizeof(int32_t) * (size_t)ctx);
    double nll = 0;
    long count = 0;
    int rc = logits && win ? 0 : 1;
    for (int c = 0; c < n_chunks && !rc; c++) {
        memcpy(win, toks + (size_t)c * ctx, sizeof(int32_t) * (size_t)ctx);
        if (c12_model_add_bos(m)) win[0] = c12_model_bos(m);
        c12_session_truncate(s, 0);
        if (c12_session_decode(s, win, ctx, first, logits, &err)) {
            fprintf(stderr, "c12 perplexity: %s\n", err.msg);
            rc = 1;
            break;
        }
        for (int j = first; j < ctx - 1; j++, count++)
            nll += nll_of(logits + (size_t)(j - first) * in->n_vocab, in->n_vocab, win[j + 1]);
        fprintf(stderr, "[%d]%.4f%s", c + 1, exp(nll / count), c + 1 == n_chunks ? "\n" : ",");
    }
    if (!rc) printf("chunks: %d, ctx: %d, tokens scored: %ld\nperplexity: %.6f\n", n_chunks, ctx,
                    count, exp(nll / count));
    c12_free(logits);
    c12_free(win);
    c12_session_free(s);
    return rc;
}

int cmd_perplexity(int argc, char **argv)
{
    static const struct option lo[] = {{"model", 1, 0, 'm'}, {"file", 1, 0, 'f'},
                                       {"ctx", 1, 0, 'c'},   {"threads", 1, 0, 't'},
                                       {"chunks", 1, 0, 'k'}, {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *model = "smollm2-135m", *file = NULL;
    int ctx = 512, threads = 0, max_chunks = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:f:c:t:h", lo, NULL)) != -1) {
        if (c == 'm') model = optarg;
        else if (c == 'f') file = optarg;
        else if (c == 'c') ctx = atoi(optarg);
        else if (c == 't') threads = atoi(optarg);
        else if (c == 'k') max_chunks = atoi(optarg);
        else {
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: c12 perplexity -m NAME|PATH -f FILE [-c CTX (512)] [-t THREADS]"
                    " [--chunks N (first N windows only)]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (!file || ctx < 4) {
        fprintf(stderr, "usage: c12 perplexity -m NAME|PATH -f FILE [-c CTX (512)]\n");
        return 2;
    }
    size_t len;
    char *text;
    c12_err err;
    if (c12_read_file(file, PPL_FILE_MAX, &text, &len, &err)) {
        fprintf(stderr, "c12 perplexity: %s\n", err.msg);
        return 1;
    }
    c12_model *m = cli_load_model("perplexity", model);
    int32_t *toks = NULL;
    size_t n = 0;
    int rc = 1;
    if (m && c12_model_tokenize(m, text, len, 1, 0, &toks, &n, &err))
        fprintf(stderr, "c12 perplexity: %s\n", err.msg);
    else if (m) rc = score(m, toks, n, ctx, threads, max_chunks);
    c12_free(toks);
    c12_free(text);
    c12_model_free(m);
    return rc;
}
