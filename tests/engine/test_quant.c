/* Unit tests for the tensor-type tables (src/engine/quant*.c).
 *
 * Three layers:
 *  1. known-answer blocks, hand-computed from the format description, pin the
 *     scalar reference itself (dequantizers, activation quantizers, one dot);
 *  2. the scalar vec_dot of every type equals the double-precision dot of the
 *     dequantized rows, and quantize -> dequantize errors stay within the
 *     step size each format allows;
 *  3. every SIMD level the CPU has matches the scalar reference.
 *
 * Tolerances (S = sum_i |x_i * y_i| over the dequantized rows):
 *  - vec_dot of the quantized types (32-blocks and K-quants), SIMD vs scalar:
 *    bit-identical. Each kernel repeats the float steps of llama.cpp's x86
 *    code for its type (lanes, fused multiply-adds, final tree), which the
 *    scalar reference spells out, so any difference is a bug.
 *  - vec_dot of F32/F16/BF16, SIMD vs scalar: |a - b| <= 1e-5 * S. Only the
 *    order of float products and sums differs, which costs a few ulp of S
 *    (float eps is 6e-8, so 1e-5 leaves ~100x margin).
 *  - vec_dot, scalar vs dequantized double dot: the same, plus 2^-10 of the
 *    min term for Q4_1/Q5_1, whose activation sum s is stored as fp16.
 *  - from_float of activation types (Q8_0, Q8_1, Q8_K, F16): bit-identical
 *    across ISA levels, including ties, zeros, subnormals, inf and NaN.
 *  - fp16: exact (exhaustive over all 65536 halves and all rounding midpoints). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant.h"
#include "engine/quant_impl.h"
#include "quant_rng.h"

/* ---------------- helpers ---------------- */

/* Roughly normal, with an occasional outlier as real activations have. */
static float rng_act(rng *r)
{
    float v = rng_unit(r) + rng_unit(r) + rng_unit(r);
    return (rng_u64(r) % 97 == 0) ? v * 8.0f : v;
}

static const uint32_t ALL_TYPES[] = {
    C12_TYPE_F32, C12_TYPE_F16, C12_TYPE_BF16, C12_TYPE_Q4_0, C12_TYPE_Q4_1, C12_TYPE_Q5_0, C12_TYPE_Q5_1,
    C12_TYPE_Q8_0, C12_TYPE_Q8_1, C12_TYPE_Q4_K, C12_TYPE_Q5_K, C12_TYPE_Q6_K, C12_TYPE_Q8_K,
};
#define N_TYPES (sizeof ALL_TYPES / sizeof ALL_TYPES[0])

static const c12_type_traits *ref_type(uint32_t t) { return c12_type(c12_types(C12_ISA_SCALAR), t); }

static void put_h(void *p, size_t off, float v)
{
    uint16_t h = c12_fp32_to_fp16(v);
    memcpy((uint8_t *)p + off, &h, 2);
}

static float get_h(const void *p, size_t off)
{
    uint16_t h;
    memcpy(&h, (const uint8_t *)p + off, 2);
    return c12_fp16_to_fp32(h);
}

/* Random weights of type t: random quant bytes, sane scales (random fp16 bit
 * patterns would include inf/NaN and huge values that no model has). */
static void random_row(uint32_t t, void *dst, int64_t n, rng *r)
{
    const c12_type_traits *tt = ref_type(t);
    const size_t bytes = c12_type_row_size(tt, n), bs = tt->type_size;
    uint8_t *p = dst;
    for (size_t i = 0; i < bytes; i++) p[i] = (uint8_t)rng_u64(r);
    if (t == C12_TYPE_F32 || t == C12_TYPE_F16 || t == C12_TYPE_BF16) {
        float *tmp = malloc((size_t)n * sizeof(float));
        for (int64_t i = 0; i < n; i++) tmp[i] = rng_act(r);
        tt->from_float(tmp, dst, n);
        free(tmp);
        return;
    }
    for (size_t off = 0; off < bytes; off += bs) {
        const float d = ldexpf(1.0f + rng_unit(r) * 0.5f, -6 - (int)(rng_u64(r) % 5));
        const float sgn = (rng_u64(r) & 1) ? -1.0f : 1.0f;
        switch (t) {
        case C12_TYPE_Q4_0: case C12_TYPE_Q5_0: case C12_TYPE_Q8_0: put_h(p + off, 0, d * sgn); break;
        case C12_TYPE_Q4_1: case C12_TYPE_Q5_1: put_h(p + off, 0, d); put_h(p + off, 2, -8.0f * d * (1.0f + rng_unit(r))); break;
        case C12_TYPE_Q4_K: case C12_TYPE_Q5_K: put_h(p + off, 0, d / 16); put_h(p + off, 2, d / 32); break;
        case C12_TYPE_Q6_K: put_h(p + off, 208, d * sgn / 64); break;
        default: fail_msg("no weights for type %u", t);
        }
    }
}

/* Activations: random floats quantized by the scalar reference. */
static void random_act(uint32_t t, void *dst, int64_t n, rng *r, float *floats)
{
    for (int64_t i = 0; i < n; i++) floats[i] = rng_act(r);
    ref_type(t)->from_float(floats, dst, n);
}

static double abs_dot(const float *a, const float *b, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += fabs((double)a[i] * (double)b[i]);
    return s;
}

/* ---------------- fp16 / bf16 ---------------- */

static double half_value(uint16_t h) /* independent formula, for finite halves */
{
    const int e = (h >> 10) & 31, m = h & 1023;
    const double v = e ? ldexp(1024 + m, e - 25) : ldexp(m, -24);
    return (h & 0x8000) ? -v : v;
}

