// kernels_scalar.c — the scalar twins of every kernel, plus the padding and patch geometry of the
// convolutions and im2col (memory movement only: the tests' reference for the patch GEMMs).
// These define the reference results; the SIMD versions in kernels_simd.c must match them.
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/mathf.h"

void gemm_nn_scalar(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate) {
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * ldc;
        if (!accumulate) memset(c, 0, (size_t)N * sizeof(float));
        for (int k = 0; k < K; k++) {
            float a = A[(size_t)i * lda + k];
            const float *b = B + (size_t)k * ldb;
            for (int j = 0; j < N; j++) c[j] += a * b[j];
        }
    }
}

void gemm_tn_scalar(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate) {
    if (!accumulate)
        for (int i = 0; i < M; i++) memset(C + (size_t)i * ldc, 0, (size_t)N * sizeof(float));
    for (int k = 0; k < K; k++) {
        const float *a = A + (size_t)k * lda;
        const float *b = B + (size_t)k * ldb;
        for (int i = 0; i < M; i++) {
            float *c = C + (size_t)i * ldc;
            float ai = a[i];
            for (int j = 0; j < N; j++) c[j] += ai * b[j];
        }
    }
}

static const float *patch_run(const patch_rows *P, int p, int s) {
    return P->base + patch_row_offset(P, p) + (size_t)s * P->seg_step;
}

void patch_gemm_scalar(const patch_rows *P, int M, int N, const float *B, const float *bias,
                       const patch_dst *D) {
    for (int i = 0; i < M; i++) {
        float *c = D->base + (size_t)(i / D->ow) * D->row_step + (size_t)(i % D->ow) * D->col_step;
        memset(c, 0, (size_t)N * sizeof(float));
        for (int s = 0; s < P->segs; s++) {
            const float *a = patch_run(P, i, s);
            for (int t = 0; t < P->seg; t++) {
                const float *b = B + ((size_t)s * P->seg + t) * N;
                for (int j = 0; j < N; j++) c[j] += a[t] * b[j];
            }
        }
        if (bias)
            for (int j = 0; j < N; j++) c[j] += bias[j];
    }
}

void patch_gemm_tn_scalar(const patch_rows *P, int M, int N, const float *B, int ldb, float *C,
                          int ldc) {
    for (int p = 0; p < M; p++) {
        const float *b = B + (size_t)p * ldb;
        for (int s = 0; s < P->segs; s++) {
            const float *a = patch_run(P, p, s);
            for (int t = 0; t < P->seg; t++) {
                float *c = C + ((size_t)s * P->seg + t) * ldc;
                for (int j = 0; j < N; j++) c[j] += a[t] * b[j];
            }
        }
    }
}

void col_sums_scalar(float *sums, const float *A, int M, int N) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) sums[j] += A[(size_t)i * N + j];
}

