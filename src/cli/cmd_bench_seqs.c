/* cmd_bench_seqs.c - `c12 bench -s K`: batched decoding without the server.
 * K sessions of one model share a batcher (continuous batching, as `c12
 * serve` runs a model's slots); each reads its own prompt (the same pseudo-
 * random ids, shifted per session), then all decode N tokens at once, each in
 * its own thread. The aggregate decode tokens/s is compared with one session
 * alone on the same batcher, in turns (1, K, 1, K, ...), best of R each, so
 * that the ratio comes from one process and one machine state: no HTTP, no
 * clients, no sampling (the kernels' and the batcher's own speed). */
#include <pthread.h>
#include <stdio.h>

#include "base/c12_alloc.h"
#include "base/c12_clock.h"
#include "cli.h"
#include "cli_model.h"
#include "cmd_bench.h"

#define SEQS_MAX C12_BENCH_SEQS_MAX

typedef struct seq_run {
    c12_session *s;
    c12_batcher *b;
    const int32_t *ids;
    int n_prompt, n_gen, n_vocab, shift;
    pthread_barrier_t *ready;
    c12_rc rc;
    c12_err err;
} seq_run;

static void *seq_main(void *arg)
{
    seq_run *r = arg;
    c12_batcher_enter(r->b);
    c12_session_truncate(r->s, 0);
    int32_t tok = (r->ids[0] + r->shift) % r->n_vocab; /* each session's prompt its own */
    r->rc = c12_session_decode(r->s, &tok, 1, 1, NULL, &r->err);
    if (!r->rc) r->rc = c12_session_decode(r->s, r->ids + 1, r->n_prompt - 1, r->n_prompt - 1, NULL, &r->err);
    pthread_barrier_wait(r->ready);
    for (int i = 0; i < r->n_gen && !r->rc; i++) {
        tok = r->ids[(i + r->shift) % r->n_prompt];
        r->rc = c12_session_decode(r->s, &tok, 1, 1, NULL, &r->err);
    }
    c12_batcher_leave(r->b);
    return NULL;
}

/* k sessions decode at once: their aggregate tokens/s (0 on failure). */
static double run_k(c12_batcher *b, c12_session **ss, int k, const int32_t *ids, const c12_bench_opts *o, int n_vocab)
{
    pthread_barrier_t ready;
    pthread_barrier_init(&ready, NULL, (unsigned)k + 1);
    seq_run r[SEQS_MAX];
    pthread_t th[SEQS_MAX];
    int started = 0;
    for (int i = 0; i < k; i++) {
        r[i] = (seq_run){.s = ss[i], .b = b, .ids = ids, .n_prompt = o->n_prompt, .n_gen = o->n_gen, .n_vocab = n_vocab,
                         .shift = 7 * i, .ready = &ready};
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

int c12_bench_seqs(c12_model *m, const int32_t *ids, const c12_bench_opts *o)
{
    const c12_model_info *in = c12_model_get_info(m);
    const int k = o->seqs, n_ctx = o->n_prompt + o->n_gen + 8;
    c12_batcher_params bp = {.max_batch = k, .n_ctx = n_ctx, .n_threads = o->threads};
    c12_batcher *b = NULL;
    c12_session *ss[SEQS_MAX] = {0};
    c12_err err;
    c12_rc rc = c12_batcher_new(m, &bp, &b, &err);
    c12_session_params sp = {.n_ctx = n_ctx, .n_threads = 1, .n_batch = o->n_prompt};
    for (int i = 0; i < k && !rc; i++)
        if (!(rc = c12_session_new(m, &sp, &ss[i], &err))) rc = c12_session_set_batcher(ss[i], b, &err);
    double best1 = 0, bestk = 0;
    for (int r = 0; r < o->reps && !rc; r++) {
        const double one = run_k(b, ss, 1, ids, o, in->n_vocab), many = run_k(b, ss, k, ids, o, in->n_vocab);
        if (one <= 0 || many <= 0) rc = c12_fail(&err, C12_ERR_INTERNAL, "a run failed");
        best1 = one > best1 ? one : best1;
        bestk = many > bestk ? many : bestk;
    }
    c12_batcher_stats st = {0};
    if (!rc) c12_batcher_get_stats(b, &st); /* over every run: how full the steps were */
    const double per_step = st.steps ? (double)st.seqs / (double)st.steps : 0;
    if (rc) fprintf(stderr, "c12 bench: %s\n", err.msg);
    else if (o->json)
        printf("{\"model\": \"%s\", \"threads\": %d, \"prompt_tokens\": %d, \"decode_tokens\": %d, \"seqs\": %d, "
               "\"one_tps\": %.2f, \"seqs_tps\": %.2f, \"ratio\": %.3f, \"seqs_per_step\": %.2f}\n",
               in->name, o->threads, o->n_prompt, o->n_gen, k, best1, bestk, bestk / best1, per_step);
    else
        printf("%s: decode %d tokens each, one sequence %.1f t/s, %d sequences %.1f t/s together (%.2fx; "
               "%.2f sequences a step; %d threads)\n", in->name, o->n_gen, best1, k, bestk, bestk / best1, per_step,
               o->threads);
    for (int i = 0; i < k; i++)
        if (ss[i]) {
            c12_session_set_batcher(ss[i], NULL, &err);
            c12_session_free(ss[i]);
        }
    c12_batcher_free(b);
    return rc ? 1 : 0;
}