static void test_fp16_exhaustive(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        const float f = c12_fp16_to_fp32((uint16_t)h);
        if (((h >> 10) & 31) == 31) {
            if (h & 1023) {
                assert_true(isnan(f));
                assert_int_equal(c12_fp32_to_fp16(f), h | 0x0200); /* quieted, payload kept */
            } else {
                assert_true(isinf(f));
                assert_int_equal(c12_fp32_to_fp16(f), h);
            }
            continue;
        }
        assert_true((double)f == half_value((uint16_t)h));
        assert_int_equal(c12_fp32_to_fp16(f), h);
        assert_int_equal(signbit(f) != 0, (h & 0x8000) != 0);
    }
}

/* Every midpoint between adjacent positive halves rounds to the even one, and
 * one float ulp either side of it rounds to the nearer one. */
static void test_fp16_midpoints(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 0x7BFF; h++) {
        const float lo = c12_fp16_to_fp32((uint16_t)h), hi = c12_fp16_to_fp32((uint16_t)(h + 1));
        const float mid = (float)(((double)lo + (double)hi) / 2); /* exact in float */
        const uint16_t even = (h & 1) ? (uint16_t)(h + 1) : (uint16_t)h;
        assert_int_equal(c12_fp32_to_fp16(mid), even);
        assert_int_equal(c12_fp32_to_fp16(-mid), even | 0x8000);
        assert_int_equal(c12_fp32_to_fp16(nextafterf(mid, 0.0f)), h);
        assert_int_equal(c12_fp32_to_fp16(nextafterf(mid, INFINITY)), h + 1);
    }
    /* edges: max half, overflow threshold, smallest subnormal, underflow tie */
    assert_int_equal(c12_fp32_to_fp16(65504.0f), 0x7BFF);
    assert_int_equal(c12_fp32_to_fp16(nextafterf(65520.0f, 0.0f)), 0x7BFF);
    assert_int_equal(c12_fp32_to_fp16(65520.0f), 0x7C00);
    assert_int_equal(c12_fp32_to_fp16(-1e10f), 0xFC00);
    assert_int_equal(c12_fp32_to_fp16(ldexpf(1.0f, -24)), 0x0001);
    assert_int_equal(c12_fp32_to_fp16(ldexpf(1.0f, -25)), 0x0000);
    assert_int_equal(c12_fp32_to_fp16(nextafterf(ldexpf(1.0f, -25), 1.0f)), 0x0001);
    assert_int_equal(c12_fp32_to_fp16(ldexpf(3.0f, -25)), 0x0002);
    assert_int_equal(c12_fp32_to_fp16(1e-30f), 0x0000);
    assert_int_equal(c12_fp32_to_fp16(-0.0f), 0x8000);
    assert_int_equal(c12_fp32_to_fp16(1.0f + ldexpf(1.0f, -11)), 0x3C00);
    assert_int_equal(c12_fp32_to_fp16(1.0f + 3 * ldexpf(1.0f, -11)), 0x3C02);
    assert_int_equal(c12_fp32_to_fp16(0.1f), 0x2E66);
}

__attribute__((target("f16c"))) static uint16_t hw_f2h(float f) { return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT); }

static void test_fp16_matches_f16c(void **state)
{
    (void)state;
    if (c12_isa_detect() < C12_ISA_AVX2) skip();
    rng r = { 11 };
    for (int i = 0; i < 1000000; i++) {
        const uint32_t bits = (uint32_t)rng_u64(&r);
        float f;
        memcpy(&f, &bits, 4);
        if (c12_fp32_to_fp16(f) != hw_f2h(f)) fail_msg("bits %08x: %04x vs F16C %04x", bits, c12_fp32_to_fp16(f), hw_f2h(f));
    }
}

static void test_bf16(void **state)
{
    (void)state;
    const c12_type_traits *tt = ref_type(C12_TYPE_BF16);
    const float in[6] = { 1.0f, 1.0f + ldexpf(1.0f, -8), 1.0f + 3 * ldexpf(1.0f, -8), -2.5f, INFINITY, NAN };
    uint16_t h[6];
    float out[6];
    tt->from_float(in, h, 6);
    tt->to_float(h, out, 6);
    assert_int_equal(h[0], 0x3F80);
    assert_int_equal(h[1], 0x3F80); /* tie -> even */
    assert_int_equal(h[2], 0x3F82);
    assert_true(out[3] == -2.5f && isinf(out[4]) && isnan(out[5]));
}

/* ---------------- table ---------------- */

static void test_table(void **state)
{
    (void)state;
    const c12_isa best = c12_isa_detect();
    assert_non_null(c12_types(C12_ISA_SCALAR));
    for (int l = 0; l < C12_ISA_COUNT; l++) {
        const c12_type_traits *tab = c12_types((c12_isa)l);
        assert_true((tab != NULL) == (l <= (int)best));
        if (!tab) continue;
        for (size_t k = 0; k < N_TYPES; k++) {
            const c12_type_traits *tt = c12_type(tab, ALL_TYPES[k]), *ref = ref_type(ALL_TYPES[k]);
            assert_non_null(tt);
            assert_string_equal(tt->name, ref->name);
            assert_int_equal(tt->block_size, ref->block_size);
            assert_int_equal(tt->type_size, ref->type_size);
            assert_int_equal(tt->vec_dot_type, ref->vec_dot_type);
            assert_true(tt->to_float == ref->to_float);
            assert_true((tt->vec_dot != NULL) == (ref->vec_dot != NULL));
            if (tt->vec_dot) assert_non_null(c12_type(tab, (uint32_t)tt->vec_dot_type)->from_float);
        }
    }
    assert_null(c12_types(C12_ISA_COUNT));
    assert_null(c12_type(c12_types(C12_ISA_SCALAR), C12_TYPE_Q2_K)); /* not supported */
    assert_null(c12_type(c12_types(C12_ISA_SCALAR), 4));              /* removed Q4_2 */
    assert_null(c12_type(c12_types(C12_ISA_SCALAR), C12_TYPE_MAX));
    assert_null(c12_type(NULL, C12_TYPE_F32));
    assert_string_equal(c12_isa_name(C12_ISA_AVX512), "avx512");
}

