/* quant_r8.c - Q4_K, Q6_K, Q5_0 and Q4_1 matrices repacked eight rows at a
 * time, for the kernels that multiply eight rows per pass (quant_r8_avx512.c,
 * quant_r8_q6_avx512.c, quant_r8_32_avx512.c).
 *
 * Why: a one-row Q4_K kernel ends every super-block (256 weights) with a
 * horizontal reduction of its integer lanes and unpacks the row's 6-bit
 * scales with scalar code; with eight rows side by side each vector lane
 * belongs to one row, so no reduction is needed and one vector operation
 * unpacks eight rows' scales. One token's Q4_K kernel ran at 20 GB/s from
 * L2, under what two cores read from DRAM (34 GB/s); decode was compute-bound.
 * llama.cpp repacks Q4_K for the same reason (ggml's block_q4_Kx8); this
 * layout is C12's own, chosen for the kernel below.
 *
 * Layout of one group super-block: the eight rows' super-block i, 1152
 * bytes, as many as the eight plain blocks (offsets in a repacked matrix are
 * the plain ones). Rows are r = 2L + e (L < 4, e < 2).
 *   dd[16]     fp16: for each L, d(2L), d(2L+1), dmin(2L), dmin(2L+1)      (32 bytes)
 *   scales[96] the 8 rows' plain 12-byte scales, row after row             (96)
 *   qs[1024]   for chunk c < 4 and part p < 4, 64 bytes: row r's plain
 *              qs[32c + 8p .. 32c + 8p + 7] at 8r (low nibbles: sub-block
 *              2c, high: 2c + 1, as in the plain block)                  (1024)
 * The kernel unpacks the eight rows' plain scales with a few vector
 * operations (quant_r8_avx512.c). Results are the one-row kernel's, bit for
 * bit (tests/engine/test_quant_r8.c). */
#include "engine/quant_impl.h"

enum { DD = 0, SCALES = 32, QS = 128 };
_Static_assert(C12_R8_Q6_QH + 512 == 8 * sizeof(c12_block_q6_K), "q6_K x8 group layout");
_Static_assert(sizeof(c12_block_q4_K) * 8 == QS + 1024 && SCALES + 8 * 12 == QS, "q4_K x8 group layout");

/* row r's d: fp16 number 4 * (r / 2) + r % 2 of dd; its dmin two later */
static int d_at(int r) { return 4 * (r / 2) + r % 2; }

void c12_q4_K_repack8(const void *src, size_t row_bytes, void *dst, int64_t cols)
{
    const c12_block_q4_K *row[8];
    for (int r = 0; r < 8; r++) row[r] = (const c12_block_q4_K *)((const uint8_t *)src + (size_t)r * row_bytes);
    uint8_t *o = dst;
    for (int i = 0; i < cols / C12_QK_K; i++, o += 8 * sizeof(c12_block_q4_K))
        for (int r = 0; r < 8; r++) {
            const c12_block_q4_K *b = &row[r][i];
            memcpy(o + DD + 2 * d_at(r), &b->d, 2);
            memcpy(o + DD + 2 * (d_at(r) + 2), &b->dmin, 2);
            memcpy(o + SCALES + 12 * r, b->scales, 12);
            for (int cp = 0; cp < 16; cp++) memcpy(o + QS + 64 * cp + 8 * r, b->qs + 32 * (cp / 4) + 8 * (cp % 4), 8);
        }
}

/* Q6_K: one group super-block is the eight rows' super-block i, 1680 bytes
 * (as many as the eight plain blocks). Rows r < 8; "part p of chunk c" is
 * the 8 quants 32c + 8p .. 32c + 8p + 7 (c < 8, p < 4), as 6-bit values
 * (the quant + 32; the plain layout: quant_impl.h).
 *   d[8]        fp16, row by row                                          (16)
 *   sc[4][8][4] for each p, row r's scales of sub-blocks 4p .. 4p + 3    (128)
 *   ql[8][2][64] chunk c, half h: byte 8r + j holds the low 4 bits of
 *               row r's quant j of part h (low nibble) and of part h + 2
 *               (high nibble)                                           (1024)
 *   qh[8][64]   chunk c: byte 8r + j holds the top 2 bits of row r's
 *               quant j of part p in bits 2p, 2p + 1                     (512)
 * Offsets C12_R8_Q6_* (quant_impl.h), which the kernel reads too. */
/* 8 bytes at a time, as 64-bit words: nibbles and bit pairs masked per byte
 * never cross into the next byte */
