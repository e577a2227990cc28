// conv2d.c — 3x3 convolution, padding 1, any stride, as im2col + GEMM per image.
// The layer's activation is applied by the model, not here.
#include <string.h>

#include "ops.h"

static size_t in_size(conv_geom g) { return (size_t)g.h * g.w * g.c; }
static size_t pixels_out(conv_geom g) { return (size_t)g.oh * g.ow; }

void conv2d_forward(float *y, const float *x, const float *w, const float *b, int n, conv_geom g,
                    int cout, float *col) {
    size_t m = pixels_out(g);
    for (int i = 0; i < n; i++) {
        float *yi = y + (size_t)i * m * cout;
        for (size_t p = 0; p < m; p++) memcpy(yi + p * cout, b, cout * sizeof(float));
        im2col(col, x + (size_t)i * in_size(g), g);
        gemm_nn((int)m, cout, 9 * g.c, col, 9 * g.c, w, cout, yi, cout, 1);
    }
}

void conv2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                     const float *w, int n, conv_geom g, int cout, float *col, float *wt) {
    size_t m = pixels_out(g);
    int k = 9 * g.c;
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
