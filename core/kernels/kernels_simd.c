// kernels_simd.c — 4-wide SIMD versions of the GEMMs, sums and activations, written once over the
// vector layer of simd.h (wasm simd128 or SSE4.1). Absent both, this file compiles to nothing.
// The convolutions' patch GEMMs are in patch_simd.c.
#include "kernels/kernels.h"

#if AEVP_HAVE_SIMD
#include <math.h>

#include "kernels/mathf.h"
#include "kernels/simd.h"

// Store a sum into C, adding what is there when accumulating.
#define ST(p, v) v4_store(p, acc ? v4_add(v4_load(p), v) : (v))
#define SC(c, v) ((c) = acc ? (c) + (v) : (v))

// C (M,N) (+)= A * B where A's element (i, k) is at A[i*ars + k*acs]: one loop nest serves both
// A (nn: ars = lda, acs = 1) and A transposed (tn: ars = 1, acs = lda). Products are summed
// over k in a register, then added to C: the scalar twins add into C as they go, so the two
// agree to float rounding, not bit for bit.
static void gemm_strided(int M, int N, int K, const float *A, int ars, int acs, const float *B,
                         int ldb, float *C, int ldc, int acc) {
    int i = 0;
    for (; i + 4 <= M; i += 4) {
        const float *a0 = A + (size_t)i * ars, *a1 = a0 + ars, *a2 = a1 + ars, *a3 = a2 + ars;
        float *c0 = C + (size_t)i * ldc, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
        int j = 0;
        for (; j + 8 <= N; j += 8) {
            v4 s00 = v4_splat(0), s01 = s00, s10 = s00, s11 = s00;
            v4 s20 = s00, s21 = s00, s30 = s00, s31 = s00;
            for (int k = 0; k < K; k++) {
                MICRO_4X8_STEP(a0, a1, a2, a3, (size_t)k * acs, B + (size_t)k * ldb + j);
            }
            ST(c0 + j, s00); ST(c0 + j + 4, s01);
            ST(c1 + j, s10); ST(c1 + j + 4, s11);
            ST(c2 + j, s20); ST(c2 + j + 4, s21);
            ST(c3 + j, s30); ST(c3 + j + 4, s31);
        }
        for (; j + 4 <= N; j += 4) {
            v4 s0 = v4_splat(0), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < K; k++) {
                v4 b = v4_load(B + (size_t)k * ldb + j);
                size_t ka = (size_t)k * acs;
                s0 = v4_madd(s0, v4_splat(a0[ka]), b);
                s1 = v4_madd(s1, v4_splat(a1[ka]), b);
                s2 = v4_madd(s2, v4_splat(a2[ka]), b);
                s3 = v4_madd(s3, v4_splat(a3[ka]), b);
            }
            ST(c0 + j, s0);
            ST(c1 + j, s1);
            ST(c2 + j, s2);
            ST(c3 + j, s3);
        }
        for (; j < N; j++) {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int k = 0; k < K; k++) {
                float b = B[(size_t)k * ldb + j];
                size_t ka = (size_t)k * acs;
                s0 += a0[ka] * b; s1 += a1[ka] * b; s2 += a2[ka] * b; s3 += a3[ka] * b;
            }
            SC(c0[j], s0); SC(c1[j], s1); SC(c2[j], s2); SC(c3[j], s3);
        }
    }
    for (; i < M; i++) {
        const float *a = A + (size_t)i * ars;
        float *c = C + (size_t)i * ldc;
        int j = 0;
        for (; j + 4 <= N; j += 4) {
            v4 s = v4_splat(0);
            for (int k = 0; k < K; k++)
                s = v4_madd(s, v4_splat(a[(size_t)k * acs]), v4_load(B + (size_t)k * ldb + j));
            ST(c + j, s);
        }
        for (; j < N; j++) {
            float s = 0;
            for (int k = 0; k < K; k++) s += a[(size_t)k * acs] * B[(size_t)k * ldb + j];
            SC(c[j], s);
        }
    }
}

