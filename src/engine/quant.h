/* quant.h - tensor types as table rows, as ggml's type traits are (engine-internal).
 *
 * Each row says how big a block is, how to turn it into floats, which type the
 * activations are quantized to before a dot product (vec_dot_type), and the
 * dot-product kernel. The scalar table is the reference; SIMD tables (AVX2,
 * AVX-512) override kernels where they have one and are tested against it.
 * Type numbers are ggml's, since GGUF stores them. */
#ifndef C12_QUANT_H
#define C12_QUANT_H

#include <stddef.h>
#include <stdint.h>

enum {
    C12_TYPE_F32 = 0, C12_TYPE_F16 = 1, C12_TYPE_Q4_0 = 2, C12_TYPE_Q4_1 = 3,
    C12_TYPE_Q5_0 = 6, C12_TYPE_Q5_1 = 7, C12_TYPE_Q8_0 = 8, C12_TYPE_Q8_1 = 9,
    C12_TYPE_Q2_K = 10, C12_TYPE_Q3_K = 11, C12_TYPE_Q4_K = 12, C12_TYPE_Q5_K = 13,
    C12_TYPE_Q6_K = 14, C12_TYPE_Q8_K = 15, C12_TYPE_BF16 = 30,
    C12_TYPE_MAX = 40
};

typedef enum { C12_ISA_SCALAR = 0, C12_ISA_AVX2 = 1, C12_ISA_AVX512 = 2, C12_ISA_COUNT } c12_isa;

typedef void (*c12_to_float_fn)(const void *src, float *dst, int64_t n);
typedef void (*c12_from_float_fn)(const float *src, void *dst, int64_t n);
/* s = dot(x, y) over n elements; x is a row of this type, y a row of vec_dot_type. */
typedef void (*c12_vec_dot_fn)(int n, float *s, const void *x, const void *y);
/* s[j * s_stride] = dot(x, y_j) for j < ny, y_j at y + j * y_stride bytes:
 * bit-identical to ny vec_dot calls, faster where the kernel unpacks the row x
 * once for several activation rows (a prompt's tokens). ysc: the activation
 * rows' block scales as c12_act_scales lays them out, for the types whose
 * activations are Q8_0 or Q8_1 (the same for every weight row of a matrix:
 * made once, not per row); the K-quants' Q8_K rows hold float scales and
 * take NULL. */
typedef void (*c12_vec_dot_n_fn)(int n, float *s, size_t s_stride, const void *x, const void *y,
                                 size_t y_stride, int ny, const float *ysc);
/* A matrix repacked eight rows at a time (c12_type_repacked): repack lays
 * out 8 rows of the plain type (row r at src + r * row_bytes, n elements
 * each) in the same number of bytes at dst; vec_dot_r8 multiplies 8
 * repacked rows x with ny activation rows: s[t * s_stride + r] = dot(row r,
 * y_t), r < 8, bit-identical to the plain type's vec_dot. */
typedef void (*c12_repack_fn)(const void *src, size_t row_bytes, void *dst, int64_t n);
typedef void (*c12_vec_dot_r8_fn)(int n, float *s, size_t s_stride, const void *x, const void *y,
                                  size_t y_stride, int ny);

typedef struct c12_type_traits {
    const char *name;          /* NULL: type not supported */
    int block_size;            /* elements per block */
    size_t type_size;          /* bytes per block */
    c12_to_float_fn to_float;
    c12_from_float_fn from_float; /* quantize; present for activation types */
    int vec_dot_type;
    c12_vec_dot_fn vec_dot;
    c12_vec_dot_n_fn vec_dot_n; /* NULL: callers loop over vec_dot */
    /* the fewest rows for which vec_dot_n beats ny vec_dot calls: a kernel
     * that computes a whole tile of tokens costs the same for fewer (a
     * batched decode step's few sequences); measured, bench/README.md */
    int vec_dot_n_min;
    /* repacked rows only (vec_dot, vec_dot_n and to_float are NULL there:
     * a single row cannot be read from the layout) */
    c12_repack_fn repack;
    c12_vec_dot_r8_fn vec_dot_r8;
} c12_type_traits;

/* The block scales of ny activation rows of type vec_dot_type (Q8_0: d;
 * Q8_1: d and s), n elements each, as the 32-blocks' vec_dot_n kernels read
 * them: per tile of 8 rows and per block, the 8 rows' d as floats, then
 * their s (rows past ny repeat the last). c12_act_scales_floats: the floats
 * this takes (0: the type has none to lay out, and c12_act_scales writes
 * nothing). */
size_t c12_act_scales_floats(int vec_dot_type, int n, int ny);
void c12_act_scales(int vec_dot_type, const void *y, size_t y_stride, int n, int ny, float *out);

/* The best ISA this CPU runs (checked with cpuid at call time; cheap). */
c12_isa c12_isa_detect(void);
const char *c12_isa_name(c12_isa isa);
/* The traits table for an ISA level (every level has every type; missing SIMD
 * kernels fall back to the scalar ones). Returns NULL for isa above what the
 * CPU supports. */
const c12_type_traits *c12_types(c12_isa isa);
/* Row of a table for `type`, or NULL if unknown/unsupported. */
const c12_type_traits *c12_type(const c12_type_traits *table, uint32_t type);
/* The row a matrix of `rows` rows of `type` multiplies with, as llama.cpp's
 * CPU backend would: it repacks Q4_0 matrices whose row count is a multiple
 * of 8 (8 rows interleaved) and multiplies them in another order, so those
 * get a Q4_0 row whose vec_dot follows that order (same blocks, same
 * to_float); everything else is c12_type's row. Not for a matrix llama.cpp
 * only reads rows of (the token embeddings, also when tied to the output). */
const c12_type_traits *c12_type_for_matmul(const c12_type_traits *table, uint32_t type, int64_t rows);
/* The repacked form of a plain row of this table (Q4_K, Q6_K, Q5_0, Q4_1 at
 * AVX-512), for matrices of 8k rows that only matmul reads; NULL when there
 * is none. */
const c12_type_traits *c12_type_repacked(const c12_type_traits *table, const c12_type_traits *plain);
/* Bytes for n elements of a type (n a multiple of the block size), 0 if not. */
size_t c12_type_row_size(const c12_type_traits *tt, int64_t n);

/* IEEE half <-> float, round-to-nearest-even. */
float c12_fp16_to_fp32(uint16_t h);
uint16_t c12_fp32_to_fp16(float f);

#endif
