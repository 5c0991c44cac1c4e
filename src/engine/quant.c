/* quant.c - the tensor-type tables, one static const table per ISA level.
 *
 * Every level lists every supported type; a row's kernels are the best the
 * level has (AVX-512 > AVX2 > scalar), so callers never need a fallback. The
 * tables are plain constant data: choosing a level is c12_types(level) and
 * nothing is patched at run time. */
#include <cpuid.h>

#include "engine/quant_impl.h"

#define ROW(nm, bs, sz, tf, ff, vdt, vd) ROW_N(nm, bs, sz, tf, ff, vdt, vd, NULL, 0)
#define ROW_N(nm, bs, sz, tf, ff, vdt, vd, vdn, nmin) { nm, bs, sz, tf, ff, vdt, vd, vdn, nmin, NULL, NULL }
/* vec_dot_n_min (make bench-quant's second table): the 32-blocks' kernels
 * compute 4 tokens whatever ny <= 4 is, and 8 for more (quant_n_tile.h),
 * with the tokens' scales laid out once per matrix (c12_act_scales): Q4_1's
 * and Q5_0's 4-token tile costs less than 2 vec_dot calls and reads the row
 * once; Q8_0's one-token dot is the cheapest, so its tile wins from 3; the
 * K-quants' compute 4 or 8 and win from 3 too */
#define N_MIN_TILE 2
#define N_MIN_Q8_0 3
#define N_MIN_K 3

/* Rows whose kernels do not depend on the ISA level (activation-only types). */
#define ROW_BF16(vd) ROW("bf16", 1, 2, c12_bf16_to_float, c12_bf16_from_float, C12_TYPE_BF16, vd)
#define ROW_Q8_1(ff) ROW("q8_1", C12_QK, sizeof(c12_block_q8_1), c12_q8_1_to_float, ff, C12_TYPE_Q8_1, NULL)
#define ROW_Q8_K(ff) ROW("q8_K", C12_QK_K, sizeof(c12_block_q8_K), c12_q8_K_to_float, ff, C12_TYPE_Q8_K, NULL)

#define ROW_F32(vd) ROW("f32", 1, 4, c12_f32_to_float, c12_f32_from_float, C12_TYPE_F32, vd)
#define ROW_F16(ff, vd) ROW("f16", 1, 2, c12_f16_to_float, ff, C12_TYPE_F16, vd)
#define ROW_Q4_0(vd) ROW("q4_0", C12_QK, sizeof(c12_block_q4_0), c12_q4_0_to_float, c12_q4_0_from_float, C12_TYPE_Q8_0, vd)
#define ROW_Q4_1(vd) ROW_Q4_1_N(vd, NULL)
#define ROW_Q4_1_N(vd, vdn) ROW_N("q4_1", C12_QK, sizeof(c12_block_q4_1), c12_q4_1_to_float, c12_q4_1_from_float, C12_TYPE_Q8_1, vd, vdn, N_MIN_TILE)
#define ROW_Q5_0(vd) ROW_Q5_0_N(vd, NULL)
#define ROW_Q5_0_N(vd, vdn) ROW_N("q5_0", C12_QK, sizeof(c12_block_q5_0), c12_q5_0_to_float, c12_q5_0_from_float, C12_TYPE_Q8_0, vd, vdn, N_MIN_TILE)
#define ROW_Q5_1(vd) ROW("q5_1", C12_QK, sizeof(c12_block_q5_1), c12_q5_1_to_float, c12_q5_1_from_float, C12_TYPE_Q8_1, vd)
#define ROW_Q8_0(ff, vd) ROW_Q8_0_N(ff, vd, NULL)
#define ROW_Q8_0_N(ff, vd, vdn) ROW_N("q8_0", C12_QK, sizeof(c12_block_q8_0), c12_q8_0_to_float, ff, C12_TYPE_Q8_0, vd, vdn, N_MIN_Q8_0)
/* K-quant weights have no from_float: see quant_scalar_k.c. */
#define ROW_Q4_K(vd) ROW("q4_K", C12_QK_K, sizeof(c12_block_q4_K), c12_q4_K_to_float, NULL, C12_TYPE_Q8_K, vd)
#define ROW_Q4_K_N(vd, vdn) ROW_N("q4_K", C12_QK_K, sizeof(c12_block_q4_K), c12_q4_K_to_float, NULL, C12_TYPE_Q8_K, vd, vdn, N_MIN_K)
#define ROW_Q5_K(vd) ROW("q5_K", C12_QK_K, sizeof(c12_block_q5_K), c12_q5_K_to_float, NULL, C12_TYPE_Q8_K, vd)
#define ROW_Q6_K(vd) ROW("q6_K", C12_QK_K, sizeof(c12_block_q6_K), c12_q6_K_to_float, NULL, C12_TYPE_Q8_K, vd)
#define ROW_Q6_K_N(vd, vdn) ROW_N("q6_K", C12_QK_K, sizeof(c12_block_q6_K), c12_q6_K_to_float, NULL, C12_TYPE_Q8_K, vd, vdn, N_MIN_K)