static void test_row_size(void **state)
{
    (void)state;
    static const struct { uint32_t t; size_t bytes_4096; } want[] = {
        { C12_TYPE_F32, 16384 }, { C12_TYPE_F16, 8192 }, { C12_TYPE_BF16, 8192 }, { C12_TYPE_Q4_0, 2304 },
        { C12_TYPE_Q4_1, 2560 }, { C12_TYPE_Q5_0, 2816 }, { C12_TYPE_Q5_1, 3072 }, { C12_TYPE_Q8_0, 4352 },
        { C12_TYPE_Q8_1, 4608 }, { C12_TYPE_Q4_K, 2304 }, { C12_TYPE_Q5_K, 2816 }, { C12_TYPE_Q6_K, 3360 },
        { C12_TYPE_Q8_K, 4672 },
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        const c12_type_traits *tt = ref_type(want[k].t);
        assert_int_equal(c12_type_row_size(tt, 4096), want[k].bytes_4096);
        assert_int_equal(c12_type_row_size(tt, 0), 0);
        assert_int_equal(c12_type_row_size(tt, -tt->block_size), 0);
        if (tt->block_size > 1) assert_int_equal(c12_type_row_size(tt, 4096 + 16), 0);
    }
    assert_int_equal(c12_type_row_size(NULL, 32), 0);
    assert_int_equal(c12_type_row_size(ref_type(C12_TYPE_F16), 7), 14);
}

/* ---------------- known answers ---------------- */

static void dequant(uint32_t t, const void *blk, float *out, int n) { ref_type(t)->to_float(blk, out, n); }

static void test_known_q4_q5(void **state)
{
    (void)state;
    float o[32];
    c12_block_q4_0 a;
    memset(a.qs, 0x88, 16);
    a.qs[0] = 0x1F;
    a.qs[5] = 0x80;
    put_h(&a, 0, 0.5f);
    dequant(C12_TYPE_Q4_0, &a, o, 32);
    assert_true(o[0] == 3.5f && o[16] == -3.5f && o[5] == -4.0f && o[21] == 0.0f && o[1] == 0.0f);

    c12_block_q4_1 b;
    memset(b.qs, 0, 16);
    b.qs[3] = 0xA5;
    put_h(&b, 0, 0.25f);
    put_h(&b, 2, -1.0f);
    dequant(C12_TYPE_Q4_1, &b, o, 32);
    assert_true(o[3] == 0.25f && o[19] == 1.5f && o[0] == -1.0f && o[31] == -1.0f);

    c12_block_q5_0 c;
    memset(c.qs, 0, 16);
    c.qs[0] = 0x32;
    c.qs[15] = 0xF0;
    memcpy(c.qh, "\x01\x00\x01\x80", 4); /* bits 0, 16, 31 */
    put_h(&c, 0, 1.0f);
    dequant(C12_TYPE_Q5_0, &c, o, 32);
    assert_true(o[0] == 2.0f && o[16] == 3.0f && o[15] == -16.0f && o[31] == 15.0f && o[1] == -16.0f);

    c12_block_q5_1 e;
    memset(e.qs, 0, 16);
    e.qs[1] = 0x07;
    memcpy(e.qh, "\x02\x00\x00\x00", 4);
    put_h(&e, 0, 0.5f);
    put_h(&e, 2, 1.0f);
    dequant(C12_TYPE_Q5_1, &e, o, 32);
    assert_true(o[1] == 12.5f && o[17] == 1.0f && o[0] == 1.0f);

    /* dot of the Q4_0 block with y_j = j - 16, d = 1:
     * 7*(0-16) + (-7)*(16-16) + (-8)*(5-16) = -24, times d = 0.5 -> -12 */
    c12_block_q8_0 y;
    for (int j = 0; j < 32; j++) y.qs[j] = (int8_t)(j - 16);
    put_h(&y, 0, 1.0f);
    for (int l = 0; l <= (int)c12_isa_detect(); l++) {
        float s = 0;
        c12_type(c12_types((c12_isa)l), C12_TYPE_Q4_0)->vec_dot(32, &s, &a, &y);
        assert_true(s == -12.0f);
    }
}

