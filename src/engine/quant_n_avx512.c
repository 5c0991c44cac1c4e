/* quant_n_avx512.c - Q5_0 and Q8_0 rows against several tokens at once (a
 * prompt), AVX-512 VL/BW + VNNI on 256-bit registers: vec_dot_n of quant.h.
 *
 * As quant_n_avx2.c (a weight block decoded once for up to TILE tokens, the
 * 8 tokens' dx*dy formed in one register), with VNNI's dot product of 4
 * byte pairs in place of maddubs + madd and a mask blend for Q5_0's fifth
 * bits. 256-bit registers: on the AMD cores this runs on, 512-bit ones only
 * split in two and were no faster. Every lane takes vec_dot's steps (exact
 * int32 sums, one fused multiply-add by dx*dy per block, blocks in order,
 * its 8-lane tree), so the results are vec_dot's bit for bit
 * (tests/engine/test_quant.c). */
#include <immintrin.h>

#include "engine/quant_impl.h"

#define TILE 8 /* tokens per pass: 8 accumulators stay in registers */

static inline float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Q5_0 quants as signed bytes: (nibble | fifth bit << 4) - 16. */
static inline __m256i decode_q5_0(const c12_block_q5_0 *b)
{
    const __m128i q = _mm_loadu_si128((const __m128i *)b->qs);
    const __m256i nib = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q),
                                         _mm256_set1_epi8(15));
    uint32_t w;
    memcpy(&w, b->qh, 4);
    /* bit j of w set: quant j keeps its nibble; clear: it gets -16 (| 0xF0) */
    const __mmask32 set = _cvtu32_mask32(w);
    return _mm256_mask_blend_epi8(set, _mm256_or_si256(nib, _mm256_set1_epi8((char)0xF0)), nib);
}

static inline __m256i decode_q8_0(const c12_block_q8_0 *b)
{
    return _mm256_loadu_si256((const __m256i *)b->qs);
}

/* One token's block against one decoded weight block (q, |q| = aq), with
 * dx*dy already formed: vec_dot's exact int32 lane sums (VNNI), its fused
 * multiply-add. */
static inline __m256 step(__m256 acc, __m256i q, __m256i aq, __m256 sc, const c12_block_q8_0 *y)
{
    const __m256i sy = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)y->qs), q);
    const __m256i d = _mm256_dpbusd_epi32(_mm256_setzero_si256(), aq, sy);
    return _mm256_fmadd_ps(sc, _mm256_cvtepi32_ps(d), acc);
}

/* dx * dy for the 8 tokens at once (the products vec_dot forms one by one,
 * same roundings): their fp16 scales packed into one register. */
static inline __m256 scales8(const c12_block_q8_0 *const yr[TILE], int i, float dx)
{
    __m128i h = _mm_cvtsi32_si128(yr[0][i].d);
    h = _mm_insert_epi16(h, yr[1][i].d, 1);
    h = _mm_insert_epi16(h, yr[2][i].d, 2);
    h = _mm_insert_epi16(h, yr[3][i].d, 3);
    h = _mm_insert_epi16(h, yr[4][i].d, 4);
    h = _mm_insert_epi16(h, yr[5][i].d, 5);
    h = _mm_insert_epi16(h, yr[6][i].d, 6);
    h = _mm_insert_epi16(h, yr[7][i].d, 7);
    return _mm256_mul_ps(_mm256_set1_ps(dx), _mm256_cvtph_ps(h));
}

#define LANE(v, k) _mm256_permutevar8x32_ps(v, _mm256_set1_epi32(k))

/* One pass over a row for ny <= TILE tokens. All TILE tokens are computed
 * (those past ny repeat the last one and are not stored), so that the
 * accumulators are eight named registers. */
#define DOT_TILE(XT, DEC)                                                                   \
    const XT *x = vx;                                                                       \
    const int nb = n / C12_QK;                                                              \
    const c12_block_q8_0 *yr[TILE];                                                         \
    for (int t = 0; t < TILE; t++)                                                          \
        yr[t] = (const c12_block_q8_0 *)(vy + (size_t)(t < ny ? t : ny - 1) * ys);          \
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,  \
           a7 = a0;                                                                         \
    for (int i = 0; i < nb; i++) {                                                          \
        const __m256i q = DEC(&x[i]);                                                       \
        const __m256i aq = _mm256_abs_epi8(q);                                              \
        const __m256 sc = scales8(yr, i, _cvtsh_ss(x[i].d));                                \
        a0 = step(a0, q, aq, LANE(sc, 0), yr[0] + i);                                       \
        a1 = step(a1, q, aq, LANE(sc, 1), yr[1] + i);                                       \
        a2 = step(a2, q, aq, LANE(sc, 2), yr[2] + i);                                       \
        a3 = step(a3, q, aq, LANE(sc, 3), yr[3] + i);                                       \
        a4 = step(a4, q, aq, LANE(sc, 4), yr[4] + i);                                       \
        a5 = step(a5, q, aq, LANE(sc, 5), yr[5] + i);                                       \
        a6 = step(a6, q, aq, LANE(sc, 6), yr[6] + i);                                       \
        a7 = step(a7, q, aq, LANE(sc, 7), yr[7] + i);                                       \
    }                                                                                       \
    const __m256 acc[TILE] = {a0, a1, a2, a3, a4, a5, a6, a7};                              \
    for (int t = 0; t < ny; t++) s[(size_t)t * ss] = hsum8(acc[t])

static void q5_0_tile(int n, float *s, size_t ss, const void *vx, const uint8_t *vy, size_t ys,
                      int ny)
{
    DOT_TILE(c12_block_q5_0, decode_q5_0);
}

static void q8_0_tile(int n, float *s, size_t ss, const void *vx, const uint8_t *vy, size_t ys,
                      int ny)
{
    DOT_TILE(c12_block_q8_0, decode_q8_0);
}

void c12_q5_0_vec_dot_n_avx512(int n, float *s, size_t s_stride, const void *x, const void *y,
                               size_t y_stride, int ny)
{
    for (int t = 0; t < ny; t += TILE)
        q5_0_tile(n, s + (size_t)t * s_stride, s_stride, x,
                  (const uint8_t *)y + (size_t)t * y_stride, y_stride, ny - t < TILE ? ny - t : TILE);
}

void c12_q8_0_vec_dot_n_avx512(int n, float *s, size_t s_stride, const void *x, const void *y,
                               size_t y_stride, int ny)
{
    for (int t = 0; t < ny; t += TILE)
        q8_0_tile(n, s + (size_t)t * s_stride, s_stride, x,
                  (const uint8_t *)y + (size_t)t * y_stride, y_stride, ny - t < TILE ? ny - t : TILE);
}
