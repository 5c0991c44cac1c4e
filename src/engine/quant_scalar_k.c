/* quant_scalar_k.c - scalar reference kernels for the K-quants (Q4_K, Q5_K,
 * Q6_K) and their activation type Q8_K.
 *
 * Super-blocks of 256. Integer sums inside a super-block are exact (int32:
 * Q4_K/Q5_K |sumi| <= 8*63*32*31*127 < 2^31; Q6_K |sumi| <= 16*128*16*63*127
 * < 2^31), so only the float steps define a kernel's result, and they follow
 * the code llama.cpp (our oracle) runs on x86 for each type:
 *  - Q4_K: the repacked matrix-vector kernel (ggml_gemv_q4_K_8x8_q8_K), which
 *    llama.cpp uses for every Q4_K matrix with a multiple of 8 rows when the
 *    CPU has AVX2: per row, sumi and summ per super-block, then two fused
 *    chains acc += sumi*(dx*dy), accm += summ*(dminx*dy), and acc - accm.
 *  - Q5_K, Q6_K: ggml_vec_dot_q5_K_q8_K / q6_K_q8_K's AVX2 code: sumi split
 *    over 8 int32 lanes (lane k holds bytes 4k..4k+3 of each 32-quant chunk),
 *    each lane fused into its own float accumulator, lanes added in a fixed
 *    tree at the end; Q6_K's -32 offset is subtracted per lane through the
 *    bsums of groups 2k, 2k+1, Q5_K's mins go to one fused scalar chain.
 * (Float sums in another order move logits by ~0.1: see docs/engine.md.)
 * No weight quantizer here: K-quant weights come from GGUF files
 * (llama-quantize's search is not reproduced). */
#include "engine/quant_impl.h"

/* The 8 lanes of a 256-bit register added as ggml's hsum_float_8 adds them. */
static float hsum8(const float a[8])
{
    const float r0 = a[4] + a[0], r1 = a[5] + a[1], r2 = a[6] + a[2], r3 = a[7] + a[3];
    return (r0 + r2) + (r1 + r3);
}

/* ---------------- Q4_K / Q5_K ----------------
 * Element e of a super-block: chunk c = e/64 owns qs[32c .. 32c+31]; the first
 * 32 elements of a chunk are the low nibbles (sub-block 2c), the next 32 the
 * high nibbles (sub-block 2c+1). Q5_K's 5th bit of element 64c + l (l < 32) is
 * bit 2c of qh[l], of element 64c + 32 + l bit 2c+1 of qh[l]. */

static inline int q4k(const uint8_t *qs, int e)
{
    const uint8_t b = qs[32 * (e / 64) + e % 32];
    return (e % 64) < 32 ? b & 15 : b >> 4;
}

static inline int q5k_hi(const uint8_t *qh, int e) { return (qh[e % 32] >> (e / 32)) & 1; }

void c12_q4_K_to_float(const void *src, float *dst, int64_t n)
{
    const c12_block_q4_K *x = src;
    for (int64_t i = 0; i < n / C12_QK_K; i++, dst += C12_QK_K) {
        const float d = c12_h2f(x[i].d), dmin = c12_h2f(x[i].dmin);
        uint8_t sc[8], mn[8];
        c12_k4_scales(x[i].scales, sc, mn);
        for (int e = 0; e < C12_QK_K; e++) {
            const float ds = d * (float)sc[e / 32], dm = dmin * (float)mn[e / 32];
            dst[e] = ds * (float)q4k(x[i].qs, e) - dm;
        }
    }
}

void c12_q5_K_to_float(const void *src, float *dst, int64_t n)
{
    const c12_block_q5_K *x = src;
    for (int64_t i = 0; i < n / C12_QK_K; i++, dst += C12_QK_K) {
        const float d = c12_h2f(x[i].d), dmin = c12_h2f(x[i].dmin);
        uint8_t sc[8], mn[8];
        c12_k4_scales(x[i].scales, sc, mn);
        for (int e = 0; e < C12_QK_K; e++) {
            const float ds = d * (float)sc[e / 32], dm = dmin * (float)mn[e / 32];
            const int q = q4k(x[i].qs, e) | q5k_hi(x[i].qh, e) << 4;
            dst[e] = ds * (float)q - dm;
        }
    }
}

/* summ = sum_j mn[j] * (sum of the activation quants of sub-block j). */
static int k4_mins(const uint8_t mn[8], const int16_t bsums[16])
{
    int summ = 0;
    for (int j = 0; j < 8; j++) summ += mn[j] * (bsums[2 * j] + bsums[2 * j + 1]);
    return summ;
}

void c12_q4_K_vec_dot(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q4_K *x = vx;
    const c12_block_q8_K *y = vy;
    float acc = 0.0f, accm = 0.0f;
    for (int i = 0; i < n / C12_QK_K; i++) {
        uint8_t sc[8], mn[8];
        c12_k4_scales(x[i].scales, sc, mn);
        int sumi = 0;
        for (int j = 0; j < 8; j++) {
            int dot = 0;
            for (int l = 0; l < 32; l++) dot += q4k(x[i].qs, 32 * j + l) * y[i].qs[32 * j + l];
            sumi += sc[j] * dot;
        }
        const int summ = k4_mins(mn, y[i].bsums);
        acc = fmaf((float)sumi, c12_h2f(x[i].d) * y[i].d, acc);
        accm = fmaf((float)summ, c12_h2f(x[i].dmin) * y[i].d, accm);
    }
    *s = acc - accm;
}

