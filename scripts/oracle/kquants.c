/* kquants.c - C12's K-quant kernels against ggml's own, bit for bit.
 *
 * Links the reference build's libggml-cpu (scripts/oracle/kquants.sh builds
 * and runs it; not part of `make test`, which has no llama.cpp). On random
 * rows it checks, at every ISA level C12 has on this CPU:
 *  - Q8_K activations: C12's quantizer vs ggml's quantize_row_q8_K;
 *  - Q4_K: C12's vec_dot vs ggml_gemv_q4_K_8x8_q8_K on the same 8 rows in
 *    llama.cpp's repacked layout (the path llama.cpp takes for Q4_K matrices,
 *    docs/engine.md), and, for contrast, vs ggml_vec_dot_q4_K_q8_K, which it
 *    does not follow and which differs in the last bits;
 *  - Q5_K, Q6_K: C12's vec_dot vs ggml_vec_dot_q5_K_q8_K / q6_K_q8_K. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/quant.h"
#include "engine/quant_impl.h"

void ggml_cpu_init(void);
void quantize_row_q8_K(const float *x, void *y, int64_t k);
void ggml_vec_dot_q4_K_q8_K(int n, float *s, size_t bs, const void *x, size_t bx, const void *y,
                            size_t by, int nrc);
void ggml_vec_dot_q5_K_q8_K(int n, float *s, size_t bs, const void *x, size_t bx, const void *y,
                            size_t by, int nrc);
void ggml_vec_dot_q6_K_q8_K(int n, float *s, size_t bs, const void *x, size_t bx, const void *y,
                            size_t by, int nrc);
void ggml_gemv_q4_K_8x8_q8_K(int n, float *s, size_t bs, const void *x, const void *y, int nr,
                             int nc);

enum { NB = 35, N = NB * 256, REPS = 1000 }; /* 35 super-blocks: a qwen2.5-1.5b ffn_down row */