static const c12_type_traits TYPES_SCALAR[C12_TYPE_MAX] = {
    [C12_TYPE_F32] = ROW_F32(c12_f32_vec_dot),
    [C12_TYPE_F16] = ROW_F16(c12_f16_from_float, c12_f16_vec_dot),
    [C12_TYPE_BF16] = ROW_BF16(c12_bf16_vec_dot),
    [C12_TYPE_Q4_0] = ROW_Q4_0(c12_q4_0_vec_dot),
    [C12_TYPE_Q4_1] = ROW_Q4_1(c12_q4_1_vec_dot),
    [C12_TYPE_Q5_0] = ROW_Q5_0(c12_q5_0_vec_dot),
    [C12_TYPE_Q5_1] = ROW_Q5_1(c12_q5_1_vec_dot),
    [C12_TYPE_Q8_0] = ROW_Q8_0(c12_q8_0_from_float, c12_q8_0_vec_dot),
    [C12_TYPE_Q8_1] = ROW_Q8_1(c12_q8_1_from_float),
    [C12_TYPE_Q4_K] = ROW_Q4_K(c12_q4_K_vec_dot),
    [C12_TYPE_Q5_K] = ROW_Q5_K(c12_q5_K_vec_dot),
    [C12_TYPE_Q6_K] = ROW_Q6_K(c12_q6_K_vec_dot),
    [C12_TYPE_Q8_K] = ROW_Q8_K(c12_q8_K_from_float),
};

static const c12_type_traits TYPES_AVX2[C12_TYPE_MAX] = {
    [C12_TYPE_F32] = ROW_F32(c12_f32_vec_dot_avx2),
    [C12_TYPE_F16] = ROW_F16(c12_f16_from_float_avx2, c12_f16_vec_dot_avx2),
    [C12_TYPE_BF16] = ROW_BF16(c12_bf16_vec_dot_avx2),
    [C12_TYPE_Q4_0] = ROW_Q4_0(c12_q4_0_vec_dot_avx2),
    [C12_TYPE_Q4_1] = ROW_Q4_1_N(c12_q4_1_vec_dot_avx2, c12_q4_1_vec_dot_n_avx2),
    [C12_TYPE_Q5_0] = ROW_Q5_0_N(c12_q5_0_vec_dot_avx2, c12_q5_0_vec_dot_n_avx2),
    [C12_TYPE_Q5_1] = ROW_Q5_1(c12_q5_1_vec_dot_avx2),
    [C12_TYPE_Q8_0] = ROW_Q8_0_N(c12_q8_0_from_float_avx2, c12_q8_0_vec_dot_avx2, c12_q8_0_vec_dot_n_avx2),
    [C12_TYPE_Q8_1] = ROW_Q8_1(c12_q8_1_from_float_avx2),
    [C12_TYPE_Q4_K] = ROW_Q4_K(c12_q4_K_vec_dot_avx2),
    [C12_TYPE_Q5_K] = ROW_Q5_K(c12_q5_K_vec_dot_avx2),
    [C12_TYPE_Q6_K] = ROW_Q6_K(c12_q6_K_vec_dot_avx2),
    [C12_TYPE_Q8_K] = ROW_Q8_K(c12_q8_K_from_float_avx2),
};

/* AVX-512 machines run AVX2 too: rows without an AVX-512 kernel take AVX2's.
 * The 32-blocks types keep AVX2's kernels: their sum order is fixed (see
 * quant_scalar.c) and a 512-bit loop would only reorder it. */
