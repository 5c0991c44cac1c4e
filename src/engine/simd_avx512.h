/* simd_avx512.h - small AVX-512 helpers shared by the repacked kernels
 * (quant_r8_avx512.c, quant_r8_32_avx512.c). Include it only from files the
 * Makefile compiles with AVX-512 (names ending _avx512.c). */
#ifndef C12_SIMD_AVX512_H
#define C12_SIMD_AVX512_H

#include <immintrin.h>
#include <string.h>

/* 8 activation bytes at p, repeated in every 64-bit lane: the token's
 * quants that meet 8 bytes of each of the 8 interleaved rows */
static inline __m512i c12_bcast8(const int8_t *p)
{
    long long v;
    memcpy(&v, p, 8);
    return _mm512_set1_epi64(v);
}

#endif