static void test_known_q8(void **state)
{
    (void)state;
    float x[256] = { 127.0f, -63.5f, 0.5f, -0.5f, 2.5f, 1.49f };
    float o[32];
    c12_block_q8_1 b1;
    for (int l = 0; l <= (int)c12_isa_detect(); l++) {
        const c12_type_traits *tab = c12_types((c12_isa)l);
        c12_block_q8_0 b;
        c12_type(tab, C12_TYPE_Q8_0)->from_float(x, &b, 32);
        /* d = 127/127 = 1, and ties round to even (as ggml's x86 path) */
        static const int8_t want[6] = { 127, -64, 0, 0, 2, 1 };
        assert_memory_equal(b.qs, want, 6);
        assert_int_equal(b.qs[6], 0);
        assert_int_equal(b.d, 0x3C00);
        c12_type(tab, C12_TYPE_Q8_1)->from_float(x, &b1, 32);
        assert_memory_equal(b1.qs, want, 6);
        assert_int_equal(b1.s, 0x5420); /* 66.0 = d * (127-64+0+0+2+1) */
    }
    dequant(C12_TYPE_Q8_1, &b1, o, 32);
    assert_true(o[1] == -64.0f && o[4] == 2.0f);

    /* Q8_K: the first element of largest magnitude (-254 at index 5, before
     * +254 at 200) sets iscale = -127/-254 = 0.5 and d = 2; ties go to even. */
    memset(x, 0, sizeof x);
    x[0] = 3; x[1] = 5; x[2] = -3; x[3] = 1; x[5] = -254; x[200] = 254;
    for (int l = 0; l <= (int)c12_isa_detect(); l++) {
        c12_block_q8_K k;
        c12_type(c12_types((c12_isa)l), C12_TYPE_Q8_K)->from_float(x, &k, 256);
        static const int8_t want[6] = { 2, 2, -2, 0, 0, -127 };
        assert_memory_equal(k.qs, want, 6);
        assert_int_equal(k.qs[200], 127);
        assert_true(k.d == 2.0f);
        assert_int_equal(k.bsums[0], -125);
        assert_int_equal(k.bsums[12], 127);
        assert_int_equal(k.bsums[1], 0);
    }
    x[5] = 254; /* now the largest is positive: quants flip sign, d < 0 */
    c12_block_q8_K k;
    ref_type(C12_TYPE_Q8_K)->from_float(x, &k, 256);
    assert_true(k.d == -2.0f && k.qs[5] == -127 && k.qs[0] == -2);
}

static void k_header(uint8_t *blk)
{
    put_h(blk, 0, 1.0f);  /* d */
    put_h(blk, 2, 0.5f);  /* dmin */
    uint8_t *s = blk + 4; /* sc0=3 m0=5, sc1=2 m1=4, sc4=50 m4=23, others 0 */
    s[0] = 0xC3; s[1] = 0x02; s[4] = 0x45; s[5] = 0x04; s[8] = 0x72;
}

static void test_known_k(void **state)
{
    (void)state;
    float o[256];
    c12_block_q4_K a;
    memset(&a, 0, sizeof a);
    k_header((uint8_t *)&a);
    a.qs[0] = 0x9A;
    a.qs[64] = 0x0B;
    dequant(C12_TYPE_Q4_K, &a, o, 256);
    /* value = d*sc*q - dmin*m */
    assert_true(o[0] == 27.5f && o[32] == 16.0f && o[128] == 538.5f);
    assert_true(o[1] == -2.5f && o[33] == -2.0f && o[64] == 0.0f && o[129] == -11.5f && o[160] == 0.0f);

    c12_block_q5_K b;
    memset(&b, 0, sizeof b);
    k_header((uint8_t *)&b);
    b.qs[0] = 0x9A;
    b.qs[64] = 0x0B;
    b.qh[0] = 0x10; /* bit 4: chunk 2, low nibbles -> element 128 */
    b.qh[1] = 0x02; /* bit 1: chunk 0, high nibbles -> element 33 */
    dequant(C12_TYPE_Q5_K, &b, o, 256);
    assert_true(o[0] == 27.5f && o[32] == 16.0f && o[128] == 1338.5f && o[33] == 30.0f && o[129] == -11.5f);

    c12_block_q6_K c;
    memset(&c, 0, sizeof c);
    put_h(&c, 208, 0.5f);
    c.scales[0] = 2; c.scales[2] = -3; c.scales[4] = 4; c.scales[6] = -1; c.scales[8] = 5;
    c.ql[0] = 0x21; c.ql[32] = 0x7F; c.qh[0] = 0xE4;
    c.ql[64] = 0x03; c.qh[32] = 0x01;
    dequant(C12_TYPE_Q6_K, &c, o, 256);
    /* e0: (1|0<<4)-32=-31 * 2*.5; e32: (15|1<<4)-32=-1 * -3*.5; e64: (2|2<<4)-32=2 * 4*.5;
     * e96: (7|3<<4)-32=23 * -1*.5; e1: -32 * 2*.5; e128: (3|1<<4)-32=-13 * 5*.5 */
    assert_true(o[0] == -31.0f && o[32] == 1.5f && o[64] == 4.0f && o[96] == -11.5f);
    assert_true(o[1] == -32.0f && o[128] == -32.5f && o[129] == -80.0f && o[16] == 0.0f);
}

/* ---------------- round trips ---------------- */

/* Test-only K-quant writers (simple min/max fits, not llama-quantize's
 * search): they exercise the packing of scales, nibbles and high bits in the
 * opposite direction from the dequantizers. Block scales are rounded up so
 * that every quant fits; the error bound is then half a step. */
static uint16_t h_up(float v) /* smallest half >= v (v >= 0) */
{
    uint16_t h = c12_fp32_to_fp16(v);
    if (c12_fp16_to_fp32(h) < v) h++;
    return h;
}

static void pack_k4_scales(const int sc[8], const int mn[8], uint8_t s[12])
{
    for (int j = 0; j < 4; j++) {
        s[j] = (uint8_t)(sc[j] | (sc[j + 4] >> 4) << 6);
        s[j + 4] = (uint8_t)(mn[j] | (mn[j + 4] >> 4) << 6);
        s[j + 8] = (uint8_t)((sc[j + 4] & 15) | (mn[j + 4] & 15) << 4);
    }
}

