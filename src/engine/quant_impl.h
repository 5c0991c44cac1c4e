/* quant_impl.h - block layouts and kernel prototypes behind quant.h (engine-internal).
 *
 * The layouts are ggml's (GGUF stores them byte for byte, little-endian, fp16 =
 * IEEE half). Fields that hold fp16 are uint16_t; every struct here has only
 * 1- and 2-byte members except Q8_K (float d), so rows of blocks only need the
 * alignment that GGUF and our allocators give them anyway.
 *
 * Kernel naming: c12_<type>_<op>[_<isa>]. The scalar ones are the reference;
 * SIMD ones are tested against them (tests/engine/test_quant.c). */
#ifndef C12_QUANT_IMPL_H
#define C12_QUANT_IMPL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engine/quant.h"

#define C12_QK 32   /* elements per block of the 32-blocks (Q4_0 ... Q8_1) */
#define C12_QK_K 256 /* elements per K-quant super-block */

typedef struct { uint16_t d; uint8_t qs[16]; } c12_block_q4_0;
typedef struct { uint16_t d, m; uint8_t qs[16]; } c12_block_q4_1;
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; } c12_block_q5_0;
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[16]; } c12_block_q5_1;
typedef struct { uint16_t d; int8_t qs[32]; } c12_block_q8_0;
/* s = d * sum(qs), kept so that dot products with a min (Q4_1, Q5_1) need no
 * extra pass over the activations. */
typedef struct { uint16_t d, s; int8_t qs[32]; } c12_block_q8_1;
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[128]; } c12_block_q4_K;
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } c12_block_q5_K;
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; } c12_block_q6_K;
/* Activations for the K-quants. d is a plain float; bsums[g] = sum of
 * qs[16g .. 16g+15], which lets kernels apply per-group offsets and mins
 * without touching qs again. */
typedef struct { float d; int8_t qs[256]; int16_t bsums[16]; } c12_block_q8_K;

_Static_assert(sizeof(c12_block_q4_0) == 18, "q4_0 layout");
_Static_assert(sizeof(c12_block_q4_1) == 20, "q4_1 layout");
_Static_assert(sizeof(c12_block_q5_0) == 22, "q5_0 layout");
_Static_assert(sizeof(c12_block_q5_1) == 24, "q5_1 layout");
_Static_assert(sizeof(c12_block_q8_0) == 34, "q8_0 layout");
_Static_assert(sizeof(c12_block_q8_1) == 36, "q8_1 layout");
_Static_assert(sizeof(c12_block_q4_K) == 144, "q4_K layout");
_Static_assert(sizeof(c12_block_q5_K) == 176, "q5_K layout");
_Static_assert(sizeof(c12_block_q6_K) == 210, "q6_K layout");
_Static_assert(sizeof(c12_block_q8_K) == 292, "q8_K layout");

/* ---- fp16 / bf16 conversions (bit arithmetic: no lookup table, no state) ---- */

static inline float c12_h2f(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu, bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | (man << 13); /* inf, NaN (payload kept) */
    } else if (exp != 0) {
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else {
        /* Subnormal half: normalise. Value = man * 2^-24. */
        int e = -1;
        do { man <<= 1; e++; } while (!(man & 0x400u));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3FFu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Round to nearest, ties to even, as F16C's vcvtps2ph with imm 0 does; NaN
 * becomes a quiet NaN with the top payload bits, also as F16C does. */
static inline uint16_t c12_f2h(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u) return (uint16_t)(sign | 0x7E00u | ((ax >> 13) & 0x3FFu));
    if (ax >= 0x477FF000u) return (uint16_t)(sign | 0x7C00u); /* >= 65520: inf */
    if (ax >= 0x38800000u) { /* normal half range (>= 2^-14) */
        uint32_t r = ax - 0x38000000u; /* rebias exponent 127 -> 15 */
        r += 0xFFFu + ((r >> 13) & 1u);
        return (uint16_t)(sign | (r >> 13));
    }
    if (ax < 0x33000000u) return sign; /* < 2^-25: rounds to zero */
    /* Subnormal half: shift the full significand right, rounding to even. */
    uint32_t e = ax >> 23, m = (ax & 0x7FFFFFu) | 0x800000u;
    uint32_t shift = 126u - e; /* 14 .. 24 */
    uint32_t q = m >> shift, rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) q++;
    return (uint16_t)(sign | q);
}