static const c12_type_traits TYPES_AVX512[C12_TYPE_MAX] = {
    [C12_TYPE_F32] = ROW_F32(c12_f32_vec_dot_avx512),
    [C12_TYPE_F16] = ROW_F16(c12_f16_from_float_avx2, c12_f16_vec_dot_avx2),
    [C12_TYPE_BF16] = ROW_BF16(c12_bf16_vec_dot_avx2),
    [C12_TYPE_Q4_0] = ROW_Q4_0(c12_q4_0_vec_dot_avx2),
    [C12_TYPE_Q4_1] = ROW_Q4_1_N(c12_q4_1_vec_dot_avx2, c12_q4_1_vec_dot_n_avx512),
    [C12_TYPE_Q5_0] = ROW_Q5_0_N(c12_q5_0_vec_dot_avx2, c12_q5_0_vec_dot_n_avx512),
    [C12_TYPE_Q5_1] = ROW_Q5_1(c12_q5_1_vec_dot_avx2),
    [C12_TYPE_Q8_0] = ROW_Q8_0_N(c12_q8_0_from_float_avx2, c12_q8_0_vec_dot_avx2, c12_q8_0_vec_dot_n_avx512),
    [C12_TYPE_Q8_1] = ROW_Q8_1(c12_q8_1_from_float_avx2),
    [C12_TYPE_Q4_K] = ROW_Q4_K_N(c12_q4_K_vec_dot_avx512, c12_q4_K_vec_dot_n_avx512),
    [C12_TYPE_Q5_K] = ROW_Q5_K(c12_q5_K_vec_dot_avx512),
    [C12_TYPE_Q6_K] = ROW_Q6_K_N(c12_q6_K_vec_dot_avx512, c12_q6_K_vec_dot_n_avx512),
    [C12_TYPE_Q8_K] = ROW_Q8_K(c12_q8_K_from_float_avx2),
};

/* Q4_0 as llama.cpp multiplies it once repacked (ggml_gemv_q4_0_8x8_q8_0):
 * per block an exact int32 sum, fused into one float accumulator times
 * dx*dy, block by block (quant_scalar.c). AVX2 code in AVX-512 builds too. */
#define ROW_Q4_0_R8(vd) ROW("q4_0", C12_QK, sizeof(c12_block_q4_0), c12_q4_0_to_float, c12_q4_0_from_float, C12_TYPE_Q8_0, vd)
static const c12_type_traits Q4_0_R8[C12_ISA_COUNT] = {
    ROW_Q4_0_R8(c12_q4_0_r8_vec_dot), ROW_Q4_0_R8(c12_q4_0_r8_vec_dot_avx2),
    ROW_Q4_0_R8(c12_q4_0_r8_vec_dot_avx2),
};

const c12_type_traits *c12_type_for_matmul(const c12_type_traits *table, uint32_t type, int64_t rows)
{
    if (type != C12_TYPE_Q4_0 || rows % 8 != 0 || !c12_type(table, type)) return c12_type(table, type);
    int isa = table == TYPES_AVX512 ? C12_ISA_AVX512 : table == TYPES_AVX2 ? C12_ISA_AVX2 : C12_ISA_SCALAR;
    return &Q4_0_R8[isa];
}

/* Q4_K, Q6_K, Q5_0 and Q4_1 repacked 8 rows at a time (quant_r8.c): AVX-512 VNNI only,
 * where their kernels are; the same blocks, so type_size and block_size are the plain
 * row's and a slice of 8k rows starts where the plain one would. */
static const c12_type_traits Q4_K_R8_AVX512 = {
    .name = "q4_K", .block_size = C12_QK_K, .type_size = sizeof(c12_block_q4_K), .vec_dot_type = C12_TYPE_Q8_K,
    .repack = c12_q4_K_repack8, .vec_dot_r8 = c12_q4_K_r8_vec_dot_avx512,
};

static const c12_type_traits Q6_K_R8_AVX512 = {
    .name = "q6_K", .block_size = C12_QK_K, .type_size = sizeof(c12_block_q6_K), .vec_dot_type = C12_TYPE_Q8_K,
    .repack = c12_q6_K_repack8, .vec_dot_r8 = c12_q6_K_r8_vec_dot_avx512,
};

static const c12_type_traits Q5_0_R8_AVX512 = {
    .name = "q5_0", .block_size = C12_QK, .type_size = sizeof(c12_block_q5_0), .vec_dot_type = C12_TYPE_Q8_0,
    .repack = c12_q5_0_repack8, .vec_dot_r8 = c12_q5_0_r8_vec_dot_avx512,
};

static const c12_type_traits Q4_1_R8_AVX512 = {
    .name = "q4_1", .block_size = C12_QK, .type_size = sizeof(c12_block_q4_1), .vec_dot_type = C12_TYPE_Q8_1,
    .repack = c12_q4_1_repack8, .vec_dot_r8 = c12_q4_1_r8_vec_dot_avx512,
};