static void quantize_k4(const float *x, void *blk, int five)
{
    const int nmax = five ? 31 : 15;
    float scale[8], minv[8], maxs = 0, maxm = 0;
    for (int j = 0; j < 8; j++) {
        float lo = 0, hi = -INFINITY;
        for (int l = 0; l < 32; l++) { lo = fminf(lo, x[32 * j + l]); hi = fmaxf(hi, x[32 * j + l]); }
        scale[j] = (hi - lo) / nmax;
        minv[j] = -lo;
        maxs = fmaxf(maxs, scale[j]);
        maxm = fmaxf(maxm, minv[j]);
    }
    const uint16_t dh = h_up(maxs / 63), mh = h_up(maxm / 63);
    const float d = c12_fp16_to_fp32(dh), dmin = c12_fp16_to_fp32(mh);
    int sc[8], mn[8];
    uint8_t *qs = (uint8_t *)blk + (five ? 48 : 16), *qh = five ? (uint8_t *)blk + 16 : NULL;
    memset(qs, 0, 128);
    if (qh) memset(qh, 0, 32);
    for (int j = 0; j < 8; j++) {
        sc[j] = d > 0 ? (int)fminf(63, ceilf(scale[j] / d)) : 0;
        mn[j] = dmin > 0 ? (int)fminf(63, roundf(minv[j] / dmin)) : 0;
        const float s = d * sc[j], m = dmin * mn[j];
        for (int l = 0; l < 32; l++) {
            const int e = 32 * j + l;
            int q = s > 0 ? (int)roundf((x[e] + m) / s) : 0;
            q = q < 0 ? 0 : q > nmax ? nmax : q;
            qs[32 * (e / 64) + l] |= (uint8_t)((q & 15) << (j & 1 ? 4 : 0));
            if (qh && (q & 16)) qh[l] |= (uint8_t)(1 << j);
        }
    }
    memcpy(blk, &dh, 2);
    memcpy((uint8_t *)blk + 2, &mh, 2);
    pack_k4_scales(sc, mn, (uint8_t *)blk + 4);
}

static void quantize_q6k(const float *x, c12_block_q6_K *b)
{
    float gs[16], maxs = 0;
    for (int g = 0; g < 16; g++) {
        float amax = 0;
        for (int l = 0; l < 16; l++) amax = fmaxf(amax, fabsf(x[16 * g + l]));
        gs[g] = amax / 31;
        maxs = fmaxf(maxs, gs[g]);
    }
    const uint16_t dh = h_up(maxs / 127);
    const float d = c12_fp16_to_fp32(dh);
    memset(b, 0, sizeof *b);
    memcpy(&b->d, &dh, 2);
    for (int g = 0; g < 16; g++) {
        const int sc = d > 0 ? (int)fminf(127, ceilf(gs[g] / d)) : 0;
        b->scales[g] = (int8_t)((g & 1) ? -sc : sc); /* exercise negative scales */
        const float s = d * b->scales[g];
        for (int l = 0; l < 16; l++) {
            const int e = 16 * g + l, h = e / 128, k = (e % 128) / 32, i = e % 32;
            int q = s != 0 ? (int)roundf(x[e] / s) : 0;
            q = (q < -32 ? -32 : q > 31 ? 31 : q) + 32;
            b->ql[64 * h + 32 * (k & 1) + i] |= (uint8_t)((q & 15) << (k & 2 ? 4 : 0));
            b->qh[32 * h + i] |= (uint8_t)((q >> 4) << (2 * k));
        }
    }
}

/* Largest error allowed for element e of a row quantized as t: half a step
 * (a full step for Q4_0/Q5_0, whose ggml quantizer clamps the element opposite
 * to the max), plus fp16 rounding of the block scale and min. */
static float err_bound(uint32_t t, const uint8_t *blk, const float *x, int e)
{
    float amax = 0, lo = INFINITY, hi = -INFINITY;
    const int bs = ref_type(t)->block_size;
    for (int i = 0; i < bs; i++) {
        amax = fmaxf(amax, fabsf(x[i]));
        lo = fminf(lo, x[i]);
        hi = fmaxf(hi, x[i]);
    }
    const float h = ldexpf(1.0f, -11), u = ldexpf(1.0f, -25);
    switch (t) {
    case C12_TYPE_F32: return 0;
    case C12_TYPE_F16: return fabsf(x[e]) * h + u; /* subnormal halves */
    case C12_TYPE_BF16: return fabsf(x[e]) * ldexpf(1.0f, -8);
    /* u: absolute fp16 rounding of a subnormal scale (2^-25), times the largest quant */
    case C12_TYPE_Q4_0: return amax / 8 * (1 + 8 * h) + 8 * u;
    case C12_TYPE_Q5_0: return amax / 16 * (1 + 16 * h) + 16 * u;
    case C12_TYPE_Q8_0: case C12_TYPE_Q8_1: return amax / 254 + amax * h + 127 * u;
    case C12_TYPE_Q8_K: return amax / 254 * 1.0001f;
    case C12_TYPE_Q4_1: return (hi - lo) / 30 + (hi - lo + fabsf(lo)) * h + 16 * u;
    case C12_TYPE_Q5_1: return (hi - lo) / 62 + (hi - lo + fabsf(lo)) * h + 32 * u;
    case C12_TYPE_Q4_K: case C12_TYPE_Q5_K: {
        uint8_t sc[8], mn[8];
        c12_k4_scales(blk + 4, sc, mn);
        const int j = e / 32;
        return fmaxf(get_h(blk, 0) * sc[j], get_h(blk, 2) * mn[j]) * 0.5001f;
    }
    case C12_TYPE_Q6_K: return fabsf(get_h(blk, 208) * (float)((const int8_t *)blk)[192 + e / 16]) * 0.5001f;
    default: fail_msg("no bound for %u", t);
    }
    return 0;
}

