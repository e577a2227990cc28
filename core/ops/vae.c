// vae.c — the variational head between the encoder and the decoder: the seeded noise, the
// reparameterisation z = mu + exp(logvar / 2) * eps and the KL term, forward and backward.
// Not the model: which step and rows the noise is for, and how the KL is weighted, are model.c's.
#include <math.h>

#include "ops/ops.h"
#include "base/rng.h"

// splitmix64's finaliser: nearby (seed, step, row) triples give unrelated PCG32 states.
static uint64_t mix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

// Box–Muller in double from two 32-bit uniforms in (0, 1), rounded to float once at the end, so
// that any libm within an ulp of double gives the same floats (make_golden.py recomputes them).
void vae_noise(float *eps, int latent, uint32_t seed, uint32_t step, uint32_t row) {
    pcg32 rng;
    pcg32_seed(&rng, mix64(mix64((uint64_t)seed << 32 | step) ^ row), 3);
    for (int k = 0; k < latent; k += 2) {
        double u1 = ((double)pcg32_next(&rng) + 0.5) * (1.0 / 4294967296.0);
        double u2 = ((double)pcg32_next(&rng) + 0.5) * (1.0 / 4294967296.0);
        double radius = sqrt(-2.0 * log(u1)), angle = 6.283185307179586 * u2;
        eps[k] = (float)(radius * cos(angle));
        if (k + 1 < latent) eps[k + 1] = (float)(radius * sin(angle));
    }
}

void vae_forward(float *z, const float *enc, const float *eps, int n, int latent) {
    for (int i = 0; i < n; i++) {
        const float *mu = enc + (size_t)i * 2 * latent, *logvar = mu + latent;
        float *zi = z + (size_t)i * latent;
        for (int k = 0; k < latent; k++)
            zi[k] = eps ? mu[k] + expf(0.5f * logvar[k]) * eps[(size_t)i * latent + k] : mu[k];
    }
}

double vae_kl(const float *enc, int n, int latent) {
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        const float *mu = enc + (size_t)i * 2 * latent, *logvar = mu + latent;
        for (int k = 0; k < latent; k++) {
            double m = mu[k], lv = logvar[k];
            sum += -0.5 * (1.0 + lv - m * m - exp(lv));
        }
    }
    return sum;
}

void vae_backward(float *denc, const float *dz, const float *enc, const float *eps, int n,
                  int latent, float kl_scale) {
    for (int i = 0; i < n; i++) {
        size_t row = (size_t)i * 2 * latent, at = (size_t)i * latent;
        for (int k = 0; k < latent; k++) {
            float mu = enc[row + k], logvar = enc[row + latent + k];
            float sigma = expf(0.5f * logvar);
            denc[row + k] = dz[at + k] + kl_scale * mu;
            denc[row + latent + k] = dz[at + k] * eps[at + k] * 0.5f * sigma +
                                     kl_scale * 0.5f * (expf(logvar) - 1.0f);
        }
    }
}
