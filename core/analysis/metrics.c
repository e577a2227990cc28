// metrics.c — per-image reconstruction metrics: MSE, PSNR and SSIM (Wang et al. 2004), in double.
// Not the training loss (loss.c) and not the averaging over a data set (api.c's ae_evaluate).
#include <math.h>
#include <stdlib.h>

#include "analysis/metrics.h"

// SSIM constants of the paper and of skimage.metrics.structural_similarity(gaussian_weights=True,
// sigma=1.5, use_sample_covariance=False, data_range=1): an 11x11 window is a Gaussian of sigma
// 1.5 truncated at radius 5 (scipy's truncate=3.5), which the reference values in
// tests/golden/ssim.bin are computed with.
#define SSIM_MAX_WINDOW 11
#define SSIM_SIGMA 1.5
#define SSIM_K1 0.01
#define SSIM_K2 0.03
#define SSIM_RANGE 1.0

// Above this, PSNR measures float rounding rather than reconstruction quality; a cap also keeps a
// perfect reconstruction (mse == 0, PSNR infinite) a finite number in JSON and in charts.
#define PSNR_CAP_DB 100.0

// No elements gives NaN: the mean of nothing is undefined, and NaN shows up rather than hides.
double metrics_mse(const float *a, const float *b, int n) {
    if (!a || !b || n <= 0) return NAN;
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        sum += d * d;
    }
    return sum / n;
}

// Pixel range 1, so PSNR = 10 log10(1 / mse). Capped at 100 dB (mse <= 1e-10), including mse == 0.
double metrics_psnr(double mse) {
    if (isnan(mse) || mse < 0.0) return NAN;
    if (mse <= 1e-10) return PSNR_CAP_DB;
    double psnr = 10.0 * log10(1.0 / mse);
    return psnr < PSNR_CAP_DB ? psnr : PSNR_CAP_DB;
}

// The five window-weighted sums SSIM needs: x, y, x*x, y*y, x*y.
enum { SUM_X, SUM_Y, SUM_XX, SUM_YY, SUM_XY, SUM_COUNT };

// SSIM of two HWC images with c interleaved channels: the mean of the SSIM map over the 'valid'
// positions (where the whole window fits in the image), per channel, averaged over channels.
// skimage refuses images smaller than its 11x11 window; here the window instead shrinks to the
// largest odd size that fits min(h, w) — the same Gaussian (sigma 1.5), truncated to that radius
// and renormalised — so that small inputs (h, w >= 4) still get a score. Returns NaN on a bad
// argument or if the scratch rows cannot be allocated.
double metrics_ssim(const float *a, const float *b, int h, int w, int c) {
    if (!a || !b || h < 1 || w < 1 || c < 1) return NAN;
    int smallest = h < w ? h : w;
    int window = smallest < SSIM_MAX_WINDOW ? smallest : SSIM_MAX_WINDOW;
    if (window % 2 == 0) window--;
    int radius = window / 2;

    double kernel[SSIM_MAX_WINDOW];
    double kernel_sum = 0.0;
    for (int i = 0; i < window; i++) {
        double x = (double)(i - radius);
        kernel[i] = exp(-0.5 / (SSIM_SIGMA * SSIM_SIGMA) * x * x);
        kernel_sum += kernel[i];
    }
    for (int i = 0; i < window; i++) kernel[i] /= kernel_sum;

    const int valid_h = h - window + 1, valid_w = w - window + 1;
    // The filter is separable: each image row is filtered horizontally once, into a ring of the
    // last `window` rows, and the vertical pass reads that ring. The ring is the only scratch:
    // window * 5 * valid_w doubles rather than five whole filtered planes.
    const size_t row_stride = (size_t)SUM_COUNT * (size_t)valid_w;
    double *ring = malloc((size_t)window * row_stride * sizeof *ring);
    if (!ring) return NAN;

    const double c1 = (SSIM_K1 * SSIM_RANGE) * (SSIM_K1 * SSIM_RANGE);
    const double c2 = (SSIM_K2 * SSIM_RANGE) * (SSIM_K2 * SSIM_RANGE);
    double total = 0.0;
    for (int ch = 0; ch < c; ch++) {
        for (int y = 0; y < h; y++) {
            double *row = ring + (size_t)(y % window) * row_stride;
            const float *ra = a + (size_t)y * w * c + ch;
            const float *rb = b + (size_t)y * w * c + ch;
            for (int x = 0; x < valid_w; x++) {
                double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
                for (int j = 0; j < window; j++) {
                    double va = ra[(size_t)(x + j) * c], vb = rb[(size_t)(x + j) * c];
                    double k = kernel[j];
                    sx += k * va;
                    sy += k * vb;
                    sxx += k * (va * va);
                    syy += k * (vb * vb);
                    sxy += k * (va * vb);
                }
                row[SUM_X * valid_w + x] = sx;
                row[SUM_Y * valid_w + x] = sy;
                row[SUM_XX * valid_w + x] = sxx;
                row[SUM_YY * valid_w + x] = syy;
                row[SUM_XY * valid_w + x] = sxy;
            }
            if (y < window - 1) continue;
            const int top = y - window + 1; // the output row whose window ends at image row y
            for (int x = 0; x < valid_w; x++) {
                double s[SUM_COUNT] = {0, 0, 0, 0, 0};
                for (int i = 0; i < window; i++) {
                    const double *r = ring + (size_t)((top + i) % window) * row_stride;
                    for (int q = 0; q < SUM_COUNT; q++) s[q] += kernel[i] * r[q * valid_w + x];
                }
                double mx = s[SUM_X], my = s[SUM_Y];
                double vx = s[SUM_XX] - mx * mx, vy = s[SUM_YY] - my * my;
                double cov = s[SUM_XY] - mx * my;
                total += ((2 * mx * my + c1) * (2 * cov + c2)) /
                         ((mx * mx + my * my + c1) * (vx + vy + c2));
            }
        }
    }
    free(ring);
    // Every channel has the same number of valid positions, so the mean of the per-channel means
    // is the mean over all of them.
    return total / ((double)valid_h * valid_w * c);
}
