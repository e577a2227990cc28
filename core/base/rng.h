// rng.h — PCG32 (O'Neill 2014, XSH-RR): the one source of randomness, seeded from the config so
// that the same seed gives the same weights and the same shuffles on every build.
#ifndef AEVP_RNG_H
#define AEVP_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state, inc;
} pcg32;

static inline uint32_t pcg32_next(pcg32 *r) {
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

static inline void pcg32_seed(pcg32 *r, uint64_t seed, uint64_t stream) {
    r->state = 0;
    r->inc = (stream << 1u) | 1u;
    pcg32_next(r);
    r->state += seed;
    pcg32_next(r);
}

// Uniform in [0, 1) with 24 bits, exactly representable as a float.
static inline float pcg32_float(pcg32 *r) { return (float)(pcg32_next(r) >> 8) * (1.0f / 16777216.0f); }

// Uniform in [0, bound) without modulo bias (Lemire's rejection on the low word).
static inline uint32_t pcg32_below(pcg32 *r, uint32_t bound) {
    uint32_t threshold = (uint32_t)(-bound) % bound;
    for (;;) {
        uint32_t x = pcg32_next(r);
        if (x >= threshold) return x % bound;
    }
}
#endif
