/* quant_n_avx2.c - Q4_1, Q5_0 and Q8_0 rows against several tokens at once (a
 * prompt), AVX2: vec_dot_n of quant.h.
 *
 * A prompt multiplies each weight row by every token's activations. vec_dot
 * does that token by token and so decodes the row's blocks (Q5_0: nibbles
 * plus fifth bits, ~half its work) once per token; here a block is decoded
 * once and dotted with up to TILE tokens. Each token keeps its own 8-lane
 * accumulator and takes exactly vec_dot's steps (exact int32 lane sums, one
 * fused multiply-add by dx*dy per block, blocks in order, the same final
 * tree), so the results are vec_dot's bit for bit (tests/engine/test_quant.c
 * checks every type that has a vec_dot_n). */
#include <immintrin.h>

#include "engine/quant_impl.h"

#define TILE 8 /* tokens per pass: 8 accumulators stay in registers */

static inline __m256i load256(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }

/* Q5_0 quants as signed bytes: (nibble | fifth bit << 4) - 16. */
static inline __m256i decode_q5_0(const c12_block_q5_0 *b)
{
    const __m128i q = _mm_loadu_si128((const __m128i *)b->qs);
    const __m256i nib = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q),
                                         _mm256_set1_epi8(15));
    uint32_t w;
    memcpy(&w, b->qh, 4);
    const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)w), pick);
    const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
    return _mm256_or_si256(nib, _mm256_andnot_si256(set, _mm256_set1_epi8((char)0xF0)));
}

static inline __m256i decode_q8_0(const c12_block_q8_0 *b) { return load256(b->qs); }

/* Q4_1 quants: the unsigned nibbles (the min is applied through y's sums). */
static inline __m256i decode_q4_1(const c12_block_q4_1 *b)
{
    const __m128i q = _mm_loadu_si128((const __m128i *)b->qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(15));
}

/* One token's block against one decoded weight block (q, |q| = aq), with
 * dx*dy already formed: vec_dot's exact int32 lane sums, its fused
 * multiply-add. */
static inline __m256 step_s(__m256 acc, __m256i q, __m256i aq, __m256 sc, const int8_t *yqs)
{
    const __m256i p = _mm256_maddubs_epi16(aq, _mm256_sign_epi8(load256(yqs), q));
    const __m256i d = _mm256_madd_epi16(p, _mm256_set1_epi16(1));
    return _mm256_fmadd_ps(sc, _mm256_cvtepi32_ps(d), acc);
}

/* The same for unsigned weight bytes u (< 128: no pair sum saturates). */
static inline __m256 step_u(__m256 acc, __m256i u, __m256 sc, const int8_t *yqs)
{
    const __m256i d = _mm256_madd_epi16(_mm256_maddubs_epi16(u, load256(yqs)), _mm256_set1_epi16(1));
    return _mm256_fmadd_ps(sc, _mm256_cvtepi32_ps(d), acc);
}

#define C12_QN_NAME(t) c12_##t##_vec_dot_n_avx2
#include "engine/quant_n_tile.h"
