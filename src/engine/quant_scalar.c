/* quant_scalar.c - scalar reference kernels for the float types and the
 * 32-element blocks (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1).
 *
 * These define the numerics every SIMD kernel is tested against:
 *  - dequantize: value = q*d (+ m), one float multiply (and add) per element;
 *  - dot products: an exact int32 sum per block, then (dx*dy)*sumi (+ mx*sy)
 *    added to a float accumulator, block by block;
 *  - float dots (F32/F16/BF16): products summed in double, so the reference
 *    is more accurate than any SIMD order and tolerances are one-sided.
 * Weight quantizers (from_float of Q4_0..Q5_1) follow ggml's reference
 * quantizers so that re-quantized tensors (e.g. a quantized KV cache) match. */
#include <float.h>

#include "engine/quant_impl.h"

/* ---------------- F32 / F16 / BF16 ---------------- */

void c12_f32_to_float(const void *src, float *dst, int64_t n) { memcpy(dst, src, (size_t)n * sizeof(float)); }
void c12_f32_from_float(const float *src, void *dst, int64_t n) { memcpy(dst, src, (size_t)n * sizeof(float)); }

void c12_f32_vec_dot(int n, float *s, const void *vx, const void *vy)
{
    const float *x = vx, *y = vy;
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += (double)x[i] * (double)y[i];
    *s = (float)sum;
}

void c12_f16_to_float(const void *src, float *dst, int64_t n)
{
    const uint16_t *h = src;
    for (int64_t i = 0; i < n; i++) dst[i] = c12_h2f(h[i]);
}

void c12_f16_from_float(const float *src, void *dst, int64_t n)
{
    uint16_t *h = dst;
    for (int64_t i = 0; i < n; i++) h[i] = c12_f2h(src[i]);
}

void c12_f16_vec_dot(int n, float *s, const void *vx, const void *vy)
{
    const uint16_t *x = vx, *y = vy;
    double sum = 0.0;
    /* A product of two halves has at most 22 significant bits: exact in float. */
    for (int i = 0; i < n; i++) sum += (double)(c12_h2f(x[i]) * c12_h2f(y[i]));
    *s = (float)sum;
}

void c12_bf16_to_float(const void *src, float *dst, int64_t n)
{
    const uint16_t *h = src;
    for (int64_t i = 0; i < n; i++) dst[i] = c12_bf2f(h[i]);
}

void c12_bf16_from_float(const float *src, void *dst, int64_t n)
{
    uint16_t *h = dst;
    for (int64_t i = 0; i < n; i++) h[i] = c12_f2bf(src[i]);
}

void c12_bf16_vec_dot(int n, float *s, const void *vx, const void *vy)
{
    const uint16_t *x = vx, *y = vy;
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += (double)(c12_bf2f(x[i]) * c12_bf2f(y[i]));
    *s = (float)sum;
}

/* ---------------- shared pieces of the 32-blocks ---------------- */

/* Nibble order of every 4/5-bit 32-block: byte j holds element j (low nibble)
 * and element j+16 (high nibble). The 5th bits of Q5_x sit in a 32-bit
 * little-endian word, bit j for element j. */
static inline int nib(const uint8_t *qs, int j) { return j < 16 ? qs[j] & 15 : qs[j - 16] >> 4; }

static inline uint32_t load_qh(const uint8_t qh[4])
{
    return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
}

/* The amax-signed element (first one with the largest |x|), as ggml's
 * symmetric quantizers pick it. */
static float signed_max(const float *x, int n)
{
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; j++) {
        if (amax < fabsf(x[j])) { amax = fabsf(x[j]); max = x[j]; }
    }
    return max;
}

static void min_max(const float *x, int n, float *mn, float *mx)
{
    float lo = FLT_MAX, hi = -FLT_MAX;
    for (int j = 0; j < n; j++) {
        if (x[j] < lo) lo = x[j];
        if (x[j] > hi) hi = x[j];
    }
    *mn = lo;
    *mx = hi;
}

/* ggml's weight quantizers truncate x*id + offset toward zero after adding
 * 0.5; clamping first keeps the float->int conversion defined for any input. */
