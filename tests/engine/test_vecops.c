/* Unit tests for vecops: every SIMD kernel bit-identical to the scalar
 * reference, and the reference itself close to the true values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "engine/quant.h"
#include "engine/vecops.h"

static uint64_t rng = 0x12345678;
static float frand(float lo, float hi)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (float)((rng >> 40) & 0xffffff) / 16777216.0f;
}

static void test_expf_poly_is_accurate(void **state)
{
    (void)state;
    /* llama.cpp documents at most 1.45 ulp + 0.5 */
    for (float x = -87.0f; x < 88.0f; x += 0.01173f) {
        float a = c12_expf_poly(x);
        double e = exp((double)x);
        assert_true(fabs(a - e) <= 3.0 * (double)nextafterf((float)e, INFINITY) - 3.0 * e + 1e-45);
    }
    assert_true(c12_expf_poly(-INFINITY) == 0.0f);
    assert_true(c12_expf_poly(-200.0f) == 0.0f);
    assert_true(isinf(c12_expf_poly(200.0f)));
    assert_true(c12_expf_poly(0.0f) == 1.0f);
}

static void test_simd_matches_scalar_bit_for_bit(void **state)
{
    (void)state;
    const c12_vec_ops *ref = c12_vec_ops_for(C12_ISA_SCALAR);
    for (int isa = C12_ISA_AVX2; isa <= (int)c12_isa_detect(); isa++) {
        const c12_vec_ops *v = c12_vec_ops_for((c12_isa)isa);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + (int)(frand(0, 700));
            uint16_t x[704];
            float y[704], f[704], g[704], o1[704], o2[704];
            for (int i = 0; i < n; i++) {
                x[i] = c12_fp32_to_fp16(frand(-4, 4));
                y[i] = c12_fp16_to_fp32(c12_fp32_to_fp16(frand(-4, 4))); /* fp16 values, as floats */
                f[i] = frand(-30, 30);
                g[i] = frand(-3, 3);
            }
            float a, b;
            ref->dot_f16_rows(n, x, (size_t)n, 1, y, &a);
            v->dot_f16_rows(n, x, (size_t)n, 1, y, &b);
            assert_memory_equal(&a, &b, sizeof a);
            float mx = -INFINITY;
            for (int i = 0; i < n; i++) mx = fmaxf(mx, f[i]);
            if (trial % 3 == 0) f[n / 2] = -INFINITY; /* a masked position */
            double s1 = ref->softmax_exp(n, o1, f, mx), s2 = v->softmax_exp(n, o2, f, mx);
            assert_memory_equal(&s1, &s2, sizeof s1);
            assert_memory_equal(o1, o2, sizeof(float) * (size_t)n);
            ref->swiglu(n, o1, f, g);
            v->swiglu(n, o2, f, g);
            assert_memory_equal(o1, o2, sizeof(float) * (size_t)n);
            /* rounding to fp16: ties, overflow, subnormals, NaN among the values */
            if (trial % 4 == 1) f[0] = 65520.0f, f[n - 1] = NAN, f[n / 3] = ldexpf(1.0f, -20) * 3.0f, f[n / 4] = 1.0f + ldexpf(1.0f, -11);
            const float scale = trial % 2 ? 1.0f : frand(0.01f, 3.0f);
            ref->round_f16(n, o1, f, scale);
            v->round_f16(n, o2, f, scale);
            assert_memory_equal(o1, o2, sizeof(float) * (size_t)n);
            for (int i = 0; i < n; i++) {
                const float want = c12_fp16_to_fp32(c12_fp32_to_fp16(f[i] * scale));
                assert_memory_equal(&o1[i], &want, sizeof want);
            }
        }
    }
}

/* Rows of dots against one vector (attention's scores and weighted values):
 * each row's bits are the one row's that the reference sums (and that the
 * test above compares), at every row count around the 16-row blocks, head
 * sizes with and without a tail past 64, a stride wider than a row; nothing
 * past rows is written; zero rows and signed zeros too. */
