// baseline.h — the mean-image baseline: the metrics of predicting every validation image as the
// mean of the training images. The public face is ae_mean_image_u8 in aevp.h.
#ifndef AEVP_BASELINE_H
#define AEVP_BASELINE_H

#include <stdint.h>

#include "base/enums.h"

// out: loss (BCE or MSE per element, as the model's loss), MSE, PSNR and SSIM, each the mean
// over the n_val images of h*w*c uint8 pixels.
int baseline_mean_image(const uint8_t *train, int n_train, const uint8_t *val, int n_val, int h, int w, int c,
                        ae_loss loss, double out[4]);
#endif
