// train_step.c — one optimizer step over the model's flat arenas, with the divergence checks and
// the rollback that keeps a usable model. Not the gradients (model.c) nor argument checks (api.c).
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "model/model.h"
#include "ops/optim.h"

// A loss this many times the first step's, or this many times the recent average, is divergence:
// a finite loss can still explode (Adam at a learning rate of 10 reaches 1e13 with every number
// finite), and a trained model's loss is far below its first one.
#define DIVERGED_OVER_FIRST 1e3
#define DIVERGED_OVER_AVERAGE 1e2
#define AVERAGE_WEIGHT 0.1 // of the newest loss in the moving average

static int all_finite(const float *x, size_t n) {
    // x * 0 is 0 for every finite x and NaN for a NaN or an infinity, which any sum propagates;
    // four sums, so that the adds do not wait for each other.
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += x[i] * 0.0f;
        s1 += x[i + 1] * 0.0f;
        s2 += x[i + 2] * 0.0f;
        s3 += x[i + 3] * 0.0f;
    }
    for (; i < n; i++) s0 += x[i] * 0.0f;
    return (s0 + s1) + (s2 + s3) == 0.0f;
}

double model_learning_rate(const ae_model *m) {
    return schedule_rate(m->cfg.schedule, m->cfg.learning_rate, m->cfg.warmup, m->steps - m->run_start, m->run_steps);
}

// Puts back the parameters and moments from before the last update, the last ones whose loss was
// sane, and says so. The step counter goes back with them (Adam's bias correction, a VAE's noise).
static const char *roll_back(ae_model *m) {
    size_t p = m->param_count;
    if (!m->can_roll_back)
        return m->steps == 0 ? "the weights are as they were before training" : "the weights are as they were";
    const float *saved = m->moments + 2 * p;
    memcpy(m->params, saved, p * sizeof(float));
    memcpy(m->moments, saved + p, 2 * p * sizeof(float));
    m->can_roll_back = 0;
    m->steps--;
    return "the weights and the optimizer's state were put back to those before the last update, "
           "whose loss was sane";
}

static int diverged(ae_model *m, const char *what, double lr) {
    int step = m->steps + 1;
    const char *kept = roll_back(m);
    return ae_fail(AE_ERR_DIVERGED,
                   "training diverged at step %d: %s; %s. Lower the learning rate (now %g).",
                   step, what, kept, lr);
}

int model_apply_step(ae_model *m, double value) {
    size_t p = m->param_count;
    double lr = model_learning_rate(m);
    char what[160];
    if (m->cfg.schedule != SCHEDULE_CONSTANT && m->run_steps == 0)
        return ae_fail(AE_ERR_ARG, "schedule %s needs the run's length: call ae_plan_run first",
                       m->cfg.schedule == SCHEDULE_COSINE ? "cosine" : "onecycle");
    if (!isfinite(value) || !all_finite(m->grads, p))
        return diverged(m, isfinite(value) ? "the loss is finite but a gradient is not" : "the loss is not a number", lr);
    double limit = m->steps > 0 && m->first_loss > 0 ? DIVERGED_OVER_FIRST * m->first_loss : INFINITY;
    if (m->loss_average > 0 && DIVERGED_OVER_AVERAGE * m->loss_average < limit) limit = DIVERGED_OVER_AVERAGE * m->loss_average;
    if (value > limit) {
        int over_first = limit == DIVERGED_OVER_FIRST * m->first_loss;
        snprintf(what, sizeof what, "the loss rose from %.3g (%s) to %.3g", over_first ? m->first_loss : m->loss_average,
                 over_first ? "the first step's" : "the recent average", value);
        return diverged(m, what, lr);
    }
    // Keep what the step overwrites: the state before this update is what a later divergence
    // rolls back to, and what comes back at once if this update leaves anything non-finite.
    float *m1 = m->moments, *m2 = m->moments + p, *saved = m->moments + 2 * p;
    memcpy(saved, m->params, p * sizeof(float));
    memcpy(saved + p, m1, 2 * p * sizeof(float));
    m->can_roll_back = 1;
    optim_step(m->cfg.optimizer, m->params, m->grads, m1, m2, p, (float)lr, (float)m->cfg.weight_decay, m->steps + 1);
    m->steps++;
    if (!all_finite(m->params, p)) return diverged(m, "the update made a weight infinite", lr);
    if (m->steps == 1) m->first_loss = value;
    m->loss_average = m->loss_average > 0 ? (1 - AVERAGE_WEIGHT) * m->loss_average + AVERAGE_WEIGHT * value : value;
    return AE_OK;
}
