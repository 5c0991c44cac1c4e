/* quant_r8_32_avx512.c - eight repacked rows of a 32-block type (Q5_0, Q4_1:
 * quant_r8.c's layouts) against one to four tokens per pass, AVX-512 BW +
 * VNNI.
 *
 * The one-row kernels (quant_avx2.c, BLOCK_LOOP) keep 8 float lanes per
 * row: lane k sums the products of weights 4k..4k+3 of every block, and
 * each block adds dx*dy times its exact lane sums with a fused multiply-add;
 * Q4_1's min goes to one more fused chain per row, m*s, added last. Here
 * four vectors hold those lanes for eight rows: vector k' has row r's lanes
 * 2k' and 2k'+1 in 32-bit lanes 2r and 2r+1 (and the min chain is lane 2r
 * of a fifth). A 64-byte load of the layout is 8 bytes of every row: its
 * low nibbles are weights 8k'.. of vector k' = 0, 1 and its high nibbles
 * those of k' = 2, 3. vpdpbusd takes the unsigned weights: Q4_1's nibbles
 * as they are; Q5_0's with their 5th bit (a byte mask as laid out), made
 * signed by 16 * (the 4 activations' sum), from one more vpdpbusd. That
 * sum is the token's, so against several tokens Q5_0 goes the other way
 * round: signed weights (u - 16) by unsigned activations (y + 128), each
 * lane starting at -128 * (its 4 weights' sum), made once for all of them
 * (10% less time a token: make bench-quant, q5_0_r8). At the
 * end, ggml's hsum_float_8 tree, lane for lane, plus the min chain (Q5_0
 * adds its absent one, 0.0f, as the one-row kernel does): every result is
 * that kernel's, bit for bit. */
#include <immintrin.h>

#include "engine/quant_impl.h"
#include "engine/simd_avx512.h"
#include "engine/simd_x86.h"

/* up to four tokens per pass over the group (their 16 accumulators and the
 * unpacked block fit the 32 registers; Q4_K's kernel keeps more per token) */
enum { TILE = 4 };


static inline __mmask64 mask64(const uint8_t *p)
{
    unsigned long long v;
    memcpy(&v, p, 8);
    return _cvtu64_mask64(v);
}

/* NT tokens (1, 2 or TILE) against one group: acc[5t + k'] as above, the
 * min chain in acc[5t + 4]. YB: the activation block's size (Q8_0, Q8_1:
 * d first, Q8_1's s next, then the 32 quants) */
static inline __attribute__((always_inline)) void r8_tile(const c12_r8_32_layout *L, int nb, const uint8_t *g,
                                                          const uint8_t *const *y, size_t YB, __m512 *acc, int NT)
{
    const __m512i m4 = _mm512_set1_epi8(15), sixteen = _mm512_set1_epi8(16), z = _mm512_setzero_si512();
    const __m512i c128 = _mm512_set1_epi8((char)0x80);
    const size_t yq = YB - 32;
    for (int i = 0; i < nb; i++, g += 8 * L->block) {
        if (NT > 1) c12_prefetch_ahead(g, 8 * (int)L->block);
        const __m512i a = _mm512_loadu_si512(g + L->qs), b = _mm512_loadu_si512(g + L->qs + 64);
        __m512i u[4];
        u[0] = _mm512_and_si512(a, m4);
        u[1] = _mm512_and_si512(b, m4);
        u[2] = _mm512_and_si512(_mm512_srli_epi16(a, 4), m4);
        u[3] = _mm512_and_si512(_mm512_srli_epi16(b, 4), m4);
        if (L->qh >= 0)
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) u[k] = _mm512_mask_add_epi8(u[k], mask64(g + L->qh + 8 * k), u[k], sixteen);
        /* Q5_0 against several tokens: signed weights (w = u - 16) by the
         * activations offset to unsigned (y + 128); the offset adds 128 times
         * the 4 weights' sum to each lane, so each lane starts at minus that,
         * made here once for every token. Not for one token: there it costs
         * more than it saves (make bench-quant, q5_0 repacked, one token from
         * L2: 26 GB/s this way, 30 the other) */
        const int swap = L->qh >= 0 && NT > 1;
        __m512i w[4], base[4];
        if (swap)
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) {
                w[k] = _mm512_sub_epi8(u[k], sixteen);
                base[k] = _mm512_dpbusd_epi32(z, c128, _mm512_sub_epi8(sixteen, u[k]));
            }
        const __m512 d = c12_pairs_of(g + L->d), m = L->m >= 0 ? c12_pairs_of(g + L->m) : d;
        for (int t = 0; t < NT; t++) {
            const uint8_t *yb = y[t] + (size_t)i * YB;
            uint16_t h[2];
            memcpy(h, yb, 4);
            const __m512 dxy = _mm512_mul_ps(d, _mm512_set1_ps(_cvtsh_ss(h[0])));
            if (L->m >= 0) acc[5 * t + 4] = _mm512_fmadd_ps(m, _mm512_set1_ps(_cvtsh_ss(h[1])), acc[5 * t + 4]);
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) {
                const __m512i yv = c12_bcast8((const int8_t *)yb + yq + 8 * k);
                __m512i s;
                if (swap) s = _mm512_dpbusd_epi32(base[k], _mm512_xor_si512(yv, c128), w[k]);
                else {
                    s = _mm512_dpbusd_epi32(z, u[k], yv);
                    if (L->qh >= 0) s = _mm512_sub_epi32(s, _mm512_dpbusd_epi32(z, sixteen, yv));
                }
                acc[5 * t + k] = _mm512_fmadd_ps(dxy, _mm512_cvtepi32_ps(s), acc[5 * t + k]);
            }
        }
    }
}