void gemm_nn_simd(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                  float *C, int ldc, int accumulate) {
    int acc = accumulate;
    if (N == 1 && ldb == 1 && K >= 8) {
        // One output channel (the last conv): a dot product per row, vectorised along K.
        for (int i = 0; i < M; i++) {
            const float *a = A + (size_t)i * lda;
            v4 s0 = v4_splat(0), s1 = s0;
            int k = 0;
            for (; k + 8 <= K; k += 8) {
                s0 = v4_madd(s0, v4_load(a + k), v4_load(B + k));
                s1 = v4_madd(s1, v4_load(a + k + 4), v4_load(B + k + 4));
            }
            float sum = v4_hsum(v4_add(s0, s1));
            for (; k < K; k++) sum += a[k] * B[k];
            SC(C[(size_t)i * ldc], sum);
        }
        return;
    }
    gemm_strided(M, N, K, A, lda, 1, B, ldb, C, ldc, accumulate);
}

void gemm_tn_simd(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                  float *C, int ldc, int accumulate) {
    int acc = accumulate;
    if (N == 1 && ldc == 1) {
        // A column vector C (a conv's weight gradient with one output channel): vectorise over
        // M instead, C[i] += sum_k A[k][i] * B[k], keeping the k order of the scalar twin.
        int i = 0;
        for (; i + 4 <= M; i += 4) {
            v4 s = v4_splat(0);
            for (int k = 0; k < K; k++)
                s = v4_madd(s, v4_load(A + (size_t)k * lda + i), v4_splat(B[(size_t)k * ldb]));
            ST(C + i, s);
        }
        for (; i < M; i++) {
            float s = 0;
            for (int k = 0; k < K; k++) s += A[(size_t)k * lda + i] * B[(size_t)k * ldb];
            SC(C[i], s);
        }
        return;
    }
    gemm_strided(M, N, K, A, 1, lda, B, ldb, C, ldc, accumulate);
}

void col_sums_simd(float *sums, const float *A, int M, int N) {
    // Sixteen columns at a time in registers over all rows, then added to sums once.
    int j = 0;
    for (; j + 16 <= N; j += 16) {
        v4 s0 = v4_splat(0), s1 = s0, s2 = s0, s3 = s0;
        const float *a = A + j;
        for (int i = 0; i < M; i++, a += N) {
            s0 = v4_add(s0, v4_load(a));
            s1 = v4_add(s1, v4_load(a + 4));
            s2 = v4_add(s2, v4_load(a + 8));
            s3 = v4_add(s3, v4_load(a + 12));
        }
        v4_store(sums + j, v4_add(v4_load(sums + j), s0));
        v4_store(sums + j + 4, v4_add(v4_load(sums + j + 4), s1));
        v4_store(sums + j + 8, v4_add(v4_load(sums + j + 8), s2));
        v4_store(sums + j + 12, v4_add(v4_load(sums + j + 12), s3));
    }
    for (; j + 4 <= N; j += 4) {
        v4 s0 = v4_splat(0);
        for (int i = 0; i < M; i++) s0 = v4_add(s0, v4_load(A + (size_t)i * N + j));
        v4_store(sums + j, v4_add(v4_load(sums + j), s0));
    }
    for (; j < N; j++) {
        float s = 0;
        for (int i = 0; i < M; i++) s += A[(size_t)i * N + j];
        sums[j] += s;
    }
}

float vec_dot_simd(const float *a, const float *b, int n) {
    v4 s0 = v4_splat(0), s1 = s0;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 = v4_madd(s0, v4_load(a + i), v4_load(b + i));
        s1 = v4_madd(s1, v4_load(a + i + 4), v4_load(b + i + 4));
    }
    if (i + 4 <= n) {
        s0 = v4_madd(s0, v4_load(a + i), v4_load(b + i));
        i += 4;
    }
    float sum = v4_hsum(v4_add(s0, s1));
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

void vec_axpy_simd(float *y, float alpha, const float *x, int n) {
    v4 a = v4_splat(alpha);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        v4_store(y + i, v4_madd(v4_load(y + i), a, v4_load(x + i)));
        v4_store(y + i + 4, v4_madd(v4_load(y + i + 4), a, v4_load(x + i + 4)));
    }
    for (; i + 4 <= n; i += 4) v4_store(y + i, v4_madd(v4_load(y + i), a, v4_load(x + i)));
    for (; i < n; i++) y[i] += alpha * x[i];
}