float vec_dot_scalar(const float *a, const float *b, int n) {
    float sum = 0.0f;
    for (int i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

void vec_axpy_scalar(float *y, float alpha, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += alpha * x[i];
}

void vec_exp_scalar(float *y, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] = mathf_exp(x[i]);
}

double bce_logits_scalar(float *dz, float *recon, const float *z, const float *t, size_t n, float scale) {
    double lanes[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        float y;
        lanes[i % 4] += mathf_bce_term(z[i], t[i], &y);
        if (recon) recon[i] = y;
        if (dz) dz[i] = (y - t[i]) * scale;
    }
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

static float act_one(ae_activation act, float v) {
    switch (act) {
    case ACT_RELU: return v > 0.0f ? v : 0.0f;
    case ACT_LEAKY_RELU: return v > 0.0f ? v : LEAKY_RELU_SLOPE * v;
    case ACT_ELU: return v > 0.0f ? v : expm1f(v);
    case ACT_TANH: return tanhf(v);
    case ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
    case ACT_LINEAR: return v;
    }
    return v;
}

// The derivative written through the output y = act(v).
static float act_grad_one(ae_activation act, float y) {
    switch (act) {
    case ACT_RELU: return y > 0.0f ? 1.0f : 0.0f;
    case ACT_LEAKY_RELU: return y > 0.0f ? 1.0f : LEAKY_RELU_SLOPE;
    case ACT_ELU: return y > 0.0f ? 1.0f : y + 1.0f;
    case ACT_TANH: return 1.0f - y * y;
    case ACT_SIGMOID: return y * (1.0f - y);
    case ACT_LINEAR: return 1.0f;
    }
    return 1.0f;
}

void act_forward_scalar(ae_activation act, float *y, int n) {
    if (act == ACT_LINEAR) return;
    for (int i = 0; i < n; i++) y[i] = act_one(act, y[i]);
}

void act_backward_scalar(ae_activation act, float *dy, const float *y, int n) {
    if (act == ACT_LINEAR) return;
    for (int i = 0; i < n; i++) dy[i] *= act_grad_one(act, y[i]);
}

void im2col(float *col, const float *x, conv_geom g) {
    int k = g.k, pad = g.k / 2;
    size_t row_len = (size_t)k * g.c; // one (kx, c) strip of a patch row
    for (int oy = 0; oy < g.oh; oy++) {
        for (int ox = 0; ox < g.ow; ox++) {
            float *dst = col + ((size_t)oy * g.ow + ox) * k * row_len;
            int ix0 = ox * g.stride - pad;
            for (int ky = 0; ky < k; ky++, dst += row_len) {
                int iy = oy * g.stride - pad + ky;
                if (iy < 0 || iy >= g.h) {
                    memset(dst, 0, row_len * sizeof(float));
                    continue;
                }
                const float *src = x + (size_t)iy * g.w * g.c;
                if (ix0 >= 0 && ix0 + k - 1 < g.w) {
                    memcpy(dst, src + (size_t)ix0 * g.c, row_len * sizeof(float));
                    continue;
                }
                for (int kx = 0; kx < k; kx++) {
                    int ix = ix0 + kx;
                    if (ix < 0 || ix >= g.w) memset(dst + kx * g.c, 0, g.c * sizeof(float));
                    else memcpy(dst + kx * g.c, src + (size_t)ix * g.c, g.c * sizeof(float));
                }
            }
        }
    }
}

int conv_padded_h(conv_geom g) {
    int need = (g.oh - 1) * g.stride + g.k, full = g.h + g.k / 2 * 2;
    return need > full ? need : full;
}

int conv_padded_w(conv_geom g) {
    int need = (g.ow - 1) * g.stride + g.k, full = g.w + g.k / 2 * 2;
    return need > full ? need : full;
}

void pad_image(float *xp, const float *x, conv_geom g) {
    int pad = g.k / 2, ph = conv_padded_h(g), pw = conv_padded_w(g);
    size_t row = (size_t)pw * g.c, inner = (size_t)g.w * g.c;
    size_t left = (size_t)pad * g.c, right = row - left - inner;
    memset(xp, 0, row * pad * sizeof(float));
    for (int y = 0; y < g.h; y++) {
        float *dst = xp + (size_t)(y + pad) * row;
        memset(dst, 0, left * sizeof(float));
        memcpy(dst + left, x + (size_t)y * inner, inner * sizeof(float));
        memset(dst + left + inner, 0, right * sizeof(float));
    }
    memset(xp + (size_t)(g.h + pad) * row, 0, row * (size_t)(ph - g.h - pad) * sizeof(float));
}

patch_rows conv_patch_rows(const float *xp, conv_geom g) { return conv_patch_rows_images(xp, g, 1); }

patch_rows conv_patch_rows_images(const float *xp, conv_geom g, int images) {
    int pw = conv_padded_w(g);
    patch_rows P = {xp, g.ow, g.stride * pw * g.c, g.stride * g.c, g.k, g.k * g.c, pw * g.c,
                    images > 1 ? g.oh : 0, (size_t)conv_padded_h(g) * pw * g.c};
    return P;
}

void transpose(float *dst, const float *src, int rows, int cols) {
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) dst[(size_t)c * rows + r] = src[(size_t)r * cols + c];
}
