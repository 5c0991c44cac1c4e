/* cmd_bench.c - `c12 bench`: prefill and decode speed of a model, as llama-bench
 * measures them: a prompt of P token ids evaluated from an empty cache, then N
 * tokens decoded one at a time. Repeated R times; the best run is reported.
 * With -s K, K sequences decode together instead (cmd_bench_seqs.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/c12_clock.h"
#include "base/c12_alloc.h"
#include "cli.h"
#include "cli_model.h"
#include "cmd_bench.h"

static int bench_once(c12_session *s, const int32_t *ids, const c12_bench_opts *o, double *pp,
                      double *tg)
{
    c12_err err;
    c12_session_truncate(s, 0);
    double t0 = c12_clock_s();
    if (c12_session_decode(s, ids, o->n_prompt, o->n_prompt, NULL, &err)) goto fail;
    double t1 = c12_clock_s();
    for (int i = 0; i < o->n_gen; i++) {
        int32_t tok = ids[(o->n_prompt + i) % o->n_prompt];
        if (c12_session_decode(s, &tok, 1, 1, NULL, &err)) goto fail;
    }
    double t2 = c12_clock_s();
    *pp = o->n_prompt / (t1 - t0);
    *tg = o->n_gen / (t2 - t1);
    return 0;
fail:
    fprintf(stderr, "c12 bench: %s\n", err.msg);
    return 1;
}

static int run_bench(c12_model *m, const c12_bench_opts *o)
{
    const c12_model_info *in = c12_model_get_info(m);
    int32_t *ids = c12_malloc(sizeof(int32_t) * (size_t)o->n_prompt);
    if (!ids) return 1;
    uint64_t x = 12345; /* fixed pseudo-random prompt, like llama-bench's */
    for (int i = 0; i < o->n_prompt; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        ids[i] = (int32_t)((x >> 33) % (uint64_t)in->n_vocab);
    }
    if (o->seqs > 1) {
        int r = c12_bench_seqs(m, ids, o);
        c12_free(ids);
        return r;
    }
    c12_session_params sp = {.n_ctx = o->n_prompt + o->n_gen + 8, .n_threads = o->threads,
                             .n_batch = o->n_prompt};
    c12_session *s;
    c12_err err;
    if (c12_session_new(m, &sp, &s, &err)) {
        fprintf(stderr, "c12 bench: %s\n", err.msg);
        c12_free(ids);
        return 1;
    }
    double best_pp = 0, best_tg = 0, pp = 0, tg = 0;
    int rc = 0;
    for (int r = 0; r < o->reps && !rc; r++) {
        rc = bench_once(s, ids, o, &pp, &tg);
        if (pp > best_pp) best_pp = pp;
        if (tg > best_tg) best_tg = tg;
    }
    if (!rc && o->json)
        printf("{\"model\": \"%s\", \"threads\": %d, \"prefill_tokens\": %d, \"prefill_tps\": %.2f, "
               "\"decode_tokens\": %d, \"decode_tps\": %.2f}\n",
               in->name, o->threads, o->n_prompt, best_pp, o->n_gen, best_tg);
    else if (!rc)
        printf("%s: prefill %d tokens %.1f t/s, decode %d tokens %.1f t/s (%d threads)\n",
               in->name, o->n_prompt, best_pp, o->n_gen, best_tg, o->threads);
    c12_free(ids);
    c12_session_free(s);
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    static const struct option lo[] = {
        {"model", 1, 0, 'm'}, {"prompt", 1, 0, 'p'}, {"gen", 1, 0, 'n'}, {"threads", 1, 0, 't'},
        {"reps", 1, 0, 'r'},  {"json", 0, 0, 1},     {"help", 0, 0, 'h'}, {"seqs", 1, 0, 's'}, {0, 0, 0, 0}};
    c12_bench_opts o = {.model = "smollm2-135m", .n_prompt = 256, .n_gen = 128, .threads = 2,
                    .reps = 3, .seqs = 1};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:p:n:t:r:s:h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': o.model = optarg; break;
        case 'p': o.n_prompt = atoi(optarg); break;
        case 'n': o.n_gen = atoi(optarg); break;
        case 't': o.threads = atoi(optarg); break;
        case 'r': o.reps = atoi(optarg); break;
        case 's': o.seqs = atoi(optarg); break;
        case 1: o.json = 1; break;
        default:
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: c12 bench -m NAME|PATH [-p PROMPT_TOKENS (256)] [-n GEN_TOKENS (128)] "
                    "[-t THREADS (2)] [-r REPS (3)] [-s SEQUENCES (1)] [--json]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (o.n_prompt < 1 || o.n_gen < 1 || o.reps < 1 || o.seqs < 1 || o.seqs > C12_BENCH_SEQS_MAX) {
        fprintf(stderr, "c12 bench: -p, -n and -r must be positive, -s 1 to %d\n", C12_BENCH_SEQS_MAX);
        return 2;
    }
    c12_model *m = cli_load_model("bench", o.model);
    if (!m) return 1;
    int rc = run_bench(m, &o);
    c12_model_free(m);
    return rc;
}
