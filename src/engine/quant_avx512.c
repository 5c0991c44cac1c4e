/* quant_avx512.c - AVX-512 F/BW/VL/DQ + VNNI kernels for the hot dot products.
 *
 * 32-blocks are processed two per 512-bit register (block a in the low 256
 * bits, block b in the high 256), so one VNNI vpdpbusd does 64 byte products.
 * vpdpbusd multiplies unsigned by signed bytes; signed weights are therefore
 * used with an offset (q+8, q+16, x^0x80 = x+128) and the offset times the
 * activation sum is subtracted, which keeps every product exact (no i16
 * saturation, unlike vpmaddubsw with the sign trick).
 *
 * K-quants use vpmaddubsw (safe bounds, see quant_avx2.c) followed by VNNI
 * vpdpwssd, which multiplies by the 16-bit sub-block scales and accumulates
 * in one instruction. */
#include <immintrin.h>

#include "engine/quant_impl.h"

static inline float h2f(uint16_t h) { return _cvtsh_ss(h); }
static inline __m256i load256(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline __m512i load512(const void *p) { return _mm512_loadu_si512(p); }

static inline float hsum128(__m128 s)
{
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* ---------------- F32 ----------------
 * (F16 has no AVX-512 kernel: on Zen 4, the one AVX-512 machine measured,
 * 512-bit vcvtph2ps made it ~25% slower than the AVX2 kernel.) */

void c12_f32_vec_dot_avx512(int n, float *s, const void *vx, const void *vy)
{
    const float *x = vx, *y = vy;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 32), _mm512_loadu_ps(y + i + 32), a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 48), _mm512_loadu_ps(y + i + 48), a3);
    }
    for (; i + 16 <= n; i += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i), a1);
    }
    *s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

/* ---------------- K-quants ---------------- */

/* vpermw index vectors: each 32-bit constant fills two 16-bit lanes. */
#define W2(v) ((int)(((unsigned)(v) << 16) | (unsigned)(v)))
/* lanes 0-15 -> word b, lanes 16-31 -> word b+1 */
#define IDX_2x16(b) _mm512_setr_epi32(W2(b), W2(b), W2(b), W2(b), W2(b), W2(b), W2(b), W2(b), \
                                      W2(b + 1), W2(b + 1), W2(b + 1), W2(b + 1),                \
                                      W2(b + 1), W2(b + 1), W2(b + 1), W2(b + 1))
/* lanes 8k .. 8k+7 -> word b+k */
#define IDX_4x8(b) _mm512_setr_epi32(W2(b), W2(b), W2(b), W2(b), W2(b + 1), W2(b + 1), W2(b + 1), W2(b + 1), \
                                     W2(b + 2), W2(b + 2), W2(b + 2), W2(b + 2),                           \
                                     W2(b + 3), W2(b + 3), W2(b + 3), W2(b + 3))

/* One Q4_K/Q5_K super-block: exact int32 partial sums of sc*q*y (16 lanes)
 * and of mn*bsum (4 lanes). qh is NULL for Q4_K. */
static inline void k4_superblock(const uint8_t *qs, const uint8_t *qh, const uint8_t scales[12],
                                 const c12_block_q8_K *y, __m512i *sumi_out, __m128i *summ_out)
{
    uint8_t sc[8], mn[8];
    c12_k4_scales(scales, sc, mn);
    const __m512i sc16 = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)sc)));
    const __m256i bs = load256(y->bsums);
    const __m128i bsp = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
    *summ_out = _mm_madd_epi16(bsp, _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mn)));

    const __m512i m4 = _mm512_set1_epi8(15), sixteen = _mm512_set1_epi8(16);
    const __m512i hbz = qh ? _mm512_broadcast_i64x4(load256(qh)) : _mm512_setzero_si512();
    __m512i s0 = _mm512_setzero_si512(), s1 = s0;
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
        /* 32 bytes -> low nibbles (sub-block 2c) in the low half, high in the high */
        const __m512i b = _mm512_broadcast_i64x4(load256(qs + 32 * c));
        __m512i v = _mm512_and_si512(_mm512_mask_srli_epi16(b, 0xFFFF0000u, b, 4), m4);
        if (qh) {
            /* 5th bit: bit 2c of qh[l] for the low half, bit 2c+1 for the high */
            const __m512i sel = _mm512_inserti64x4(_mm512_set1_epi8((char)(1 << (2 * c))),
                                                   _mm256_set1_epi8((char)(1 << (2 * c + 1))), 1);
            v = _mm512_mask_add_epi8(v, _mm512_test_epi8_mask(hbz, sel), v, sixteen);
        }
        const __m512i p = _mm512_maddubs_epi16(v, load512(y->qs + 64 * c));
        if (c & 1) s1 = _mm512_dpwssd_epi32(s1, p, _mm512_permutexvar_epi16(IDX_2x16(2 * c), sc16));
        else s0 = _mm512_dpwssd_epi32(s0, p, _mm512_permutexvar_epi16(IDX_2x16(2 * c), sc16));
    }
    *sumi_out = _mm512_add_epi32(s0, s1);
}

