/* vecops_avx512.c - dot_f16_rows with AVX-512: many fp16 rows against one
 * float vector, bit-identical to the scalar reference, which sums one row at
 * a time (vecops.h, vecops.c).
 *
 * Attention dots a head's query with each cached key: 64 to 256 elements a
 * row, so a row at a time spends more on the 16-lane reduction at its end
 * than on the products. Here each row's 16 lanes (the four accumulators
 * added as the reference adds them) wait while 15 more rows are summed, and
 * the 16 reductions run together: every level of the tree (lanes 8-15 onto 0-7, then
 * 4-7 onto 0-3, then 2-3 onto 0-1, then 1 onto 0) is one lane-wise add of two
 * shuffles holding those halves for several rows at once. Each row's sums are
 * the same IEEE additions of the same operands as the scalar reference's
 * reduce16, so the results are the same bits. */
#include <immintrin.h>

#include "vecops.h"

/* the register arrays below stay registers only when their loops unroll */
#define PRAGMA(x) _Pragma(#x)
#define UNROLL(n) PRAGMA(GCC unroll n)

/* One row's 16 lanes: the four accumulators over 64-element steps, added
 * ((a0 + a2) + (a1 + a3)) as the reference adds them. */
static inline __m512 row_lanes(int np, const uint16_t *x, const float *y)
{
    __m512 a[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int i = 0; i < np; i += 64)
        UNROLL(4) for (int j = 0; j < 4; j++) {
            const __m512 xv = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(x + i + 16 * j)));
            a[j] = _mm512_fmadd_ps(xv, _mm512_loadu_ps(y + i + 16 * j), a[j]);
        }
    return _mm512_add_ps(_mm512_add_ps(a[0], a[2]), _mm512_add_ps(a[1], a[3]));
}

/* The reduce16 tree of 16 rows at once; lane r of the result is row r's sum. */
static inline __m512 reduce16_rows(const __m512 s[16])
{
    __m512 r[8], q[4], w[2];
    UNROLL(8) for (int k = 0; k < 8; k++) /* lanes 8-15 onto 0-7: rows 2k | 2k+1, 8 lanes each */
        r[k] = _mm512_add_ps(_mm512_shuffle_f32x4(s[2 * k], s[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)),
                             _mm512_shuffle_f32x4(s[2 * k], s[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)));
    UNROLL(4) for (int m = 0; m < 4; m++) /* 4-7 onto 0-3: rows 4m..4m+3, one 128-bit quarter each */
        q[m] = _mm512_add_ps(_mm512_shuffle_f32x4(r[2 * m], r[2 * m + 1], _MM_SHUFFLE(3, 1, 3, 1)),
                             _mm512_shuffle_f32x4(r[2 * m], r[2 * m + 1], _MM_SHUFFLE(2, 0, 2, 0)));
    UNROLL(2) for (int e = 0; e < 2; e++) /* (0 + 2), (1 + 3) within each quarter */
        w[e] = _mm512_add_ps(_mm512_shuffle_ps(q[2 * e], q[2 * e + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_ps(q[2 * e], q[2 * e + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    /* the last pair: quarter k's lane j holds row 4j + k */
    const __m512 f = _mm512_add_ps(_mm512_shuffle_ps(w[0], w[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_ps(w[0], w[1], _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512i rows = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_ps(rows, f);
}

void c12_dot_f16_rows_avx512(int n, const uint16_t *x, size_t stride, int rows, const float *y, float *out)
{
    const int np = n & ~63;
    for (int r0 = 0; r0 < rows; r0 += 16) {
        const int m = rows - r0 < 16 ? rows - r0 : 16;
        __m512 s[16];
        UNROLL(16) for (int r = 0; r < 16; r++)
            s[r] = r < m ? row_lanes(np, x + (size_t)(r0 + r) * stride, y) : _mm512_setzero_ps();
        _mm512_mask_storeu_ps(out + r0, (__mmask16)((1u << m) - 1), reduce16_rows(s));
    }
    if (np == n) return;
    for (int r = 0; r < rows; r++) { /* the tail: in double after the tree, as one row's */
        const uint16_t *xr = x + (size_t)r * stride;
        double sum = out[r];
        for (int i = np; i < n; i++) sum += (double)(_cvtsh_ss(xr[i]) * y[i]);
        out[r] = (float)sum;
    }
}
