/* quant_avx512.c - AVX-512 F/BW/VL/DQ + VNNI kernels for the hot dot products.
 *
 * 32-blocks are processed two per 512-bit register (block a in the low 256
 * bits, block b in the high 256), so one VNNI vpdpbusd does 64 byte products.
 * vpdpbusd multiplies unsigned by signed bytes; signed weights are therefore
 * used with an offset (q+8, q+16, x^0x80 = x+128) and the offset times the
 * activation sum is subtracted, which keeps every product exact (no i16
 * saturation, unlike vpmaddubsw with the sign trick).
 *
 * K-quants use vpmaddubsw (safe bounds, see quant_avx2.c) followed by VNNI
 * vpdpwssd, which multiplies by the 16-bit sub-block scales and accumulates
 * in one instruction. Their exact int32 lanes are then summed (Q4_K) or
 * folded to the 8 lanes of the scalar reference (Q5_K, Q6_K), whose float
 * steps they repeat: bit-identical results (quant_scalar_k.c). */
#include <immintrin.h>

#include "engine/simd_x86.h"
#include "engine/quant_impl.h"

static inline float h2f(uint16_t h) { return _cvtsh_ss(h); }
static inline __m256i load256(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline __m512i load512(const void *p) { return _mm512_loadu_si512(p); }

/* ---------------- F32 ----------------
 * (F16 has no AVX-512 kernel: on Zen 4, the one AVX-512 machine measured,
 * 512-bit vcvtph2ps made it ~25% slower than the AVX2 kernel.) */

void c12_f32_vec_dot_avx512(int n, float *s, const void *vx, const void *vy)
{
    const float *x = vx, *y = vy;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 32), _mm512_loadu_ps(y + i + 32), a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 48), _mm512_loadu_ps(y + i + 48), a3);
    }
    for (; i + 16 <= n; i += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i), a1);
    }
    *s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

/* ---------------- K-quants ---------------- */

/* vpermw index vectors: each 32-bit constant fills two 16-bit lanes. */
#define W2(v) ((int)(((unsigned)(v) << 16) | (unsigned)(v)))
/* lanes 0-15 -> word b, lanes 16-31 -> word b+1 */
#define IDX_2x16(b) _mm512_setr_epi32(W2(b), W2(b), W2(b), W2(b), W2(b), W2(b), W2(b), W2(b), \
                                      W2(b + 1), W2(b + 1), W2(b + 1), W2(b + 1),                \
                                      W2(b + 1), W2(b + 1), W2(b + 1), W2(b + 1))
/* lanes 8k .. 8k+7 -> word b+k */
#define IDX_4x8(b) _mm512_setr_epi32(W2(b), W2(b), W2(b), W2(b), W2(b + 1), W2(b + 1), W2(b + 1), W2(b + 1), \
                                     W2(b + 2), W2(b + 2), W2(b + 2), W2(b + 2),                           \
                                     W2(b + 3), W2(b + 3), W2(b + 3), W2(b + 3))

/* One Q4_K/Q5_K super-block: exact int32 partial sums of sc*q*y (16 lanes)
 * and of mn*bsum (4 lanes). qh is NULL for Q4_K. */
