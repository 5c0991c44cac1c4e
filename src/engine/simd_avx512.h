/* simd_avx512.h - small AVX-512 helpers shared by the repacked kernels
 * (quant_r8_avx512.c, quant_r8_q6_avx512.c, quant_r8_32_avx512.c). Include
 * it only from files the Makefile compiles with AVX-512 (names ending
 * _avx512.c). */
#ifndef C12_SIMD_AVX512_H
#define C12_SIMD_AVX512_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/* 8 bytes at p, repeated in every 64-bit lane: a token's 8 quants that
 * meet 8 bytes of each of the 8 interleaved rows (or its four 16-bit sums) */
static inline __m512i c12_bcast8(const int8_t *p)
{
    long long v;
    memcpy(&v, p, 8);
    return _mm512_set1_epi64(v);
}

/* A repacked kernel's entry: ny tokens four at a time, then the one to three
 * left, each pass TOKENS(n, s, s_stride, x, y, y_stride, NT) with NT a
 * constant, which the always-inlined pass specializes on. */
#define C12_R8_FOUR_AT_A_TIME(TOKENS, n, s, s_stride, x, y, y_stride, ny)                                        \
    do {                                                                                                          \
        const uint8_t *yp_ = (const uint8_t *)(y);                                                                \
        float *s_ = (s);                                                                                          \
        int t_ = 0;                                                                                               \
        for (; t_ + 4 <= (ny); t_ += 4, s_ += 4 * (s_stride), yp_ += 4 * (y_stride))                             \
            TOKENS(n, s_, s_stride, x, yp_, y_stride, 4);                                                         \
        switch ((ny) - t_) {                                                                                      \
        case 3: TOKENS(n, s_, s_stride, x, yp_, y_stride, 3); break;                                              \
        case 2: TOKENS(n, s_, s_stride, x, yp_, y_stride, 2); break;                                              \
        case 1: TOKENS(n, s_, s_stride, x, yp_, y_stride, 1); break;                                              \
        default: break;                                                                                           \
        }                                                                                                         \
    } while (0)

/* 8 fp16s at p (the group's rows' scales), value r in lanes 2r and 2r+1 */
static inline __m512 c12_pairs_of(const uint8_t *p)
{
    const __m512i pairs = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    return _mm512_permutexvar_ps(pairs, _mm512_castps256_ps512(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p))));
}

#endif