static void test_round_trip(void **state)
{
    (void)state;
    enum { N = 4096 };
    float *x = malloc(N * sizeof(float)), *o = malloc(N * sizeof(float));
    uint8_t *q = malloc(N * 4);
    rng r = { 1 };
    for (size_t k = 0; k < N_TYPES; k++) {
        const uint32_t t = ALL_TYPES[k];
        const c12_type_traits *tt = ref_type(t);
        for (int i = 0; i < N; i++) x[i] = rng_act(&r) * ((i / 256) % 3 == 2 ? 1e-3f : 1.0f);
        memset(x + 256, 0, 256 * sizeof(float)); /* an all-zero super-block */
        for (int64_t off = 0; off < N; off += 256) {
            uint8_t *dst = q + c12_type_row_size(tt, off);
            if (tt->from_float) tt->from_float(x + off, dst, 256);
            else if (t == C12_TYPE_Q6_K) quantize_q6k(x + off, (c12_block_q6_K *)dst);
            else quantize_k4(x + off, dst, t == C12_TYPE_Q5_K);
        }
        tt->to_float(q, o, N);
        for (int i = 0; i < N; i++) {
            const int b0 = i - i % tt->block_size;
            const uint8_t *blk = q + c12_type_row_size(tt, b0);
            const float bound = err_bound(t, blk, x + b0, i - b0) + 1e-30f;
            if (!(fabsf(o[i] - x[i]) <= bound))
                fail_msg("%s elem %d: %g -> %g, bound %g", tt->name, i, (double)x[i], (double)o[i], (double)bound);
        }
    }
    free(x);
    free(o);
    free(q);
}

/* ---------------- dot products ---------------- */

static const int NBLOCKS[] = { 1, 2, 3, 5, 8, 13, 64 };
static const int NFLOAT[] = { 1, 7, 16, 33, 64, 100, 1000, 4096 };

/* Check one (type, n): scalar vs dequantized double dot, every SIMD level vs scalar. */
static void check_dot(uint32_t t, int n, rng *r, const void *xw, const void *yw)
{
    const c12_type_traits *tt = ref_type(t), *yt = ref_type((uint32_t)tt->vec_dot_type);
    float *xf = malloc((size_t)n * sizeof(float)), *yf = malloc((size_t)n * sizeof(float));
    void *x = malloc(c12_type_row_size(tt, n)), *y = malloc(c12_type_row_size(yt, n));
    if (xw) memcpy(x, xw, c12_type_row_size(tt, n));
    else random_row(t, x, n, r);
    if (yw) memcpy(y, yw, c12_type_row_size(yt, n));
    else random_act((uint32_t)tt->vec_dot_type, y, n, r, yf);
    tt->to_float(x, xf, n);
    yt->to_float(y, yf, n);
    double exact = 0;
    for (int i = 0; i < n; i++) exact += (double)xf[i] * (double)yf[i];
    const double S = abs_dot(xf, yf, n);
    double extra = 0; /* fp16 rounding of Q8_1's s, seen through the min */
    if (t == C12_TYPE_Q4_1 || t == C12_TYPE_Q5_1) {
        for (int b = 0; b < n / 32; b++) {
            double ay = 0;
            for (int l = 0; l < 32; l++) ay += fabs(yf[32 * b + l]);
            extra += fabs(get_h((const uint8_t *)x + b * tt->type_size, 2)) * ay * ldexp(1.0, -10);
        }
    }
    float ref = NAN;
    tt->vec_dot(n, &ref, x, y);
    if (!(fabs(ref - exact) <= 1e-5 * S + extra + 1e-30))
        fail_msg("%s n=%d: scalar %.9g vs dequantized %.9g (S %g)", tt->name, n, (double)ref, exact, S);
    const int exact_order = tt->block_size > 1;
    for (int l = 1; l <= (int)c12_isa_detect(); l++) {
        float v = NAN;
        c12_type(c12_types((c12_isa)l), t)->vec_dot(n, &v, x, y);
        if (exact_order && memcmp(&v, &ref, sizeof v))
            fail_msg("%s n=%d %s: %.9g, scalar %.9g: not bit-identical", tt->name, n,
                     c12_isa_name((c12_isa)l), (double)v, (double)ref);
        if (!(fabs(v - ref) <= 1e-5 * S + 1e-30))
            fail_msg("%s n=%d %s: %.9g vs scalar %.9g (S %g)", tt->name, n, c12_isa_name((c12_isa)l), (double)v,
                     (double)ref, S);
    }
    free(xf);
    free(yf);
    free(x);
    free(y);
}

static void test_vec_dot_random(void **state)
{
    (void)state;
    rng r = { 2 };
    for (size_t k = 0; k < N_TYPES; k++) {
        const c12_type_traits *tt = ref_type(ALL_TYPES[k]);
        if (!tt->vec_dot) continue;
        if (tt->block_size == 1) {
            for (size_t j = 0; j < sizeof NFLOAT / sizeof NFLOAT[0]; j++) check_dot(ALL_TYPES[k], NFLOAT[j], &r, NULL, NULL);
        } else {
            for (int rep = 0; rep < 20; rep++)
                for (size_t j = 0; j < sizeof NBLOCKS / sizeof NBLOCKS[0]; j++)
                    check_dot(ALL_TYPES[k], NBLOCKS[j] * tt->block_size, &r, NULL, NULL);
        }
    }
}

/* Saturated bit patterns (all quants and scales at their extremes) against
 * +-127 activations: catches i16 saturation and sign-handling slips that
 * random data rarely hits. */