static inline void k4_superblock(const uint8_t *qs, const uint8_t *qh, const uint8_t scales[12],
                                 const c12_block_q8_K *y, __m512i *sumi_out, __m128i *summ_out)
{
    uint8_t sc[8], mn[8];
    c12_k4_scales(scales, sc, mn);
    const __m512i sc16 = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)sc)));
    const __m256i bs = load256(y->bsums);
    const __m128i bsp = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
    *summ_out = _mm_madd_epi16(bsp, _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mn)));

    const __m512i m4 = _mm512_set1_epi8(15), sixteen = _mm512_set1_epi8(16);
    const __m512i hbz = qh ? _mm512_broadcast_i64x4(load256(qh)) : _mm512_setzero_si512();
    __m512i s0 = _mm512_setzero_si512(), s1 = s0;
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
        /* 32 bytes -> low nibbles (sub-block 2c) in the low half, high in the high */
        const __m512i b = _mm512_broadcast_i64x4(load256(qs + 32 * c));
        __m512i v = _mm512_and_si512(_mm512_mask_srli_epi16(b, 0xFFFF0000u, b, 4), m4);
        if (qh) {
            /* 5th bit: bit 2c of qh[l] for the low half, bit 2c+1 for the high */
            const __m512i sel = _mm512_inserti64x4(_mm512_set1_epi8((char)(1 << (2 * c))),
                                                   _mm256_set1_epi8((char)(1 << (2 * c + 1))), 1);
            v = _mm512_mask_add_epi8(v, _mm512_test_epi8_mask(hbz, sel), v, sixteen);
        }
        const __m512i p = _mm512_maddubs_epi16(v, load512(y->qs + 64 * c));
        if (c & 1) s1 = _mm512_dpwssd_epi32(s1, p, _mm512_permutexvar_epi16(IDX_2x16(2 * c), sc16));
        else s0 = _mm512_dpwssd_epi32(s0, p, _mm512_permutexvar_epi16(IDX_2x16(2 * c), sc16));
    }
    *sumi_out = _mm512_add_epi32(s0, s1);
}

/* The 16 int32 lanes folded to ggml's 8 (lane k: quants 4k..4k+3 of every
 * 32-quant chunk): our low half holds even chunks, the high half odd ones. */
static inline __m256i fold8(__m512i v)
{
    return _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
}

/* Float steps as the scalar reference (quant_scalar_k.c). Q4_K and Q5_K share
 * the header {d, dmin, scales[12]}; qh (Q5_K) follows it and qs is the last
 * 128 bytes of the block. */
static inline void k4_block(const uint8_t *b, size_t stride, int has_qh, const c12_block_q8_K *y,
                            float *d, float *dmin, __m512i *sumi, int *summ)
{
    uint16_t h;
    memcpy(&h, b, 2);
    *d = h2f(h);
    memcpy(&h, b + 2, 2);
    *dmin = h2f(h);
    __m128i mins;
    k4_superblock(b + stride - 128, has_qh ? b + 16 : NULL, b + 4, y, sumi, &mins);
    *summ = c12_hsum_i32x4(mins);
}

/* Q4_K: llama.cpp's repacked gemv, one fused chain for the quants, one for the
 * mins, kept as lanes 0 and 1 of one vector: {d, dmin} are adjacent fp16s, and
 * {sumi, summ} come out of one reduction, so each super-block ends with one
 * conversion and one fused multiply-add. */
void c12_q4_K_vec_dot_avx512(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q4_K *x = vx;
    const c12_block_q8_K *y = vy;
    __m128 acc = _mm_setzero_ps();
    for (int i = 0; i < n / C12_QK_K; i++) {
        __m512i sumi;
        __m128i summ;
        k4_superblock(x[i].qs, NULL, x[i].scales, &y[i], &sumi, &summ);
        const __m256i s8 = fold8(sumi);
        const __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
        const __m128i sm = _mm_hadd_epi32(_mm_hadd_epi32(s4, summ), _mm_setzero_si128()); /* {sumi, summ, 0, 0} */
        uint32_t dd;
        memcpy(&dd, &x[i], 4); /* d, dmin: the block's first 4 bytes */
        const __m128 dxy = _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi32_si128((int)dd)), _mm_set1_ps(y[i].d));
        acc = _mm_fmadd_ps(_mm_cvtepi32_ps(sm), dxy, acc);
    }
    *s = _mm_cvtss_f32(acc) - _mm_cvtss_f32(_mm_movehdup_ps(acc));
}

