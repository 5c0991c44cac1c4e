/* vecops.h - the vector operations of attention and the feed-forward, in
 * llama.cpp's arithmetic (engine-internal).
 *
 * A transformer amplifies rounding: summing in another order moves logits by
 * ~0.1 and flips greedy choices on near ties. So these kernels reproduce the
 * order of operations of llama.cpp's CPU backend as built for x86 with
 * AVX-512 (our oracle): 16-lane partial sums reduced in a fixed tree, and its
 * polynomial exp (range reduction to 2^n * e^b, b in [-ln2/2, ln2/2], degree-5
 * polynomial; coefficients from Arm's optimized-routines expf, which llama.cpp
 * also uses). The scalar versions are the reference; SIMD versions must be
 * bit-identical to them (tests/engine/test_vecops.c). */
#ifndef C12_VECOPS_H
#define C12_VECOPS_H

#include <stddef.h>
#include <stdint.h>

#include "quant.h"

typedef struct c12_vec_ops {
    /* out[r] = sum x[r * stride + i] * y[i] over n fp16 pairs, for r < rows:
     * each row's 4 accumulators of 16 lanes over 64-element steps, reduced in
     * a tree; the n % 64 tail added in double. y holds fp16 values as
     * floats, converted once by the caller, as one y meets many rows.
     * Attention's scores (rows: positions of the cache, n: the head size)
     * and its weighted values (rows: the head's dimensions, n: positions). */
    void (*dot_f16_rows)(int n, const uint16_t *x, size_t stride, int rows, const float *y, float *out);
    /* y[i] = exp(x[i] - max); returns the sum, accumulated per 16 in double */
    double (*softmax_exp)(int n, float *y, const float *x, float max);
    /* y[i] = silu(x[i]) * g[i] */
    void (*swiglu)(int n, float *y, const float *x, const float *g);
    /* y[i] = gelu(x[i]) * g[i] as ggml's GGML_GELU_FP16 path: 0 for x <= -10,
     * x * g for x >= 10, else tab[fp16(x)] * g (tab: c12_gelu_table_fill) */
    void (*geglu)(int n, float *y, const float *x, const float *g, const float *tab);
    /* y[i] = x[i] * scale rounded to fp16 (nearest-even, c12_fp32_to_fp16)
     * and back to float: attention's query and weights as llama.cpp's fp16
     * dots see them */
    void (*round_f16)(int n, float *y, const float *x, float scale);
} c12_vec_ops;

/* dot_f16_rows with AVX-512 (vecops_avx512.c), in the AVX-512 table. */
void c12_dot_f16_rows_avx512(int n, const uint16_t *x, size_t stride, int rows, const float *y, float *out);

/* The kernels for an ISA level (AVX-512: AVX2's, but its own dot_f16_rows). */
const c12_vec_ops *c12_vec_ops_for(c12_isa isa);

/* ggml's GELU lookup table, as floats: for each fp16 bit pattern h,
 * fp16(0.5x(1 + tanh(sqrt(2/pi) x (1 + 0.044715 x^2)))) with x = h, computed
 * in float with the inner 1 + (0.044715x)x fused, as gcc compiles ggml.
 * tab has C12_GELU_TABLE_N entries. */
#define C12_GELU_TABLE_N 65536
void c12_gelu_table_fill(float *tab);

/* The scalar exp approximation itself, for tests. */
float c12_expf_poly(float x);

#endif
