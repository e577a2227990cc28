// pool.c — the resolution changes without weights: 2x2 max-pooling (stride 2, ceil mode: a window
// hanging over the edge takes the max of what it covers) and nearest-neighbour resizing. NHWC.
#include <math.h>
#include <string.h>

#include "ops/ops.h"

// The pooled grid is ceil(h / 2) x ceil(w / 2); the winner of a window is its first largest value
// in row-major order, as PyTorch's max_pool2d picks it (a later equal value does not replace it).
static size_t window_winner(const float *x, int h, int w, int c, int oy, int ox, int ch) {
    size_t best = ((size_t)(2 * oy) * w + 2 * ox) * c + ch;
    for (int dy = 0; dy < 2; dy++)
        for (int dx = 0; dx < 2; dx++) {
            int iy = 2 * oy + dy, ix = 2 * ox + dx;
            if (iy >= h || ix >= w) continue;
            size_t at = ((size_t)iy * w + ix) * c + ch;
            if (x[at] > x[best]) best = at;
        }
    return best;
}

void maxpool2_forward(float *y, const float *x, int n, int h, int w, int c) {
    int oh = (h + 1) / 2, ow = (w + 1) / 2;
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * h * w * c;
        float *yi = y + (size_t)i * oh * ow * c;
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int ch = 0; ch < c; ch++) yi[((size_t)oy * ow + ox) * c + ch] = xi[window_winner(xi, h, w, c, oy, ox, ch)];
    }
}

void maxpool2_backward(float *dx, const float *dy, const float *x, int n, int h, int w, int c) {
    int oh = (h + 1) / 2, ow = (w + 1) / 2;
    memset(dx, 0, (size_t)n * h * w * c * sizeof(float));
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * h * w * c, *dyi = dy + (size_t)i * oh * ow * c;
        float *dxi = dx + (size_t)i * h * w * c;
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int ch = 0; ch < c; ch++)
                    dxi[window_winner(xi, h, w, c, oy, ox, ch)] += dyi[((size_t)oy * ow + ox) * c + ch];
    }
}

// PyTorch's nearest source index for a given output size: floor(dst * (in / out)) with the scale
// in float, clamped; exact halving when the output is twice the input.
static int nearest_source(int dst, int in, int out) {
    if (out == 2 * in) return dst >> 1;
    if (out == in) return dst;
    int src = (int)floorf((float)dst * ((float)in / (float)out));
    return src < in - 1 ? src : in - 1;
}

void upsample_nearest_forward(float *y, const float *x, int n, int h, int w, int c, int oh, int ow) {
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * h * w * c;
        float *yi = y + (size_t)i * oh * ow * c;
        for (int oy = 0; oy < oh; oy++) {
            int sy = nearest_source(oy, h, oh);
            for (int ox = 0; ox < ow; ox++)
                memcpy(yi + ((size_t)oy * ow + ox) * c, xi + ((size_t)sy * w + nearest_source(ox, w, ow)) * c,
                       (size_t)c * sizeof(float));
        }
    }
}

void upsample_nearest_backward(float *dx, const float *dy, int n, int h, int w, int c, int oh, int ow) {
    memset(dx, 0, (size_t)n * h * w * c * sizeof(float));
    for (int i = 0; i < n; i++) {
        float *dxi = dx + (size_t)i * h * w * c;
        const float *dyi = dy + (size_t)i * oh * ow * c;
        for (int oy = 0; oy < oh; oy++) {
            int sy = nearest_source(oy, h, oh);
            for (int ox = 0; ox < ow; ox++)
                vec_axpy(dxi + ((size_t)sy * w + nearest_source(ox, w, ow)) * c, 1.0f,
                         dyi + ((size_t)oy * ow + ox) * c, c);
        }
    }
}