/* Q5_K: ggml_vec_dot_q5_K_q8_K's 8 lanes, mins in a fused scalar chain. */
void c12_q5_K_vec_dot_avx512(int n, float *s, const void *vx, const void *vy)
{
    const uint8_t *x = vx;
    const c12_block_q8_K *y = vy;
    __m256 acc = _mm256_setzero_ps();
    float summs = 0.0f;
    for (int i = 0; i < n / C12_QK_K; i++) {
        float d, dmin;
        __m512i sumi;
        int summ;
        k4_block(x + (size_t)i * sizeof(c12_block_q5_K), sizeof(c12_block_q5_K), 1, &y[i], &d, &dmin, &sumi, &summ);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * d), _mm256_cvtepi32_ps(fold8(sumi)), acc);
        summs = fmaf(-y[i].d * dmin, (float)summ, summs);
    }
    *s = c12_hsum_f32x8(acc) + summs;
}

_Static_assert(offsetof(c12_block_q4_K, scales) == 4 && offsetof(c12_block_q4_K, qs) == 16, "q4_K header");
_Static_assert(offsetof(c12_block_q5_K, qh) == 16 && offsetof(c12_block_q5_K, qs) == 48, "q5_K header");

/* Q6_K: unsigned 6-bit quants, -32 offset through the bsums (see quant_avx2.c).
 * Per half: ql[0..63] low nibbles are elements 0-63, high nibbles 64-127. */
static inline __m256i q6k_sumi(const c12_block_q6_K *b, const c12_block_q8_K *y)
{
    const __m512i m4 = _mm512_set1_epi8(15), m30 = _mm512_set1_epi8(0x30);
    const __m256i sc16y = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b->scales));
    const __m512i sc16 = _mm512_castsi256_si512(sc16y);
    __m512i s0 = _mm512_setzero_si512(), s1 = s0;
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        const __m512i l = load512(b->ql + 64 * h);
        const __m256i hb = load256(b->qh + 32 * h);
        /* high bits for elements 0-31 (qh bits 0-1, 4-5) and 32-63 (bits 2-3, 6-7) */
        const __m512i hz = _mm512_inserti64x4(_mm512_castsi256_si512(hb), _mm256_srli_epi16(hb, 2), 1);
        const __m512i qa = _mm512_or_si512(_mm512_and_si512(l, m4), _mm512_and_si512(_mm512_slli_epi16(hz, 4), m30));
        const __m512i qb = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4), _mm512_and_si512(hz, m30));
        const __m512i pa = _mm512_maddubs_epi16(qa, load512(y->qs + 128 * h));
        const __m512i pb = _mm512_maddubs_epi16(qb, load512(y->qs + 128 * h + 64));
        s0 = _mm512_dpwssd_epi32(s0, pa, _mm512_permutexvar_epi16(IDX_4x8(8 * h), sc16));
        s1 = _mm512_dpwssd_epi32(s1, pb, _mm512_permutexvar_epi16(IDX_4x8(8 * h + 4), sc16));
    }
    const __m256i off = _mm256_madd_epi16(load256(y->bsums), sc16y);
    return _mm256_sub_epi32(fold8(_mm512_add_epi32(s0, s1)), _mm256_slli_epi32(off, 5));
}

/* One 8-lane accumulator, as ggml_vec_dot_q6_K_q8_K. */
void c12_q6_K_vec_dot_avx512(int n, float *s, const void *vx, const void *vy)
{
    const c12_block_q6_K *x = vx;
    const c12_block_q8_K *y = vy;
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < n / C12_QK_K; i++)
        acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * h2f(x[i].d)), _mm256_cvtepi32_ps(q6k_sumi(&x[i], &y[i])), acc);
    *s = c12_hsum_f32x8(acc);
}

/* ---------------- K-quants, several activation rows at once ----------------
 * For a prompt, each weight row meets many activation rows. These kernels
 * unpack a super-block's quants and scales once and use them for up to four
 * activation rows, one lane per row in the float steps, so each result is
 * bit-identical to vec_dot's (a lane-wise fused multiply-add is the scalar
 * one). */

/* Four 16-lane int32 vectors -> their four totals (exact). */
static inline __m128i sum4_i32x16(__m512i a, __m512i b, __m512i c, __m512i d)
{
    const __m256i ab = _mm256_hadd_epi32(fold8(a), fold8(b)), cd = _mm256_hadd_epi32(fold8(c), fold8(d));
    const __m256i t = _mm256_hadd_epi32(ab, cd);
    return _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
}