static void test_vec_dot_extremes(void **state)
{
    (void)state;
    static const uint8_t fills[] = { 0x00, 0xFF, 0x80, 0x7F, 0x55, 0xAA };
    enum { NB = 8 };
    rng r = { 3 };
    uint8_t x[NB * 292], y[NB * 292];
    for (size_t k = 0; k < N_TYPES; k++) {
        const uint32_t t = ALL_TYPES[k];
        const c12_type_traits *tt = ref_type(t);
        if (!tt->vec_dot || tt->block_size == 1) continue;
        const int n = NB * tt->block_size;
        for (size_t f = 0; f < sizeof fills; f++) {
            for (int ys = 0; ys < 3; ys++) {
                memset(x, fills[f], sizeof x);
                for (int b = 0; b < NB; b++) { /* sane scales over extreme quants */
                    uint8_t *blk = x + b * tt->type_size;
                    if (t == C12_TYPE_Q6_K) put_h(blk, 208, 1.0f);
                    else put_h(blk, 0, 1.0f);
                    if (t == C12_TYPE_Q4_1 || t == C12_TYPE_Q5_1 || t == C12_TYPE_Q4_K || t == C12_TYPE_Q5_K)
                        put_h(blk, 2, 1.0f);
                }
                const c12_type_traits *yt = ref_type((uint32_t)tt->vec_dot_type);
                float yf[NB * 256];
                for (int i = 0; i < n; i++) yf[i] = ys == 0 ? 1.0f : ys == 1 ? -1.0f : (i & 1 ? 1.0f : -1.0f);
                yt->from_float(yf, y, n); /* quants of +-127 */
                check_dot(t, n, &r, x, y);
            }
        }
    }
}

/* ---------------- activation quantizers: bit-identical ---------------- */

static void test_from_float_identical(void **state)
{
    (void)state;
    enum { N = 2048 };
    static const uint32_t acts[] = { C12_TYPE_Q8_0, C12_TYPE_Q8_1, C12_TYPE_Q8_K, C12_TYPE_F16 };
    float *x = malloc(N * sizeof(float));
    uint8_t *a = malloc(N * 4), *b = malloc(N * 4);
    rng r = { 4 };
    for (int rep = 0; rep < 50; rep++) {
        for (int i = 0; i < N; i++) x[i] = rng_act(&r) * ldexpf(1.0f, (int)(rng_u64(&r) % 41) - 20);
        if (rep == 0) {
            /* ties after scaling: amax 127 -> id 1 (Q8_0); max -127 -> iscale 1 (Q8_K) */
            for (int i = 0; i < 256; i++) x[i] = (float)(i % 254 - 127) + ((i & 1) ? 0.5f : -0.5f);
            x[0] = -127.0f;
            x[31] = 127.0f;
            memset(x + 256, 0, 256 * sizeof(float));           /* zeros */
            for (int i = 512; i < 768; i++) x[i] = ldexpf(rng_unit(&r), -140); /* subnormals */
            x[800] = INFINITY;
            x[1100] = NAN;
            x[1400] = -0.0f;
        }
        for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
            const c12_type_traits *ref = ref_type(acts[k]);
            const size_t bytes = c12_type_row_size(ref, N);
            memset(a, 0xEE, bytes);
            ref->from_float(x, a, N);
            for (int l = 1; l <= (int)c12_isa_detect(); l++) {
                memset(b, 0x11, bytes);
                c12_type(c12_types((c12_isa)l), acts[k])->from_float(x, b, N);
                for (size_t i = 0; i < bytes; i++)
                    if (a[i] != b[i])
                        fail_msg("%s %s rep %d: byte %zu differs (%02x vs %02x)", ref->name, c12_isa_name((c12_isa)l),
                                 rep, i, a[i], b[i]);
            }
        }
    }
    free(x);
    free(a);
    free(b);
}

/* vec_dot_n (one weight row against several activation rows, strided
 * output) must give, for each activation row, vec_dot's result bit for bit. */
static void test_vec_dot_n_identical(void **state)
{
    (void)state;
    static const int NY[] = { 1, 2, 3, 4, 5, 7, 8, 9, 12, 17 };
    enum { MAXY = 17, NB = 6, STRIDE = 3 };
    rng r = { 5 };
    float floats[NB * 256];
    for (int l = 0; l <= (int)c12_isa_detect(); l++) {
        for (size_t k = 0; k < N_TYPES; k++) {
            const c12_type_traits *tt = c12_type(c12_types((c12_isa)l), ALL_TYPES[k]);
            if (!tt->vec_dot_n) continue;
            const c12_type_traits *yt = ref_type((uint32_t)tt->vec_dot_type);
            const int n = NB * tt->block_size;
            const size_t xb = c12_type_row_size(tt, n), yb = c12_type_row_size(yt, n);
            uint8_t *x = malloc(xb), *y = malloc(yb * MAXY);
            for (size_t j = 0; j < sizeof NY / sizeof NY[0]; j++) {
                const int ny = NY[j];
                random_row(ALL_TYPES[k], x, n, &r);
                for (int t = 0; t < ny; t++) random_act((uint32_t)tt->vec_dot_type, y + t * yb, n, &r, floats);
                /* the activations' scales laid out as a matmul lays them (c12_act_scales) */
                float ysc[3 * NB * 16];
                const int have_sc = c12_act_scales_floats(tt->vec_dot_type, n, ny) > 0;
                assert_true(c12_act_scales_floats(tt->vec_dot_type, n, ny) <= sizeof ysc / sizeof ysc[0]);
                if (have_sc) c12_act_scales(tt->vec_dot_type, y, yb, n, ny, ysc);
                float out[MAXY * STRIDE];
                for (int i = 0; i < MAXY * STRIDE; i++) out[i] = NAN;
                tt->vec_dot_n(n, out, STRIDE, x, y, yb, ny, have_sc ? ysc : NULL);
                for (int t = 0; t < ny; t++) {
                    float ref = NAN;
                    ref_type(ALL_TYPES[k])->vec_dot(n, &ref, x, y + t * yb);
                    if (memcmp(&ref, &out[t * STRIDE], sizeof ref))
                        fail_msg("%s %s ny=%d row %d: %.9g vs vec_dot %.9g", tt->name, c12_isa_name((c12_isa)l),
                                 ny, t, (double)out[t * STRIDE], (double)ref);
                }
                for (int i = 0; i < MAXY * STRIDE; i++) /* nothing written between or after */
                    if ((i % STRIDE || i >= ny * STRIDE) && !isnan(out[i])) fail_msg("%s: wrote out[%d]", tt->name, i);
            }
            free(x);
            free(y);
        }
    }
}

