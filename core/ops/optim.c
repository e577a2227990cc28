// optim.c — Adam (with bias correction), SGD with momentum 0.9, RMSprop (alpha 0.99), as flat
// loops, and the learning-rate schedules. Hyper-parameters are torch.optim's defaults; the config
// chooses the rule, the rate, its schedule and the decoupled weight decay.
#include <math.h>

#include "ops/optim.h"

#define ADAM_BETA1 0.9f
#define ADAM_BETA2 0.999f
#define ADAM_EPS 1e-8f
#define SGD_MOMENTUM 0.9f
#define RMSPROP_ALPHA 0.99f
#define RMSPROP_EPS 1e-8f

void optim_step(ae_optimizer opt, float *params, const float *grads, float *m1, float *m2,
                size_t count, float lr, float weight_decay, int step) {
    if (weight_decay > 0.0f) {
        float keep = 1.0f - lr * weight_decay;
        for (size_t i = 0; i < count; i++) params[i] *= keep;
    }
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

#define HALF_TURN 3.14159265358979323846
#define ONECYCLE_DIV 25.0         // OneCycleLR's div_factor: the start is lr / 25
#define ONECYCLE_FINAL_DIV 1e4    // final_div_factor: the end is the start / 1e4

// From start (pct 0) to end (pct 1) along half a cosine.
static double cosine_between(double start, double end, double pct) {
    return end + (start - end) * 0.5 * (1.0 + cos(HALF_TURN * pct));
}

double schedule_rate(ae_schedule schedule, double lr, double warmup, long step, long total) {
    if (total < 1) total = 1;
    if (step > total - 1) step = total - 1;
    if (step < 0) step = 0;
    switch (schedule) {
    case SCHEDULE_CONSTANT: return lr;
    case SCHEDULE_COSINE: return cosine_between(lr, 0.0, (double)step / (double)total); // CosineAnnealingLR(T_max = total)
    case SCHEDULE_ONECYCLE: {
        double start = lr / ONECYCLE_DIV, end = start / ONECYCLE_FINAL_DIV;
        // OneCycleLR's phase boundary: the peak is reached at update warmup * total - 1.
        double peak = warmup * (double)total - 1.0;
        if (peak > 0 && step <= peak) return cosine_between(start, lr, (double)step / peak);
        if (peak < 0) peak = 0;
        double rest = (double)(total - 1) - peak;
        return cosine_between(lr, end, rest > 0 ? ((double)step - peak) / rest : 1.0);
    }
    }
    return lr;
}
