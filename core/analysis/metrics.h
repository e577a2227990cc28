// metrics.h — per-image reconstruction metrics in double: MSE, PSNR (pixel range 1, capped at
// 100 dB) and SSIM (Wang et al. 2004, as skimage computes it). The public face is ae_mse & co.
#ifndef AEVP_METRICS_H
#define AEVP_METRICS_H

// NaN for no elements or a bad argument: the mean of nothing is undefined.
double metrics_mse(const float *a, const float *b, int n);
double metrics_psnr(double mse);
// HWC images with c interleaved channels; the mean over channels of each channel's SSIM.
double metrics_ssim(const float *a, const float *b, int h, int w, int c);
#endif