static inline int trunc_q(float v, int hi)
{
    if (!(v >= 0.0f)) return 0;
    if (v >= (float)hi) return hi;
    return (int)v;
}

/* ---- the order of a 32-block dot product ----
 * llama.cpp's x86 kernels (our oracle) sum each block's 32 integer products
 * as 8 lanes of 4, fused-multiply-add each lane times the block's scale into
 * a running lane sum, add the 8 lanes in a fixed tree at the end, and (Q4_1,
 * Q5_1) add the min terms, accumulated one block at a time, last. The scalar
 * reference does exactly that, so every ISA level is bit-identical to it and
 * to llama.cpp. (Float sums in another order give logits that differ by
 * ~0.1, enough to flip near-tie greedy tokens.) */
typedef struct lanes8 {
    float a[8];
} lanes8;

static inline void lanes_fma(lanes8 *acc, float d, const int *xq, const int8_t *yq)
{
    for (int l = 0; l < 8; l++) {
        int sumi = 0;
        for (int k = 0; k < 4; k++) sumi += xq[4 * l + k] * yq[4 * l + k];
        acc->a[l] = fmaf(d, (float)sumi, acc->a[l]);
    }
}

static inline float lanes_sum(const lanes8 *acc)
{
    const float *a = acc->a;
    float r0 = a[4] + a[0], r1 = a[5] + a[1], r2 = a[6] + a[2], r3 = a[7] + a[3];
    return (r0 + r2) + (r1 + r3);
}

/* ---------------- Q4_0 ---------------- */

void c12_q4_0_to_float(const void *src, float *dst, int64_t n)
{
    const c12_block_q4_0 *x = src;
    for (int64_t i = 0; i < n / C12_QK; i++, dst += C12_QK) {
        const float d = c12_h2f(x[i].d);
        for (int j = 0; j < C12_QK; j++) dst[j] = (float)(nib(x[i].qs, j) - 8) * d;
    }
}

void c12_q4_0_from_float(const float *src, void *dst, int64_t n)
{
    c12_block_q4_0 *y = dst;
    for (int64_t i = 0; i < n / C12_QK; i++, src += C12_QK) {
        const float d = signed_max(src, C12_QK) / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = c12_f2h(d);
        for (int j = 0; j < 16; j++) {
            int a = trunc_q(src[j] * id + 8.5f, 15), b = trunc_q(src[j + 16] * id + 8.5f, 15);
            y[i].qs[j] = (uint8_t)(a | b << 4);
        }
    }
}

void c12_q4_0_vec_dot(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q4_0 *x = vx;
    const c12_block_q8_0 *y = vy;
    lanes8 acc = {{0}};
    int q[C12_QK];
    for (int i = 0; i < n / C12_QK; i++) {
        for (int j = 0; j < C12_QK; j++) q[j] = nib(x[i].qs, j) - 8;
        lanes_fma(&acc, c12_h2f(x[i].d) * c12_h2f(y[i].d), q, y[i].qs);
    }
    *s = lanes_sum(&acc);
}

/* Q4_0 in the order of llama.cpp's repacked gemv (ggml_gemv_q4_0_8x8_q8_0,
 * what it runs for a Q4_0 matrix of 8k rows on AVX2): each block's exact
 * integer sum, converted to float and fused into one accumulator times the
 * rounded product of the two scales, blocks in order. */
void c12_q4_0_r8_vec_dot(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q4_0 *x = vx;
    const c12_block_q8_0 *y = vy;
    float acc = 0.0f;
    for (int i = 0; i < n / C12_QK; i++) {
        int32_t sumi = 0;
        for (int j = 0; j < C12_QK; j++) sumi += (nib(x[i].qs, j) - 8) * y[i].qs[j];
        acc = fmaf((float)sumi, c12_h2f(x[i].d) * c12_h2f(y[i].d), acc);
    }
    *s = acc;
}

/* ---------------- Q4_1 ---------------- */

void c12_q4_1_to_float(const void *src, float *dst, int64_t n)
{
    const c12_block_q4_1 *x = src;
    for (int64_t i = 0; i < n / C12_QK; i++, dst += C12_QK) {
        const float d = c12_h2f(x[i].d), m = c12_h2f(x[i].m);
        for (int j = 0; j < C12_QK; j++) dst[j] = (float)nib(x[i].qs, j) * d + m;
    }
}

