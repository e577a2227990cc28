// kernels_simd.c — 4-wide SIMD versions of the GEMMs and activations, written once over a tiny
// vector layer that maps to wasm simd128 or SSE4.1. Absent both, this file compiles to nothing.
#include "kernels/kernels.h"

#if AEVP_HAVE_SIMD
#include <math.h>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
typedef v128_t v4;
#define v4_load(p) wasm_v128_load(p)
#define v4_store(p, v) wasm_v128_store(p, v)
#define v4_splat(x) wasm_f32x4_splat(x)
#define v4_add(a, b) wasm_f32x4_add(a, b)
#define v4_mul(a, b) wasm_f32x4_mul(a, b)
#define v4_sub(a, b) wasm_f32x4_sub(a, b)
#define v4_max(a, b) wasm_f32x4_pmax(a, b)
#define v4_gt(a, b) wasm_f32x4_gt(a, b)
#define v4_select(mask, a, b) wasm_v128_bitselect(a, b, mask)
#if defined(__wasm_relaxed_simd__)
// The relaxed-SIMD build: a * b + acc, fused where the machine has FMA (one rounding), else a
// multiply and an add: results may differ across machines in the last bits (README).
#define v4_madd(acc, a, b) wasm_f32x4_relaxed_madd(a, b, acc)
#endif
#else
#include <smmintrin.h>
typedef __m128 v4;
#define v4_load(p) _mm_loadu_ps(p)
#define v4_store(p, v) _mm_storeu_ps(p, v)
#define v4_splat(x) _mm_set1_ps(x)
#define v4_add(a, b) _mm_add_ps(a, b)
#define v4_mul(a, b) _mm_mul_ps(a, b)
#define v4_sub(a, b) _mm_sub_ps(a, b)
#define v4_max(a, b) _mm_max_ps(b, a)
#define v4_gt(a, b) _mm_cmpgt_ps(a, b)
#define v4_select(mask, a, b) _mm_blendv_ps(b, a, mask)
#endif

