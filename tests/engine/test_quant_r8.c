/* Unit tests for matrices repacked 8 rows at a time (Q4_K, Q6_K, Q5_0, Q4_1:
 * src/engine/quant_r8.c, quant_r8_avx512.c, quant_r8_q6_avx512.c, quant_r8_32_avx512.c): the kernel on repacked rows must
 * give, for every row and token, the plain type's vec_dot result bit for bit
 * (the scalar reference's, which every SIMD level equals: test_quant.c), over
 * random blocks and over every scale, min and quant at its extremes. On a CPU
 * without AVX-512 VNNI there is no repacked form, and the test checks that. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant.h"
#include "engine/quant_impl.h"
#include "quant_rng.h"


static const uint32_t TYPES[] = {C12_TYPE_Q4_K, C12_TYPE_Q6_K, C12_TYPE_Q5_0, C12_TYPE_Q4_1};

static const c12_type_traits *repacked(uint32_t type)
{
    const c12_type_traits *tab = c12_types(c12_isa_detect());
    return c12_type_repacked(tab, c12_type(tab, type));
}

static const c12_type_traits *ref(uint32_t type) { return c12_type(c12_types(C12_ISA_SCALAR), type); }

/* sane fp16 scales over whatever quant bytes the block has */
static void set_scales(uint32_t type, void *blk, float d, float dmin)
{
    if (type == C12_TYPE_Q4_K) {
        c12_block_q4_K *b = blk;
        b->d = c12_fp32_to_fp16(d);
        b->dmin = c12_fp32_to_fp16(dmin);
    } else if (type == C12_TYPE_Q6_K) {
        c12_block_q6_K *b = blk; /* its int8 sub-block scales are the random bytes */
        b->d = c12_fp32_to_fp16(d);
        (void)dmin;
    } else if (type == C12_TYPE_Q4_1) {
        c12_block_q4_1 *b = blk;
        b->d = c12_fp32_to_fp16(d);
        b->m = c12_fp32_to_fp16(-8.0f * dmin);
    } else {
        c12_block_q5_0 *b = blk;
        b->d = c12_fp32_to_fp16(d);
    }
}

static void test_table(void **state)
{
    (void)state;
    for (int l = 0; l <= (int)c12_isa_detect(); l++) {
        const c12_type_traits *tab = c12_types((c12_isa)l);
        assert_null(c12_type_repacked(tab, c12_type(tab, C12_TYPE_Q4_0)));
        for (size_t k = 0; k < sizeof TYPES / sizeof TYPES[0]; k++) {
            const c12_type_traits *plain = c12_type(tab, TYPES[k]), *r8 = c12_type_repacked(tab, plain);
            if (l != C12_ISA_AVX512) {
                assert_null(r8);
                continue;
            }
            assert_non_null(r8);
            assert_true(r8->repack && r8->vec_dot_r8 && !r8->vec_dot && !r8->vec_dot_n && !r8->to_float);
            assert_true(r8->vec_dot_type == plain->vec_dot_type && r8->type_size == plain->type_size &&
                        r8->block_size == plain->block_size && !strcmp(r8->name, plain->name));
            assert_null(c12_type_repacked(tab, r8));
            assert_null(c12_type_repacked(c12_types(C12_ISA_AVX2), plain));
        }
    }
}

enum { ROWS = 16, MAXY = 9, STRIDE = ROWS + 3 };

/* Repack w (ROWS rows of nb blocks), multiply by ny tokens, and check each
 * result against the scalar vec_dot of the plain row, bit for bit, and that
 * nothing outside the rows' outputs was written. */
static void check(uint32_t type, const uint8_t *w, int nb, const uint8_t *y, int ny, const char *what)
{
    const c12_type_traits *r8 = repacked(type), *pt = ref(type), *yt = ref((uint32_t)pt->vec_dot_type);
    const int n = nb * pt->block_size;
    const size_t rb = c12_type_row_size(pt, n), yb = c12_type_row_size(yt, n);
    uint8_t *packed = malloc(ROWS * rb);
    for (int g = 0; g < ROWS; g += 8) r8->repack(w + g * rb, rb, packed + g * rb, n);
    float out[MAXY * STRIDE];
    for (int i = 0; i < MAXY * STRIDE; i++) out[i] = NAN;
    for (int g = 0; g < ROWS; g += 8) r8->vec_dot_r8(n, out + g, STRIDE, packed + g * rb, y, yb, ny);
    for (int t = 0; t < MAXY; t++)
        for (int r = 0; r < STRIDE; r++) {
            const float got = out[t * STRIDE + r];
            if (t >= ny || r >= ROWS) {
                if (!isnan(got)) fail_msg("%s %s nb=%d ny=%d: wrote out[%d][%d]", pt->name, what, nb, ny, t, r);
                continue;
            }
            float want = NAN;
            pt->vec_dot(n, &want, w + r * rb, y + t * yb);
            if (memcmp(&got, &want, sizeof got))
                fail_msg("%s %s nb=%d ny=%d row %d token %d: %.9g, vec_dot %.9g", pt->name, what, nb, ny, r, t,
                         (double)got, (double)want);
        }
    free(packed);
}