void c12_q4_1_from_float(const float *src, void *dst, int64_t n)
{
    c12_block_q4_1 *y = dst;
    for (int64_t i = 0; i < n / C12_QK; i++, src += C12_QK) {
        float mn, mx;
        min_max(src, C12_QK, &mn, &mx);
        const float d = (mx - mn) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = c12_f2h(d);
        y[i].m = c12_f2h(mn);
        for (int j = 0; j < 16; j++) {
            int a = trunc_q((src[j] - mn) * id + 0.5f, 15);
            int b = trunc_q((src[j + 16] - mn) * id + 0.5f, 15);
            y[i].qs[j] = (uint8_t)(a | b << 4);
        }
    }
}

void c12_q4_1_vec_dot(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q4_1 *x = vx;
    const c12_block_q8_1 *y = vy;
    lanes8 acc = {{0}};
    float summs = 0.0f; /* sum_j (q_j*dx + m)*(y_j*dy) = dx*dy*sumi + m*s */
    int q[C12_QK];
    for (int i = 0; i < n / C12_QK; i++) {
        summs = fmaf(c12_h2f(x[i].m), c12_h2f(y[i].s), summs);
        for (int j = 0; j < C12_QK; j++) q[j] = nib(x[i].qs, j);
        lanes_fma(&acc, c12_h2f(x[i].d) * c12_h2f(y[i].d), q, y[i].qs);
    }
    *s = lanes_sum(&acc) + summs;
}

/* ---------------- Q5_0 / Q5_1 ---------------- */

static inline int q5(const uint8_t *qs, uint32_t qh, int j) { return nib(qs, j) | (int)((qh >> j) & 1u) << 4; }

void c12_q5_0_to_float(const void *src, float *dst, int64_t n)
{
    const c12_block_q5_0 *x = src;
    for (int64_t i = 0; i < n / C12_QK; i++, dst += C12_QK) {
        const float d = c12_h2f(x[i].d);
        const uint32_t qh = load_qh(x[i].qh);
        for (int j = 0; j < C12_QK; j++) dst[j] = (float)(q5(x[i].qs, qh, j) - 16) * d;
    }
}

static void pack_q5(const int *q, uint8_t qs[16], uint8_t qh[4])
{
    uint32_t h = 0;
    for (int j = 0; j < 16; j++) qs[j] = (uint8_t)((q[j] & 15) | (q[j + 16] & 15) << 4);
    for (int j = 0; j < 32; j++) h |= (uint32_t)((q[j] >> 4) & 1) << j;
    for (int k = 0; k < 4; k++) qh[k] = (uint8_t)(h >> (8 * k));
}

void c12_q5_0_from_float(const float *src, void *dst, int64_t n)
{
    c12_block_q5_0 *y = dst;
    for (int64_t i = 0; i < n / C12_QK; i++, src += C12_QK) {
        const float d = signed_max(src, C12_QK) / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int q[C12_QK];
        for (int j = 0; j < C12_QK; j++) q[j] = trunc_q(src[j] * id + 16.5f, 31);
        y[i].d = c12_f2h(d);
        pack_q5(q, y[i].qs, y[i].qh);
    }
}

void c12_q5_0_vec_dot(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q5_0 *x = vx;
    const c12_block_q8_0 *y = vy;
    lanes8 acc = {{0}};
    int q[C12_QK];
    for (int i = 0; i < n / C12_QK; i++) {
        const uint32_t qh = load_qh(x[i].qh);
        for (int j = 0; j < C12_QK; j++) q[j] = q5(x[i].qs, qh, j) - 16;
        lanes_fma(&acc, c12_h2f(x[i].d) * c12_h2f(y[i].d), q, y[i].qs);
    }
    *s = lanes_sum(&acc);
}

void c12_q5_1_to_float(const void *src, float *dst, int64_t n)
{
    const c12_block_q5_1 *x = src;
    for (int64_t i = 0; i < n / C12_QK; i++, dst += C12_QK) {
        const float d = c12_h2f(x[i].d), m = c12_h2f(x[i].m);
        const uint32_t qh = load_qh(x[i].qh);
        for (int j = 0; j < C12_QK; j++) dst[j] = (float)q5(x[i].qs, qh, j) * d + m;
    }
}

