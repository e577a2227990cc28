// attention.c — single-head self-attention over the positions of a feature map, with a residual
// connection: y = x + softmax(Q K^T / sqrt(C)) V Wo + bo, Q = x Wq + bq (K, V alike), per image.
// Not a layer norm, not multi-head: the model puts one of these at its lowest resolution.
#include <math.h>
#include <string.h>

#include "ops/ops.h"

// The weights: Wq bq Wk bk Wv bv Wo bo back to back, each W (C, C) in the (in, out) layout.
static const float *weight(const float *params, int c, int which) {
    return params + (size_t)which * ((size_t)c * c + c);
}
static const float *bias(const float *params, int c, int which) { return weight(params, c, which) + (size_t)c * c; }

size_t attention_param_count(int c) { return 4 * ((size_t)c * c + c); }
size_t attention_saved_size(int p, int c) { return 4 * (size_t)p * c + (size_t)p * p; }
size_t attention_scratch_size(int p, int c) { return 5 * (size_t)p * c + (size_t)p * p + 4 * (size_t)c * c; }

// rows (p, c) = x W + b
static void project(float *rows, const float *x, const float *w, const float *b, int p, int c) {
    for (int i = 0; i < p; i++) memcpy(rows + (size_t)i * c, b, (size_t)c * sizeof(float));
    gemm_nn(p, c, c, x, c, w, c, rows, c, 1);
}

void attention_forward(float *y, float *saved, const float *x, const float *params, int n, int p, int c,
                       float *scratch) {
    float scale = 1.0f / sqrtf((float)c);
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * p * c;
        float *q = saved + (size_t)i * attention_saved_size(p, c), *k = q + (size_t)p * c, *v = k + (size_t)p * c;
        float *a = v + (size_t)p * c, *o = a + (size_t)p * p, *yi = y + (size_t)i * p * c;
        project(q, xi, weight(params, c, 0), bias(params, c, 0), p, c);
        project(k, xi, weight(params, c, 1), bias(params, c, 1), p, c);
        project(v, xi, weight(params, c, 2), bias(params, c, 2), p, c);
        float *kt = scratch;
        transpose(kt, k, p, c);
        gemm_nn(p, p, c, q, c, kt, p, a, p, 0);
        for (int r = 0; r < p; r++) { // a row-wise softmax of the scaled scores, max subtracted
            float *row = a + (size_t)r * p, top = -INFINITY;
            for (int j = 0; j < p; j++) top = row[j] > top ? row[j] : top;
            for (int j = 0; j < p; j++) row[j] = (row[j] - top) * scale;
            vec_exp(row, row, p);
            double sum = 0.0;
            for (int j = 0; j < p; j++) sum += row[j];
            float inv = (float)(1.0 / sum);
            for (int j = 0; j < p; j++) row[j] *= inv;
        }
        gemm_nn(p, c, p, a, p, v, c, o, c, 0);
        memcpy(yi, xi, (size_t)p * c * sizeof(float));
        gemm_nn(p, c, c, o, c, weight(params, c, 3), c, yi, c, 1);
        const float *bo = bias(params, c, 3);
        for (int r = 0; r < p; r++) vec_axpy(yi + (size_t)r * c, 1.0f, bo, c);
    }
}

static void bias_grad(float *db, const float *d, int p, int c) {
    for (int r = 0; r < p; r++) vec_axpy(db, 1.0f, d + (size_t)r * c, c);
}

void attention_backward(float *dx, float *dparams, const float *dy, const float *x, const float *saved,
                        const float *params, int n, int p, int c, float *scratch) {
    float scale = 1.0f / sqrtf((float)c);
    size_t pc = (size_t)p * c, cc = (size_t)c * c;
    float *t = scratch, *d_o = t + pc, *da = d_o + pc, *dq = da + (size_t)p * p, *dk = dq + pc, *dv = dk + pc;
    float *wt = dv + pc; // Wq, Wk, Wv, Wo transposed
    for (int j = 0; j < 4; j++) transpose(wt + j * cc, weight(params, c, j), c, c);
    float *dw[4], *db[4];
    for (int j = 0; j < 4; j++) {
        dw[j] = dparams + (size_t)j * (cc + c);
        db[j] = dw[j] + cc;
    }
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * pc, *dyi = dy + (size_t)i * pc;
        const float *q = saved + (size_t)i * attention_saved_size(p, c), *k = q + pc, *v = k + pc;
        const float *a = v + pc, *o = a + (size_t)p * p;
        float *dxi = dx + (size_t)i * pc;
        gemm_tn(c, c, p, o, c, dyi, c, dw[3], c, 1);
        bias_grad(db[3], dyi, p, c);
        gemm_nn(p, c, c, dyi, c, wt + 3 * cc, c, d_o, c, 0);
        transpose(t, v, p, c);
        gemm_nn(p, p, c, d_o, c, t, p, da, p, 0);  // dA = dO V^T
        gemm_tn(p, c, p, a, p, d_o, c, dv, c, 0);  // dV = A^T dO
        for (int r = 0; r < p; r++) {              // dS = A (dA - <dA, A>) / sqrt(C), in place
            float *drow = da + (size_t)r * p;
            const float *arow = a + (size_t)r * p;
            float inner = vec_dot(drow, arow, p);
            for (int j = 0; j < p; j++) drow[j] = arow[j] * (drow[j] - inner) * scale;
        }
        gemm_nn(p, c, p, da, p, k, c, dq, c, 0);   // dQ = dS K
        gemm_tn(p, c, p, da, p, q, c, dk, c, 0);   // dK = dS^T Q
        memcpy(dxi, dyi, pc * sizeof(float));      // the residual path
        const float *dproj[3] = {dq, dk, dv};
        for (int j = 0; j < 3; j++) {
            gemm_tn(c, c, p, xi, c, dproj[j], c, dw[j], c, 1);
            bias_grad(db[j], dproj[j], p, c);
            gemm_nn(p, c, c, dproj[j], c, wt + j * cc, c, dxi, c, 1);
        }
    }
}
