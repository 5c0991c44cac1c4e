/* quant_n_tile.h - the tile loop shared by quant_n_avx2.c and
 * quant_n_avx512.c (included by them only, after each has defined, for its
 * ISA: TILE, decode_q4_1, decode_q5_0, decode_q8_0 (a weight block as bytes:
 * unsigned nibbles for Q4_1, signed for the others), step_s and step_u (one
 * token's block against signed or unsigned weight bytes: exact int32 lane
 * sums, one fused multiply-add by dx*dy), and C12_QN_NAME(type), the name of
 * its entry points). Everything here is AVX2 code, compiled at each file's
 * ISA level. */
#ifndef C12_QUANT_N_TILE_H
#define C12_QUANT_N_TILE_H

#include "engine/simd_x86.h"

#define LANE(v, k) _mm256_permutevar8x32_ps(v, _mm256_set1_epi32(k))

/* One pass over a row for ny <= T tokens (T: 8, or 4 for a batched decode
 * step's few sequences, at about half the cost). XT: weight block type, YT:
 * the activation block type (Q8_0 or Q8_1: d first, Q8_1's sum s next), DEC:
 * the weight decoder, SIGNED: whether its bytes are signed (step_s) or not
 * (step_u), MIN: Q4_1's min term (sum_b m_b*s_b, one fused chain per token
 * kept in a lane of summ, added last as vec_dot does). The T tokens' dx*dy
 * are formed in one register (the products vec_dot forms one by one, same
 * roundings; a broadcast load of them from memory instead of the lane
 * permute was slower), from ysc, the tokens' scales laid out as floats once
 * per matrix (c12_act_scales: gathering them per row and block was a third
 * of the tile's work). All T tokens are computed (those past ny repeat the
 * last one and are not stored), so that the accumulators are named
 * registers. */
#define DOT_TILE(T, XT, YT, DEC, SIGNED, MIN)                                                \
    const XT *x = vx;                                                                       \
    const int nb = n / C12_QK;                                                              \
    const uint8_t *yr[TILE];                                                                \
    for (int t = 0; t < TILE; t++) yr[t] = vy + (size_t)(t < ny ? t : ny - 1) * ys;         \
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,  \
           a7 = a0, summ = a0;                                                              \
    for (int i = 0; i < nb; i++) {                                                          \
        c12_prefetch_ahead(&x[i], (int)sizeof(XT));                                         \
        const __m256i q = DEC(&x[i]);                                                       \
        const __m256i aq = SIGNED ? _mm256_abs_epi8(q) : q; /* shared by the tokens */     \
        (void)aq; /* step_u has no use for it */                                            \
        const float *ys8 = ysc + (size_t)i * 16; /* the tile's d, then s */                  \
        const __m256 sc = _mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(x[i].d)), _mm256_loadu_ps(ys8)); \
        if (MIN)                                                                            \
            summ = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(min_of(&x[i]))),               \
                                   _mm256_loadu_ps(ys8 + 8), summ);                         \
        const YT *y0 = (const YT *)yr[0] + i, *y1 = (const YT *)yr[1] + i;                  \
        const YT *y2 = (const YT *)yr[2] + i, *y3 = (const YT *)yr[3] + i;                  \
        a0 = STEP(a0, q, aq, LANE(sc, 0), y0->qs);                                          \
        a1 = STEP(a1, q, aq, LANE(sc, 1), y1->qs);                                          \
        a2 = STEP(a2, q, aq, LANE(sc, 2), y2->qs);                                          \
        a3 = STEP(a3, q, aq, LANE(sc, 3), y3->qs);                                          \
        if (T == 8) {                                                                       \
            const YT *y4 = (const YT *)yr[4] + i, *y5 = (const YT *)yr[5] + i;              \
            const YT *y6 = (const YT *)yr[6] + i, *y7 = (const YT *)yr[7] + i;              \
            a4 = STEP(a4, q, aq, LANE(sc, 4), y4->qs);                                      \
            a5 = STEP(a5, q, aq, LANE(sc, 5), y5->qs);                                      \
            a6 = STEP(a6, q, aq, LANE(sc, 6), y6->qs);                                      \
            a7 = STEP(a7, q, aq, LANE(sc, 7), y7->qs);                                      \
        }                                                                                   \
    }                                                                                       \
    const __m256 acc[TILE] = {a0, a1, a2, a3, a4, a5, a6, a7};                              \
    float m[TILE];                                                                          \
    _mm256_storeu_ps(m, summ);                                                              \
    for (int t = 0; t < ny; t++)                                                            \
        s[(size_t)t * ss] = MIN ? c12_hsum_f32x8(acc[t]) + m[t] : c12_hsum_f32x8(acc[t])