void c12_q5_K_vec_dot(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q5_K *x = vx;
    const c12_block_q8_K *y = vy;
    float acc[8] = {0}, summs = 0.0f;
    for (int i = 0; i < n / C12_QK_K; i++) {
        uint8_t sc[8], mn[8];
        c12_k4_scales(x[i].scales, sc, mn);
        const float d = y[i].d * c12_h2f(x[i].d), dmin = -y[i].d * c12_h2f(x[i].dmin);
        summs = fmaf(dmin, (float)k4_mins(mn, y[i].bsums), summs);
        for (int k = 0; k < 8; k++) { /* lane k: quants 4k..4k+3 of every sub-block */
            int lane = 0;
            for (int j = 0; j < 8; j++) {
                int dot = 0;
                for (int t = 0; t < 4; t++) {
                    const int e = 32 * j + 4 * k + t;
                    dot += (q4k(x[i].qs, e) | q5k_hi(x[i].qh, e) << 4) * y[i].qs[e];
                }
                lane += sc[j] * dot;
            }
            acc[k] = fmaf(d, (float)lane, acc[k]);
        }
    }
    *s = hsum8(acc) + summs;
}

/* ---------------- Q6_K ----------------
 * The layout: quant_impl.h, above c12_q6_K_repack8. */

static inline int q6k(const c12_block_q6_K *b, int e)
{
    const int h = e / 128, k = (e % 128) / 32, l = e % 32;
    const uint8_t lo = b->ql[64 * h + 32 * (k & 1) + l];
    const int low = (k & 2) ? lo >> 4 : lo & 15;
    const int high = (b->qh[32 * h + l] >> (2 * k)) & 3;
    return (low | high << 4) - 32;
}

void c12_q6_K_to_float(const void *src, float *dst, int64_t n)
{
    const c12_block_q6_K *x = src;
    for (int64_t i = 0; i < n / C12_QK_K; i++, dst += C12_QK_K) {
        const float d = c12_h2f(x[i].d);
        for (int e = 0; e < C12_QK_K; e++) dst[e] = (d * (float)x[i].scales[e / 16]) * (float)q6k(&x[i], e);
    }
}

void c12_q6_K_vec_dot(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q6_K *x = vx;
    const c12_block_q8_K *y = vy;
    float acc[8] = {0};
    for (int i = 0; i < n / C12_QK_K; i++) {
        const int8_t *sc = x[i].scales;
        const float d = y[i].d * c12_h2f(x[i].d);
        for (int k = 0; k < 8; k++) {
            /* lane k: quants 4k..4k+3 of each 32-chunk, used unsigned (q + 32) ... */
            int lane = 0;
            for (int c = 0; c < 8; c++) {
                int dot = 0;
                for (int t = 0; t < 4; t++) {
                    const int e = 32 * c + 4 * k + t;
                    dot += (q6k(&x[i], e) + 32) * y[i].qs[e];
                }
                lane += sc[(32 * c + 4 * k) / 16] * dot;
            }
            /* ... and the offset 32 of groups 2k, 2k+1 (quants 32k..32k+31) */
            lane -= 32 * (y[i].bsums[2 * k] * sc[2 * k] + y[i].bsums[2 * k + 1] * sc[2 * k + 1]);
            acc[k] = fmaf(d, (float)lane, acc[k]);
        }
    }
    *s = hsum8(acc);
}

/* ---------------- Q8_K ----------------
 * d = 1/iscale with iscale = -127/max, where max is the (signed) element of
 * largest magnitude, first one on ties; so the quant of that element is -127
 * and d carries the opposite sign. Rounding is ties-to-even (see
 * c12_round_even). */

void c12_q8_K_to_float(const void *src, float *dst, int64_t n)
{
    const c12_block_q8_K *x = src;
    for (int64_t i = 0; i < n / C12_QK_K; i++, dst += C12_QK_K) {
        for (int e = 0; e < C12_QK_K; e++) dst[e] = x[i].d * (float)x[i].qs[e];
    }
}

void c12_q8_K_from_float(const float *src, void *dst, int64_t n)
{
    c12_block_q8_K *y = dst;
    for (int64_t i = 0; i < n / C12_QK_K; i++, src += C12_QK_K) {
        float amax = 0.0f, max = 0.0f;
        for (int e = 0; e < C12_QK_K; e++) {
            if (fabsf(src[e]) > amax) { amax = fabsf(src[e]); max = src[e]; }
        }
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int e = 0; e < C12_QK_K; e++) y[i].qs[e] = (int8_t)c12_round_even(iscale * src[e]);
        for (int g = 0; g < 16; g++) {
            int b = 0;
            for (int l = 0; l < 16; l++) b += y[i].qs[16 * g + l];
            y[i].bsums[g] = (int16_t)b;
        }
        y[i].d = 1.0f / iscale;
    }
}