const c12_type_traits *c12_type_repacked(const c12_type_traits *table, const c12_type_traits *plain)
{
    static const struct { const c12_type_traits *plain, *r8; } REPACKED[] = {
        {&TYPES_AVX512[C12_TYPE_Q4_K], &Q4_K_R8_AVX512},
        {&TYPES_AVX512[C12_TYPE_Q6_K], &Q6_K_R8_AVX512},
        {&TYPES_AVX512[C12_TYPE_Q5_0], &Q5_0_R8_AVX512},
        {&TYPES_AVX512[C12_TYPE_Q4_1], &Q4_1_R8_AVX512},
    };
    for (size_t i = 0; table == TYPES_AVX512 && i < sizeof REPACKED / sizeof REPACKED[0]; i++)
        if (plain == REPACKED[i].plain) return REPACKED[i].r8;
    return NULL;
}

c12_isa c12_isa_detect(void)
{
    /* __builtin_cpu_supports also checks that the OS saves the AVX / AVX-512
     * register state (XCR0), not just cpuid. avx512dq is checked as well
     * because the Makefile compiles *_avx512.c with -mavx512dq, so the
     * compiler may emit DQ instructions there. */
    __builtin_cpu_init();
    /* F16C through cpuid (leaf 1, ECX bit 29): clang does not accept "f16c"
     * in __builtin_cpu_supports, and the fuzz build uses clang. */
    unsigned a, b, c, d;
    const int f16c = __get_cpuid(1, &a, &b, &c, &d) && ((c >> 29) & 1u);
    const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
    if (!avx2) return C12_ISA_SCALAR;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vnni"))
        return C12_ISA_AVX512;
    return C12_ISA_AVX2;
}

const char *c12_isa_name(c12_isa isa)
{
    switch (isa) {
    case C12_ISA_SCALAR: return "scalar";
    case C12_ISA_AVX2: return "avx2";
    case C12_ISA_AVX512: return "avx512";
    default: return "unknown";
    }
}

const c12_type_traits *c12_types(c12_isa isa)
{
    if ((int)isa < 0 || isa >= C12_ISA_COUNT || isa > c12_isa_detect()) return NULL;
    static const c12_type_traits *const tables[C12_ISA_COUNT] = { TYPES_SCALAR, TYPES_AVX2, TYPES_AVX512 };
    return tables[isa];
}

const c12_type_traits *c12_type(const c12_type_traits *table, uint32_t type)
{
    if (!table || type >= C12_TYPE_MAX || !table[type].name) return NULL;
    return &table[type];
}

size_t c12_type_row_size(const c12_type_traits *tt, int64_t n)
{
    if (!tt || !tt->name || n < 0 || n % tt->block_size != 0) return 0;
    return (size_t)(n / tt->block_size) * tt->type_size;
}

float c12_fp16_to_fp32(uint16_t h) { return c12_h2f(h); }
uint16_t c12_fp32_to_fp16(float f) { return c12_f2h(f); }

size_t c12_act_scales_floats(int vec_dot_type, int n, int ny)
{
    if (vec_dot_type != C12_TYPE_Q8_0 && vec_dot_type != C12_TYPE_Q8_1) return 0;
    return (size_t)((ny + 7) / 8) * (size_t)(n / C12_QK) * 16;
}

void c12_act_scales(int vec_dot_type, const void *y, size_t y_stride, int n, int ny, float *out)
{
    const int nb = n / C12_QK, q81 = vec_dot_type == C12_TYPE_Q8_1;
    const size_t bsz = q81 ? sizeof(c12_block_q8_1) : sizeof(c12_block_q8_0);
    if (!c12_act_scales_floats(vec_dot_type, n, ny)) return;
    for (int t0 = 0; t0 < ny; t0 += 8)
        for (int i = 0; i < nb; i++) {
            float *o = out + ((size_t)(t0 / 8) * (size_t)nb + (size_t)i) * 16;
            for (int k = 0; k < 8; k++) {
                const int t = t0 + k < ny ? t0 + k : ny - 1;
                const uint8_t *b = (const uint8_t *)y + (size_t)t * y_stride + (size_t)i * bsz;
                uint16_t h[2] = {0, 0};
                memcpy(h, b, q81 ? 4 : 2); /* d, and Q8_1's s after it */
                o[k] = c12_fp16_to_fp32(h[0]);
                o[8 + k] = q81 ? c12_fp16_to_fp32(h[1]) : 0.0f;
            }
        }
}