static inline __attribute__((always_inline)) void r8_tokens(const c12_r8_32_layout *L, int n, float *s, size_t s_stride,
                                                            const uint8_t *g, const uint8_t *y, size_t y_stride,
                                                            size_t YB, int NT)
{
    const uint8_t *yt[TILE];
    __m512 acc[5 * TILE];
    for (int t = 0; t < NT; t++) {
        yt[t] = y + (size_t)t * y_stride;
        for (int k = 0; k < 5; k++) acc[5 * t + k] = _mm512_setzero_ps();
    }
    r8_tile(L, n / C12_QK, g, yt, YB, acc, NT);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
    for (int t = 0; t < NT; t++) {
        const __m512 *v = acc + 5 * t;
        /* hsum_float_8: lanes k + k+4, then + k+2, then the pair; then + the min chain */
        const __m512 q = _mm512_add_ps(_mm512_add_ps(v[0], v[2]), _mm512_add_ps(v[1], v[3]));
        const __m512 r = _mm512_add_ps(_mm512_add_ps(q, _mm512_movehdup_ps(q)), v[4]);
        _mm256_storeu_ps(s + (size_t)t * s_stride, _mm512_castps512_ps256(_mm512_permutexvar_ps(even, r)));
    }
}

static inline __attribute__((always_inline)) void r8_32_dot(const c12_r8_32_layout *L, int n, float *s, size_t s_stride,
                                                            const void *x, const void *y, size_t y_stride, int ny,
                                                            size_t YB)
{
    const uint8_t *yp = y;
    int t = 0;
    for (; t + TILE <= ny; t += TILE, s += TILE * s_stride, yp += TILE * y_stride)
        r8_tokens(L, n, s, s_stride, x, yp, y_stride, YB, TILE);
    if (ny - t >= 2) {
        r8_tokens(L, n, s, s_stride, x, yp, y_stride, YB, 2);
        t += 2, s += 2 * s_stride, yp += 2 * y_stride;
    }
    if (t < ny) r8_tokens(L, n, s, s_stride, x, yp, y_stride, YB, 1);
}

void c12_q5_0_r8_vec_dot_avx512(int n, float *s, size_t s_stride, const void *x, const void *y, size_t y_stride,
                                int ny)
{
    r8_32_dot(&C12_R8_Q5_0, n, s, s_stride, x, y, y_stride, ny, sizeof(c12_block_q8_0));
}

void c12_q4_1_r8_vec_dot_avx512(int n, float *s, size_t s_stride, const void *x, const void *y, size_t y_stride,
                                int ny)
{
    r8_32_dot(&C12_R8_Q4_1, n, s, s_stride, x, y, y_stride, ny, sizeof(c12_block_q8_1));
}