/* One super-block of a Q4_K row, unpacked: quants (as k4_superblock lays them
 * out) and the scales for the packed sums of k4_rows4.
 *
 * Per token, VNNI's vpdpbusd gives each 4-quant group's exact sum (at most
 * 4 * 15 * 128 in size: an int16), vpackssdw packs two chunks' sums into one
 * register of int16s (never saturating) and vpdpwssd multiplies them by their
 * sub-block scales and accumulates: 6 multiplies per super-block and token
 * where maddubs + dpwssd take 8. The int32 total is the same exact integer. */
typedef struct k4_unpacked {
    __m512i v[4], sc[2];
    __m128i mn16;
    float d, dmin;
} k4_unpacked;

/* vpackssdw of chunks 2p, 2p+1: 128-bit lane k holds 4 sums of chunk 2p
 * (sub-block 4p in lanes 0-1, 4p+1 in lanes 2-3) then 4 of chunk 2p+1
 * (sub-blocks 4p+2, 4p+3): each 16-bit word's scale. */
#define IDX_PK(b) _mm512_setr_epi32(W2(b), W2(b), W2(b + 2), W2(b + 2), W2(b), W2(b), W2(b + 2), W2(b + 2), \
                                    W2(b + 1), W2(b + 1), W2(b + 3), W2(b + 3), W2(b + 1), W2(b + 1),        \
                                    W2(b + 3), W2(b + 3))

static inline __attribute__((always_inline)) void k4_unpack(const c12_block_q4_K *b, const __m512i idx[2],
                                                            k4_unpacked *u)
{
    uint8_t sc[8], mn[8];
    c12_k4_scales(b->scales, sc, mn);
    const __m512i sc16 = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)sc)));
    u->mn16 = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mn));
    const __m512i m4 = _mm512_set1_epi8(15);
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
        const __m512i q = _mm512_broadcast_i64x4(load256(b->qs + 32 * c));
        u->v[c] = _mm512_and_si512(_mm512_mask_srli_epi16(q, 0xFFFF0000u, q, 4), m4);
    }
    u->sc[0] = _mm512_permutexvar_epi16(idx[0], sc16);
    u->sc[1] = _mm512_permutexvar_epi16(idx[1], sc16);
    u->d = h2f(b->d);
    u->dmin = h2f(b->dmin);
}

/* Four activation rows (their super-block i) against an unpacked super-block:
 * acc, accm lanes are the rows' running chains, as in c12_q4_K_vec_dot_avx512. */
static inline __attribute__((always_inline)) void k4_rows4(const k4_unpacked *u, const c12_block_q8_K *const yt[4],
                                                           int i, __m128 *acc, __m128 *accm)
{
    __m512i sumi[4];
    __m128i summ[4];
    const __m512i z = _mm512_setzero_si512();
#pragma GCC unroll 4
    for (int t = 0; t < 4; t++) {
        const c12_block_q8_K *yb = &yt[t][i];
        const __m512i p0 = _mm512_dpbusd_epi32(z, u->v[0], load512(yb->qs));
        const __m512i p1 = _mm512_dpbusd_epi32(z, u->v[1], load512(yb->qs + 64));
        const __m512i p2 = _mm512_dpbusd_epi32(z, u->v[2], load512(yb->qs + 128));
        const __m512i p3 = _mm512_dpbusd_epi32(z, u->v[3], load512(yb->qs + 192));
        const __m512i s0 = _mm512_dpwssd_epi32(z, _mm512_packs_epi32(p0, p1), u->sc[0]);
        sumi[t] = _mm512_dpwssd_epi32(s0, _mm512_packs_epi32(p2, p3), u->sc[1]);
        const __m256i bs = load256(yb->bsums);
        summ[t] = _mm_madd_epi16(_mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1)), u->mn16);
    }
    const __m128i mins = _mm_hadd_epi32(_mm_hadd_epi32(summ[0], summ[1]), _mm_hadd_epi32(summ[2], summ[3]));
    const __m128 vdy = _mm_setr_ps(yt[0][i].d, yt[1][i].d, yt[2][i].d, yt[3][i].d);
    *acc = _mm_fmadd_ps(_mm_cvtepi32_ps(sum4_i32x16(sumi[0], sumi[1], sumi[2], sumi[3])),
                        _mm_mul_ps(_mm_set1_ps(u->d), vdy), *acc);
    *accm = _mm_fmadd_ps(_mm_cvtepi32_ps(mins), _mm_mul_ps(_mm_set1_ps(u->dmin), vdy), *accm);
}

