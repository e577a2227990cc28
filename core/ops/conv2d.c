// conv2d.c — k x k convolution, padding k / 2, any stride, as im2col + GEMM per image.
// The layer's activation is applied by the model, not here.
#include <string.h>

#include "ops/ops.h"

static size_t in_size(conv_geom g) { return (size_t)g.h * g.w * g.c; }
static size_t pixels_out(conv_geom g) { return (size_t)g.oh * g.ow; }

// A stride-1 conv to one channel (the output layer) works without im2col: for each patch row
// the k taps are adjacent pixels, so a pixel is k dot products of k*c contiguous floats.
// Border rows and columns are clipped once per patch row.
#define FOR_PATCH_ROWS(g, oy, ox, ...)                                                       \
    do {                                                                                     \
        int pad_ = (g).k / 2;                                                                \
        int kx_lo = (ox) < pad_ ? pad_ - (ox) : 0;                                           \
        int kx_hi = (ox) + (g).k - pad_ > (g).w ? (g).w - (ox) + pad_ : (g).k;               \
        int ky_lo = (oy) < pad_ ? pad_ - (oy) : 0;                                           \
        int ky_hi = (oy) + (g).k - pad_ > (g).h ? (g).h - (oy) + pad_ : (g).k;               \
        int len = (kx_hi - kx_lo) * (g).c;                                                   \
        for (int ky = ky_lo; ky < ky_hi; ky++) {                                             \
            size_t xo = ((size_t)((oy) - pad_ + ky) * (g).w + (ox) - pad_ + kx_lo) * (g).c;  \
            size_t wo = ((size_t)ky * (g).k + kx_lo) * (g).c;                                \
            __VA_ARGS__                                                                      \
        }                                                                                    \
    } while (0)

static void conv2d_to_one_forward(float *y, const float *x, const float *w, const float *b, int n,
                                  conv_geom g) {
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * in_size(g);
        for (int oy = 0; oy < g.oh; oy++)
            for (int ox = 0; ox < g.ow; ox++) {
                float sum = b[0];
                FOR_PATCH_ROWS(g, oy, ox, sum += vec_dot(xi + xo, w + wo, len););
                y[((size_t)i * g.oh + oy) * g.ow + ox] = sum;
            }
    }
}

static void conv2d_to_one_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                                   const float *w, int n, conv_geom g) {
    if (dx) memset(dx, 0, (size_t)n * in_size(g) * sizeof(float));
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * in_size(g);
        float *dxi = dx ? dx + (size_t)i * in_size(g) : NULL;
        for (int oy = 0; oy < g.oh; oy++)
            for (int ox = 0; ox < g.ow; ox++) {
                float d = dy[((size_t)i * g.oh + oy) * g.ow + ox];
                db[0] += d;
                FOR_PATCH_ROWS(g, oy, ox, {
                    vec_axpy(dw + wo, d, xi + xo, len);
                    if (dxi) vec_axpy(dxi + xo, d, w + wo, len);
                });
            }
    }
}

void conv2d_forward(float *y, const float *x, const float *w, const float *b, int n, conv_geom g,
                    int cout, float *col) {
    if (cout == 1 && g.stride == 1) {
        conv2d_to_one_forward(y, x, w, b, n, g);
        return;
    }
    size_t m = pixels_out(g);
    for (int i = 0; i < n; i++) {
        float *yi = y + (size_t)i * m * cout;
        for (size_t p = 0; p < m; p++) memcpy(yi + p * cout, b, cout * sizeof(float));
        im2col(col, x + (size_t)i * in_size(g), g);
        gemm_nn((int)m, cout, g.k * g.k * g.c, col, g.k * g.k * g.c, w, cout, yi, cout, 1);
    }
}

void conv2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                     const float *w, int n, conv_geom g, int cout, float *col, float *wt) {
    if (cout == 1 && g.stride == 1) {
        conv2d_to_one_backward(dx, dw, db, dy, x, w, n, g);
        return;
    }
    size_t m = pixels_out(g);
    int k = g.k * g.k * g.c;
    if (dx) {
        transpose(wt, w, k, cout);
        memset(dx, 0, (size_t)n * in_size(g) * sizeof(float));
    }
    for (int i = 0; i < n; i++) {
        const float *dyi = dy + (size_t)i * m * cout;
        for (size_t p = 0; p < m; p++)
            for (int c = 0; c < cout; c++) db[c] += dyi[p * cout + c];
        im2col(col, x + (size_t)i * in_size(g), g);
        gemm_tn(k, cout, (int)m, col, k, dyi, cout, dw, cout, 1);
        if (dx) {
            gemm_nn((int)m, k, cout, dyi, cout, wt, k, col, k, 0);
            col2im(dx + (size_t)i * in_size(g), col, g);
        }
    }
}