static void quantize_act(uint32_t type, const float *f, uint8_t *y, int n, int t)
{
    const c12_type_traits *yt = ref((uint32_t)ref(type)->vec_dot_type);
    yt->from_float(f, y + (size_t)t * c12_type_row_size(yt, n), n);
}

static void random_act(uint32_t type, uint8_t *y, int n, int ny, rng *r, float amp)
{
    float *f = malloc(sizeof(float) * (size_t)n);
    for (int t = 0; t < ny; t++) {
        for (int i = 0; i < n; i++) f[i] = amp * rng_unit(r);
        quantize_act(type, f, y, n, t);
    }
    free(f);
}

static void test_random(void **state)
{
    (void)state;
    static const int NB[] = {1, 2, 6, 35, 57};
    static const int NY[] = {1, 2, 3, 4, 5, 7, 8, 9};
    rng r = {21};
    for (size_t k = 0; k < sizeof TYPES / sizeof TYPES[0]; k++) {
        const uint32_t type = TYPES[k];
        if (!repacked(type)) skip();
        const c12_type_traits *pt = ref(type);
        for (size_t b = 0; b < sizeof NB / sizeof NB[0]; b++) {
            const int nb = NB[b], n = nb * pt->block_size;
            uint8_t *w = malloc(pt->type_size * (size_t)(ROWS * nb));
            uint8_t *y = malloc(c12_type_row_size(ref((uint32_t)pt->vec_dot_type), n) * MAXY);
            for (int rep = 0; rep < 4; rep++) {
                for (size_t i = 0; i < pt->type_size * (size_t)(ROWS * nb); i++) w[i] = (uint8_t)rng_u64(&r);
                for (int i = 0; i < ROWS * nb; i++) {
                    const float d = ldexpf(1.0f + 0.5f * rng_unit(&r), -10 - (int)(rng_u64(&r) % 5));
                    set_scales(type, w + (size_t)i * pt->type_size, d * (rng_u64(&r) & 1 ? 1.0f : -1.0f),
                               d * 0.5f * (1.0f + rng_unit(&r)));
                }
                random_act(type, y, n, MAXY, &r, rep == 3 ? 1e-3f : 3.0f);
                for (size_t j = 0; j < sizeof NY / sizeof NY[0]; j++) check(type, w, nb, y, NY[j], "random");
            }
            free(w);
            free(y);
        }
    }
}

/* every quant, scale and min at 0 or at its top (bytes 0x00, 0xFF, ...)
 * against activations of +-127: int16 saturation or a lost bit shows */
static void test_extremes(void **state)
{
    (void)state;
    static const uint8_t fills[] = {0x00, 0xFF, 0x80, 0x7F, 0x55, 0xAA, 0x3F, 0xC0};
    enum { NB = 2, MAXN = NB * C12_QK_K };
    for (size_t k = 0; k < sizeof TYPES / sizeof TYPES[0]; k++) {
        const uint32_t type = TYPES[k];
        if (!repacked(type)) skip();
        const c12_type_traits *pt = ref(type);
        const int n = NB * pt->block_size;
        uint8_t w[ROWS * NB * sizeof(c12_block_q6_K)], y[MAXY * NB * sizeof(c12_block_q8_K)];
        float f[MAXN];
        for (size_t a = 0; a < sizeof fills; a++)
            for (int sign = 0; sign < 3; sign++) {
                for (int i = 0; i < ROWS * NB; i++) {
                    memset(w + (size_t)i * pt->type_size, fills[(a + (size_t)i) % sizeof fills], pt->type_size);
                    set_scales(type, w + (size_t)i * pt->type_size, 1.0f + (float)i / 64.0f, 0.5f);
                }
                for (int t = 0; t < MAXY; t++) {
                    for (int i = 0; i < n; i++) f[i] = sign == 0 ? 1.0f : sign == 1 ? -1.0f : ((i + t) & 1 ? 1.0f : -1.0f);
                    quantize_act(type, f, y, n, t);
                }
                check(type, w, NB, y, MAXY, "extremes");
                check(type, w, NB, y, 4, "extremes");
            }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_extremes),
    };
    return cmocka_run_group_tests_name("quant_r8", tests, NULL, NULL);
}
