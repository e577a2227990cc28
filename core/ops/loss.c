// loss.c — reconstruction losses on the output logits: BCE computed stably from logits, and MSE
// after the sigmoid. Means are over every element; sums run in double.
#include <math.h>

#include "ops/ops.h"

static inline float sigmoid(float z) {
    // Two branches so that exp never overflows.
    if (z >= 0.0f) return 1.0f / (1.0f + expf(-z));
    float e = expf(z);
    return e / (1.0f + e);
}

// max(z, 0) - z t + log(1 + exp(-|z|)): the BCE of sigmoid(z) without forming log(sigmoid).
static inline double bce_one(float z, float t) {
    return (double)fmaxf(z, 0.0f) - (double)z * t + log1p(exp(-fabs((double)z)));
}

double bce_with_logits(float *dz, float *recon, const float *z, const float *t, size_t count) {
    double sum = 0.0;
    float scale = 1.0f / (float)count;
    for (size_t i = 0; i < count; i++) {
        float y = sigmoid(z[i]);
        recon[i] = y;
        sum += bce_one(z[i], t[i]);
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
