/* quant_rng.h - the seedable generator the quant tests draw blocks and
 * activations from (test_quant.c, test_quant_r8.c). */
#ifndef C12_TEST_QUANT_RNG_H
#define C12_TEST_QUANT_RNG_H

#include <stdint.h>

typedef struct { uint64_t s; } rng; /* splitmix64: tiny, seedable, good enough */

static inline uint64_t rng_u64(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* uniform in [-1, 1) */
static inline float rng_unit(rng *r) { return (float)((rng_u64(r) >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f; }

#endif