static void test_dot_rows(void **state)
{
    (void)state;
    enum { MAXN = 300, MAXR = 40, STRIDE = 320 };
    static uint16_t x[MAXR * STRIDE];
    static float y[MAXN];
    for (int i = 0; i < MAXR * STRIDE; i++) x[i] = c12_fp32_to_fp16(frand(-8, 8));
    for (int i = 0; i < MAXN; i++) y[i] = c12_fp16_to_fp32(c12_fp32_to_fp16(frand(-2, 2)));
    x[5 * STRIDE + 3] = c12_fp32_to_fp16(60000.0f); /* a large product */
    for (int i = 0; i < MAXN; i++) x[7 * STRIDE + i] = (i & 1) ? 0x8000 : 0; /* a row of +-0 */
    const int ns[] = {64, 128, 256, 96, 80, 1, 63, 0, 192};
    for (int isa = C12_ISA_SCALAR; isa <= (int)c12_isa_detect(); isa++) {
        const c12_vec_ops *v = c12_vec_ops_for((c12_isa)isa);
        for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
            for (int rows = 0; rows <= MAXR; rows += rows < 20 ? 1 : 7) {
                const int n = ns[k];
                const size_t stride = k % 2 ? STRIDE : (size_t)(n ? n : 1);
                float out[MAXR + 1];
                out[rows] = 12345.0f;
                v->dot_f16_rows(n, x, stride, rows, y, out);
                for (int r = 0; r < rows; r++) {
                    float want, ref;
                    v->dot_f16_rows(n, x + (size_t)r * stride, stride, 1, y, &want);
                    assert_memory_equal(&out[r], &want, sizeof want);
                    c12_vec_ops_for(C12_ISA_SCALAR)->dot_f16_rows(n, x + (size_t)r * stride, stride, 1, y, &ref);
                    assert_memory_equal(&out[r], &ref, sizeof ref);
                }
                assert_true(out[rows] == 12345.0f);
            }
    }
}

/* GELU through the fp16 table: SIMD equals scalar (both sides of +-10, the
 * boundaries themselves, inputs that round to fp16 ties), and the table is
 * GELU rounded to fp16. */
static void test_geglu(void **state)
{
    (void)state;
    static float tab[C12_GELU_TABLE_N];
    c12_gelu_table_fill(tab);
    for (float x0 = -9.9f; x0 < 9.9f; x0 += 0.0137f) {
        const uint16_t h = c12_fp32_to_fp16(x0);
        const double x = c12_fp16_to_fp32(h);
        const double e = 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
        assert_true(fabs(tab[h] - e) <= 1e-3 * fabs(e) + 1e-7); /* fp16: 2^-11 */
    }
    assert_true(tab[c12_fp32_to_fp16(0.0f)] == 0.0f);
    const c12_vec_ops *ref = c12_vec_ops_for(C12_ISA_SCALAR);
    float x[301], g[301], o1[301], o2[301];
    for (int i = 0; i < 301; i++) {
        x[i] = frand(-14, 14);
        g[i] = frand(-3, 3);
    }
    const float edge[] = {-10.0f, 10.0f, nextafterf(-10.0f, 0.0f), nextafterf(10.0f, 0.0f),
                          1.0f + 0x1p-11f, -0x1p-20f, 0.0f, -0.0f};
    memcpy(x + 3, edge, sizeof edge);
    ref->geglu(301, o1, x, g, tab);
    assert_true(o1[3] == 0.0f && o1[4] == 10.0f * g[4]); /* -10 -> 0, 10 -> x*g */
    for (int isa = C12_ISA_AVX2; isa <= (int)c12_isa_detect(); isa++) {
        for (int n = 1; n <= 301; n += 37) {
            c12_vec_ops_for((c12_isa)isa)->geglu(n, o2, x, g, tab);
            ref->geglu(n, o1, x, g, tab);
            assert_memory_equal(o1, o2, sizeof(float) * (size_t)n);
        }
    }
}

static void test_reference_values(void **state)
{
    (void)state;
    const c12_vec_ops *ref = c12_vec_ops_for(C12_ISA_SCALAR);
    uint16_t x[200];
    float y[200];
    double want = 0;
    for (int i = 0; i < 200; i++) {
        x[i] = c12_fp32_to_fp16((float)(i % 7) - 3.0f);
        y[i] = 0.5f * (float)(i % 5);
        want += (double)c12_fp16_to_fp32(x[i]) * y[i];
    }
    float dot;
    ref->dot_f16_rows(200, x, 200, 1, y, &dot);
    assert_true(dot == (float)want); /* small integers: exact */
    float f[40], o[40], g[40];
    for (int i = 0; i < 40; i++) {
        f[i] = (float)i / 10.0f;
        g[i] = 1.0f;
    }
    double s = ref->softmax_exp(40, o, f, 3.9f), es = 0;
    for (int i = 0; i < 40; i++) es += exp(f[i] - 3.9);
    assert_true(fabs(s - es) < 1e-5 * es);
    ref->swiglu(40, o, f, g);
    for (int i = 0; i < 40; i++) assert_true(fabsf(o[i] - f[i] / (1.0f + expf(-f[i]))) < 1e-6f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expf_poly_is_accurate),
        cmocka_unit_test(test_simd_matches_scalar_bit_for_bit),
        cmocka_unit_test(test_reference_values),
        cmocka_unit_test(test_geglu),
        cmocka_unit_test(test_dot_rows),
    };
    return cmocka_run_group_tests_name("vecops", tests, NULL, NULL);
}
