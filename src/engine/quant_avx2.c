/* quant_avx2.c - AVX2 + FMA + F16C kernels (compiled with -mavx2 -mfma -mf16c).
 *
 * Integer work follows the scalar reference exactly: per block (or sub-block)
 * the int32 dot product is the same number. The quantized dot products also
 * keep the reference's float steps (lanes, fused multiply-adds, the final
 * tree), so they are bit-identical to it; only the F32/F16/BF16 dots sum in
 * another order (tests bound those). Activation quantizers are bit-identical
 * to the scalar ones (same divisions, same rounding).
 *
 * Byte products use vpmaddubsw (u8 x s8 -> pairs summed in i16), which must
 * not saturate: every use below keeps |pair sum| <= 2*128*127 = 32512.
 * For signed x the sign trick is used: |x| * (y * sign(x)); this is exact as
 * long as y != -128, which our activation quantizers never produce. */
#include <immintrin.h>
#include <math.h>

#include "engine/simd_x86.h"
#include "engine/quant_impl.h"

static inline float h2f(uint16_t h) { return _cvtsh_ss(h); }
static inline __m256i load256(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }

static inline float h2f_at(const void *p, size_t off)
{
    uint16_t h;
    memcpy(&h, (const uint8_t *)p + off, 2);
    return h2f(h);
}

/* 16 bytes of packed nibbles -> 32 bytes: elements 0-15 (low nibbles) then
 * 16-31 (high nibbles), the order of every 32-block. */
static inline __m256i unpack_nibbles(const uint8_t *qs)
{
    const __m128i q = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(15));
}

/* 32-bit word of 5th bits -> 32 bytes, 0xFF where bit j of the word is set. */
static inline __m256i bits_to_bytes(const uint8_t qh[4])
{
    uint32_t w;
    memcpy(&w, qh, 4);
    const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)w), pick);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

/* Sums of 4 adjacent products -> 8 x int32, for signed x / unsigned x. */
static inline __m256i dot_s8(__m256i x, __m256i y)
{
    const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

static inline __m256i dot_u8(__m256i x, __m256i y)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(x, y), _mm256_set1_epi16(1));
}

/* ---------------- F32 / F16 / BF16 ---------------- */

void c12_f32_vec_dot_avx2(int n, float *s, const void *vx, const void *vy)
{
    const float *x = vx, *y = vy;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
    float sum = c12_hsum_f32x8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) sum += x[i] * y[i];
    *s = sum;
}

static inline __m256 ld_ph(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }

void c12_f16_vec_dot_avx2(int n, float *s, const void *vx, const void *vy)
{
    const uint16_t *x = vx, *y = vy;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(ld_ph(x + i), ld_ph(y + i), a0);
        a1 = _mm256_fmadd_ps(ld_ph(x + i + 8), ld_ph(y + i + 8), a1);
        a2 = _mm256_fmadd_ps(ld_ph(x + i + 16), ld_ph(y + i + 16), a2);
        a3 = _mm256_fmadd_ps(ld_ph(x + i + 24), ld_ph(y + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(ld_ph(x + i), ld_ph(y + i), a0);
    float sum = c12_hsum_f32x8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) sum += h2f(x[i]) * h2f(y[i]);
    *s = sum;
}

/* bf16 -> f32 is a 16-bit shift into the high half of each lane. */
static inline __m256 ld_bf(const uint16_t *p)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}

