/* quant_r8_q5_0_avx512.c - eight repacked Q5_0 rows (quant_r8.c's layout)
 * against one to four tokens per pass, AVX-512 BW + VNNI.
 *
 * The one-row kernel (quant_avx2.c, BLOCK_LOOP) keeps 8 float lanes per
 * row: lane k sums the products of weights 4k..4k+3 of every block, and
 * each block adds dx*dy times its exact lane sums with a fused multiply-add.
 * Here four vectors hold those lanes for eight rows: vector k' has row r's
 * lanes 2k' and 2k'+1 in 32-bit lanes 2r and 2r+1. A 64-byte load of the
 * layout is 8 bytes of every row: its low nibbles are weights 8k'.. of
 * vector k' = 0, 1 and its high nibbles those of k' = 2, 3; the 5th bits are
 * a byte mask as laid out. vpdpbusd takes the unsigned 5-bit weights; 16 *
 * (the 4 activations' sum), from one more vpdpbusd, makes them signed. At
 * the end, ggml's hsum_float_8 tree, lane for lane, and + 0.0f as the
 * one-row kernel adds its (absent) min term: every result is that kernel's,
 * bit for bit. */
#include <immintrin.h>

#include "engine/quant_impl.h"

/* up to four tokens per pass over the group (their 16 accumulators and the
 * unpacked block fit the 32 registers; Q4_K's kernel keeps more per token) */
enum { GROUP = 8 * sizeof(c12_block_q5_0), TILE = 4 };

static inline __m512i bcast8(const int8_t *p)
{
    long long v;
    memcpy(&v, p, 8);
    return _mm512_set1_epi64(v);
}

static inline __mmask64 mask64(const uint8_t *p)
{
    unsigned long long v;
    memcpy(&v, p, 8);
    return _cvtu64_mask64(v);
}

/* NT tokens (1, 2 or TILE) against one group: acc[4t + k'] as above */
static inline __attribute__((always_inline)) void r8_tile(int nb, const uint8_t *g, const c12_block_q8_0 *const *y,
                                                          __m512 *acc, int NT)
{
    const __m512i m4 = _mm512_set1_epi8(15), sixteen = _mm512_set1_epi8(16), z = _mm512_setzero_si512();
    const __m512i pairs = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    for (int i = 0; i < nb; i++, g += GROUP) {
        const __m512i a = _mm512_loadu_si512(g + 48), b = _mm512_loadu_si512(g + 112);
        __m512i u[4];
        u[0] = _mm512_and_si512(a, m4);
        u[1] = _mm512_and_si512(b, m4);
        u[2] = _mm512_and_si512(_mm512_srli_epi16(a, 4), m4);
        u[3] = _mm512_and_si512(_mm512_srli_epi16(b, 4), m4);
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) u[k] = _mm512_mask_add_epi8(u[k], mask64(g + 16 + 8 * k), u[k], sixteen);
        /* row r's d in lanes 2r, 2r+1 */
        const __m512 d = _mm512_permutexvar_ps(pairs, _mm512_castps256_ps512(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)g))));
        for (int t = 0; t < NT; t++) {
            const c12_block_q8_0 *yb = &y[t][i];
            uint16_t dy;
            memcpy(&dy, &yb->d, 2);
            const __m512 dxy = _mm512_mul_ps(d, _mm512_set1_ps(_cvtsh_ss(dy)));
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) {
                const __m512i yv = bcast8(yb->qs + 8 * k);
                const __m512i s = _mm512_sub_epi32(_mm512_dpbusd_epi32(z, u[k], yv), _mm512_dpbusd_epi32(z, sixteen, yv));
                acc[4 * t + k] = _mm512_fmadd_ps(dxy, _mm512_cvtepi32_ps(s), acc[4 * t + k]);
            }
        }
    }
}

static inline __attribute__((always_inline)) void r8_tokens(int n, float *s, size_t s_stride, const uint8_t *g,
                                                            const uint8_t *y, size_t y_stride, int NT)
{
    const c12_block_q8_0 *yt[TILE];
    __m512 acc[4 * TILE];
    for (int t = 0; t < NT; t++) {
        yt[t] = (const c12_block_q8_0 *)(y + (size_t)t * y_stride);
        for (int k = 0; k < 4; k++) acc[4 * t + k] = _mm512_setzero_ps();
    }
    r8_tile(n / C12_QK, g, yt, acc, NT);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
    for (int t = 0; t < NT; t++) {
        const __m512 *v = acc + 4 * t;
        /* hsum_float_8: lanes k + k+4, then + k+2, then the pair */
        const __m512 q = _mm512_add_ps(_mm512_add_ps(v[0], v[2]), _mm512_add_ps(v[1], v[3]));
        const __m512 r = _mm512_add_ps(_mm512_add_ps(q, _mm512_movehdup_ps(q)), _mm512_setzero_ps());
        _mm256_storeu_ps(s + (size_t)t * s_stride, _mm512_castps512_ps256(_mm512_permutexvar_ps(even, r)));
    }
}

void c12_q5_0_r8_vec_dot_avx512(int n, float *s, size_t s_stride, const void *x, const void *y, size_t y_stride,
                                int ny)
{
    const uint8_t *yp = y;
    int t = 0;
    for (; t + TILE <= ny; t += TILE, s += TILE * s_stride, yp += TILE * y_stride)
        r8_tokens(n, s, s_stride, x, yp, y_stride, TILE);
    if (ny - t >= 2) {
        r8_tokens(n, s, s_stride, x, yp, y_stride, 2);
        t += 2, s += 2 * s_stride, yp += 2 * y_stride;
    }
    if (t < ny) r8_tokens(n, s, s_stride, x, yp, y_stride, 1);
}