typedef struct { uint64_t s; } rng;
static uint64_t rnd(rng *r) { r->s ^= r->s << 13; r->s ^= r->s >> 7; r->s ^= r->s << 17; return r->s; }
static float frnd(rng *r) { return (float)((rnd(r) >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f; }
static uint16_t scale(rng *r, int e) { return c12_f2h(ldexpf(1.0f + frnd(r) / 2, e)); }

/* Eight Q4_K super-blocks interleaved as llama.cpp's CPU_REPACK buffer holds
 * them: fp16 d[8] and dmin[8]; per sub-block, 12 bytes of the 8 rows' 6-bit
 * scales and mins; the quants 8 bytes of each row in turn. */
typedef struct { uint16_t d[8], dmin[8]; uint8_t scales[96]; uint8_t qs[1024]; } q4_K_x8;

static void interleave8(const c12_block_q4_K *in[8], q4_K_x8 *out)
{
    uint8_t sc[8][8], mn[8][8];
    for (int r = 0; r < 8; r++) {
        out->d[r] = in[r]->d;
        out->dmin[r] = in[r]->dmin;
        c12_k4_scales(in[r]->scales, sc[r], mn[r]);
    }
    for (int i = 0; i < 128; i++) memcpy(out->qs + 8 * i, in[i % 8]->qs + 8 * (i / 8), 8);
    for (int sb = 0; sb < 8; sb++) {
        uint8_t *o = out->scales + 12 * sb;
        for (int r = 0; r < 4; r++) {
            o[r] = (uint8_t)((sc[r][sb] & 63) | (sc[r + 4][sb] & 48) << 2);
            o[r + 4] = (uint8_t)((mn[r][sb] & 63) | (mn[r + 4][sb] & 48) << 2);
            o[r + 8] = (uint8_t)((sc[r + 4][sb] & 15) | (mn[r + 4][sb] & 15) << 4);
        }
    }
}

static void fill(rng *r, void *p, size_t n)
{
    for (size_t i = 0; i < n; i++) ((uint8_t *)p)[i] = (uint8_t)rnd(r);
}

static int differs(float a, float b) { return memcmp(&a, &b, sizeof a) != 0; }

int main(void)
{
    static float x[N];
    static c12_block_q8_K yq[NB], yc[NB];
    static c12_block_q4_K w4[8][NB];
    static c12_block_q5_K w5[NB];
    static c12_block_q6_K w6[NB];
    static q4_K_x8 packed[NB];
    ggml_cpu_init();
    rng r = {88172645463325252ull};
    const int top = (int)c12_isa_detect();
    long q8 = 0, q4 = 0, q4_plain = 0, q5 = 0, q6 = 0, n_dots = 0;
    for (int rep = 0; rep < REPS; rep++) {
        for (int i = 0; i < N; i++) x[i] = (frnd(&r) + frnd(&r) + frnd(&r)) * (rnd(&r) % 50 ? 1 : 10);
        quantize_row_q8_K(x, yq, N);
        c12_type(c12_types(C12_ISA_SCALAR), C12_TYPE_Q8_K)->from_float(x, yc, N);
        q8 += memcmp(yq, yc, sizeof yq) != 0;
        fill(&r, w4, sizeof w4);
        fill(&r, w5, sizeof w5);
        fill(&r, w6, sizeof w6);
        for (int b = 0; b < NB; b++) {
            const c12_block_q4_K *in[8];
            for (int k = 0; k < 8; k++) {
                w4[k][b].d = scale(&r, -10);
                w4[k][b].dmin = scale(&r, -11);
                in[k] = &w4[k][b];
            }
            interleave8(in, &packed[b]);
            w5[b].d = scale(&r, -10);
            w5[b].dmin = scale(&r, -11);
            w6[b].d = scale(&r, -12) ^ (uint16_t)((rnd(&r) & 1) << 15);
        }
        float g[8], ref4, ref5, ref6, c;
        ggml_gemv_q4_K_8x8_q8_K(N, g, 8, packed, yq, 1, 8);
        ggml_vec_dot_q4_K_q8_K(N, &ref4, 0, w4[0], 0, yq, 0, 1);
        ggml_vec_dot_q5_K_q8_K(N, &ref5, 0, w5, 0, yq, 0, 1);
        ggml_vec_dot_q6_K_q8_K(N, &ref6, 0, w6, 0, yq, 0, 1);
        for (int l = 0; l <= top; l++) {
            const c12_type_traits *t = c12_types((c12_isa)l);
            for (int k = 0; k < 8; k++) {
                t[C12_TYPE_Q4_K].vec_dot(N, &c, w4[k], yq);
                q4 += differs(c, g[k]);
                if (k == 0) q4_plain += differs(c, ref4);
            }
            t[C12_TYPE_Q5_K].vec_dot(N, &c, w5, yq);
            q5 += differs(c, ref5);
            t[C12_TYPE_Q6_K].vec_dot(N, &c, w6, yq);
            q6 += differs(c, ref6);
            n_dots++;
        }
    }
    printf("%d rows of %d, ISA levels scalar..%s:\n", REPS, N, c12_isa_name((c12_isa)top));
    printf("  q8_K quantizer    differs from ggml's in %ld of %d rows\n", q8, REPS);
    printf("  q4_K              differs from ggml_gemv_q4_K_8x8_q8_K in %ld of %ld\n", q4, 8 * n_dots);
    printf("  q5_K              differs from ggml_vec_dot_q5_K_q8_K in %ld of %ld\n", q5, n_dots);
    printf("  q6_K              differs from ggml_vec_dot_q6_K_q8_K in %ld of %ld\n", q6, n_dots);
    printf("  (q4_K             differs from ggml_vec_dot_q4_K_q8_K, a path not taken, in %ld of %ld)\n",
           q4_plain, n_dots);
    return q8 || q4 || q5 || q6;
}