static inline void k4_dot(int n, float *s, const uint8_t *base, size_t stride, int has_qh, const c12_block_q8_K *y)
{
    __m512 acc = _mm512_setzero_ps();
    __m128 accm = _mm_setzero_ps();
    for (int i = 0; i < n / C12_QK_K; i++) {
        /* Q4_K and Q5_K share the header {d, dmin, scales[12]}; qh (Q5_K) follows
         * it and qs is the last 128 bytes of the block. */
        const uint8_t *b = base + (size_t)i * stride;
        uint16_t d, dmin;
        memcpy(&d, b, 2);
        memcpy(&dmin, b + 2, 2);
        __m512i sumi;
        __m128i summ;
        k4_superblock(b + stride - 128, has_qh ? b + 16 : NULL, b + 4, &y[i], &sumi, &summ);
        acc = _mm512_fmadd_ps(_mm512_set1_ps(y[i].d * h2f(d)), _mm512_cvtepi32_ps(sumi), acc);
        accm = _mm_fmadd_ps(_mm_set1_ps(y[i].d * h2f(dmin)), _mm_cvtepi32_ps(summ), accm);
    }
    *s = _mm512_reduce_add_ps(acc) - hsum128(accm);
}

_Static_assert(offsetof(c12_block_q4_K, scales) == 4 && offsetof(c12_block_q4_K, qs) == 16, "q4_K header");
_Static_assert(offsetof(c12_block_q5_K, qh) == 16 && offsetof(c12_block_q5_K, qs) == 48, "q5_K header");

void c12_q4_K_vec_dot_avx512(int n, float *s, const void *vx, const void *vy)
{
    k4_dot(n, s, vx, sizeof(c12_block_q4_K), 0, vy);
}

void c12_q5_K_vec_dot_avx512(int n, float *s, const void *vx, const void *vy)
{
    k4_dot(n, s, vx, sizeof(c12_block_q5_K), 1, vy);
}

/* Q6_K: unsigned 6-bit quants, -32 offset through the bsums (see quant_avx2.c).
 * Per half: ql[0..63] low nibbles are elements 0-63, high nibbles 64-127. */
static inline __m512i q6k_sumi(const c12_block_q6_K *b, const c12_block_q8_K *y)
{
    const __m512i m4 = _mm512_set1_epi8(15), m30 = _mm512_set1_epi8(0x30);
    const __m256i sc16y = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b->scales));
    const __m512i sc16 = _mm512_castsi256_si512(sc16y);
    __m512i s0 = _mm512_setzero_si512(), s1 = s0;
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        const __m512i l = load512(b->ql + 64 * h);
        const __m256i hb = load256(b->qh + 32 * h);
        /* high bits for elements 0-31 (qh bits 0-1, 4-5) and 32-63 (bits 2-3, 6-7) */
        const __m512i hz = _mm512_inserti64x4(_mm512_castsi256_si512(hb), _mm256_srli_epi16(hb, 2), 1);
        const __m512i qa = _mm512_or_si512(_mm512_and_si512(l, m4), _mm512_and_si512(_mm512_slli_epi16(hz, 4), m30));
        const __m512i qb = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4), _mm512_and_si512(hz, m30));
        const __m512i pa = _mm512_maddubs_epi16(qa, load512(y->qs + 128 * h));
        const __m512i pb = _mm512_maddubs_epi16(qb, load512(y->qs + 128 * h + 64));
        s0 = _mm512_dpwssd_epi32(s0, pa, _mm512_permutexvar_epi16(IDX_4x8(8 * h), sc16));
        s1 = _mm512_dpwssd_epi32(s1, pb, _mm512_permutexvar_epi16(IDX_4x8(8 * h + 4), sc16));
    }
    const __m256i off = _mm256_madd_epi16(load256(y->bsums), sc16y);
    const __m512i offz = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_slli_epi32(off, 5), 0);
    return _mm512_sub_epi32(_mm512_add_epi32(s0, s1), offz);
}

void c12_q6_K_vec_dot_avx512(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q6_K *x = vx;
    const c12_block_q8_K *y = vy;
    const int nb = n / C12_QK_K;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0;
    int i = 0;
    for (; i + 2 <= nb; i += 2) {
        a0 = _mm512_fmadd_ps(_mm512_set1_ps(y[i].d * h2f(x[i].d)), _mm512_cvtepi32_ps(q6k_sumi(&x[i], &y[i])), a0);
        a1 = _mm512_fmadd_ps(_mm512_set1_ps(y[i + 1].d * h2f(x[i + 1].d)),
                             _mm512_cvtepi32_ps(q6k_sumi(&x[i + 1], &y[i + 1])), a1);
    }
    if (i < nb) a0 = _mm512_fmadd_ps(_mm512_set1_ps(y[i].d * h2f(x[i].d)), _mm512_cvtepi32_ps(q6k_sumi(&x[i], &y[i])), a0);
    *s = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}
