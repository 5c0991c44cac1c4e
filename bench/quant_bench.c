/* quant_bench.c - single-thread vec_dot throughput per type and ISA level, in
 * GB/s of weight bytes (the number that matters for memory-bound decode).
 *
 * Two working sets per kernel: a small one that stays in L2 (kernel speed)
 * and a large one that streams from DRAM (what decode sees). Rows are 4096
 * elements, the activation row is quantized once, as in a matmul.
 *
 * Then, for the types with a multi-token kernel (vec_dot_n), the time per
 * weight row against 1..8 activation rows (the L2 set, the best ISA): the
 * kernel, and ny vec_dot calls, side by side. A batched decode step has that
 * many rows; the smallest ny where vec_dot_n wins is the type's
 * vec_dot_n_min (quant.c).
 *
 * Then, for the types with a repacked form on this CPU (c12_type_repacked:
 * Q4_K, Q6_K, Q5_0, Q4_1 at AVX-512), the plain rows beside the same rows repacked
 * 8 at a time: one token's GB/s from L2 and from DRAM, and ns per weight row
 * against 4, 8 and 64 tokens (the plain type's vec_dot_n against vec_dot_r8).
 *
 * Then the kernels a batched decode step runs (4 and 8 tokens: vec_dot_r8
 * where the type has a repacked form, vec_dot_n otherwise) on the L2 set and
 * on the DRAM set: how much of the time to read the weights their computing
 * hides.
 *
 * Then attention's fp16 dots (vecops.h, dot_f16_rows) over a 512-position
 * cache at each ISA level: a head's scores (one dot per position) and its
 * weighted values (one dot per dimension); AVX2 sums a row at a time,
 * AVX-512 16 rows together.
 *
 * Last, the baseline every one-token kernel is held against: a plain loop
 * that only reads the DRAM set, on 1 and 2 threads (decode reads each weight
 * once per token, so no kernel beats it).
 *
 * Build (not part of `make test`):
 *   make && cc -O2 -std=c11 -D_GNU_SOURCE -Isrc bench/quant_bench.c build/opt/libc12.a -lm -o build/quant_bench
 *   build/quant_bench [dram_MiB=256] [l2_KiB=512] [isa: 0 scalar, 1 avx2, 2 avx512] */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/quant.h"
#include "engine/vecops.h"

