/* vecops_avx2.c - vecops.h with AVX2+FMA+F16C, bit-identical to the scalar
 * reference: a 16-lane register is a pair of 8-lane halves, and every step is
 * the same lane-wise IEEE operation in the same order. */
#include <immintrin.h>
#include <math.h>

#include "engine/simd_x86.h"
#include "vecops.h"

typedef struct v16 {
    __m256 lo, hi; /* lanes 0-7, 8-15 */
} v16;

/* _mm512_reduce_add_ps's tree: (hi8 + lo8), then (hi4 + lo4), then pairs. */
static inline float reduce16(__m256 lo, __m256 hi)
{
    return c12_hsum_f32x8(_mm256_add_ps(hi, lo)); /* lane-wise adds commute exactly */
}

static inline __m256 ld_h8(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }

static float dot_f16_avx2(int n, const uint16_t *x, const float *y)
{
    __m256 a[4][2];
    for (int j = 0; j < 4; j++) a[j][0] = a[j][1] = _mm256_setzero_ps();
    const int np = n & ~63;
    for (int i = 0; i < np; i += 64)
        for (int j = 0; j < 4; j++)
            for (int h = 0; h < 2; h++) {
                const int k = i + 16 * j + 8 * h;
                a[j][h] = _mm256_fmadd_ps(ld_h8(x + k), _mm256_loadu_ps(y + k), a[j][h]);
            }
    for (int h = 0; h < 2; h++) {
        a[0][h] = _mm256_add_ps(a[0][h], a[2][h]);
        a[1][h] = _mm256_add_ps(a[1][h], a[3][h]);
        a[0][h] = _mm256_add_ps(a[0][h], a[1][h]);
    }
    double sum = reduce16(a[0][0], a[0][1]);
    for (int i = np; i < n; i++) sum += (double)(_cvtsh_ss(x[i]) * y[i]);
    return (float)sum;
}

static void dot_f16_rows_avx2(int n, const uint16_t *x, size_t stride, int rows, const float *y, float *out)
{
    for (int r = 0; r < rows; r++) out[r] = dot_f16_avx2(n, x + (size_t)r * stride, y);
}

/* j * 2^n for integral |n| <= 192, rounded once: j * 2^(n/2) is exact (a
 * normal number), the second factor rounds (only subnormal results do). */
static inline __m256 scale2n(__m256 j, __m256 n)
{
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(j, s1), s2);
}

static inline __m256 expf_poly8(__m256 x)
{
    const __m256 r = _mm256_set1_ps(0x1.8p23f);
    const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), r);
    const __m256 n = _mm256_sub_ps(z, r);
    const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                      _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
    const __m256 big = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), n),
                                     _mm256_set1_ps(192.0f), _CMP_GT_OQ);
    const __m256 u = _mm256_mul_ps(b, b);
    const __m256 j = _mm256_fmadd_ps(
        _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                        _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
        u, _mm256_fmadd_ps(_mm256_set1_ps(0x1.ffffecp-1f), b, _mm256_set1_ps(1.0f)));
    /* out of range lanes: 0 below, +inf above (their n may not fit scale2n) */
    const __m256 safe_n = _mm256_blendv_ps(n, _mm256_setzero_ps(), big);
    const __m256 res = scale2n(j, safe_n);
    const __m256 alt = _mm256_blendv_ps(_mm256_set1_ps(INFINITY), _mm256_setzero_ps(),
                                        _mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ));
    return _mm256_blendv_ps(res, alt, big);
}

static double softmax_exp_avx2(int n, float *y, const float *x, float max)
{
    double sum = 0.0;
    const __m256 m = _mm256_set1_ps(max);
    int i = 0;
    for (; i + 15 < n; i += 16) {
        const __m256 lo = expf_poly8(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
        const __m256 hi = expf_poly8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), m));
        _mm256_storeu_ps(y + i, lo);
        _mm256_storeu_ps(y + i + 8, hi);
        sum += (double)reduce16(lo, hi);
    }
    for (; i < n; i++) {
        y[i] = expf(x[i] - max);
        sum += (double)y[i];
    }
    return sum;
}

static void swiglu_avx2(int n, float *y, const float *x, const float *g)
{
    const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
    const int nfull = n & ~15; /* whole 16-lane registers use the polynomial */
    int i = 0;
    for (; i < nfull; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256 s = _mm256_div_ps(v, _mm256_add_ps(one, expf_poly8(_mm256_sub_ps(zero, v))));
        _mm256_storeu_ps(y + i, _mm256_mul_ps(s, _mm256_loadu_ps(g + i)));
    }
    for (; i < n; i++) y[i] = (x[i] / (1.0f + expf(-x[i]))) * g[i];
}

/* The table look-up as a gather: fp16(x) (vcvtps2ph, nearest-even, as
 * c12_f2h) is the index. Lanes outside (-10, 10) are blended afterwards. */
static void geglu_avx2(int n, float *y, const float *x, const float *g, const float *tab)
{
    const __m256 lo = _mm256_set1_ps(-10.0f), hi = _mm256_set1_ps(10.0f);
    int i = 0;
    for (; i + 7 < n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i), gv = _mm256_loadu_ps(g + i);
        const __m256i h = _mm256_cvtepu16_epi32(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
        __m256 r = _mm256_mul_ps(_mm256_i32gather_ps(tab, h, 4), gv);
        r = _mm256_blendv_ps(r, _mm256_mul_ps(v, gv), _mm256_cmp_ps(v, hi, _CMP_GE_OQ));
        r = _mm256_blendv_ps(r, _mm256_setzero_ps(), _mm256_cmp_ps(v, lo, _CMP_LE_OQ));
        _mm256_storeu_ps(y + i, r);
    }
    for (; i < n; i++) {
        if (x[i] <= -10.0f) y[i] = 0.0f;
        else if (x[i] >= 10.0f) y[i] = x[i] * g[i];
        else y[i] = tab[_cvtss_sh(x[i], 0)] * g[i];
    }
}

/* F16C's vcvtps2ph rounds as c12_f2h does (nearest-even; NaN quieted the
 * same way: test_quant.c checks every case) */
static void round_f16_avx2(int n, float *y, const float *x, float scale)
{
    const __m256 sv = _mm256_set1_ps(scale);
    int i = 0;
    for (; i + 7 < n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_mul_ps(_mm256_loadu_ps(x + i), sv),
                                                                _MM_FROUND_TO_NEAREST_INT)));
    for (; i < n; i++) y[i] = _cvtsh_ss(_cvtss_sh(x[i] * scale, 0));
}

const c12_vec_ops c12_vec_ops_avx2 = {dot_f16_rows_avx2, softmax_exp_avx2, swiglu_avx2,
                                      geglu_avx2, round_f16_avx2};

/* AVX-512 machines: these kernels, but the rows of dots 16 at a time
 * (vecops_avx512.c) */
const c12_vec_ops c12_vec_ops_avx512 = {c12_dot_f16_rows_avx512, softmax_exp_avx2, swiglu_avx2,
                                        geglu_avx2, round_f16_avx2};