/* Eight 16-lane int32 vectors -> their eight totals, v[t]'s in lane t
 * (exact): pairs interleaved and added, then quads, then the 128-bit lanes. */
static inline __m256i sum8_i32x16(const __m512i v[8])
{
    __m512i a[4], b[2];
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++)
        a[k] = _mm512_add_epi32(_mm512_unpacklo_epi32(v[2 * k], v[2 * k + 1]),
                                _mm512_unpackhi_epi32(v[2 * k], v[2 * k + 1]));
#pragma GCC unroll 2
    for (int m = 0; m < 2; m++)
        b[m] = _mm512_add_epi32(_mm512_unpacklo_epi64(a[2 * m], a[2 * m + 1]),
                                _mm512_unpackhi_epi64(a[2 * m], a[2 * m + 1]));
    /* b[m]: tokens 4m..4m+3 in every 128-bit lane */
    const __m512i z = _mm512_add_epi32(_mm512_shuffle_i64x2(b[0], b[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                       _mm512_shuffle_i64x2(b[0], b[1], _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512i w = _mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0));
    return _mm256_add_epi32(_mm512_castsi512_si256(w), _mm512_extracti64x4_epi64(w, 1));
}

/* The same for eight 8-lane vectors. */
static inline __m256i sum8_i32x8(const __m256i v[8])
{
    __m256i a[4], b[2];
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++)
        a[k] = _mm256_add_epi32(_mm256_unpacklo_epi32(v[2 * k], v[2 * k + 1]),
                                _mm256_unpackhi_epi32(v[2 * k], v[2 * k + 1]));
#pragma GCC unroll 2
    for (int m = 0; m < 2; m++)
        b[m] = _mm256_add_epi32(_mm256_unpacklo_epi64(a[2 * m], a[2 * m + 1]),
                                _mm256_unpackhi_epi64(a[2 * m], a[2 * m + 1]));
    return _mm256_add_epi32(_mm256_permute2x128_si256(b[0], b[1], 0x20), _mm256_permute2x128_si256(b[0], b[1], 0x31));
}

/* Eight activation rows against an unpacked super-block, as k4_rows4 (the
 * same exact integers, the same fused chains, one lane per row), with the
 * sums reduced for all eight at once. mnx: the mins, each twice (one per
 * 16-quant bsum). */
static inline __attribute__((always_inline)) void k4_rows8(const k4_unpacked *u, __m256i mnx,
                                                           const c12_block_q8_K *const yt[8], int i,
                                                           __m256 *acc, __m256 *accm)
{
    __m512i sumi[8];
    __m256i summ[8];
    const __m512i z = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int t = 0; t < 8; t++) {
        const c12_block_q8_K *yb = &yt[t][i];
        const __m512i p0 = _mm512_dpbusd_epi32(z, u->v[0], load512(yb->qs));
        const __m512i p1 = _mm512_dpbusd_epi32(z, u->v[1], load512(yb->qs + 64));
        const __m512i p2 = _mm512_dpbusd_epi32(z, u->v[2], load512(yb->qs + 128));
        const __m512i p3 = _mm512_dpbusd_epi32(z, u->v[3], load512(yb->qs + 192));
        const __m512i s0 = _mm512_dpwssd_epi32(z, _mm512_packs_epi32(p0, p1), u->sc[0]);
        sumi[t] = _mm512_dpwssd_epi32(s0, _mm512_packs_epi32(p2, p3), u->sc[1]);
        summ[t] = _mm256_madd_epi16(load256(yb->bsums), mnx);
    }
    const __m256 vdy = _mm256_setr_ps(yt[0][i].d, yt[1][i].d, yt[2][i].d, yt[3][i].d, yt[4][i].d, yt[5][i].d,
                                      yt[6][i].d, yt[7][i].d);
    *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum8_i32x16(sumi)), _mm256_mul_ps(_mm256_set1_ps(u->d), vdy), *acc);
    *accm = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum8_i32x8(summ)), _mm256_mul_ps(_mm256_set1_ps(u->dmin), vdy),
                            *accm);
}