static uint64_t ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void q6_K_group(const c12_block_q6_K *b, int r, uint8_t *o)
{
    const uint64_t m4 = 0x0F0F0F0F0F0F0F0Full, m2 = 0x0303030303030303ull;
    uint64_t v[C12_QK_K / 8]; /* the 6-bit values, 8 a word: element e in byte e % 8 of v[e / 8] */
    for (int h = 0; h < 2; h++) /* the plain block's four quants per (half, l) at once (quant_impl.h) */
        for (int l = 0; l < 32; l += 8) {
            const uint64_t a = ld64(b->ql + 64 * h + l), c = ld64(b->ql + 64 * h + 32 + l), hi = ld64(b->qh + 32 * h + l);
            v[(128 * h + l) / 8] = (a & m4) | (hi & m2) << 4;
            v[(128 * h + 32 + l) / 8] = (c & m4) | (hi >> 2 & m2) << 4;
            v[(128 * h + 64 + l) / 8] = (a >> 4 & m4) | (hi >> 4 & m2) << 4;
            v[(128 * h + 96 + l) / 8] = (c >> 4 & m4) | (hi >> 6 & m2) << 4;
        }
    memcpy(o + C12_R8_Q6_D + 2 * r, &b->d, 2);
    for (int p = 0; p < 4; p++) memcpy(o + C12_R8_Q6_SC + 32 * p + 4 * r, b->scales + 4 * p, 4);
    for (int c = 0; c < 8; c++) {
        const uint64_t *q = v + 4 * c; /* part p of chunk c: q[p] */
        const uint64_t l0 = (q[0] & m4) | (q[2] & m4) << 4, l1 = (q[1] & m4) | (q[3] & m4) << 4;
        const uint64_t h = (q[0] >> 4 & m2) | (q[1] >> 4 & m2) << 2 | (q[2] >> 4 & m2) << 4 | (q[3] >> 4 & m2) << 6;
        memcpy(o + C12_R8_Q6_QL + 128 * c + 8 * r, &l0, 8);
        memcpy(o + C12_R8_Q6_QL + 128 * c + 64 + 8 * r, &l1, 8);
        memcpy(o + C12_R8_Q6_QH + 64 * c + 8 * r, &h, 8);
    }
}

void c12_q6_K_repack8(const void *src, size_t row_bytes, void *dst, int64_t cols)
{
    uint8_t *o = dst;
    for (int i = 0; i < cols / C12_QK_K; i++, o += 8 * sizeof(c12_block_q6_K))
        for (int r = 0; r < 8; r++)
            q6_K_group((const c12_block_q6_K *)((const uint8_t *)src + (size_t)r * row_bytes) + i, r, o);
}

/* The 32-block types (Q5_0, Q4_1): one group block is the eight rows'
 * block i (8 x 22 or 8 x 20 bytes):
 *   d[8]       fp16, row by row                                          (16)
 *   m[8]       Q4_1's mins, fp16, row by row                             (16)
 *   qh[4][8]   Q5_0's 5th bits: byte b of row r at 8b + r, eight bytes that
 *              are the byte mask of 8 weights of every row                (32)
 *   qs[2][64]  half k: row r's plain qs[8k .. 8k + 7] at 8r (low nibbles:
 *              weights 8k.., high: 16 + 8k..)                          (128)
 * Offsets in C12_R8_Q5_0 / C12_R8_Q4_1 (quant_impl.h; -1: no such field),
 * which the kernel (quant_r8_32_avx512.c) reads too. In the plain block, d
 * comes first, then m or qh, then the 16 bytes of qs. */

static void repack32(const c12_r8_32_layout *L, const void *src, size_t row_bytes, void *dst, int64_t cols)
{
    uint8_t *o = dst;
    for (int i = 0; i < cols / C12_QK; i++, o += 8 * L->block)
        for (int r = 0; r < 8; r++) {
            const uint8_t *b = (const uint8_t *)src + (size_t)r * row_bytes + (size_t)i * (size_t)L->block;
            memcpy(o + L->d + 2 * r, b, 2);
            if (L->m >= 0) memcpy(o + L->m + 2 * r, b + 2, 2);
            for (int k = 0; L->qh >= 0 && k < 4; k++) o[L->qh + 8 * k + r] = b[2 + k];
            memcpy(o + L->qs + 8 * r, b + L->block - 16, 8);
            memcpy(o + L->qs + 64 + 8 * r, b + L->block - 8, 8);
        }
}

void c12_q5_0_repack8(const void *src, size_t row_bytes, void *dst, int64_t cols)
{
    repack32(&C12_R8_Q5_0, src, row_bytes, dst, cols);
}

void c12_q4_1_repack8(const void *src, size_t row_bytes, void *dst, int64_t cols)
{
    repack32(&C12_R8_Q4_1, src, row_bytes, dst, cols);
}
