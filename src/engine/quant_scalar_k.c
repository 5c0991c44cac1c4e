/* quant_scalar_k.c - scalar reference kernels for the K-quants (Q4_K, Q5_K,
 * Q6_K) and their activation type Q8_K.
 *
 * Super-blocks of 256. Each dot product is exact in int32 per super-block
 * (sub-block dots times their 6/8-bit scales, and the mins through Q8_K's
 * bsums), then scaled once by the super-block scales in float:
 *     sum += (dx*dy)*sumi - (dminx*dy)*summ.
 * Bounds: Q4_K/Q5_K |sumi| <= 8*63*32*31*127 < 2^31; Q6_K |sumi| <=
 * 16*128*16*32*127 < 2^31. No weight quantizer here: K-quant weights come
 * from GGUF files (llama-quantize's search is not reproduced). */
#include "engine/quant_impl.h"

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
    float sum = 0.0f;
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
        sum += (c12_h2f(x[i].d) * y[i].d) * (float)sumi - (c12_h2f(x[i].dmin) * y[i].d) * (float)summ;
    }
    *s = sum;
}

void c12_q5_K_vec_dot(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q5_K *x = vx;
    const c12_block_q8_K *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / C12_QK_K; i++) {
        uint8_t sc[8], mn[8];
        c12_k4_scales(x[i].scales, sc, mn);
        int sumi = 0;
        for (int j = 0; j < 8; j++) {
            int dot = 0;
            for (int l = 0; l < 32; l++) {
                const int e = 32 * j + l;
                dot += (q4k(x[i].qs, e) | q5k_hi(x[i].qh, e) << 4) * y[i].qs[e];
            }
            sumi += sc[j] * dot;
        }
        const int summ = k4_mins(mn, y[i].bsums);
        sum += (c12_h2f(x[i].d) * y[i].d) * (float)sumi - (c12_h2f(x[i].dmin) * y[i].d) * (float)summ;
    }
    *s = sum;
}

/* ---------------- Q6_K ----------------
 * Two halves of 128. In half h, for l < 32, four 6-bit quants share ql[64h+l],
 * ql[64h+32+l] and qh[32h+l]:
 *   element 128h + l      : low nibble of ql[l],      qh bits 0-1
 *   element 128h + 32 + l : low nibble of ql[32+l],   qh bits 2-3
 *   element 128h + 64 + l : high nibble of ql[l],     qh bits 4-5
 *   element 128h + 96 + l : high nibble of ql[32+l],  qh bits 6-7
 * each minus 32; scales[e/16] (int8) for element e. */

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
    float sum = 0.0f;
    for (int i = 0; i < n / C12_QK_K; i++) {
        int sumi = 0;
        for (int g = 0; g < 16; g++) {
            int dot = 0;
            for (int l = 0; l < 16; l++) dot += q6k(&x[i], 16 * g + l) * y[i].qs[16 * g + l];
            sumi += x[i].scales[g] * dot;
        }
        sum += (c12_h2f(x[i].d) * y[i].d) * (float)sumi;
    }
    *s = sum;
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
