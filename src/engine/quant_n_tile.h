/* quant_n_tile.h - the tile loop shared by quant_n_avx2.c and
 * quant_n_avx512.c (included by them only, after each has defined, for its
 * ISA: TILE, decode_q5_0, decode_q8_0 (a weight block as signed bytes) and
 * step (one token's block: exact int32 lane sums, one fused multiply-add by
 * dx*dy), and C12_QN_NAME(type), the name of its entry points). Everything
 * here is AVX2 code, compiled at each file's ISA level. */
#ifndef C12_QUANT_N_TILE_H
#define C12_QUANT_N_TILE_H

#include "engine/simd_x86.h"

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

/* One pass over a row for ny <= TILE tokens. XT: weight block type, DEC:
 * its decoder to signed bytes. The y blocks are Q8_0. All TILE tokens are
 * computed (those past ny repeat the last one and are not stored), so that
 * the accumulators are eight named registers. */
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
        const __m256i aq = _mm256_abs_epi8(q); /* |q|, shared by the tokens */             \
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
    for (int t = 0; t < ny; t++) s[(size_t)t * ss] = c12_hsum_f32x8(acc[t])

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

void C12_QN_NAME(q5_0)(int n, float *s, size_t s_stride, const void *x, const void *y, size_t y_stride,
                       int ny)
{
    for (int t = 0; t < ny; t += TILE)
        q5_0_tile(n, s + (size_t)t * s_stride, s_stride, x,
                  (const uint8_t *)y + (size_t)t * y_stride, y_stride, ny - t < TILE ? ny - t : TILE);
}

void C12_QN_NAME(q8_0)(int n, float *s, size_t s_stride, const void *x, const void *y, size_t y_stride,
                       int ny)
{
    for (int t = 0; t < ny; t += TILE)
        q8_0_tile(n, s + (size_t)t * s_stride, s_stride, x,
                  (const uint8_t *)y + (size_t)t * y_stride, y_stride, ny - t < TILE ? ny - t : TILE);
}

#endif
