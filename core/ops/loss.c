// loss.c — reconstruction losses on the output logits: BCE computed stably from logits, and MSE
// after the sigmoid. Means are over every element; sums run in double.
#include <math.h>

#include "ops/ops.h"

// The sigmoid from e = exp(-|z|), so that exp never overflows.
static inline float sigmoid_from(float z, float e) { return z >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e); }

static inline float sigmoid(float z) { return sigmoid_from(z, expf(-fabsf(z))); }

// max(z, 0) - z t + log(1 + exp(-|z|)): the BCE of sigmoid(z) without forming log(sigmoid), given
// e = exp(-|z|). The sum over pixels runs in double; the terms in float, one exp and one log1p.
static inline double bce_from(float z, float t, float e) {
    return (double)fmaxf(z, 0.0f) - (double)z * t + (double)log1pf(e);
}

static inline double bce_one(float z, float t) { return bce_from(z, t, expf(-fabsf(z))); }

double bce_with_logits(float *dz, float *recon, const float *z, const float *t, size_t count) {
    double sum = 0.0;
    float scale = 1.0f / (float)count;
    for (size_t i = 0; i < count; i++) {
        float e = expf(-fabsf(z[i])), y = sigmoid_from(z[i], e);
        recon[i] = y;
        sum += bce_from(z[i], t[i], e);
        dz[i] = (y - t[i]) * scale;
    }
    return sum / (double)count;
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

double bce_sum(const float *z, const float *t, size_t count) {
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) sum += bce_one(z[i], t[i]);
    return sum;
}
