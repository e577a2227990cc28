// dense.c — fully connected layer on a batch: y = x W + b, W stored (in, out).
// The layer's activation is applied by the model, not here.
#include <string.h>

#include "ops/ops.h"

void dense_forward(float *y, const float *x, const float *w, const float *b, int n, int in,
                   int out) {
    for (int i = 0; i < n; i++) memcpy(y + (size_t)i * out, b, out * sizeof(float));
    gemm_nn(n, out, in, x, in, w, out, y, out, 1);
}

void dense_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                    const float *w, int n, int in, int out, float *wt) {
    col_sums(db, dy, n, out);
    gemm_tn(in, out, n, x, in, dy, out, dw, out, 1);
    if (dx) {
        transpose(wt, w, in, out);
        gemm_nn(n, in, out, dy, out, wt, in, dx, in, 0);
    }
}
