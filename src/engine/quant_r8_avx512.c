/* quant_r8_avx512.c - eight repacked Q4_K rows (quant_r8.c's layout) against
 * up to four tokens per pass, AVX-512 BW + VNNI.
 *
 * Rows are r = 2L + e: row r's integers live in 128-bit lane L of every
 * vector. A 64-byte load of qs holds 8 quants of each row; the token's 8
 * matching activations are broadcast to every row and VNNI's vpdpbusd adds
 * each 4 products into a 32-bit lane (row r: lanes 4L + 2e and 4L + 2e + 1).
 * The four parts of a chunk go into the same lanes: 16 products, at most
 * 16 * 15 * 128 in size, so vpackssdw packs two sub-blocks' sums into 16
 * bits exactly, and vpdpwssd multiplies them by their scales (widened from
 * the layout's bytes) and adds pairs: row r's sums land in lanes 4L + e and
 * 4L + e + 2. The mins go the same way, by the activations' sums of 32. A
 * super-block then ends with row r's exact sumi in lane 4L + e and summ in
 * 4L + e + 2, and then, lane by lane, the one-row kernel's float steps
 * (c12_q4_K_vec_dot_avx512): acc = fma(float(sum), fp16(d or dmin) * dy, acc),
 * result acc(d's lane) - acc(dmin's lane). Integer sums are exact in any
 * order, so every result is that kernel's, bit for bit. */
#include <immintrin.h>

#include "engine/quant_impl.h"
#include "engine/simd_avx512.h"
#include "engine/simd_x86.h"

/* Up to four tokens per pass over the group: a super-block's bytes are
 * read from memory once for all four, its scales unpacked once, and each
 * chunk split into nibbles once (8 vectors live; the tokens then go one
 * after another through it). Splitting per pair of tokens instead cost 17%
 * more per token (make bench-quant, several tokens); an earlier order that
 * kept every token's partial sums live at once spilled registers. */
enum { GROUP = 8 * sizeof(c12_block_q4_K), TILE = 4 };

/* one group super-block's scales and mins, widened: sc[c] holds sub-blocks
 * 2c and 2c+1's scales as vpackssdw's sums need them (32-bit lane 4L + 2w +
 * e: the scale of sub-block 2c + w of row 2L + e, in both 16-bit halves),
 * mn[h] the mins of sub-blocks 4h..4h+3 as the activations' sums meet them
 * (16-bit lane 4u + 2e + v of 128-bit lane L: sub-block 4h + 2u + v of row
 * 2L + e) */
typedef struct { __m512i sc[4], mn[2]; } r8_scales;

/* pshufb masks: per 32-bit lane m of a 128-bit lane, bytes picked from the
 * row's dword of 6-bit values (0x80: zero) */
static inline __m512i mask4(const int8_t b[16]) { return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)b)); }

static inline __attribute__((always_inline)) void r8_unpack(const uint8_t *g, r8_scales *u)
{
    static const int8_t SC_PICK[2][16] = {{0, -128, 0, -128, 4, -128, 4, -128, 9, -128, 9, -128, 13, -128, 13, -128},
                                          {2, -128, 2, -128, 6, -128, 6, -128, 11, -128, 11, -128, 15, -128, 15, -128}};
    static const int8_t MN_PICK[16] = {0, -128, 1, -128, 4, -128, 5, -128, 10, -128, 11, -128, 14, -128, 15, -128};
    /* the rows' plain 12 bytes as dwords a0, a1 (lanes r, 8 + r) and a2 */
    const __m512i s0 = _mm512_loadu_si512(g + 32);
    const __m512i s1 = _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(g + 96)));
    const __m512i a01 = _mm512_permutex2var_epi32(s0, _mm512_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21, 1, 4, 7, 10, 13, 16, 19, 22), s1);
    const __m256i a2 = _mm512_castsi512_si256(_mm512_permutex2var_epi32(s0, _mm512_setr_epi32(2, 5, 8, 11, 14, 17, 20, 23, 2, 5, 8, 11, 14, 17, 20, 23), s1));
    /* c12_k4_scales on all rows at once: lo = {sc[0..3] | mn[0..3]}, hi = {sc[4..7] | mn[4..7]} */
    const __m512i lo = _mm512_and_si512(a01, _mm512_set1_epi8(0x3F));
    const __m512i a22 = _mm512_inserti64x4(_mm512_castsi256_si512(a2), _mm256_srli_epi32(a2, 4), 1);
    const __m512i hi = _mm512_or_si512(_mm512_and_si512(a22, _mm512_set1_epi8(0x0F)),
                                       _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(a01, 6), _mm512_set1_epi8(3)), 4));
    /* lane 4L + m <- row 2L + m % 2 (its scales' dword; + 8: its mins') */
    const __m512i rows = _mm512_setr_epi32(0, 1, 0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7);
    const __m512i eight = _mm512_set1_epi32(8);
    const __m512i sl = _mm512_permutexvar_epi32(rows, lo), sh = _mm512_permutexvar_epi32(rows, hi);
    const __m512i ml = _mm512_permutexvar_epi32(_mm512_add_epi32(rows, eight), lo);
    const __m512i mh = _mm512_permutexvar_epi32(_mm512_add_epi32(rows, eight), hi);
    u->sc[0] = _mm512_shuffle_epi8(sl, mask4(SC_PICK[0]));
    u->sc[1] = _mm512_shuffle_epi8(sl, mask4(SC_PICK[1]));
    u->sc[2] = _mm512_shuffle_epi8(sh, mask4(SC_PICK[0]));
    u->sc[3] = _mm512_shuffle_epi8(sh, mask4(SC_PICK[1]));
    u->mn[0] = _mm512_shuffle_epi8(ml, mask4(MN_PICK));
    u->mn[1] = _mm512_shuffle_epi8(mh, mask4(MN_PICK));
}