// mathf.h's exp and log1p, four at a time, operation for operation (no fused multiply-add: the
// same bits in every build).
static inline v4 v4_exp(v4 x) {
    v4 c = v4_min(v4_max(x, v4_splat(MATHF_EXP_LO)), v4_splat(MATHF_EXP_HI));
    v4 n = v4_floor(v4_add(v4_mul(c, v4_splat(MATHF_LOG2E)), v4_splat(0.5f)));
    v4 r = v4_sub(c, v4_mul(n, v4_splat(MATHF_LN2_HI)));
    r = v4_sub(r, v4_mul(n, v4_splat(MATHF_LN2_LO)));
    v4 p = v4_splat(MATHF_EXP_P0);
    p = v4_add(v4_mul(p, r), v4_splat(MATHF_EXP_P1));
    p = v4_add(v4_mul(p, r), v4_splat(MATHF_EXP_P2));
    p = v4_add(v4_mul(p, r), v4_splat(MATHF_EXP_P3));
    p = v4_add(v4_mul(p, r), v4_splat(MATHF_EXP_P4));
    p = v4_add(v4_mul(p, r), v4_splat(MATHF_EXP_P5));
    v4 y = v4_add(v4_add(v4_mul(p, v4_mul(r, r)), r), v4_splat(1.0f));
    y = v4_mul(y, v4_pow2(n));
    y = v4_select(v4_lt(x, v4_splat(MATHF_EXP_LO)), v4_splat(0.0f), y);
    return v4_select(v4_gt(x, v4_splat(MATHF_EXP_INF)), v4_splat(INFINITY), y);
}

static inline v4 v4_log1p(v4 x) {
    v4 one = v4_splat(1.0f), u = v4_add(one, x);
    v4 k = v4_sub(v4_exponent_field(u), v4_splat(126.0f));
    v4 m = v4_or_bits(v4_and_bits(u, 0x007fffffu), 0x3f000000u);
    v4 small = v4_lt(m, v4_splat(MATHF_SQRT_HALF));
    k = v4_select(small, v4_sub(k, one), k);
    m = v4_select(small, v4_sub(v4_add(m, m), one), v4_sub(m, one));
    v4 z = v4_mul(m, m);
    v4 p = v4_splat(MATHF_LOG_P0);
    p = v4_add(v4_mul(p, m), v4_splat(MATHF_LOG_P1));
    p = v4_add(v4_mul(p, m), v4_splat(MATHF_LOG_P2));
    p = v4_add(v4_mul(p, m), v4_splat(MATHF_LOG_P3));
    p = v4_add(v4_mul(p, m), v4_splat(MATHF_LOG_P4));
    p = v4_add(v4_mul(p, m), v4_splat(MATHF_LOG_P5));
    p = v4_add(v4_mul(p, m), v4_splat(MATHF_LOG_P6));
    p = v4_add(v4_mul(p, m), v4_splat(MATHF_LOG_P7));
    p = v4_add(v4_mul(p, m), v4_splat(MATHF_LOG_P8));
    v4 y = v4_mul(v4_mul(p, m), z);
    y = v4_add(y, v4_mul(k, v4_splat(MATHF_LN2_LO)));
    y = v4_sub(y, v4_mul(v4_splat(0.5f), z));
    v4 l = v4_add(v4_add(m, y), v4_mul(k, v4_splat(MATHF_LN2_HI)));
    v4 fix = v4_div(v4_sub(x, v4_sub(u, one)), u);
    return v4_add(v4_add(l, fix), v4_sub(x, x));
}

void vec_exp_simd(float *y, const float *x, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) v4_store(y + i, v4_exp(v4_load(x + i)));
    for (; i < n; i++) y[i] = mathf_exp(x[i]);
}

