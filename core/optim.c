// optim.c — Adam (with bias correction), SGD with momentum 0.9, RMSprop (alpha 0.99), as flat
// loops. Hyper-parameters are torch.optim's defaults; the config chooses only the rule and lr.
#include <math.h>

#include "optim.h"

#define ADAM_BETA1 0.9f
#define ADAM_BETA2 0.999f
#define ADAM_EPS 1e-8f
#define SGD_MOMENTUM 0.9f
#define RMSPROP_ALPHA 0.99f
#define RMSPROP_EPS 1e-8f

void optim_step(ae_optimizer opt, float *params, const float *grads, float *m1, float *m2,
                size_t count, float lr, int step) {
    switch (opt) {
    case OPT_ADAM: {
        float bias1 = 1.0f - powf(ADAM_BETA1, (float)step);
        float bias2_sqrt = sqrtf(1.0f - powf(ADAM_BETA2, (float)step));
        float step_size = lr / bias1;
        for (size_t i = 0; i < count; i++) {
            float g = grads[i];
            m1[i] = ADAM_BETA1 * m1[i] + (1.0f - ADAM_BETA1) * g;
            m2[i] = ADAM_BETA2 * m2[i] + (1.0f - ADAM_BETA2) * g * g;
            float denom = sqrtf(m2[i]) / bias2_sqrt + ADAM_EPS;
            params[i] -= step_size * (m1[i] / denom);
        }
        break;
    }
    case OPT_SGD:
        for (size_t i = 0; i < count; i++) {
            // torch starts the momentum buffer at the first gradient itself.
            m1[i] = step == 1 ? grads[i] : SGD_MOMENTUM * m1[i] + grads[i];
            params[i] -= lr * m1[i];
        }
        break;
    case OPT_RMSPROP:
        for (size_t i = 0; i < count; i++) {
            float g = grads[i];
            m2[i] = RMSPROP_ALPHA * m2[i] + (1.0f - RMSPROP_ALPHA) * g * g;
            params[i] -= lr * g / (sqrtf(m2[i]) + RMSPROP_EPS);
        }
        break;
    }
}
