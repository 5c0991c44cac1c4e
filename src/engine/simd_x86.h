/* simd_x86.h - horizontal sums of AVX2 registers, written once for the
 * kernel files (quant_avx2.c, quant_avx512.c, quant_n_*.c, vecops_avx2.c).
 * Include it only from files the Makefile compiles with AVX2 or AVX-512
 * (names ending _avx2.c / _avx512.c, or headers only they include).
 *
 * The float sum adds in ggml's hsum_float_8 order (high half onto low, then
 * pairs), which the scalar reference copies, so every kernel that ends in
 * it stays bit-identical to that reference. Integer sums are exact in any
 * order. */
#ifndef C12_SIMD_X86_H
#define C12_SIMD_X86_H

#include <immintrin.h>

static inline float c12_hsum_f32x8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline int c12_hsum_i32x4(__m128i v)
{
    v = _mm_add_epi32(v, _mm_unpackhi_epi64(v, v));
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 1));
    return _mm_cvtsi128_si32(v);
}

static inline int c12_hsum_i32x8(__m256i v)
{
    return c12_hsum_i32x4(_mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
}

#endif