static inline uint16_t min_of(const void *b)
{
    uint16_t m;
    memcpy(&m, (const uint8_t *)b + 2, 2); /* Q4_1's m follows d */
    return m;
}

/* TYPE_tile(T, ...): ny <= T tokens; T a constant at each call. */
#define STEP(acc, q, aq, sc, yqs) step_s(acc, q, aq, sc, yqs)
static inline __attribute__((always_inline)) void q5_0_tile(int T, int n, float *s, size_t ss, const void *vx,
                                                            const uint8_t *vy, size_t ys, int ny,
                                                            const float *ysc)
{
    DOT_TILE(T, c12_block_q5_0, c12_block_q8_0, decode_q5_0, 1, 0);
}

static inline __attribute__((always_inline)) void q8_0_tile(int T, int n, float *s, size_t ss, const void *vx,
                                                            const uint8_t *vy, size_t ys, int ny,
                                                            const float *ysc)
{
    DOT_TILE(T, c12_block_q8_0, c12_block_q8_0, decode_q8_0, 1, 0);
}
#undef STEP

#define STEP(acc, q, aq, sc, yqs) step_u(acc, q, sc, yqs)
static inline __attribute__((always_inline)) void q4_1_tile(int T, int n, float *s, size_t ss, const void *vx,
                                                            const uint8_t *vy, size_t ys, int ny,
                                                            const float *ysc)
{
    DOT_TILE(T, c12_block_q4_1, c12_block_q8_1, decode_q4_1, 0, 1);
}
#undef STEP

/* Tiles of 8 tokens; the last one of 4 when 4 or fewer are left. */
#define TILED_ENTRY(type)                                                                          \
    static void type##_tile8(int n, float *s, size_t ss, const void *x, const uint8_t *y, size_t ys, \
                             int ny, const float *ysc)                                             \
    {                                                                                              \
        type##_tile(8, n, s, ss, x, y, ys, ny, ysc);                                               \
    }                                                                                              \
    static void type##_tile4(int n, float *s, size_t ss, const void *x, const uint8_t *y, size_t ys, \
                             int ny, const float *ysc)                                             \
    {                                                                                              \
        type##_tile(4, n, s, ss, x, y, ys, ny, ysc);                                               \
    }                                                                                              \
    void C12_QN_NAME(type)(int n, float *s, size_t s_stride, const void *x, const void *y,         \
                           size_t y_stride, int ny, const float *ysc)                              \
    {                                                                                              \
        const size_t per_tile = (size_t)(n / C12_QK) * 16;                                         \
        for (int t = 0; t < ny; t += TILE) {                                                       \
            const int k = ny - t < TILE ? ny - t : TILE;                                           \
            (k <= 4 ? type##_tile4 : type##_tile8)(n, s + (size_t)t * s_stride, s_stride, x,       \
                                                   (const uint8_t *)y + (size_t)t * y_stride,      \
                                                   y_stride, k, ysc + (size_t)(t / TILE) * per_tile);  \
        }                                                                                          \
    }

TILED_ENTRY(q4_1)
TILED_ENTRY(q5_0)
TILED_ENTRY(q8_0)

#endif