static inline float c12_bf2f(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline uint16_t c12_f2bf(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((x >> 16) | 64u); /* quiet NaN */
    return (uint16_t)((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

/* ---- helpers shared by the scalar and SIMD code ---- */

/* 6-bit scales and mins of Q4_K/Q5_K: sub-block j < 4 keeps both in the low 6
 * bits of scales[j] / scales[j+4]; j >= 4 keeps the low 4 bits in scales[j+4]
 * (scale low nibble, min high nibble) and the top 2 bits in the top bits of
 * scales[j-4] (scale) and scales[j] (min). Writes sc[8] and mn[8]. */
static inline void c12_k4_scales(const uint8_t s[12], uint8_t sc[8], uint8_t mn[8])
{
    uint32_t a0, a1, a2, lo, hi;
    memcpy(&a0, s, 4);
    memcpy(&a1, s + 4, 4);
    memcpy(&a2, s + 8, 4);
    lo = a0 & 0x3F3F3F3Fu;
    hi = (a2 & 0x0F0F0F0Fu) | (((a0 >> 6) & 0x03030303u) << 4);
    memcpy(sc, &lo, 4);
    memcpy(sc + 4, &hi, 4);
    lo = a1 & 0x3F3F3F3Fu;
    hi = ((a2 >> 4) & 0x0F0F0F0Fu) | (((a1 >> 6) & 0x03030303u) << 4);
    memcpy(mn, &lo, 4);
    memcpy(mn + 4, &hi, 4);
}

/* Activation rounding, one definition for every ISA (SIMD kernels reproduce it
 * bit for bit and the tests check that):
 *  - Q8_0 / Q8_1: v = x * (127/amax), d = amax/127, rounded to nearest with
 *    ties to even, as ggml's x86 SIMD quantizers do (its scalar reference
 *    uses 1/d and roundf instead). We follow the x86 path because that is what
 *    llama.cpp, our oracle, runs on the machines we compare on: the two differ
 *    in the last unit of a few quants, which flips near-tie greedy tokens.
 *  - Q8_K: v = x * (-127/max) rounded to nearest, ties to even, as ggml's
 *    nearest_int does.
 * Both clamp v to [-127, 127] first (NaN -> -127), which changes nothing for
 * finite inputs and keeps a degenerate block (subnormal amax, 1/d = inf) free
 * of undefined float->int conversions. */
static inline float c12_clamp127(float v)
{
    if (!(v >= -127.0f)) v = -127.0f;
    if (v > 127.0f) v = 127.0f;
    return v;
}

static inline int c12_round_away(float v) { return (int)roundf(c12_clamp127(v)); }

static inline int c12_round_even(float v)
{
    /* Adding 1.5*2^23 leaves the integer in the low mantissa bits, rounded by
     * the FPU's (default) nearest-even mode. Exact for |v| < 2^22. */
    float t = c12_clamp127(v) + 12582912.0f;
    int32_t i;
    memcpy(&i, &t, sizeof i);
    return (i & 0x007FFFFF) - 0x00400000;
}

/* ---- scalar reference kernels (quant_scalar.c, quant_scalar_k.c) ---- */

#define C12_DECL_TF(t) void c12_##t##_to_float(const void *src, float *dst, int64_t n)
#define C12_DECL_FF(t) void c12_##t##_from_float(const float *src, void *dst, int64_t n)
#define C12_DECL_VD(t, sfx) void c12_##t##_vec_dot##sfx(int n, float *s, const void *x, const void *y)

C12_DECL_TF(f32); C12_DECL_FF(f32); C12_DECL_VD(f32, );
C12_DECL_TF(f16); C12_DECL_FF(f16); C12_DECL_VD(f16, );
C12_DECL_TF(bf16); C12_DECL_FF(bf16); C12_DECL_VD(bf16, );
C12_DECL_TF(q4_0); C12_DECL_FF(q4_0); C12_DECL_VD(q4_0, ); C12_DECL_VD(q4_0_r8, );
C12_DECL_TF(q4_1); C12_DECL_FF(q4_1); C12_DECL_VD(q4_1, );
C12_DECL_TF(q5_0); C12_DECL_FF(q5_0); C12_DECL_VD(q5_0, );
C12_DECL_TF(q5_1); C12_DECL_FF(q5_1); C12_DECL_VD(q5_1, );
C12_DECL_TF(q8_0); C12_DECL_FF(q8_0); C12_DECL_VD(q8_0, );
C12_DECL_TF(q8_1); C12_DECL_FF(q8_1);
C12_DECL_TF(q4_K); C12_DECL_VD(q4_K, );
C12_DECL_TF(q5_K); C12_DECL_VD(q5_K, );
C12_DECL_TF(q6_K); C12_DECL_VD(q6_K, );
C12_DECL_TF(q8_K); C12_DECL_FF(q8_K);
/* Q6_K: two halves of 128. In half h, for l < 32, four 6-bit quants share
 * ql[64h+l], ql[64h+32+l] and qh[32h+l]:
 *   element 128h + l      : low nibble of ql[l],      qh bits 0-1
 *   element 128h + 32 + l : low nibble of ql[32+l],   qh bits 2-3
 *   element 128h + 64 + l : high nibble of ql[l],     qh bits 4-5
 *   element 128h + 96 + l : high nibble of ql[32+l],  qh bits 6-7
 * The quant is that 6-bit value minus 32; scales[e/16] (int8) for element e.
 * Read element by element by the scalar reference (quant_scalar_k.c), 8
 * elements at a time by the repacking (quant_r8.c). */

/* quant_r8.c: Q4_K, Q6_K, Q5_0 and Q4_1 rows repacked 8 at a time (the layouts are described there) */
void c12_q4_K_repack8(const void *src, size_t row_bytes, void *dst, int64_t n);
void c12_q6_K_repack8(const void *src, size_t row_bytes, void *dst, int64_t n);
/* a Q6_K group super-block's fields (quant_r8.c): d, scales, quants' low nibbles, high bits */
enum { C12_R8_Q6_D = 0, C12_R8_Q6_SC = 16, C12_R8_Q6_QL = 144, C12_R8_Q6_QH = 144 + 1024 };
/* where a 32-block group's fields sit (quant_r8.c): plain block size, then
 * the offsets of d, m, qh, qs in the group (-1: none) */
typedef struct c12_r8_32_layout { int block, d, m, qh, qs; } c12_r8_32_layout;
/* here, not extern: the kernel's branches on them fold away */
static const c12_r8_32_layout C12_R8_Q5_0 = {sizeof(c12_block_q5_0), 0, -1, 16, 48};
static const c12_r8_32_layout C12_R8_Q4_1 = {sizeof(c12_block_q4_1), 0, 16, -1, 32};
void c12_q5_0_repack8(const void *src, size_t row_bytes, void *dst, int64_t n);
void c12_q4_1_repack8(const void *src, size_t row_bytes, void *dst, int64_t n);

/* ---- AVX2 + FMA + F16C (quant_avx2.c) ---- */
C12_DECL_VD(f32, _avx2); C12_DECL_VD(f16, _avx2); C12_DECL_VD(bf16, _avx2);
C12_DECL_VD(q4_0, _avx2); C12_DECL_VD(q4_0_r8, _avx2); C12_DECL_VD(q4_1, _avx2); C12_DECL_VD(q5_0, _avx2);
C12_DECL_VD(q5_1, _avx2); C12_DECL_VD(q8_0, _avx2);
C12_DECL_VD(q4_K, _avx2); C12_DECL_VD(q5_K, _avx2); C12_DECL_VD(q6_K, _avx2);
void c12_f16_from_float_avx2(const float *src, void *dst, int64_t n);
void c12_q8_0_from_float_avx2(const float *src, void *dst, int64_t n);
void c12_q8_1_from_float_avx2(const float *src, void *dst, int64_t n);
void c12_q8_K_from_float_avx2(const float *src, void *dst, int64_t n);
/* quant_n_avx2.c: a Q4_1 / Q5_0 / Q8_0 row against several tokens. */
void c12_q4_1_vec_dot_n_avx2(int n, float *s, size_t s_stride, const void *x, const void *y,
                             size_t y_stride, int ny, const float *ysc);
void c12_q5_0_vec_dot_n_avx2(int n, float *s, size_t s_stride, const void *x, const void *y,
                             size_t y_stride, int ny, const float *ysc);
void c12_q8_0_vec_dot_n_avx2(int n, float *s, size_t s_stride, const void *x, const void *y,
                             size_t y_stride, int ny, const float *ysc);

/* ---- AVX-512 F/BW/VL/DQ + VNNI (quant_avx512.c) ---- */
C12_DECL_VD(f32, _avx512);
C12_DECL_VD(q4_K, _avx512); C12_DECL_VD(q5_K, _avx512); C12_DECL_VD(q6_K, _avx512);
void c12_q4_K_vec_dot_n_avx512(int n, float *s, size_t s_stride, const void *x, const void *y,
                               size_t y_stride, int ny, const float *ysc);
void c12_q6_K_vec_dot_n_avx512(int n, float *s, size_t s_stride, const void *x, const void *y,
                               size_t y_stride, int ny, const float *ysc);
/* quant_r8_avx512.c: 8 repacked Q4_K rows against ny tokens */
void c12_q4_K_r8_vec_dot_avx512(int n, float *s, size_t s_stride, const void *x, const void *y, size_t y_stride,
                                int ny);
/* quant_r8_q6_avx512.c: 8 repacked Q6_K rows against ny tokens */
void c12_q6_K_r8_vec_dot_avx512(int n, float *s, size_t s_stride, const void *x, const void *y, size_t y_stride,
                                int ny);
/* quant_r8_32_avx512.c */
void c12_q5_0_r8_vec_dot_avx512(int n, float *s, size_t s_stride, const void *x, const void *y, size_t y_stride,
                                int ny);
void c12_q4_1_r8_vec_dot_avx512(int n, float *s, size_t s_stride, const void *x, const void *y, size_t y_stride,
                                int ny);

/* quant_n_avx512.c */
void c12_q4_1_vec_dot_n_avx512(int n, float *s, size_t s_stride, const void *x, const void *y,
                               size_t y_stride, int ny, const float *ysc);
void c12_q5_0_vec_dot_n_avx512(int n, float *s, size_t s_stride, const void *x, const void *y,
                               size_t y_stride, int ny, const float *ysc);
void c12_q8_0_vec_dot_n_avx512(int n, float *s, size_t s_stride, const void *x, const void *y,
                               size_t y_stride, int ny, const float *ysc);

#endif