double bce_logits_simd(float *dz, float *recon, const float *z, const float *t, size_t n, float scale) {
    v4 zero = v4_splat(0.0f), one = v4_splat(1.0f), vscale = v4_splat(scale);
    d2 lo = d2_zero(), hi = d2_zero(); // lanes 0, 1 and 2, 3
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4 zi = v4_load(z + i), ti = v4_load(t + i);
        v4 e = v4_exp(v4_or_bits(zi, 0x80000000u)); // exp(-|z|)
        v4 inv = v4_div(one, v4_add(one, e));
        v4 y = v4_select(v4_ge(zi, zero), inv, v4_mul(e, inv));
        v4 mz = v4_max(zi, zero), l = v4_log1p(e);
        lo = d2_add(lo, d2_add(d2_sub(d2_lo(mz), d2_mul(d2_lo(zi), d2_lo(ti))), d2_lo(l)));
        hi = d2_add(hi, d2_add(d2_sub(d2_hi(mz), d2_mul(d2_hi(zi), d2_hi(ti))), d2_hi(l)));
        if (recon) v4_store(recon + i, y);
        if (dz) v4_store(dz + i, v4_mul(v4_sub(y, ti), vscale));
    }
    double lanes[4];
    d2_store(lanes, lo);
    d2_store(lanes + 2, hi);
    for (int q = 0; i < n; i++, q++) {
        float y;
        lanes[q] += mathf_bce_term(z[i], t[i], &y);
        if (recon) recon[i] = y;
        if (dz) dz[i] = (y - t[i]) * scale;
    }
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

void act_forward_simd(ae_activation act, float *y, int n) {
    int i = 0;
    switch (act) {
    case ACT_LINEAR: return;
    case ACT_RELU: {
        v4 zero = v4_splat(0);
        for (; i + 4 <= n; i += 4) v4_store(y + i, v4_max(v4_load(y + i), zero));
        for (; i < n; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
        return;
    }
    case ACT_LEAKY_RELU: {
        v4 zero = v4_splat(0), slope = v4_splat(LEAKY_RELU_SLOPE);
        for (; i + 4 <= n; i += 4) {
            v4 v = v4_load(y + i);
            v4_store(y + i, v4_select(v4_gt(v, zero), v, v4_mul(v, slope)));
        }
        for (; i < n; i++) y[i] = y[i] > 0.0f ? y[i] : LEAKY_RELU_SLOPE * y[i];
        return;
    }
    case ACT_ELU:
    case ACT_TANH:
    case ACT_SIGMOID:
        // Transcendentals stay on libm so SIMD and scalar builds agree bit for bit.
        act_forward_scalar(act, y, n);
        return;
    }
}

void act_backward_simd(ae_activation act, float *dy, const float *y, int n) {
    int i = 0;
    v4 zero = v4_splat(0), one = v4_splat(1);
    switch (act) {
    case ACT_LINEAR: return;
    case ACT_RELU:
        for (; i + 4 <= n; i += 4)
            v4_store(dy + i, v4_select(v4_gt(v4_load(y + i), zero), v4_load(dy + i), zero));
        break;
    case ACT_LEAKY_RELU: {
        v4 slope = v4_splat(LEAKY_RELU_SLOPE);
        for (; i + 4 <= n; i += 4) {
            v4 d = v4_load(dy + i);
            v4_store(dy + i, v4_select(v4_gt(v4_load(y + i), zero), d, v4_mul(d, slope)));
        }
        break;
    }
    case ACT_ELU:
        for (; i + 4 <= n; i += 4) {
            v4 v = v4_load(y + i);
            v4 g = v4_select(v4_gt(v, zero), one, v4_add(v, one));
            v4_store(dy + i, v4_mul(v4_load(dy + i), g));
        }
        break;
    case ACT_TANH:
        for (; i + 4 <= n; i += 4) {
            v4 v = v4_load(y + i);
            v4_store(dy + i, v4_mul(v4_load(dy + i), v4_sub(one, v4_mul(v, v))));
        }
        break;
    case ACT_SIGMOID:
        for (; i + 4 <= n; i += 4) {
            v4 v = v4_load(y + i);
            v4_store(dy + i, v4_mul(v4_load(dy + i), v4_mul(v, v4_sub(one, v))));
        }
        break;
    }
    act_backward_scalar(act, dy + i, y + i, n - i);
}
#endif