void c12_bf16_vec_dot_avx2(int n, float *s, const void *vx, const void *vy)
{
    const uint16_t *x = vx, *y = vy;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(ld_bf(x + i), ld_bf(y + i), a0);
        a1 = _mm256_fmadd_ps(ld_bf(x + i + 8), ld_bf(y + i + 8), a1);
        a2 = _mm256_fmadd_ps(ld_bf(x + i + 16), ld_bf(y + i + 16), a2);
        a3 = _mm256_fmadd_ps(ld_bf(x + i + 24), ld_bf(y + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(ld_bf(x + i), ld_bf(y + i), a0);
    float sum = c12_hsum_f32x8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) sum += c12_bf2f(x[i]) * c12_bf2f(y[i]);
    *s = sum;
}

void c12_f16_from_float_avx2(const float *src, void *dst, int64_t n)
{
    uint16_t *h = dst;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(h + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) h[i] = c12_f2h(src[i]);
}

/* ---------------- 32-blocks ----------------
 * Per block: an exact 8-lane int32 dot (idot_*), converted and scaled by
 * dx*dy. Blocks go four at a time so that their fp16 scales are gathered
 * through a general register and converted together (one vcvtph2ps per
 * side); each block's scale is then one vpermps instead of two scalar
 * conversions, a multiply and a broadcast (~1/3 of the work per block
 * otherwise). Four accumulators hide the FMA latency. */

static inline __m256i idot_q4_0(const c12_block_q4_0 *x, const c12_block_q8_0 *y)
{
    const __m256i v = load256(y->qs);
    const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(unpack_nibbles(x->qs), v),
                                       _mm256_maddubs_epi16(_mm256_set1_epi8(8), v));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

static inline __m256i idot_q4_1(const c12_block_q4_1 *x, const c12_block_q8_1 *y)
{
    return dot_u8(unpack_nibbles(x->qs), load256(y->qs));
}

/* Q5_0: (nibble | bit<<4) - 16 == nibble | 0xF0 (as int8) when the bit is 0,
 * and == nibble when it is 1. */
static inline __m256i idot_q5_0(const c12_block_q5_0 *x, const c12_block_q8_0 *y)
{
    const __m256i q = _mm256_or_si256(unpack_nibbles(x->qs),
                                      _mm256_andnot_si256(bits_to_bytes(x->qh), _mm256_set1_epi8((char)0xF0)));
    return dot_s8(q, load256(y->qs));
}

static inline __m256i idot_q5_1(const c12_block_q5_1 *x, const c12_block_q8_1 *y)
{
    const __m256i q = _mm256_or_si256(unpack_nibbles(x->qs),
                                      _mm256_and_si256(bits_to_bytes(x->qh), _mm256_set1_epi8(0x10)));
    return dot_u8(q, load256(y->qs));
}

static inline __m256i idot_q8_0(const c12_block_q8_0 *x, const c12_block_q8_0 *y)
{
    return dot_s8(load256(x->qs), load256(y->qs));
}

/* MIN: whether the pair has a min term, sum_b m_b*s_b (Q4_1/Q5_1 x Q8_1).
 * One 8-lane accumulator, blocks in order, min terms last: the order of the
 * scalar reference (see quant_scalar.c), so results are bit-identical. */
#define BLOCK_LOOP(idot, XT, YT, MIN)                                                     \
    const XT *x = vx;                                                                     \
    const YT *y = vy;                                                                     \
    const int nb = n / C12_QK;                                                            \
    __m256 acc = _mm256_setzero_ps();                                                     \
    float summs = 0.0f;                                                                   \
    for (int i = 0; i < nb; i++) {                                                        \
        if (MIN) summs = fmaf(h2f_at(&x[i], 2), h2f_at(&y[i], 2), summs);                 \
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d)),                  \
                              _mm256_cvtepi32_ps(idot(&x[i], &y[i])), acc);               \
    }                                                                                     \
    *s = c12_hsum_f32x8(acc) + summs

void c12_q4_0_vec_dot_avx2(int n, float *s, const void *vx, const void *vy) { BLOCK_LOOP(idot_q4_0, c12_block_q4_0, c12_block_q8_0, 0); }
/* Q4_0 as llama.cpp's repacked gemv sums it (c12_q4_0_r8_vec_dot). */
void c12_q4_0_r8_vec_dot_avx2(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q4_0 *x = vx;
    const c12_block_q8_0 *y = vy;
    float acc = 0.0f;
    for (int i = 0; i < n / C12_QK; i++)
        acc = fmaf((float)c12_hsum_i32x8(idot_q4_0(&x[i], &y[i])), h2f(x[i].d) * h2f(y[i].d), acc);
    *s = acc;
}

