// baseline.c — the mean-image baseline: the metrics of predicting every validation image as the
// mean of the training images, the best guess that ignores its input. A model whose validation
// loss is worse than this has collapsed, however finite its numbers are. Not the model's metrics.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/baseline.h"
#include "analysis/metrics.h"
#include "base/error.h"

// A pixel the training set never lights would give the baseline an infinite BCE wherever a
// validation image lights it; the clamp keeps it a finite, near-optimal figure.
#define BASELINE_P_MIN 1e-7

int baseline_mean_image(const uint8_t *train, int n_train, const uint8_t *val, int n_val, int h, int w, int c,
                        ae_loss loss, double out[4]) {
    if (!train || !val || !out) return ae_fail(AE_ERR_ARG, "mean image: no images or result");
    if (n_train < 1 || n_val < 1)
        return ae_fail(AE_ERR_ARG, "mean image: needs at least one training and one validation image (got %d and %d)",
                       n_train, n_val);
    int size = h * w * c;
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
        double mse = metrics_mse(guess, target, size);
        sums[0] += loss == LOSS_BCE ? bce / size : mse;
        sums[1] += mse;
        sums[2] += metrics_psnr(mse);
        sums[3] += metrics_ssim(guess, target, h, w, c);
    }
    for (int k = 0; k < 4; k++) out[k] = sums[k] / n_val;
    free(mean); free(guess); free(target);
    return AE_OK;
}
