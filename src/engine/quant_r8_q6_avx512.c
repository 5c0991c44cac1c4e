/* quant_r8_q6_avx512.c - eight repacked Q6_K rows (quant_r8.c's layout)
 * against up to four tokens per pass, AVX-512 BW + VNNI.
 *
 * The one-row kernel (c12_q6_K_vec_dot: ggml's AVX2 order) keeps 8 int32
 * lanes per row: lane k sums, over the 8 chunks of 32 quants, quants 4k ..
 * 4k+3 of the chunk (unsigned: the quant + 32) times the activations and
 * their sub-block's scale, less 32 * the scaled activation sums (bsums) of
 * groups 2k and 2k+1; each super-block adds d*dy times lane k to float
 * accumulator k, and the 8 accumulators end in hsum_float_8's tree.
 *
 * Here accumulator vector p (< 4) holds lanes 2p and 2p+1 of row r in
 * 32-bit lanes 2r and 2r+1. Part p of chunk c, unpacked, is a 64-byte
 * vector of the 8 rows' quants 32c+8p .. 32c+8p+7 (8 bytes a row);
 * vpmaddubsw against the token's 8 matching activations (broadcast) adds
 * pairs into 16 bits (|2 * 63 * 127| fits), and vpdpwssd multiplies them by
 * the sub-block's scale (16-bit lanes 4r .. 4r+3: row r's) and adds pairs,
 * so lane 2r + e gains quants 32c+8p+4e .. +3 of row r: lane 2p + e's share
 * of chunk c. The offset starts each super-block's sums: vpdpwssd of -32 *
 * the scales of sub-blocks 4p .. 4p+3 (16-bit lane 4r + m) by bsums[4p ..
 * 4p+3] (the same for every row). Integer sums are exact in any order and
 * the float steps are the one-row kernel's, lane by lane, so every result
 * is its, bit for bit (tests/engine/test_quant_r8.c). */
#include <immintrin.h>

#include "engine/quant_impl.h"
#include "engine/simd_avx512.h"
#include "engine/simd_x86.h"

/* Up to four tokens per pass over the group: the unpacking of a chunk
 * (17 vector operations for 8 rows' 32 quants) serves them all. */
enum { GROUP = 8 * sizeof(c12_block_q6_K), TILE = 4 };

/* vpermw indices: 16-bit lane 4r + x <- 4r + m (row r's scale m of four) */
#define PICK_ROW(m, r) 4 * (r) + (m), 4 * (r) + (m), 4 * (r) + (m), 4 * (r) + (m)
#define PICK(m)                                                                                                   \
    {PICK_ROW(m, 0), PICK_ROW(m, 1), PICK_ROW(m, 2), PICK_ROW(m, 3),                                              \
     PICK_ROW(m, 4), PICK_ROW(m, 5), PICK_ROW(m, 6), PICK_ROW(m, 7)}
static const int16_t PICKS[4][32] = {PICK(0), PICK(1), PICK(2), PICK(3)};

/* chunk c's four parts, unpacked to the 6-bit values (quant_r8.c) */
static inline __attribute__((always_inline)) void q6_unpack(const uint8_t *g, int c, __m512i w[4])
{
    const __m512i m4 = _mm512_set1_epi8(15), m30 = _mm512_set1_epi8(0x30);
    const __m512i n0 = _mm512_loadu_si512(g + C12_R8_Q6_QL + 128 * c);
    const __m512i n1 = _mm512_loadu_si512(g + C12_R8_Q6_QL + 128 * c + 64);
    const __m512i h = _mm512_loadu_si512(g + C12_R8_Q6_QH + 64 * c);
    w[0] = _mm512_or_si512(_mm512_and_si512(n0, m4), _mm512_and_si512(_mm512_slli_epi16(h, 4), m30));
    w[1] = _mm512_or_si512(_mm512_and_si512(n1, m4), _mm512_and_si512(_mm512_slli_epi16(h, 2), m30));
    w[2] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(n0, 4), m4), _mm512_and_si512(h, m30));
    w[3] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(n1, 4), m4),
                           _mm512_and_si512(_mm512_srli_epi16(h, 2), m30));
}

/* 16-bit lane 4r + m: row r's scale of sub-block 4p + m */
static inline __m512i q6_scales(const uint8_t *g, int p)
{
    return _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(g + C12_R8_Q6_SC + 32 * p)));
}

