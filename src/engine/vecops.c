/* vecops.c - scalar reference of vecops.h, lane by lane. */
#include "vecops.h"

#include <math.h>

#include "quant_impl.h"

/* Lanes of one 512-bit register, as _mm512_reduce_add_ps adds them. */
static float reduce16(const float a[16])
{
    float t3[8], t6[4];
    for (int i = 0; i < 8; i++) t3[i] = a[8 + i] + a[i];
    for (int i = 0; i < 4; i++) t6[i] = t3[4 + i] + t3[i];
    return (t6[0] + t6[2]) + (t6[1] + t6[3]);
}

float c12_expf_poly(float x)
{
    const float r = 0x1.8p23f;
    const float z = fmaf(x, 0x1.715476p+0f, r);
    const float n = z - r;
    const float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
    if (fabsf(n) > 192.0f) return n <= 0.0f ? 0.0f : INFINITY;
    if (isnan(n)) return n;
    const float u = b * b;
    const float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                              fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                         u, fmaf(0x1.ffffecp-1f, b, 1.0f));
    return ldexpf(j, (int)n);
}

static float dot_f16_scalar(int n, const uint16_t *x, const float *y)
{
    float acc[4][16] = {{0}};
    const int np = n & ~63;
    for (int i = 0; i < np; i += 64)
        for (int j = 0; j < 4; j++)
            for (int l = 0; l < 16; l++) {
                const int k = i + 16 * j + l;
                acc[j][l] = fmaf(c12_h2f(x[k]), y[k], acc[j][l]);
            }
    for (int l = 0; l < 16; l++) {
        acc[0][l] += acc[2][l];
        acc[1][l] += acc[3][l];
    }
    for (int l = 0; l < 16; l++) acc[0][l] += acc[1][l];
    double sum = reduce16(acc[0]);
    for (int i = np; i < n; i++) sum += (double)(c12_h2f(x[i]) * y[i]);
    return (float)sum;
}

static void dot_f16_rows_scalar(int n, const uint16_t *x, size_t stride, int rows, const float *y, float *out)
{
    for (int r = 0; r < rows; r++) out[r] = dot_f16_scalar(n, x + (size_t)r * stride, y);
}

static double softmax_exp_scalar(int n, float *y, const float *x, float max)
{
    double sum = 0.0;
    int i = 0;
    for (; i + 15 < n; i += 16) {
        for (int l = 0; l < 16; l++) y[i + l] = c12_expf_poly(x[i + l] - max);
        sum += (double)reduce16(y + i);
    }
    for (; i < n; i++) {
        y[i] = expf(x[i] - max);
        sum += (double)y[i];
    }
    return sum;
}

static void swiglu_scalar(int n, float *y, const float *x, const float *g)
{
    int i = 0;
    for (; i + 15 < n; i += 16)
        for (int l = 0; l < 16; l++)
            y[i + l] = (x[i + l] / (1.0f + c12_expf_poly(0.0f - x[i + l]))) * g[i + l];
    for (; i < n; i++) y[i] = (x[i] / (1.0f + expf(-x[i]))) * g[i];
}

void c12_gelu_table_fill(float *tab)
{
    const float a = 0.044715f, s2pi = 0.79788456080286535587989211986876f;
    for (int i = 0; i < C12_GELU_TABLE_N; i++) {
        const float x = c12_h2f((uint16_t)i);
        const float g = 0.5f * x * (1.0f + tanhf(s2pi * x * fmaf(a * x, x, 1.0f)));
        tab[i] = c12_h2f(c12_f2h(g));
    }
}

static void geglu_scalar(int n, float *y, const float *x, const float *g, const float *tab)
{
    for (int i = 0; i < n; i++) {
        if (x[i] <= -10.0f) y[i] = 0.0f;
        else if (x[i] >= 10.0f) y[i] = x[i] * g[i];
        else y[i] = tab[c12_f2h(x[i])] * g[i];
    }
}

static void round_f16_scalar(int n, float *y, const float *x, float scale)
{
    for (int i = 0; i < n; i++) y[i] = c12_h2f(c12_f2h(x[i] * scale));
}

static const c12_vec_ops ops_scalar = {dot_f16_rows_scalar, softmax_exp_scalar, swiglu_scalar,
                                       geglu_scalar, round_f16_scalar};

extern const c12_vec_ops c12_vec_ops_avx2, c12_vec_ops_avx512;

const c12_vec_ops *c12_vec_ops_for(c12_isa isa)
{
    static const c12_vec_ops *const BY_ISA[C12_ISA_COUNT] = {&ops_scalar, &c12_vec_ops_avx2, &c12_vec_ops_avx512};
    return BY_ISA[isa < C12_ISA_COUNT ? isa : C12_ISA_AVX512];
}