void c12_q4_1_vec_dot_avx2(int n, float *s, const void *vx, const void *vy) { BLOCK_LOOP(idot_q4_1, c12_block_q4_1, c12_block_q8_1, 1); }
void c12_q5_0_vec_dot_avx2(int n, float *s, const void *vx, const void *vy) { BLOCK_LOOP(idot_q5_0, c12_block_q5_0, c12_block_q8_0, 0); }
void c12_q5_1_vec_dot_avx2(int n, float *s, const void *vx, const void *vy) { BLOCK_LOOP(idot_q5_1, c12_block_q5_1, c12_block_q8_1, 1); }
void c12_q8_0_vec_dot_avx2(int n, float *s, const void *vx, const void *vy) { BLOCK_LOOP(idot_q8_0, c12_block_q8_0, c12_block_q8_0, 0); }

/* ---------------- K-quants ---------------- */

/* All 16 lanes = 16-bit word k of the (lane-broadcast) vector w. */
#define WORD(w, k) _mm256_shuffle_epi8((w), _mm256_set1_epi16((short)(0x0100 + 0x0202 * (k))))

/* Q4_K / Q5_K share everything except the 5th bit; hb is NULL for Q4_K. */
static inline void k4_superblock(const uint8_t *qs, const uint8_t *hb_p, const uint8_t scales[12],
                                 const c12_block_q8_K *y, __m256i *sumi_out, __m128i *summ_out)
{
    uint8_t sc[8], mn[8];
    c12_k4_scales(scales, sc, mn);
    const __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)sc)));
    /* mins: sum_j mn[j] * (bsums[2j] + bsums[2j+1]), pair sums fit i16 (<= 4064) */
    const __m256i bs = load256(y->bsums);
    const __m128i bsp = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
    *summ_out = _mm_madd_epi16(bsp, _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mn)));

    const __m256i m4 = _mm256_set1_epi8(15), one = _mm256_set1_epi8(1);
    __m256i hb = hb_p ? load256(hb_p) : _mm256_setzero_si256();
    __m256i sumi = _mm256_setzero_si256();
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
        const __m256i q = load256(qs + 32 * c);
        __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
        if (hb_p) {
            /* bit 2c of qh[l] for the low half, 2c+1 for the high half: take bit 0,
             * move it to bit 4, shift the bytes right once per sub-block. */
            lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(hb, one), 4));
            hb = _mm256_srli_epi16(hb, 1);
            hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(hb, one), 4));
            hb = _mm256_srli_epi16(hb, 1);
        }
        const __m256i plo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, load256(y->qs + 64 * c)), WORD(sc16, 2 * c));
        const __m256i phi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, load256(y->qs + 64 * c + 32)), WORD(sc16, 2 * c + 1));
        sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(plo, phi));
    }
    *sumi_out = sumi;
}

/* Float steps as the scalar reference (quant_scalar_k.c): Q4_K as llama.cpp's
 * repacked gemv, one fused chain for the quants and one for the mins. */
void c12_q4_K_vec_dot_avx2(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q4_K *x = vx;
    const c12_block_q8_K *y = vy;
    float acc = 0.0f, accm = 0.0f;
    for (int i = 0; i < n / C12_QK_K; i++) {
        __m256i sumi;
        __m128i summ;
        k4_superblock(x[i].qs, NULL, x[i].scales, &y[i], &sumi, &summ);
        acc = fmaf((float)c12_hsum_i32x8(sumi), h2f(x[i].d) * y[i].d, acc);
        accm = fmaf((float)c12_hsum_i32x4(summ), h2f(x[i].dmin) * y[i].d, accm);
    }
    *s = acc - accm;
}