/* Eight activation rows of one Q4_K weight row (16 were no faster: their
 * activations no longer stayed in L1 for wide rows). */
static void q4_K_rows8(int n, float *s, size_t s_stride, const c12_block_q4_K *x, const uint8_t *y,
                       size_t y_stride)
{
    const __m512i idx[2] = {IDX_PK(0), IDX_PK(4)};
    const c12_block_q8_K *yt[8];
    for (int t = 0; t < 8; t++) yt[t] = (const c12_block_q8_K *)(y + (size_t)t * y_stride);
    __m256 acc = _mm256_setzero_ps(), accm = acc;
    for (int i = 0; i < n / C12_QK_K; i++) {
        c12_prefetch_ahead(&x[i], sizeof x[i]);
        k4_unpacked u;
        k4_unpack(&x[i], idx, &u);
        const __m256i mnx = _mm256_set_m128i(_mm_unpackhi_epi16(u.mn16, u.mn16), _mm_unpacklo_epi16(u.mn16, u.mn16));
        k4_rows8(&u, mnx, yt, i, &acc, &accm);
    }
    float r[8];
    _mm256_storeu_ps(r, _mm256_sub_ps(acc, accm));
    for (int t = 0; t < 8; t++) s[(size_t)t * s_stride] = r[t];
}

/* G groups of 4 activation rows (ny <= 4G real ones; the others repeat row 0
 * and are dropped) of one Q4_K weight row. */
static inline __attribute__((always_inline)) void q4_K_rows(int n, float *s, size_t s_stride,
                                                            const c12_block_q4_K *x, const uint8_t *y,
                                                            size_t y_stride, int ny, int G)
{
    const __m512i idx[2] = {IDX_PK(0), IDX_PK(4)};
    const c12_block_q8_K *yt[8];
    for (int t = 0; t < 4 * G; t++) yt[t] = (const c12_block_q8_K *)(y + (size_t)(t < ny ? t : 0) * y_stride);
    __m128 acc0 = _mm_setzero_ps(), accm0 = acc0, acc1 = acc0, accm1 = acc0;
    for (int i = 0; i < n / C12_QK_K; i++) {
        c12_prefetch_ahead(&x[i], sizeof x[i]);
        k4_unpacked u;
        k4_unpack(&x[i], idx, &u);
        k4_rows4(&u, yt, i, &acc0, &accm0);
        if (G == 2) k4_rows4(&u, yt + 4, i, &acc1, &accm1);
    }
    float r[8];
    _mm_storeu_ps(r, _mm_sub_ps(acc0, accm0));
    _mm_storeu_ps(r + 4, _mm_sub_ps(acc1, accm1));
    for (int t = 0; t < ny; t++) s[(size_t)t * s_stride] = r[t];
}

void c12_q4_K_vec_dot_n_avx512(int n, float *s, size_t s_stride, const void *x, const void *y,
                               size_t y_stride, int ny, const float *ysc)
{
    (void)ysc; /* Q8_K activations keep d as a float */
    for (int t = 0; t < ny; t += 8) {
        float *st = s + (size_t)t * s_stride;
        const uint8_t *yp = (const uint8_t *)y + (size_t)t * y_stride;
        if (ny - t >= 8) q4_K_rows8(n, st, s_stride, x, yp, y_stride);
        else if (ny - t > 4) q4_K_rows(n, st, s_stride, x, yp, y_stride, ny - t, 2);
        else q4_K_rows(n, st, s_stride, x, yp, y_stride, ny - t, 1);
    }
}

