// baseline.c — the mean-image baseline: the metrics of predicting every validation image as the
// mean of the training images, the best guess that ignores its input. A model whose validation
// loss is worse than this has collapsed, however finite its numbers are. Not the model's metrics.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aevp.h"
#include "error.h"
#include "model.h"

// A pixel the training set never lights would give the baseline an infinite BCE wherever a
// validation image lights it; the clamp keeps it a finite, near-optimal figure.
#define BASELINE_P_MIN 1e-7

int ae_mean_image_u8(ae_model *m, const uint8_t *train, int n_train, const uint8_t *val, int n_val,
                     ae_metrics *out) {
    if (!m || !train || !val || !out) return ae_fail(AE_ERR_ARG, "mean image: no model, images or result");
    if (n_train < 1 || n_val < 1)
        return ae_fail(AE_ERR_ARG, "mean image: needs at least one training and one validation image (got %d and %d)",
                       n_train, n_val);
    int size = model_input_size(m);
    double *mean = calloc((size_t)size, sizeof(double));
    float *guess = malloc((size_t)size * sizeof(float)), *target = malloc((size_t)size * sizeof(float));
    if (!mean || !guess || !target) {
        free(mean); free(guess); free(target);
        return ae_fail(AE_ERR_NOMEM, "mean image: out of memory");
    }
    for (int i = 0; i < n_train; i++)
        for (int k = 0; k < size; k++) mean[k] += train[(size_t)i * size + k];
    for (int k = 0; k < size; k++) guess[k] = (float)(mean[k] / (255.0 * n_train));
    double sums[4] = {0, 0, 0, 0};
    for (int i = 0; i < n_val; i++) {
        const uint8_t *src = val + (size_t)i * size;
        double bce = 0;
        for (int k = 0; k < size; k++) {
            target[k] = src[k] * (1.0f / 255.0f);
            double p = fmin(fmax((double)guess[k], BASELINE_P_MIN), 1 - BASELINE_P_MIN), t = target[k];
            bce -= t * log(p) + (1 - t) * log(1 - p);
        }
        double mse = ae_mse(guess, target, size);
        sums[0] += m->cfg.loss == LOSS_BCE ? bce / size : mse;
        sums[1] += mse;
        sums[2] += ae_psnr(mse);
        sums[3] += ae_ssim(guess, target, m->cfg.input_h, m->cfg.input_w, m->cfg.input_c);
    }
    out->loss = sums[0] / n_val;
    out->mse = sums[1] / n_val;
    out->psnr = sums[2] / n_val;
    out->ssim = sums[3] / n_val;
    out->kl = 0;
    free(mean); free(guess); free(target);
    return AE_OK;
}