/* Q5_K as ggml_vec_dot_q5_K_q8_K: k4_superblock's lanes are its lanes; one
 * 8-lane accumulator, the mins in a fused scalar chain added last. */
void c12_q5_K_vec_dot_avx2(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q5_K *x = vx;
    const c12_block_q8_K *y = vy;
    __m256 acc = _mm256_setzero_ps();
    float summs = 0.0f;
    for (int i = 0; i < n / C12_QK_K; i++) {
        __m256i sumi;
        __m128i summ;
        k4_superblock(x[i].qs, x[i].qh, x[i].scales, &y[i], &sumi, &summ);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * h2f(x[i].d)), _mm256_cvtepi32_ps(sumi), acc);
        summs = fmaf(-y[i].d * h2f(x[i].dmin), (float)c12_hsum_i32x4(summ), summs);
    }
    *s = c12_hsum_f32x8(acc) + summs;
}

/* Q6_K: quants are used unsigned (0..63) and the -32 offset is applied once per
 * super-block through the bsums: sum_g sc_g*(dot_g - 32*bsum_g). */

/* 32 quants span two 16-groups: i16 lanes 0-7 get word 2k of w, 8-15 word 2k+1. */
#define WORD2(w, k)                                                                     \
    _mm256_shuffle_epi8((w), _mm256_set_m128i(_mm_set1_epi16((short)(0x0100 + 0x0202 * (2 * (k) + 1))), \
                                              _mm_set1_epi16((short)(0x0100 + 0x0202 * (2 * (k))))))

static inline __m256i q6k_sumi(const c12_block_q6_K *b, const c12_block_q8_K *y)
{
    const __m256i m4 = _mm256_set1_epi8(15), m30 = _mm256_set1_epi8(0x30);
    const __m256i m03 = _mm256_set1_epi8(0x03), m0c = _mm256_set1_epi8(0x0C);
    __m256i sumi = _mm256_setzero_si256();
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        const __m256i sh = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(b->scales + 8 * h))));
        const __m256i l0 = load256(b->ql + 64 * h), l1 = load256(b->ql + 64 * h + 32);
        const __m256i hb = load256(b->qh + 32 * h);
        const int8_t *yq = y->qs + 128 * h;
        const __m256i q1 = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(hb, m03), 4));
        const __m256i q2 = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(hb, m0c), 2));
        const __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(hb, m30));
        const __m256i q4 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                           _mm256_and_si256(_mm256_srli_epi16(hb, 2), m30));
        const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(q1, load256(yq)), WORD2(sh, 0));
        const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(q2, load256(yq + 32)), WORD2(sh, 1));
        const __m256i p2 = _mm256_madd_epi16(_mm256_maddubs_epi16(q3, load256(yq + 64)), WORD2(sh, 2));
        const __m256i p3 = _mm256_madd_epi16(_mm256_maddubs_epi16(q4, load256(yq + 96)), WORD2(sh, 3));
        sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(_mm256_add_epi32(p0, p1), _mm256_add_epi32(p2, p3)));
    }
    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b->scales));
    const __m256i off = _mm256_madd_epi16(load256(y->bsums), sc16);
    return _mm256_sub_epi32(sumi, _mm256_slli_epi32(off, 5));
}

/* One accumulator, as ggml_vec_dot_q6_K_q8_K (q6k_sumi's lanes are its lanes). */
void c12_q6_K_vec_dot_avx2(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q6_K *x = vx;
    const c12_block_q8_K *y = vy;
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < n / C12_QK_K; i++)
        acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * h2f(x[i].d)), _mm256_cvtepi32_ps(q6k_sumi(&x[i], &y[i])), acc);
    *s = c12_hsum_f32x8(acc);
}

/* ---------------- activation quantizers ---------------- */

static inline __m256 clamp127(__m256 v)
{
    /* maxps returns its second operand when the first is NaN: NaN -> -127,
     * as c12_clamp127. */
    return _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
}

