/* quant_n_avx512.c - Q4_1, Q5_0 and Q8_0 rows against several tokens at once (a
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

/* Q4_1 quants: the unsigned nibbles (the min is applied through y's sums). */
static inline __m256i decode_q4_1(const c12_block_q4_1 *b)
{
    const __m128i q = _mm_loadu_si128((const __m128i *)b->qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(15));
}

/* One token's block against one decoded weight block (q, |q| = aq), with
 * dx*dy already formed: vec_dot's exact int32 lane sums (VNNI), its fused
 * multiply-add. */
static inline __m256 step_s(__m256 acc, __m256i q, __m256i aq, __m256 sc, const int8_t *yqs)
{
    const __m256i sy = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)yqs), q);
    const __m256i d = _mm256_dpbusd_epi32(_mm256_setzero_si256(), aq, sy);
    return _mm256_fmadd_ps(sc, _mm256_cvtepi32_ps(d), acc);
}

/* The same for unsigned weight bytes u. */
static inline __m256 step_u(__m256 acc, __m256i u, __m256 sc, const int8_t *yqs)
{
    const __m256i d = _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, _mm256_loadu_si256((const __m256i *)yqs));
    return _mm256_fmadd_ps(sc, _mm256_cvtepi32_ps(d), acc);
}

#define C12_QN_NAME(t) c12_##t##_vec_dot_n_avx512
#include "engine/quant_n_tile.h"
