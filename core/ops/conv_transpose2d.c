// conv_transpose2d.c — k x k transposed convolution (stride 2, padding k / 2, output padding 0 or
// 1 in PyTorch's terms, whatever makes the size g.h), computed as the exact adjoint of conv2d:
// GEMM then col2im per image.
#include <string.h>

#include "ops/ops.h"

void conv_transpose2d_forward(float *y, const float *x, const float *w, const float *b, int n,
                              conv_geom g, int cin, float *col, float *wt) {
    size_t m = (size_t)g.oh * g.ow, out = (size_t)g.h * g.w * g.c;
    int k = g.k * g.k * g.c;
    transpose(wt, w, k, cin);
    for (int i = 0; i < n; i++) {
        float *yi = y + (size_t)i * out;
        for (size_t p = 0; p < (size_t)g.h * g.w; p++) memcpy(yi + p * g.c, b, g.c * sizeof(float));
        gemm_nn((int)m, k, cin, x + (size_t)i * m * cin, cin, wt, k, col, k, 0);
        col2im(yi, col, g);
    }
}

void conv_transpose2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                               const float *w, int n, conv_geom g, int cin, float *col) {
    // dy's patch matrix (the padded dy read in place) gives both the weight gradient and dx,
    // which is the conv2d of dy with w.
    size_t m = (size_t)g.oh * g.ow, out = (size_t)g.h * g.w * g.c;
    for (int i = 0; i < n; i++) {
        const float *dyi = dy + (size_t)i * out;
        col_sums(db, dyi, g.h * g.w, g.c);
        pad_image(col, dyi, g);
        patch_rows P = conv_patch_rows(col, g);
        const float *xi = x + (size_t)i * m * cin;
        patch_gemm_tn(&P, (int)m, cin, xi, cin, dw, cin);
        if (dx) patch_gemm(&P, (int)m, cin, w, NULL, dx + (size_t)i * m * cin, cin);
    }
}
