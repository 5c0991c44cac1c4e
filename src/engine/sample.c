/* sample.c - choosing the next token from logits.
 *
 * The chain is llama.cpp's usual one: penalties (repetition, presence,
 * frequency over the last repeat_last_n tokens), then top-k, top-p, min-p,
 * temperature, and a draw from a seeded generator. Temperature <= 0 is greedy
 * (after penalties). All buffers are allocated once, when the sampler is made. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "c12_engine.h"

typedef struct cand {
    int32_t id;
    float logit;
    float p;
} cand;

struct c12_sampler {
    c12_sampling p;
    int n_vocab;
    cand *c;           /* [n_vocab] */
    int32_t *recent;   /* ring of the last repeat_last_n tokens */
    int n_recent, ring_pos;
    uint16_t *counts;  /* occurrences in `recent`, per token */
    uint64_t rng;
};

c12_sampling c12_sampling_default(void)
{
    c12_sampling p = {.temperature = 0.8f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f,
                      .repeat_penalty = 1.0f, .repeat_last_n = 64, .seed = 0x5eed};
    return p;
}

c12_rc c12_sampler_new(const c12_sampling *p, int n_vocab, c12_sampler **out, c12_err *err)
{
    c12_sampler *s = c12_calloc(1, sizeof *s);
    if (!s) return c12_fail(err, C12_ERR_NOMEM, "sampler: no memory");
    s->p = *p;
    if (s->p.repeat_last_n <= 0) s->p.repeat_last_n = 64;
    s->n_vocab = n_vocab;
    s->c = c12_malloc(sizeof *s->c * (size_t)n_vocab);
    s->recent = c12_malloc(sizeof *s->recent * (size_t)s->p.repeat_last_n);
    s->counts = c12_calloc((size_t)n_vocab, sizeof *s->counts);
    if (!s->c || !s->recent || !s->counts) {
        c12_sampler_free(s);
        return c12_fail(err, C12_ERR_NOMEM, "sampler: no memory");
    }
    s->rng = p->seed ? p->seed : 0x9e3779b97f4a7c15ull;
    *out = s;
    return C12_OK;
}

void c12_sampler_free(c12_sampler *s)
{
    if (!s) return;
    c12_free(s->c);
    c12_free(s->recent);
    c12_free(s->counts);
    c12_free(s);
}

void c12_sampler_accept(c12_sampler *s, int32_t tok)
{
    if (tok < 0 || tok >= s->n_vocab) return;
    int cap = s->p.repeat_last_n;
    if (s->n_recent == cap) s->counts[s->recent[s->ring_pos]]--;
    else s->n_recent++;
    s->recent[s->ring_pos] = tok;
    s->counts[tok]++;
    s->ring_pos = (s->ring_pos + 1) % cap;
}

/* splitmix64: small, seedable, good enough for sampling */
static double next_uniform(c12_sampler *s)
{
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static float penalized(const c12_sampler *s, int32_t id, float l)
{
    int n = s->counts[id];
    if (!n) return l;
    float rp = s->p.repeat_penalty;
    if (rp != 1.0f && rp > 0.0f) l = l > 0 ? l / rp : l * rp;
    return l - (float)n * s->p.frequency_penalty - s->p.presence_penalty;
}

static int by_logit_desc(const void *a, const void *b)
{
    float x = ((const cand *)a)->logit, y = ((const cand *)b)->logit;
    return (x < y) - (x > y);
}

/* Keep candidates that can matter: tokens more than ~30 nats below the best
 * have probability < 1e-13 at temperature 1 and cannot survive top-p/min-p. */
static int gather(c12_sampler *s, const float *logits, float *maxl)
{
    float mx = -INFINITY;
    for (int i = 0; i < s->n_vocab; i++) {
        float l = penalized(s, i, logits[i]);
        if (l > mx) mx = l;
    }
    float t = s->p.temperature > 0 ? s->p.temperature : 1.0f;
    float floor = mx - 30.0f * (t > 1.0f ? t : 1.0f);
    int n = 0;
    for (int i = 0; i < s->n_vocab; i++) {
        float l = penalized(s, i, logits[i]);
        if (l >= floor) s->c[n++] = (cand){.id = i, .logit = l};
    }
    *maxl = mx;
    return n;
}

static int32_t greedy(c12_sampler *s, const float *logits)
{
    int32_t best = -1; /* stays so when every logit is NaN (or -inf) */
    float bl = -INFINITY;
    for (int i = 0; i < s->n_vocab; i++) {
        float l = penalized(s, i, logits[i]);
        if (l > bl) {
            bl = l;
            best = i;
        }
    }
    return best;
}

int32_t c12_sampler_sample(c12_sampler *s, const float *logits)
{
    if (s->p.temperature <= 0.0f) return greedy(s, logits);
    float mx;
    int n = gather(s, logits, &mx);
    if (n == 0) return -1; /* no finite logit: NaN compares false with the floor */
    qsort(s->c, (size_t)n, sizeof *s->c, by_logit_desc);
    if (s->p.top_k > 0 && s->p.top_k < n) n = s->p.top_k;
    /* probabilities at temperature 1 for top-p and min-p, as llama.cpp does */
    double sum = 0;
    for (int i = 0; i < n; i++) sum += (s->c[i].p = expf(s->c[i].logit - mx));
    if (s->p.top_p < 1.0f) {
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += s->c[i].p / sum;
            if (acc >= s->p.top_p) {
                n = i + 1;
                break;
            }
        }
    }
    if (s->p.min_p > 0.0f) {
        float lim = s->c[0].p * s->p.min_p;
        int k = 1;
        while (k < n && s->c[k].p >= lim) k++;
        n = k;
    }
    sum = 0;
    for (int i = 0; i < n; i++)
        sum += (s->c[i].p = expf((s->c[i].logit - mx) / s->p.temperature));
    double r = next_uniform(s) * sum, acc = 0;
    for (int i = 0; i < n; i++) {
        acc += s->c[i].p;
        if (r < acc) return s->c[i].id;
    }
    return s->c[n - 1].id;
}
