/* logprobs.c - log-softmax and top-k over a row of logits: what a request
 * with `logprobs` reports for each generated token, and what `c12 logits`
 * prints. The probabilities are the model's own (the raw logits), as vLLM
 * reports by default, not the sampler's after temperature and top-p. */
#include <math.h>
#include <stdlib.h>

#include "base/c12_alloc.h"
#include "c12_engine.h"

#define SMALL_K 64 /* up to this many, an insertion into a sorted array */

/* a before b: the higher logit, then the lower id */
static int better(const float *row, int32_t a, int32_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); }

static void top_small(const float *row, int n, int k, int32_t *ids)
{
    int have = 0;
    for (int32_t i = 0; i < n; i++) {
        if (have == k && !better(row, i, ids[k - 1])) continue;
        int j = have < k ? have++ : k - 1;
        while (j > 0 && better(row, i, ids[j - 1])) {
            ids[j] = ids[j - 1];
            j--;
        }
        ids[j] = i;
    }
}

typedef struct ranked {
    float v;
    int32_t id;
} ranked;

static int by_rank(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->v != b->v) return a->v > b->v ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

c12_rc c12_logits_top(const float *row, int n, int k, int32_t *ids, c12_err *err)
{
    if (k < 0 || k > n) return c12_fail(err, C12_ERR_INVALID, "top %d of %d logits", k, n);
    if (k <= SMALL_K) {
        if (k) top_small(row, n, k, ids);
        return C12_OK;
    }
    ranked *r = c12_malloc(sizeof *r * (size_t)n);
    if (!r) return c12_fail(err, C12_ERR_NOMEM, "out of memory");
    for (int32_t i = 0; i < n; i++) r[i] = (ranked){row[i], i};
    qsort(r, (size_t)n, sizeof *r, by_rank);
    for (int i = 0; i < k; i++) ids[i] = r[i].id;
    c12_free(r);
    return C12_OK;
}

double c12_logits_lse(const float *row, int n)
{
    float mx = row[0];
    for (int i = 1; i < n; i++)
        if (row[i] > mx) mx = row[i];
    double sum = 0;
    for (int i = 0; i < n; i++) sum += exp((double)row[i] - mx);
    return (double)mx + log(sum);
}

void c12_logprobs_fill(const float *row, int n, int32_t chosen, int k, c12_logprobs *out)
{
    if (k < 0) k = 0;
    if (k > C12_TOP_LOGPROBS_MAX) k = C12_TOP_LOGPROBS_MAX;
    if (k > n) k = n;
    double lse = c12_logits_lse(row, n);
    int32_t ids[C12_TOP_LOGPROBS_MAX];
    if (k) top_small(row, n, k, ids);
    out->chosen = (c12_token_logprob){.id = chosen, .logprob = (float)((double)row[chosen] - lse)};
    out->n_top = k;
    for (int i = 0; i < k; i++) out->top[i] = (c12_token_logprob){.id = ids[i], .logprob = (float)((double)row[ids[i]] - lse)};
}