void c12_q5_1_from_float(const float *src, void *dst, int64_t n)
{
    c12_block_q5_1 *y = dst;
    for (int64_t i = 0; i < n / C12_QK; i++, src += C12_QK) {
        float mn, mx;
        min_max(src, C12_QK, &mn, &mx);
        const float d = (mx - mn) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int q[C12_QK];
        for (int j = 0; j < C12_QK; j++) q[j] = trunc_q((src[j] - mn) * id + 0.5f, 31);
        y[i].d = c12_f2h(d);
        y[i].m = c12_f2h(mn);
        pack_q5(q, y[i].qs, y[i].qh);
    }
}

void c12_q5_1_vec_dot(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q5_1 *x = vx;
    const c12_block_q8_1 *y = vy;
    lanes8 acc = {{0}};
    float summs = 0.0f;
    int q[C12_QK];
    for (int i = 0; i < n / C12_QK; i++) {
        summs = fmaf(c12_h2f(x[i].m), c12_h2f(y[i].s), summs);
        const uint32_t qh = load_qh(x[i].qh);
        for (int j = 0; j < C12_QK; j++) q[j] = q5(x[i].qs, qh, j);
        lanes_fma(&acc, c12_h2f(x[i].d) * c12_h2f(y[i].d), q, y[i].qs);
    }
    *s = lanes_sum(&acc) + summs;
}

/* ---------------- Q8_0 / Q8_1 ---------------- */

/* Quantize one 32-block symmetrically: d = amax/127, q = round_even(x*127/amax).
 * Returns d (as float, before fp16 rounding) and the sum of the quants. */
static float q8_block(const float *x, int8_t *q, int *sum)
{
    float amax = 0.0f;
    for (int j = 0; j < C12_QK; j++) amax = fmaxf(amax, fabsf(x[j]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int s = 0;
    for (int j = 0; j < C12_QK; j++) {
        q[j] = (int8_t)c12_round_even(x[j] * id);
        s += q[j];
    }
    *sum = s;
    return d;
}

void c12_q8_0_to_float(const void *src, float *dst, int64_t n)
{
    const c12_block_q8_0 *x = src;
    for (int64_t i = 0; i < n / C12_QK; i++, dst += C12_QK) {
        const float d = c12_h2f(x[i].d);
        for (int j = 0; j < C12_QK; j++) dst[j] = (float)x[i].qs[j] * d;
    }
}

void c12_q8_0_from_float(const float *src, void *dst, int64_t n)
{
    c12_block_q8_0 *y = dst;
    for (int64_t i = 0; i < n / C12_QK; i++, src += C12_QK) {
        int sum;
        y[i].d = c12_f2h(q8_block(src, y[i].qs, &sum));
    }
}

void c12_q8_0_vec_dot(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q8_0 *x = vx, *y = vy;
    lanes8 acc = {{0}};
    int q[C12_QK];
    for (int i = 0; i < n / C12_QK; i++) {
        for (int j = 0; j < C12_QK; j++) q[j] = x[i].qs[j];
        lanes_fma(&acc, c12_h2f(x[i].d) * c12_h2f(y[i].d), q, y[i].qs);
    }
    *s = lanes_sum(&acc);
}

void c12_q8_1_to_float(const void *src, float *dst, int64_t n)
{
    const c12_block_q8_1 *x = src;
    for (int64_t i = 0; i < n / C12_QK; i++, dst += C12_QK) {
        const float d = c12_h2f(x[i].d);
        for (int j = 0; j < C12_QK; j++) dst[j] = (float)x[i].qs[j] * d;
    }
}

void c12_q8_1_from_float(const float *src, void *dst, int64_t n)
{
    c12_block_q8_1 *y = dst;
    for (int64_t i = 0; i < n / C12_QK; i++, src += C12_QK) {
        int sum;
        const float d = q8_block(src, y[i].qs, &sum);
        y[i].d = c12_f2h(d);
        y[i].s = c12_f2h((float)sum * d); /* from d before its fp16 rounding, as ggml */
    }
}
