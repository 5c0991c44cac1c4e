/* cmd_bench_seqs.c - `c12 bench -s K`: batched decoding without the server.
 * K sessions of one model share a batcher (continuous batching, as `c12
 * serve` runs a model's slots); each reads the prompt, then all decode N
 * tokens at once, each in its own thread. The aggregate decode tokens/s is compared with one session
 * alone on the same batcher, in turns (1, K, 1, K, ...), best of R each, so
 * that the ratio comes from one process and one machine state: no HTTP, no
 * clients, no sampling (the kernels' and the batcher's own speed). It also
 * says how full the K runs' steps were (sequences a step, from the
 * batcher's counters). */
#include <pthread.h>
#include <stdio.h>

#include "base/c12_clock.h"
#include "cmd_bench.h"

typedef struct seq_run {
    c12_session *s;
    c12_batcher *b;
    const int32_t *ids;
    int n_prompt, n_gen, shift;
    pthread_barrier_t *ready;
    c12_rc rc;
    c12_err err;
} seq_run;

static void *seq_main(void *arg)
{
    seq_run *r = arg;
    c12_batcher_enter(r->b);
    c12_session_truncate(r->s, 0);
    r->rc = c12_session_decode(r->s, r->ids, r->n_prompt, r->n_prompt, NULL, &r->err);
    pthread_barrier_wait(r->ready);
    for (int i = 0; i < r->n_gen && !r->rc; i++) {
        int32_t tok = r->ids[(i + r->shift) % r->n_prompt]; /* each sequence its own tokens */
        r->rc = c12_session_decode(r->s, &tok, 1, 1, NULL, &r->err);
    }
    c12_batcher_leave(r->b);
    return NULL;
}

/* k sessions decode at once: their aggregate tokens/s (0 on failure). */
static double run_k(c12_batcher *b, c12_session **ss, int k, const int32_t *ids, const c12_bench_opts *o)
{
    pthread_barrier_t ready;
    pthread_barrier_init(&ready, NULL, (unsigned)k + 1);
    seq_run r[C12_BENCH_SEQS_MAX];
    pthread_t th[C12_BENCH_SEQS_MAX];
    int started = 0;
    for (int i = 0; i < k; i++) {
        r[i] = (seq_run){.s = ss[i], .b = b, .ids = ids, .n_prompt = o->n_prompt, .n_gen = o->n_gen, .shift = 7 * i,
                         .ready = &ready};
        if (pthread_create(&th[i], NULL, seq_main, &r[i])) break;
        started++;
    }
    double t0 = 0;
    if (started == k) {
        pthread_barrier_wait(&ready);
        t0 = c12_clock_s();
    }
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    const double t1 = c12_clock_s();
    pthread_barrier_destroy(&ready);
    if (started < k) return 0;
    for (int i = 0; i < k; i++)
        if (r[i].rc) {
            fprintf(stderr, "c12 bench: %s\n", r[i].err.msg);
            return 0;
        }
    return (double)k * o->n_gen / (t1 - t0);
}

static int finish(c12_session **ss, int k, c12_batcher *b, int ret)
{
    c12_err err;
    for (int i = 0; i < k; i++)
        if (ss[i]) {
            c12_session_set_batcher(ss[i], NULL, &err);
            c12_session_free(ss[i]);
        }
    c12_batcher_free(b);
    return ret;
}

int c12_bench_seqs(c12_model *m, const int32_t *ids, const c12_bench_opts *o)
{
    const c12_model_info *in = c12_model_get_info(m);
    const int k = o->seqs, n_ctx = o->n_prompt + o->n_gen + 8;
    c12_batcher_params bp = {.max_batch = k, .n_ctx = n_ctx, .n_threads = o->threads};
    c12_batcher *b = NULL;
    c12_session *ss[C12_BENCH_SEQS_MAX] = {0};
    c12_err err;
    c12_rc rc = c12_batcher_new(m, &bp, &b, &err);
    c12_session_params sp = {.n_ctx = n_ctx, .n_threads = 1, .n_batch = o->n_prompt};
    for (int i = 0; i < k && !rc; i++)
        if (!(rc = c12_session_new(m, &sp, &ss[i], &err))) rc = c12_session_set_batcher(ss[i], b, &err);
    double best1 = 0, bestk = 0;
    uint64_t steps = 0, seqs = 0; /* the K runs' steps, and the sequences they carried */
    for (int r = 0; r < o->reps && !rc; r++) {
        c12_batcher_stats st0, st1;
        const double one = run_k(b, ss, 1, ids, o);
        c12_batcher_get_stats(b, &st0);
        const double many = one > 0 ? run_k(b, ss, k, ids, o) : 0;
        c12_batcher_get_stats(b, &st1);
        if (one <= 0 || many <= 0) return finish(ss, k, b, 1); /* run_k said why */
        steps += st1.steps - st0.steps;
        seqs += st1.seqs - st0.seqs;
        best1 = one > best1 ? one : best1;
        bestk = many > bestk ? many : bestk;
    }
    const double per_step = steps ? (double)seqs / (double)steps : 0;
    if (rc) {
        fprintf(stderr, "c12 bench: %s\n", err.msg);
        return finish(ss, k, b, 1);
    }
    if (o->json)
        printf("{\"model\": \"%s\", \"threads\": %d, \"prompt_tokens\": %d, \"decode_tokens\": %d, \"seqs\": %d, "
               "\"one_tps\": %.2f, \"seqs_tps\": %.2f, \"ratio\": %.3f, \"seqs_per_step\": %.2f}\n",
               in->name, o->threads, o->n_prompt, o->n_gen, k, best1, bestk, bestk / best1, per_step);
    else
        printf("%s: decode %d tokens each, one sequence %.1f t/s, %d sequences %.1f t/s together (%.2fx; "
               "%.2f sequences a step; %d threads)\n", in->name, o->n_gen, best1, k, bestk, bestk / best1, per_step,
               o->threads);
    return finish(ss, k, b, 0);
}