/* row r's summ in lanes 4L + e + 2: the activations' sums of 32 (b0..b7,
 * 16 bits each) met by the mins, b(4h + 2u + v) in 16-bit lane 4u + 2e + v of
 * every 128-bit lane for mn[h] */
static inline __m512i r8_mins(const r8_scales *u, const c12_block_q8_K *yb)
{
    const __m256i bs = _mm256_loadu_si256((const __m256i *)yb->bsums);
    const __m512i b = _mm512_broadcast_i32x4(_mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1)));
    const __m512i b0 = _mm512_shuffle_epi32(b, _MM_PERM_BBAA);
    const __m512i b1 = _mm512_shuffle_epi32(b, _MM_PERM_DDCC);
    const __m512i m = _mm512_dpwssd_epi32(_mm512_dpwssd_epi32(_mm512_setzero_si512(), u->mn[0], b0), u->mn[1], b1);
    return _mm512_add_epi32(m, _mm512_bslli_epi128(m, 8));
}

/* NT tokens (1..TILE) against one super-block of the group, its scales
 * unpacked in u: acc[t] += {sumi, summ} * {d, dmin} * dy, lane by lane. A
 * chunk's 256 quants are split into nibbles once and serve every token. */
static inline __attribute__((always_inline)) void r8_block(const uint8_t *g, const r8_scales *u,
                                                           const c12_block_q8_K *const *y, int i, __m512 *acc, int NT)
{
    const __m512i m4 = _mm512_set1_epi8(15), z = _mm512_setzero_si512();
    __m512i q[TILE];
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++) q[t] = z;
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
        __m512i lo[4], hi[4];
#pragma GCC unroll 4
        for (int p = 0; p < 4; p++) {
            const __m512i v = _mm512_loadu_si512(g + 128 + 64 * (4 * c + p));
            lo[p] = _mm512_and_si512(v, m4);
            hi[p] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
        }
#pragma GCC unroll 4
        for (int t = 0; t < NT; t++) {
            __m512i a = z, b = z;
#pragma GCC unroll 4
            for (int p = 0; p < 4; p++) {
                const int8_t *yq = y[t][i].qs + 64 * c + 8 * p;
                a = _mm512_dpbusd_epi32(a, lo[p], c12_bcast8(yq));
                b = _mm512_dpbusd_epi32(b, hi[p], c12_bcast8(yq + 32));
            }
            q[t] = _mm512_dpwssd_epi32(q[t], _mm512_packs_epi32(a, b), u->sc[c]);
        }
    }
    const __m512 dd = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)g));
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++) {
        const c12_block_q8_K *yb = &y[t][i];
        const __m512i both = _mm512_mask_blend_epi32(0xCCCC, _mm512_add_epi32(q[t], _mm512_bsrli_epi128(q[t], 8)),
                                                     r8_mins(u, yb));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(both), _mm512_mul_ps(dd, _mm512_set1_ps(yb->d)), acc[t]);
    }
}

/* NT tokens (1..TILE) against one group, a super-block at a time: its bytes
 * come from memory once and serve every token */
static inline __attribute__((always_inline)) void r8_tile(int nb, const uint8_t *g, const c12_block_q8_K *const *y,
                                                          __m512 *acc, int NT)
{
    for (int i = 0; i < nb; i++, g += GROUP) {
        if (NT > 1) c12_prefetch_ahead(g, GROUP);
        r8_scales u;
        r8_unpack(g, &u);
        r8_block(g, &u, y, i, acc, NT);
    }
}

static inline __attribute__((always_inline)) void r8_tokens(int n, float *s, size_t s_stride, const uint8_t *g,
                                                            const uint8_t *y, size_t y_stride, int NT)
{
    const c12_block_q8_K *yt[TILE];
    __m512 acc[TILE];
    for (int t = 0; t < NT; t++) {
        yt[t] = (const c12_block_q8_K *)(y + (size_t)t * y_stride);
        acc[t] = _mm512_setzero_ps();
    }
    r8_tile(n / C12_QK_K, g, yt, acc, NT);
    const __m512i rows = _mm512_setr_epi32(0, 1, 4, 5, 8, 9, 12, 13, 0, 1, 4, 5, 8, 9, 12, 13);
    for (int t = 0; t < NT; t++) {
        /* lane 4L + e: acc - accm */
        const __m512 d = _mm512_sub_ps(acc[t], _mm512_castsi512_ps(_mm512_bsrli_epi128(_mm512_castps_si512(acc[t]), 8)));
        _mm256_storeu_ps(s + (size_t)t * s_stride, _mm512_castps512_ps256(_mm512_permutexvar_ps(rows, d)));
    }
}

void c12_q4_K_r8_vec_dot_avx512(int n, float *s, size_t s_stride, const void *x, const void *y, size_t y_stride,
                                int ny)
{
    _Static_assert(TILE == 4, "four at a time");
    C12_R8_FOUR_AT_A_TIME(r8_tokens, n, s, s_stride, x, y, y_stride, ny);
}