/* Four vectors of 8 int32 (each within int8 range) -> 32 int8 in order. */
static inline __m256i pack32(__m256i a, __m256i b, __m256i c, __m256i d)
{
    const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
    return _mm256_permutevar8x32_epi32(_mm256_packs_epi16(ab, cd), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

static inline float hmax_ps(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* One 32-block of Q8_0/Q8_1; returns d (pre-fp16) and the sum of quants. */
static inline float q8_block(const float *x, int8_t *q, int *sum)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int k = 0; k < 4; k++) {
        v[k] = _mm256_loadu_ps(x + 8 * k);
        amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[k]));
    }
    const float d = hmax_ps(amax) / 127.0f;
    const float mx = hmax_ps(amax);
    const __m256 id = _mm256_set1_ps(mx != 0.0f ? 127.0f / mx : 0.0f);
    __m256i r[4];
    for (int k = 0; k < 4; k++)
        r[k] = _mm256_cvttps_epi32(_mm256_round_ps(clamp127(_mm256_mul_ps(v[k], id)),
                                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    _mm256_storeu_si256((__m256i *)q, pack32(r[0], r[1], r[2], r[3]));
    *sum = c12_hsum_i32x8(_mm256_add_epi32(_mm256_add_epi32(r[0], r[1]), _mm256_add_epi32(r[2], r[3])));
    return d;
}

void c12_q8_0_from_float_avx2(const float *src, void *dst, int64_t n)
{
    c12_block_q8_0 *y = dst;
    for (int64_t i = 0; i < n / C12_QK; i++) {
        int sum;
        y[i].d = _cvtss_sh(q8_block(src + i * C12_QK, y[i].qs, &sum), _MM_FROUND_TO_NEAREST_INT);
    }
}

void c12_q8_1_from_float_avx2(const float *src, void *dst, int64_t n)
{
    c12_block_q8_1 *y = dst;
    for (int64_t i = 0; i < n / C12_QK; i++) {
        int sum;
        const float d = q8_block(src + i * C12_QK, y[i].qs, &sum);
        y[i].d = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
        y[i].s = _cvtss_sh((float)sum * d, _MM_FROUND_TO_NEAREST_INT);
    }
}

void c12_q8_K_from_float_avx2(const float *src, void *dst, int64_t n)
{
    c12_block_q8_K *y = dst;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / C12_QK_K; i++) {
        const float *x = src + i * C12_QK_K;
        __m256 vmax = _mm256_setzero_ps();
        for (int k = 0; k < 32; k++) vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * k)));
        const float amax = hmax_ps(vmax);
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        /* the first element whose magnitude is amax gives the sign */
        float max = 0.0f;
        const __m256 va = _mm256_set1_ps(amax);
        for (int k = 0; k < 32; k++) {
            const __m256 a = _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * k));
            const int m = _mm256_movemask_ps(_mm256_cmp_ps(a, va, _CMP_EQ_OQ));
            if (m) { max = x[8 * k + __builtin_ctz((unsigned)m)]; break; }
        }
        const float iscale = -127.0f / max;
        const __m256 vs = _mm256_set1_ps(iscale);
        for (int g = 0; g < 8; g++) { /* 32 quants, two bsums per step */
            __m256i r[4];
            for (int k = 0; k < 4; k++) {
                const __m256 v = clamp127(_mm256_mul_ps(_mm256_loadu_ps(x + 32 * g + 8 * k), vs));
                r[k] = _mm256_cvtps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
            }
            _mm256_storeu_si256((__m256i *)(y[i].qs + 32 * g), pack32(r[0], r[1], r[2], r[3]));
            y[i].bsums[2 * g] = (int16_t)c12_hsum_i32x8(_mm256_add_epi32(r[0], r[1]));
            y[i].bsums[2 * g + 1] = (int16_t)c12_hsum_i32x8(_mm256_add_epi32(r[2], r[3]));
        }
        y[i].d = 1.0f / iscale;
    }
}