/* NT tokens (1..TILE) against one group: acc[4t + p] as above */
static inline __attribute__((always_inline)) void q6_tile(int nb, const uint8_t *g, const c12_block_q8_K *const *y,
                                                          __m512 *acc, int NT)
{
    const __m512i z = _mm512_setzero_si512();
    for (int i = 0; i < nb; i++, g += GROUP) {
        /* one token too: with the other kernels' NT > 1 here, make
         * bench-quant read this layout from DRAM at 8 GB/s for one token (28
         * with it): the hardware prefetcher lost on its 1680-byte steps, two
         * streams (low nibbles, high bits) in each. The scales are read again
         * per chunk below rather than kept: kept, they spilled registers. */
        c12_prefetch_ahead(g, GROUP);
        __m512i q[TILE][4];
#pragma GCC unroll 4
        for (int p = 0; p < 4; p++) {
            const __m512i off = _mm512_sub_epi16(z, _mm512_slli_epi16(q6_scales(g, p), 5));
#pragma GCC unroll 4
            for (int t = 0; t < NT; t++) /* bsums[4p .. 4p+3] in every 64-bit lane */
                q[t][p] = _mm512_dpwssd_epi32(z, off, c12_bcast8((const int8_t *)(y[t][i].bsums + 4 * p)));
        }
        for (int c = 0; c < 8; c++) {
            __m512i w[4];
            q6_unpack(g, c, w);
            /* sub-block 2c + p/2 is scale 2(c % 2) + p/2 of q6_scales(g, c / 2) */
            const __m512i sc = q6_scales(g, c / 2);
            const __m512i s0 = _mm512_permutexvar_epi16(_mm512_loadu_si512(PICKS[2 * (c % 2)]), sc);
            const __m512i s1 = _mm512_permutexvar_epi16(_mm512_loadu_si512(PICKS[2 * (c % 2) + 1]), sc);
#pragma GCC unroll 4
            for (int t = 0; t < NT; t++) {
                const int8_t *yq = y[t][i].qs + 32 * c;
#pragma GCC unroll 4
                for (int p = 0; p < 4; p++)
                    q[t][p] = _mm512_dpwssd_epi32(q[t][p], _mm512_maddubs_epi16(w[p], c12_bcast8(yq + 8 * p)),
                                                  p < 2 ? s0 : s1);
            }
        }
        const __m512 d = c12_pairs_of(g + C12_R8_Q6_D);
#pragma GCC unroll 4
        for (int t = 0; t < NT; t++) {
            const __m512 dy = _mm512_mul_ps(d, _mm512_set1_ps(y[t][i].d));
#pragma GCC unroll 4
            for (int p = 0; p < 4; p++)
                acc[4 * t + p] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(q[t][p]), dy, acc[4 * t + p]);
        }
    }
}

static inline __attribute__((always_inline)) void q6_tokens(int n, float *s, size_t s_stride, const uint8_t *g,
                                                            const uint8_t *y, size_t y_stride, int NT)
{
    const c12_block_q8_K *yt[TILE];
    __m512 acc[4 * TILE];
    for (int t = 0; t < NT; t++) {
        yt[t] = (const c12_block_q8_K *)(y + (size_t)t * y_stride);
        for (int p = 0; p < 4; p++) acc[4 * t + p] = _mm512_setzero_ps();
    }
    q6_tile(n / C12_QK_K, g, yt, acc, NT);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
    for (int t = 0; t < NT; t++) {
        const __m512 *a = acc + 4 * t;
        /* hsum_float_8: lanes k + k+4 (p + p+2), then + k+2 (p + p+1), then the pair */
        const __m512 u = _mm512_add_ps(_mm512_add_ps(a[2], a[0]), _mm512_add_ps(a[3], a[1]));
        const __m512 r = _mm512_add_ps(u, _mm512_movehdup_ps(u));
        _mm256_storeu_ps(s + (size_t)t * s_stride, _mm512_castps512_ps256(_mm512_permutexvar_ps(even, r)));
    }
}

void c12_q6_K_r8_vec_dot_avx512(int n, float *s, size_t s_stride, const void *x, const void *y, size_t y_stride,
                                int ny)
{
    _Static_assert(TILE == 4, "four at a time");
    C12_R8_FOUR_AT_A_TIME(q6_tokens, n, s, s_stride, x, y, y_stride, ny);
}
