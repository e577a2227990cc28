// loss.c — reconstruction losses on the output logits: BCE computed stably from logits, and MSE
// after the sigmoid. Means are over every element; sums run in double.
#include <math.h>

#include "ops/ops.h"

// The sigmoid from e = exp(-|z|), so that exp never overflows.
static inline float sigmoid_from(float z, float e) { return z >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e); }

static inline float sigmoid(float z) { return sigmoid_from(z, expf(-fabsf(z))); }

// BCE from the logits: kernels.h's bce_logits (vectorised, with its own exp and log1p).
double bce_with_logits(float *dz, float *recon, const float *z, const float *t, size_t count) {
    return bce_logits(dz, recon, z, t, count, 1.0f / (float)count) / (double)count;
}

double mse_after_sigmoid(float *dz, float *recon, const float *z, const float *t, size_t count) {
    double sum = 0.0;
    float scale = 2.0f / (float)count;
    for (size_t i = 0; i < count; i++) {
        float y = sigmoid(z[i]);
        recon[i] = y;
        float d = y - t[i];
        sum += (double)d * d;
        dz[i] = d * scale * y * (1.0f - y);
    }
    return sum / (double)count;
}

double bce_sum(const float *z, const float *t, size_t count) { return bce_logits(NULL, NULL, z, t, count, 0.0f); }