static inline float v4_hsum(v4 v) {
    float lanes[4];
    v4_store(lanes, v);
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

#ifndef v4_madd
#define v4_madd(acc, a, b) v4_add(acc, v4_mul(a, b))
#endif

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
                const float *b = B + (size_t)k * ldb + j;
                v4 b0 = v4_load(b), b1 = v4_load(b + 4);
                size_t ka = (size_t)k * acs;
                v4 x0 = v4_splat(a0[ka]), x1 = v4_splat(a1[ka]);
                v4 x2 = v4_splat(a2[ka]), x3 = v4_splat(a3[ka]);
                s00 = v4_madd(s00, x0, b0); s01 = v4_madd(s01, x0, b1);
                s10 = v4_madd(s10, x1, b0); s11 = v4_madd(s11, x1, b1);
                s20 = v4_madd(s20, x2, b0); s21 = v4_madd(s21, x2, b1);
                s30 = v4_madd(s30, x3, b0); s31 = v4_madd(s31, x3, b1);
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

// --- Patch GEMMs: convolutions without an im2col matrix (kernels.h's patch_rows) ---------------

// Walks the patch rows in order without a division per row: (y, x) is row p's position.
typedef struct {
    int y, x;
} patch_cursor;

static inline const float *patch_run_at(const patch_rows *P, patch_cursor c) {
    return P->base + (size_t)c.y * P->row_step + (size_t)c.x * P->col_step;
}

static inline patch_cursor patch_next(const patch_rows *P, patch_cursor c) {
    if (++c.x == P->ow) {
        c.x = 0;
        c.y++;
    }
    return c;
}

// The run starts of rows i..i+3 (rows past M repeat row i); *c moves on to row i + 4.
static inline void patch_block(const patch_rows *P, patch_cursor *c, int rows, const float *r[4]) {
    for (int q = 0; q < 4; q++) {
        r[q] = q < rows ? patch_run_at(P, *c) : r[0];
        *c = patch_next(P, *c);
    }
}

// C += or = bias + sum: the sum first, then the bias (ST's order with C preset to the bias).
#define STB(p, v, bv) v4_store(p, bias ? v4_add(bv, v) : (v))

// One output channel (the last conv): per pixel a dot product of its runs with B, vectorised
// along the run, four pixels at a time.
// The destination rows i..i+3 (rows past M repeat row i); *c moves on to row i + 4.
static inline void dst_block(const patch_dst *D, patch_cursor *c, int rows, float *out[4]) {
    for (int q = 0; q < 4; q++) {
        out[q] = q < rows ? D->base + (size_t)c->y * D->row_step + (size_t)c->x * D->col_step : out[0];
        if (++c->x == D->ow) {
            c->x = 0;
            c->y++;
        }
    }
}

static void patch_gemv(const patch_rows *P, int M, const float *B, const float *bias, const patch_dst *D) {
    int seg = P->seg, segs = P->segs, step = P->seg_step;
    patch_cursor cur = {0, 0}, dcur = {0, 0};
    for (int i = 0; i < M; i += 4) {
        int rows = M - i < 4 ? M - i : 4;
        const float *r[4];
        patch_block(P, &cur, rows, r);
        v4 s0 = v4_splat(0), s1 = s0, s2 = s0, s3 = s0;
        float tail[4] = {0, 0, 0, 0};
        for (int sg = 0; sg < segs; sg++) {
            size_t o = (size_t)sg * step;
            const float *b = B + (size_t)sg * seg;
            int t = 0;
            for (; t + 4 <= seg; t += 4) {
                v4 bt = v4_load(b + t);
                s0 = v4_madd(s0, v4_load(r[0] + o + t), bt);
                s1 = v4_madd(s1, v4_load(r[1] + o + t), bt);
                s2 = v4_madd(s2, v4_load(r[2] + o + t), bt);
                s3 = v4_madd(s3, v4_load(r[3] + o + t), bt);
            }
            for (; t < seg; t++)
                for (int q = 0; q < 4; q++) tail[q] += r[q][o + t] * b[t];
        }
        float sum[4] = {v4_hsum(s0) + tail[0], v4_hsum(s1) + tail[1], v4_hsum(s2) + tail[2],
                        v4_hsum(s3) + tail[3]};
        float *c[4];
        dst_block(D, &dcur, rows, c);
        for (int q = 0; q < rows; q++) *c[q] = bias ? bias[0] + sum[q] : sum[q];
    }
}

// Its weight gradient: C (a column, one float per patch element) += sum_p B[p] * row p, with the
// column vectorised along each run, 16 floats at a time held over all pixels.
static void patch_gemv_tn(const patch_rows *P, int M, const float *B, int ldb, float *C, int ldc) {
    int seg = P->seg;
    for (int sg = 0; sg < P->segs; sg++) {
        const float *run = P->base + (size_t)sg * P->seg_step;
        float *c = C + (size_t)sg * seg * ldc;
        int t = 0;
        for (; ldc == 1 && t + 16 <= seg; t += 16) {
            v4 s0 = v4_splat(0), s1 = s0, s2 = s0, s3 = s0;
            const float *b = B;
            for (int p0 = 0; p0 < M; p0 += P->ow) {
                const float *a = run + (size_t)(p0 / P->ow) * P->row_step + t;
                int end = p0 + P->ow < M ? P->ow : M - p0;
                for (int x = 0; x < end; x++, a += P->col_step, b += ldb) {
                    v4 d = v4_splat(*b);
                    s0 = v4_madd(s0, v4_load(a), d);
                    s1 = v4_madd(s1, v4_load(a + 4), d);
                    s2 = v4_madd(s2, v4_load(a + 8), d);
                    s3 = v4_madd(s3, v4_load(a + 12), d);
                }
            }
            v4_store(c + t, v4_add(v4_load(c + t), s0));
            v4_store(c + t + 4, v4_add(v4_load(c + t + 4), s1));
            v4_store(c + t + 8, v4_add(v4_load(c + t + 8), s2));
            v4_store(c + t + 12, v4_add(v4_load(c + t + 12), s3));
        }
        for (; t < seg; t++) {
            float sum = 0;
            for (int p = 0; p < M; p++)
                sum += run[(size_t)(p / P->ow) * P->row_step + (size_t)(p % P->ow) * P->col_step + t] *
                       B[(size_t)p * ldb];
            c[(size_t)t * ldc] += sum;
        }
    }
}

void patch_gemm_simd(const patch_rows *P, int M, int N, const float *B, const float *bias,
                     const patch_dst *D) {
    int seg = P->seg, segs = P->segs, step = P->seg_step;
    if (N == 1) {
        patch_gemv(P, M, B, bias, D);
        return;
    }
    patch_cursor cur = {0, 0}, dcur = {0, 0};
    for (int i = 0; i < M; i += 4) {
        // A block of four rows; past the last row it repeats row i and stores nothing.
        int rows = M - i < 4 ? M - i : 4;
        const float *rr[4];
        patch_block(P, &cur, rows, rr);
        const float *r0 = rr[0], *r1 = rr[1], *r2 = rr[2], *r3 = rr[3];
        float *c[4];
        dst_block(D, &dcur, rows, c);
        int j = 0;
        for (; j + 8 <= N; j += 8) {
            v4 s00 = v4_splat(0), s01 = s00, s10 = s00, s11 = s00;
            v4 s20 = s00, s21 = s00, s30 = s00, s31 = s00;
            for (int sg = 0; sg < segs; sg++) {
                const float *a0 = r0 + (size_t)sg * step, *a1 = r1 + (size_t)sg * step;
                const float *a2 = r2 + (size_t)sg * step, *a3 = r3 + (size_t)sg * step;
                const float *b = B + (size_t)sg * seg * N + j;
                for (int t = 0; t < seg; t++, b += N) {
                    v4 b0 = v4_load(b), b1 = v4_load(b + 4);
                    v4 x0 = v4_splat(a0[t]), x1 = v4_splat(a1[t]);
                    v4 x2 = v4_splat(a2[t]), x3 = v4_splat(a3[t]);
                    s00 = v4_madd(s00, x0, b0); s01 = v4_madd(s01, x0, b1);
                    s10 = v4_madd(s10, x1, b0); s11 = v4_madd(s11, x1, b1);
                    s20 = v4_madd(s20, x2, b0); s21 = v4_madd(s21, x2, b1);
                    s30 = v4_madd(s30, x3, b0); s31 = v4_madd(s31, x3, b1);
                }
            }
            v4 bv0 = bias ? v4_load(bias + j) : s00, bv1 = bias ? v4_load(bias + j + 4) : s00;
            v4 out[4][2] = {{s00, s01}, {s10, s11}, {s20, s21}, {s30, s31}};
            for (int r = 0; r < rows; r++) {
                STB(c[r] + j, out[r][0], bv0);
                STB(c[r] + j + 4, out[r][1], bv1);
            }
        }
        for (; j + 4 <= N; j += 4) {
            v4 s0 = v4_splat(0), s1 = s0, s2 = s0, s3 = s0;
            for (int sg = 0; sg < segs; sg++) {
                const float *a0 = r0 + (size_t)sg * step, *a1 = r1 + (size_t)sg * step;
                const float *a2 = r2 + (size_t)sg * step, *a3 = r3 + (size_t)sg * step;
                const float *b = B + (size_t)sg * seg * N + j;
                for (int t = 0; t < seg; t++, b += N) {
                    v4 bt = v4_load(b);
                    s0 = v4_madd(s0, v4_splat(a0[t]), bt);
                    s1 = v4_madd(s1, v4_splat(a1[t]), bt);
                    s2 = v4_madd(s2, v4_splat(a2[t]), bt);
                    s3 = v4_madd(s3, v4_splat(a3[t]), bt);
                }
            }
            v4 bv = bias ? v4_load(bias + j) : s0;
            v4 out[4] = {s0, s1, s2, s3};
            for (int r = 0; r < rows; r++) STB(c[r] + j, out[r], bv);
        }
        for (; j < N; j++) {
            for (int r = 0; r < rows; r++) {
                float sum = 0;
                for (int sg = 0; sg < segs; sg++) {
                    const float *a = rr[r] + (size_t)sg * step, *b = B + (size_t)sg * seg * N + j;
                    for (int t = 0; t < seg; t++) sum += a[t] * b[(size_t)t * N];
                }
                c[r][j] = bias ? bias[j] + sum : sum;
            }
        }
    }
}

void patch_gemm_tn_simd(const patch_rows *P, int M, int N, const float *B, int ldb, float *C,
                        int ldc) {
    int K = P->segs * P->seg;
    if (N == 1) {
        patch_gemv_tn(P, M, B, ldb, C, ldc);
        return;
    }
    for (int i = 0; i < K; i += 4) {
        // Rows i..i+3 of C are patch columns kk: each one a fixed offset from a pixel's run start.
        int rows = K - i < 4 ? K - i : 4;
        size_t o[4];
        for (int r = 0; r < 4; r++) {
            int kk = i + (r < rows ? r : 0);
            o[r] = (size_t)(kk / P->seg) * P->seg_step + kk % P->seg;
        }
        const float *a0 = P->base + o[0], *a1 = P->base + o[1], *a2 = P->base + o[2], *a3 = P->base + o[3];
        float *c[4] = {C + (size_t)i * ldc, C + (size_t)(i + 1) * ldc, C + (size_t)(i + 2) * ldc,
                       C + (size_t)(i + 3) * ldc};
        int j = 0;
        for (; j + 8 <= N; j += 8) {
            v4 s00 = v4_splat(0), s01 = s00, s10 = s00, s11 = s00;
            v4 s20 = s00, s21 = s00, s30 = s00, s31 = s00;
            const float *b = B + j;
            for (int p0 = 0; p0 < M; p0 += P->ow) {
                size_t off = (size_t)(p0 / P->ow) * P->row_step;
                int end = p0 + P->ow < M ? P->ow : M - p0;
                for (int x = 0; x < end; x++, off += P->col_step, b += ldb) {
                    v4 b0 = v4_load(b), b1 = v4_load(b + 4);
                    v4 x0 = v4_splat(a0[off]), x1 = v4_splat(a1[off]);
                    v4 x2 = v4_splat(a2[off]), x3 = v4_splat(a3[off]);
                    s00 = v4_madd(s00, x0, b0); s01 = v4_madd(s01, x0, b1);
                    s10 = v4_madd(s10, x1, b0); s11 = v4_madd(s11, x1, b1);
                    s20 = v4_madd(s20, x2, b0); s21 = v4_madd(s21, x2, b1);
                    s30 = v4_madd(s30, x3, b0); s31 = v4_madd(s31, x3, b1);
                }
            }
            v4 out[4][2] = {{s00, s01}, {s10, s11}, {s20, s21}, {s30, s31}};
            for (int r = 0; r < rows; r++) {
                v4_store(c[r] + j, v4_add(v4_load(c[r] + j), out[r][0]));
                v4_store(c[r] + j + 4, v4_add(v4_load(c[r] + j + 4), out[r][1]));
            }
        }
        for (; j + 4 <= N; j += 4) {
            v4 s0 = v4_splat(0), s1 = s0, s2 = s0, s3 = s0;
            const float *b = B + j;
            for (int p0 = 0; p0 < M; p0 += P->ow) {
                size_t off = (size_t)(p0 / P->ow) * P->row_step;
                int end = p0 + P->ow < M ? P->ow : M - p0;
                for (int x = 0; x < end; x++, off += P->col_step, b += ldb) {
                    v4 bt = v4_load(b);
                    s0 = v4_madd(s0, v4_splat(a0[off]), bt);
                    s1 = v4_madd(s1, v4_splat(a1[off]), bt);
                    s2 = v4_madd(s2, v4_splat(a2[off]), bt);
                    s3 = v4_madd(s3, v4_splat(a3[off]), bt);
                }
            }
            v4 out[4] = {s0, s1, s2, s3};
            for (int r = 0; r < rows; r++) v4_store(c[r] + j, v4_add(v4_load(c[r] + j), out[r]));
        }
        for (; j < N; j++) {
            const float *aa[4] = {a0, a1, a2, a3};
            for (int r = 0; r < rows; r++) {
                float sum = 0;
                for (int p = 0; p < M; p++)
                    sum += aa[r][(size_t)(p / P->ow) * P->row_step + (size_t)(p % P->ow) * P->col_step] *
                           B[(size_t)p * ldb + j];
                c[r][j] += sum;
            }
        }
    }
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