/* Up to T activation rows of one Q6_K weight row (T = 4 or 8); 8-lane
 * accumulators per row, as c12_q6_K_vec_dot_avx512. */
static inline __attribute__((always_inline)) void q6_K_rows(int n, float *s, size_t s_stride,
                                                            const c12_block_q6_K *x, const uint8_t *y,
                                                            size_t y_stride, int ny, int T)
{
    const c12_block_q8_K *yt[8];
    for (int t = 0; t < T; t++) yt[t] = (const c12_block_q8_K *)(y + (size_t)(t < ny ? t : 0) * y_stride);
    const __m512i m4 = _mm512_set1_epi8(15), m30 = _mm512_set1_epi8(0x30);
    const __m512i idx[4] = {IDX_4x8(0), IDX_4x8(4), IDX_4x8(8), IDX_4x8(12)};
    __m256 acc[8];
    for (int t = 0; t < 8; t++) acc[t] = _mm256_setzero_ps();
    for (int i = 0; i < n / C12_QK_K; i++) {
        const c12_block_q6_K *b = &x[i];
        c12_prefetch_ahead(b, sizeof *b);
        const __m256i sc16y = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b->scales));
        const __m512i sc16 = _mm512_castsi256_si512(sc16y);
        __m512i q[4], scv[4];
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) { /* as q6k_sumi */
            const __m512i l = load512(b->ql + 64 * h);
            const __m256i hb = load256(b->qh + 32 * h);
            const __m512i hz = _mm512_inserti64x4(_mm512_castsi256_si512(hb), _mm256_srli_epi16(hb, 2), 1);
            q[2 * h] = _mm512_or_si512(_mm512_and_si512(l, m4), _mm512_and_si512(_mm512_slli_epi16(hz, 4), m30));
            q[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4), _mm512_and_si512(hz, m30));
            scv[2 * h] = _mm512_permutexvar_epi16(idx[2 * h], sc16);
            scv[2 * h + 1] = _mm512_permutexvar_epi16(idx[2 * h + 1], sc16);
        }
        const float d = h2f(b->d);
#pragma GCC unroll 8
        for (int t = 0; t < T; t++) {
            const c12_block_q8_K *yb = &yt[t][i];
            __m512i s0 = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_maddubs_epi16(q[0], load512(yb->qs)), scv[0]);
            __m512i s1 = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_maddubs_epi16(q[1], load512(yb->qs + 64)), scv[1]);
            s0 = _mm512_dpwssd_epi32(s0, _mm512_maddubs_epi16(q[2], load512(yb->qs + 128)), scv[2]);
            s1 = _mm512_dpwssd_epi32(s1, _mm512_maddubs_epi16(q[3], load512(yb->qs + 192)), scv[3]);
            const __m256i off = _mm256_madd_epi16(load256(yb->bsums), sc16y);
            const __m256i sumi = _mm256_sub_epi32(fold8(_mm512_add_epi32(s0, s1)), _mm256_slli_epi32(off, 5));
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(yb->d * d), _mm256_cvtepi32_ps(sumi), acc[t]);
        }
    }
    for (int t = 0; t < ny; t++) s[(size_t)t * s_stride] = c12_hsum_f32x8(acc[t]);
}

void c12_q6_K_vec_dot_n_avx512(int n, float *s, size_t s_stride, const void *x, const void *y,
                               size_t y_stride, int ny, const float *ysc)
{
    (void)ysc; /* Q8_K activations keep d as a float */
    for (int t = 0; t < ny; t += 8) {
        float *st = s + (size_t)t * s_stride;
        const uint8_t *yp = (const uint8_t *)y + (size_t)t * y_stride;
        if (ny - t > 4) q6_K_rows(n, st, s_stride, x, yp, y_stride, ny - t < 8 ? ny - t : 8, 8);
        else q6_K_rows(n, st, s_stride, x, yp, y_stride, ny - t, 4);
    }
}