enum { K = 4096 };

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static float unit(uint64_t *s) { return (float)((next(s) >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f; }

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Random quants with finite, model-like fp16 scales (random scale bits would
 * give inf/NaN/denormal arithmetic, which is not what models look like). */
static void fill(uint32_t t, const c12_type_traits *tt, uint8_t *w, size_t rows, uint64_t *seed)
{
    const size_t row = c12_type_row_size(tt, K);
    if (tt->block_size == 1) {
        float *f = malloc(K * sizeof(float));
        for (int i = 0; i < K; i++) f[i] = unit(seed);
        for (size_t r = 0; r < rows; r++) tt->from_float(f, w + r * row, K);
        free(f);
        return;
    }
    for (size_t i = 0; i < rows * row; i++) w[i] = (uint8_t)next(seed);
    const uint16_t h = c12_fp32_to_fp16(0.01f);
    for (size_t off = 0; off < rows * row; off += tt->type_size) {
        size_t at[2] = { 0, 0 };
        int cnt = 1;
        if (t == C12_TYPE_Q6_K) at[0] = 208;
        if (t == C12_TYPE_Q4_1 || t == C12_TYPE_Q5_1 || t == C12_TYPE_Q4_K || t == C12_TYPE_Q5_K) at[1] = 2, cnt = 2;
        for (int k = 0; k < cnt; k++) memcpy(w + off + at[k], &h, 2);
    }
}

/* What a pass over weight rows multiplies. */
typedef struct pass_ctx {
    const c12_type_traits *tt;
    const uint8_t *w, *act;
    size_t rows, act_row;
    int ny;
    float *out;
    const float *ysc; /* the activations' scales, for vec_dot_n */
} pass_ctx;

/* The best seconds per pass of `pass` (over c) in `trials` timings, each
 * repeating passes for at least min_s seconds (best-of filters out other load
 * on the machine, which only ever slows a trial down). */
static double best_pass(void (*pass)(const void *), const void *c, int trials, double min_s)
{
    double best = 1e30;
    for (int t = 0; t < trials; t++) {
        double t0 = now(), t1;
        size_t passes = 0;
        do {
            pass(c);
            passes++;
            t1 = now();
        } while (t1 - t0 < min_s);
        const double per = (t1 - t0) / (double)passes;
        if (per < best) best = per;
    }
    return best;
}

static void plain_pass(const void *ctx)
{
    const pass_ctx *c = ctx;
    const size_t row = c12_type_row_size(c->tt, K);
    for (size_t r = 0; r < c->rows; r++) c->tt->vec_dot(K, c->out + (r & 63), c->w + r * row, c->act);
}

/* GB/s over the weights, one token, plain rows */
static double run(const c12_type_traits *tt, const uint8_t *w, size_t rows, const void *act, float *sink, int trials,
                  double min_s)
{
    const pass_ctx c = {.tt = tt, .w = w, .rows = rows, .act = act, .out = sink};
    return (double)(rows * c12_type_row_size(tt, K)) / best_pass(plain_pass, &c, trials, min_s) / 1e9;
}

/* The ny activation rows' scales laid out as a matmul lays them out once
 * (c12_act_scales), for vec_dot_n; NULL for the types that need none. */
static float *act_scales_new(const c12_type_traits *tt, const uint8_t *act, size_t act_row, int ny)
{
    const size_t floats = c12_act_scales_floats(tt->vec_dot_type, K, ny);
    float *ysc = floats ? malloc(floats * sizeof(float)) : NULL;
    if (ysc) c12_act_scales(tt->vec_dot_type, act, act_row, K, ny, ysc);
    return ysc;
}

/* ns per weight row against ny activation rows: vec_dot_n (n = 1) or ny
 * vec_dot calls (n = 0); best of 40 passes over the rows. */
static double per_row_ns(const c12_type_traits *tt, const uint8_t *w, size_t rows, const uint8_t *act, size_t act_row,
                         int ny, int n, float *out)
{
    const size_t row = c12_type_row_size(tt, K);
    float *ysc = act_scales_new(tt, act, act_row, ny); /* not timed */
    double best = 1e30;
    for (int t = 0; t < 40; t++) {
        double t0 = now();
        for (size_t r = 0; r < rows; r++) {
            if (n) {
                tt->vec_dot_n(K, out, 1, w + r * row, act, act_row, ny, ysc);
                continue;
            }
            for (int j = 0; j < ny; j++) tt->vec_dot(K, out + j, w + r * row, act + (size_t)j * act_row);
        }
        const double dt = (now() - t0) / (double)rows * 1e9;
        if (dt < best) best = dt;
    }
    free(ysc);
    return best;
}

static void tokens_table(c12_isa isa, const uint32_t *types, int nt, uint8_t *const *w, const size_t *rows,
                         const float *floats)
{
    printf("\nns per weight row against ny activation rows (%s, L2 set): vec_dot_n / ny vec_dot calls\n",
           c12_isa_name(isa));
    printf("%-6s", "type");
    for (int ny = 1; ny <= 8; ny++) printf("        ny=%d", ny);
    printf("   vec_dot_n_min\n");
    for (int k = 0; k < nt; k++) {
        const c12_type_traits *tt = c12_type(c12_types(isa), types[k]);
        if (!tt->vec_dot_n) continue;
        const c12_type_traits *yt = c12_type(c12_types(isa), (uint32_t)tt->vec_dot_type);
        const size_t ar = c12_type_row_size(yt, K);
        uint8_t *act = malloc(8 * ar);
        float out[8];
        for (int j = 0; j < 8; j++) yt->from_float(floats, act + (size_t)j * ar, K);
        printf("%-6s", tt->name);
        for (int ny = 1; ny <= 8; ny++)
            printf(" %5.0f/%5.0f", per_row_ns(tt, w[k], rows[k], act, ar, ny, 1, out),
                   per_row_ns(tt, w[k], rows[k], act, ar, ny, 0, out));
        printf("   %d\n", tt->vec_dot_n_min);
        free(act);
    }
}

static void r8_pass(const void *ctx)
{
    const pass_ctx *c = ctx;
    const size_t row = c12_type_row_size(c->tt, K);
    for (size_t r = 0; r + 8 <= c->rows; r += 8) c->tt->vec_dot_r8(K, c->out, 8, c->w + r * row, c->act, c->act_row, c->ny);
}

/* best GB/s (ny = 1) or ns per weight row (ny > 1) over `rows` repacked
 * rows (a multiple of 8) against ny activation rows */
static double run_r8(const c12_type_traits *r8, const uint8_t *w, size_t rows, const uint8_t *act, size_t act_row,
                     int ny, float *out, int trials, double min_s)
{
    const pass_ctx c = {.tt = r8, .w = w, .rows = rows / 8 * 8, .act = act, .act_row = act_row, .ny = ny, .out = out};
    const double per = best_pass(r8_pass, &c, trials, min_s);
    return ny == 1 ? (double)(c.rows * c12_type_row_size(r8, K)) / per / 1e9 : per / (double)c.rows * 1e9;
}

static void repacked_table(c12_isa isa, const uint32_t *types, int nt, uint8_t *const *w, const size_t *rows_l2,
                           const size_t *rows_dram, const float *floats)
{
    static const int NY[] = {4, 8, 64};
    printf("\nrepacked 8 rows at a time (%s): plain / repacked; GB/s for one token, ns per weight row for ny\n",
           c12_isa_name(isa));
    printf("%-6s %13s %13s %13s %13s %13s\n", "type", "L2 GB/s", "DRAM GB/s", "ny=4 ns", "ny=8 ns", "ny=64 ns");
    for (int k = 0; k < nt; k++) {
        const c12_type_traits *tt = c12_type(c12_types(isa), types[k]), *r8 = c12_type_repacked(c12_types(isa), tt);
        if (!r8) continue;
        const c12_type_traits *yt = c12_type(c12_types(isa), (uint32_t)tt->vec_dot_type);
        const size_t ar = c12_type_row_size(yt, K), row = c12_type_row_size(tt, K);
        uint8_t *act = malloc(64 * ar), *p = malloc(rows_dram[k] * row);
        float *out = malloc(64 * 8 * sizeof(float));
        for (int j = 0; j < 64; j++) yt->from_float(floats, act + (size_t)j * ar, K);
        for (size_t r = 0; r + 8 <= rows_dram[k]; r += 8) r8->repack(w[k] + r * row, row, p + r * row, K);
        printf("%-6s %6.2f/%6.2f %6.2f/%6.2f", tt->name, run(tt, w[k], rows_l2[k] / 8 * 8, act, out, 40, 0.005),
               run_r8(r8, p, rows_l2[k], act, ar, 1, out, 40, 0.005), run(tt, w[k], rows_dram[k], act, out, 4, 0.1),
               run_r8(r8, p, rows_dram[k], act, ar, 1, out, 4, 0.1));
        for (size_t j = 0; j < sizeof NY / sizeof NY[0]; j++)
            printf(" %6.0f/%6.0f", per_row_ns(tt, w[k], rows_l2[k], act, ar, NY[j], 1, out),
                   run_r8(r8, p, rows_l2[k], act, ar, NY[j], out, 40, 0));
        printf("\n");
        free(act), free(p), free(out);
    }
}

static void plain_n_pass(const void *ctx)
{
    const pass_ctx *c = ctx;
    const size_t row = c12_type_row_size(c->tt, K);
    for (size_t r = 0; r < c->rows; r++) c->tt->vec_dot_n(K, c->out, 1, c->w + r * row, c->act, c->act_row, c->ny, c->ysc);
}

/* ns per weight row against ny tokens, the rows of `w` (plain, vec_dot_n)
 * or `p` (repacked, vec_dot_r8) */
static double tokens_ns(const c12_type_traits *tt, const c12_type_traits *r8, const uint8_t *w, const uint8_t *p,
                        size_t rows, const uint8_t *act, size_t ar, int ny, float *out, int trials, double min_s)
{
    if (r8) return run_r8(r8, p, rows, act, ar, ny, out, trials, min_s);
    float *ysc = act_scales_new(tt, act, ar, ny);
    const pass_ctx c = {.tt = tt, .w = w, .rows = rows, .act = act, .act_row = ar, .ny = ny, .out = out, .ysc = ysc};
    const double ns = best_pass(plain_n_pass, &c, trials, min_s) / (double)rows * 1e9;
    free(ysc);
    return ns;
}

/* The kernels a batched decode step runs (several tokens, the weights
 * streaming from DRAM, as in a model bigger than the caches) against the same
 * kernels on the L2 set: the gap is the memory time that the kernel's
 * computing does not hide (simd_x86.h, c12_prefetch_ahead). */
static void dram_tokens_table(c12_isa isa, const uint32_t *types, int nt, uint8_t *const *w, const size_t *rows_l2,
                              const size_t *rows_dram, const float *floats)
{
    printf("\nseveral tokens, the weights from L2 and from DRAM (%s): ns per weight row; DRAM/L2\n", c12_isa_name(isa));
    printf("%-9s %3s %9s %9s %7s\n", "kernel", "ny", "L2", "DRAM", "ratio");
    for (int k = 0; k < nt; k++) {
        const c12_type_traits *tt = c12_type(c12_types(isa), types[k]), *r8 = c12_type_repacked(c12_types(isa), tt);
        if (!tt->vec_dot_n && !r8) continue;
        const c12_type_traits *yt = c12_type(c12_types(isa), (uint32_t)tt->vec_dot_type);
        const size_t ar = c12_type_row_size(yt, K), row = c12_type_row_size(tt, K);
        uint8_t *act = malloc(8 * ar), *p = r8 ? malloc(rows_dram[k] * row) : NULL;
        float *out = malloc(8 * 8 * sizeof(float));
        for (int j = 0; j < 8; j++) yt->from_float(floats, act + (size_t)j * ar, K);
        if (r8)
            for (size_t r = 0; r + 8 <= rows_dram[k]; r += 8) r8->repack(w[k] + r * row, row, p + r * row, K);
        char name[16];
        snprintf(name, sizeof name, "%s%s", tt->name, r8 ? "_r8" : "");
        for (int ny = 4; ny <= 8; ny *= 2) {
            const double l2 = tokens_ns(tt, r8, w[k], p, rows_l2[k] / 8 * 8, act, ar, ny, out, 40, 0.005);
            const double dram = tokens_ns(tt, r8, w[k], p, rows_dram[k] / 8 * 8, act, ar, ny, out, 3, 0);
            printf("%-9s %3d %9.0f %9.0f %6.2fx\n", name, ny, l2, dram, dram / l2);
        }
        fflush(stdout);
        free(act), free(p), free(out);
    }
}

/* one thread's share of the read-only loop: four sums, so that the loads,
 * not an add chain, set the pace */
typedef struct read_part {
    const uint64_t *p;
    size_t n;
    uint64_t sum;
} read_part;

static void *read_run(void *arg)
{
    read_part *r = arg;
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i + 4 <= r->n; i += 4) s0 += r->p[i], s1 += r->p[i + 1], s2 += r->p[i + 2], s3 += r->p[i + 3];
    r->sum = s0 + s1 + s2 + s3;
    return NULL;
}

/* GB/s reading `bytes` at buf on `threads` threads (best of 4) */
static double read_gbs(const uint8_t *buf, size_t bytes, int threads, uint64_t *sink)
{
    enum { MAXT = 2 };
    double best = 0;
    for (int rep = 0; rep < 4; rep++) {
        read_part part[MAXT];
        pthread_t th[MAXT];
        const size_t n = bytes / sizeof(uint64_t) / (size_t)threads;
        const double t0 = now();
        for (int t = 0; t < threads; t++) {
            part[t] = (read_part){.p = (const uint64_t *)buf + (size_t)t * n, .n = n};
            if (t) pthread_create(&th[t], NULL, read_run, &part[t]);
        }
        read_run(&part[0]);
        for (int t = 1; t < threads; t++) pthread_join(th[t], NULL);
        const double gbs = (double)(n * (size_t)threads * sizeof(uint64_t)) / (now() - t0) / 1e9;
        for (int t = 0; t < threads; t++) *sink += part[t].sum;
        if (gbs > best) best = gbs;
    }
    return best;
}

typedef struct dots_ctx {
    const c12_vec_ops *vo;
    int n, rows;
    size_t stride;
    const uint16_t *x;
    const float *y;
    float *out;
} dots_ctx;

static void dots_pass(const void *ctx)
{
    const dots_ctx *d = ctx;
    d->vo->dot_f16_rows(d->n, d->x, d->stride, d->rows, d->y, d->out);
}

static void attention_table(c12_isa best, uint64_t *seed)
{
    enum { CTX = 512, HD_MAX = 256 };
    static uint16_t k[CTX * HD_MAX], v[HD_MAX * CTX];
    static float q[HD_MAX], w[CTX], out[CTX];
    for (int i = 0; i < CTX * HD_MAX; i++) k[i] = c12_fp32_to_fp16(unit(seed)), v[i] = c12_fp32_to_fp16(unit(seed));
    for (int i = 0; i < HD_MAX; i++) q[i] = c12_fp16_to_fp32(c12_fp32_to_fp16(unit(seed)));
    for (int i = 0; i < CTX; i++) w[i] = c12_fp16_to_fp32(c12_fp32_to_fp16(unit(seed) * 0.01f));
    printf("\nattention's fp16 dots (dot_f16_rows), one head over %d positions, ns per head (AVX2: a row at a time;"
           " AVX-512: 16 rows)\n", CTX);
    printf("%-7s %4s %10s %16s\n", "isa", "hd", "scores", "weighted values");
    for (int l = C12_ISA_AVX2; l <= (int)best; l++)
        for (int hd = 64; hd <= HD_MAX; hd *= 2) {
            const c12_vec_ops *vo = c12_vec_ops_for((c12_isa)l);
            const dots_ctx sc = {vo, hd, CTX, (size_t)hd, k, q, out}, wv = {vo, CTX, hd, CTX, v, w, out};
            printf("%-7s %4d %10.0f %16.0f\n", c12_isa_name((c12_isa)l), hd, best_pass(dots_pass, &sc, 7, 0.002) * 1e9,
                   best_pass(dots_pass, &wv, 7, 0.002) * 1e9);
        }
}

int main(int argc, char **argv)
{
    const size_t dram_mib = argc > 1 ? (size_t)atol(argv[1]) : 256, l2_kib = argc > 2 ? (size_t)atol(argv[2]) : 512;
    static const uint32_t types[] = { C12_TYPE_F32, C12_TYPE_F16, C12_TYPE_BF16, C12_TYPE_Q4_0, C12_TYPE_Q4_1,
                                      C12_TYPE_Q5_0, C12_TYPE_Q5_1, C12_TYPE_Q8_0, C12_TYPE_Q4_K, C12_TYPE_Q5_K,
                                      C12_TYPE_Q6_K };
    enum { NT = sizeof types / sizeof types[0] };
    const c12_isa best = c12_isa_detect();
    /* argv[3] picks one ISA level; by default all, one after the other. Running
     * AVX-512 kernels between AVX2 ones in the same process measurably slowed
     * the AVX2 ones, so the ISA is the outer loop. */
    const int lo = argc > 3 ? atoi(argv[3]) : 0, hi = argc > 3 ? atoi(argv[3]) : (int)best;
    float floats[K], sink[64] = { 0 };
    uint64_t seed = 42;
    for (int i = 0; i < K; i++) floats[i] = unit(&seed) * 3.0f;
    uint8_t *w[NT];
    size_t rows_dram[NT], rows_l2[NT];
    for (int k = 0; k < NT; k++) {
        const c12_type_traits *ref = c12_type(c12_types(C12_ISA_SCALAR), types[k]);
        const size_t row = c12_type_row_size(ref, K);
        rows_dram[k] = dram_mib * 1024 * 1024 / row;
        rows_l2[k] = l2_kib * 1024 / row + 1;
        w[k] = malloc(rows_dram[k] * row);
        if (!w[k]) return 1;
        fill(types[k], ref, w[k], rows_dram[k], &seed);
    }
    printf("best ISA: %s; row %d elements; L2 set %zu KiB, DRAM set %zu MiB; single thread\n", c12_isa_name(best), K,
           l2_kib, dram_mib);
    printf("%-6s %-7s %12s %12s\n", "type", "isa", "L2 GB/s", "DRAM GB/s");
    for (int l = lo; l <= hi && l <= (int)best; l++) {
        for (int k = 0; k < NT; k++) {
            const c12_type_traits *tt = c12_type(c12_types((c12_isa)l), types[k]);
            const c12_type_traits *yt = c12_type(c12_types((c12_isa)l), (uint32_t)tt->vec_dot_type);
            void *act = malloc(c12_type_row_size(yt, K));
            yt->from_float(floats, act, K);
            const double l2 = run(tt, w[k], rows_l2[k], act, sink, 40, 0.005);
            const double dram = run(tt, w[k], rows_dram[k], act, sink, 4, 0.1);
            printf("%-6s %-7s %12.2f %12.2f\n", tt->name, c12_isa_name((c12_isa)l), l2, dram);
            fflush(stdout);
            free(act);
        }
    }
    tokens_table(best, types, NT, w, rows_l2, floats);
    repacked_table(best, types, NT, w, rows_l2, rows_dram, floats);
    dram_tokens_table(best, types, NT, w, rows_l2, rows_dram, floats);
    attention_table(best, &seed);
    uint64_t rsink = 0; /* the F32 set is the largest (4 bytes a weight) */
    const size_t fbytes = rows_dram[0] * c12_type_row_size(c12_type(c12_types(C12_ISA_SCALAR), types[0]), K);
    printf("\nmemory read, a plain loop over the DRAM set (%zu MiB): 1 thread %.1f GB/s, 2 threads %.1f GB/s\n",
           fbytes >> 20, read_gbs(w[0], fbytes, 1, &rsink), read_gbs(w[0], fbytes, 2, &rsink));
    sink[0] += (float)(rsink & 1);
    for (int k = 0; k < NT; k++) free(w[k]);
    float s = 0;
    for (int i = 0; i < 64; i++) s += sink[i];
    fprintf(stderr, "(checksum %g)\n", (double)s);
    return 0;
}
