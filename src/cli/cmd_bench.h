/* cmd_bench.h - `c12 bench`'s options, shared by its one-sequence run
 * (cmd_bench.c) and its batched run (cmd_bench_seqs.c). */
#ifndef C12_CMD_BENCH_H
#define C12_CMD_BENCH_H

#include <stdint.h>

#include "engine/c12_engine.h"

#define C12_BENCH_SEQS_MAX 16

typedef struct c12_bench_opts {
    const char *model;
    int n_prompt, n_gen, threads, reps, json;
    int seqs; /* > 1: that many sequences decode together (cmd_bench_seqs.c) */
} c12_bench_opts;

/* K = o->seqs sessions on one batcher decode o->n_gen tokens each at once,
 * in turns with one alone; prints both tokens/s and the ratio. 0 or 1. */
int c12_bench_seqs(c12_model *m, const int32_t *ids, const c12_bench_opts *o);

#endif