/* Q4_0 as llama.cpp's repacked gemv multiplies it: the row that
 * c12_type_for_matmul picks for matrices of 8k rows. Against the dequantized
 * dot, against its definition (each block's integer sum fused into one float
 * accumulator in block order, computed here from the raw bytes), and every
 * SIMD level bit-identical to the scalar kernel. */
static void test_q4_0_repacked(void **state)
{
    (void)state;
    for (int l = 0; l <= (int)c12_isa_detect(); l++) {
        const c12_type_traits *tab = c12_types((c12_isa)l);
        const c12_type_traits *plain = c12_type(tab, C12_TYPE_Q4_0), *r8 = c12_type_for_matmul(tab, C12_TYPE_Q4_0, 16);
        assert_ptr_equal(c12_type_for_matmul(tab, C12_TYPE_Q4_0, 12), plain);
        assert_ptr_not_equal(r8, plain);
        assert_true(r8->vec_dot != plain->vec_dot && r8->to_float == plain->to_float &&
                    r8->type_size == plain->type_size && r8->vec_dot_type == C12_TYPE_Q8_0);
        assert_ptr_equal(c12_type_for_matmul(tab, C12_TYPE_Q8_0, 16), c12_type(tab, C12_TYPE_Q8_0));
        assert_null(c12_type_for_matmul(tab, C12_TYPE_Q2_K, 16));
    }
    const c12_type_traits *ref = c12_type_for_matmul(c12_types(C12_ISA_SCALAR), C12_TYPE_Q4_0, 8);
    rng r = { 11 };
    for (int rep = 0; rep < 20; rep++)
        for (size_t j = 0; j < sizeof NBLOCKS / sizeof NBLOCKS[0]; j++) {
            const int n = NBLOCKS[j] * 32;
            c12_block_q4_0 *x = malloc(sizeof *x * (size_t)NBLOCKS[j]);
            c12_block_q8_0 *y = malloc(sizeof *y * (size_t)NBLOCKS[j]);
            float *xf = malloc(sizeof(float) * (size_t)n), *yf = malloc(sizeof(float) * (size_t)n);
            random_row(C12_TYPE_Q4_0, x, n, &r);
            random_act(C12_TYPE_Q8_0, y, n, &r, yf);
            float want = 0.0f;
            for (int b = 0; b < NBLOCKS[j]; b++) {
                int32_t sumi = 0;
                for (int k = 0; k < 16; k++)
                    sumi += ((x[b].qs[k] & 15) - 8) * y[b].qs[k] + ((x[b].qs[k] >> 4) - 8) * y[b].qs[k + 16];
                want = fmaf((float)sumi, get_h(&x[b], 0) * get_h(&y[b], 0), want);
            }
            float got = NAN;
            ref->vec_dot(n, &got, x, y);
            assert_memory_equal(&got, &want, sizeof got);
            ref->to_float(x, xf, n);
            ref_type(C12_TYPE_Q8_0)->to_float(y, yf, n);
            double exact = 0;
            for (int i = 0; i < n; i++) exact += (double)xf[i] * yf[i];
            assert_true(fabs(got - exact) <= 1e-5 * abs_dot(xf, yf, n) + 1e-30);
            for (int l = 1; l <= (int)c12_isa_detect(); l++) {
                float v = NAN;
                c12_type_for_matmul(c12_types((c12_isa)l), C12_TYPE_Q4_0, 8)->vec_dot(n, &v, x, y);
                if (memcmp(&v, &got, sizeof v))
                    fail_msg("q4_0 (repacked) n=%d %s: %.9g, scalar %.9g", n, c12_isa_name((c12_isa)l), (double)v,
                             (double)got);
            }
            free(x), free(y), free(xf), free(yf);
        }
}

static void test_zero_length(void **state)
{
    (void)state;
    for (int l = 0; l <= (int)c12_isa_detect(); l++) {
        for (size_t k = 0; k < N_TYPES; k++) {
            const c12_type_traits *tt = c12_type(c12_types((c12_isa)l), ALL_TYPES[k]);
            if (!tt->vec_dot) continue;
            float s = NAN;
            uint8_t dummy[4] = { 0 };
            tt->vec_dot(0, &s, dummy, dummy);
            assert_true(s == 0.0f);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fp16_exhaustive),
        cmocka_unit_test(test_fp16_midpoints),
        cmocka_unit_test(test_fp16_matches_f16c),
        cmocka_unit_test(test_bf16),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_row_size),
        cmocka_unit_test(test_known_q4_q5),
        cmocka_unit_test(test_known_q8),
        cmocka_unit_test(test_known_k),
        cmocka_unit_test(test_q4_0_repacked),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_vec_dot_random),
        cmocka_unit_test(test_vec_dot_extremes),
        cmocka_unit_test(test_from_float_identical),
        cmocka_unit_test(test_vec_dot_n_identical),
        cmocka_unit_test(test_zero_length),
    };
    return cmocka_run_group_tests_name("quant", tests, NULL, NULL);
}
