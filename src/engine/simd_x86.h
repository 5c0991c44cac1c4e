/* simd_x86.h - horizontal sums of AVX2 registers and the multi-token
 * kernels' prefetch, written once for the kernel files (quant_avx2.c,
 * quant_avx512.c, quant_n_*.c, quant_r8*_avx512.c, vecops_avx2.c).
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
#include <stdint.h>

/* A kernel that multiplies a weight against several tokens computes longer
 * per byte than one against one token, and on this kind of core the
 * hardware prefetcher then falls behind: a batched step paid the DRAM time
 * and the compute time one after the other (make bench-quant's table of
 * several tokens from L2 and from DRAM: Q8_0, 4 tokens, 587 ns a row from
 * DRAM against 336 from L2, at feca60e). Asking for the bytes C12_PREFETCH_AHEAD ahead
 * of the ones in use, into L2, overlaps the two (346-351 ns). 8 KB: 4 and
 * 16 took turns with it (bench/engine-history.md). One-token kernels
 * go at DRAM speed already and only lose by it. The address is computed as
 * an integer: it may lie past the weight's end, where a prefetch is harmless
 * but pointer arithmetic is not. Always inlined: a function that only
 * prefetches looks pure to GCC, which then drops the call. */
enum { C12_PREFETCH_AHEAD = 8192 };

static inline __attribute__((always_inline)) void c12_prefetch_ahead(const void *p, int bytes)
{
    const uintptr_t a = (uintptr_t)p + C12_PREFETCH_AHEAD;
    for (int off = 0; off < bytes; off += 64) _mm_prefetch((const char *)(a + (uintptr_t)off), _MM_HINT_T1);
}

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
