// test_kernels.c — every SIMD kernel against its scalar twin on the same inputs, over sizes
// below, at, above and at multiples of the vector width, at unaligned offsets.
#include "kernels/kernels.h"
#include "base/rng.h"
#include "testutil.h"

#define ATOL 1e-5f
#define RTOL 1e-5f
#define POOL 65536

static float pool_a[POOL], pool_b[POOL], pool_c1[POOL], pool_c2[POOL];

static void fill(float *x, int n, pcg32 *rng) {
    for (int i = 0; i < n; i++) x[i] = 2.0f * pcg32_float(rng) - 1.0f;
}

// Compares n floats; prints the first mismatch with its index. Returns 1 if all match.
static int compare(const char *what, const float *got, const float *want, int n, int M, int N, int K,
                   int off) {
    for (int i = 0; i < n; i++) {
        if (!(fabsf(got[i] - want[i]) <= ATOL + RTOL * fabsf(want[i]))) {
            CHECK(0, "%s M=%d N=%d K=%d offset=%d: index %d: simd %.9g, scalar %.9g", what, M, N, K,
                  off, i, got[i], want[i]);
            return 0;
        }
    }
    return 1;
}

static const int sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 33, 144};
#define NSIZES (int)(sizeof sizes / sizeof sizes[0])

static void test_gemm(const char *name, gemm_fn *simd, gemm_fn *scalar, int transposed_a) {
    pcg32 rng;
    pcg32_seed(&rng, 42, 7);
    int cases = 0;
    for (int a = 0; a < NSIZES; a++)
        for (int b = 0; b < NSIZES; b++)
            for (int c = 0; c < NSIZES; c += 2)
                for (int off = 0; off < 3; off++) {
                    int M = sizes[a], N = sizes[b], K = sizes[c];
                    // Leading dimensions wider than the rows, to test strides as well.
                    int lda = (transposed_a ? M : K) + off, ldb = N + off, ldc = N + 2 * off;
                    int rows_a = transposed_a ? K : M;
                    float *A = pool_a + off, *B = pool_b + off;
                    float *C1 = pool_c1 + off, *C2 = pool_c2 + off;
                    fill(A, rows_a * lda, &rng);
                    fill(B, K * ldb, &rng);
                    fill(C1, M * ldc, &rng);
                    memcpy(C2, C1, (size_t)M * ldc * sizeof(float));
                    int acc = (a + b + c + off) & 1; // both modes, across the sweep
                    simd(M, N, K, A, lda, B, ldb, C1, ldc, acc);
                    scalar(M, N, K, A, lda, B, ldb, C2, ldc, acc);
                    compare(name, C1, C2, M * ldc, M, N, K, off);
                    cases++;
                }
    // The one-output-channel fast paths (N = 1, ldb = ldc = 1).
    for (int a = 0; a < NSIZES; a++)
        for (int c = 0; c < NSIZES; c++) {
            int M = sizes[a], K = sizes[c];
            int lda = transposed_a ? M : K;
            fill(pool_a + 1, K * M + M, &rng);
            fill(pool_b + 1, K, &rng);
            fill(pool_c1 + 1, M, &rng);
            memcpy(pool_c2 + 1, pool_c1 + 1, M * sizeof(float));
            simd(M, 1, K, pool_a + 1, lda, pool_b + 1, 1, pool_c1 + 1, 1, c & 1);
            scalar(M, 1, K, pool_a + 1, lda, pool_b + 1, 1, pool_c2 + 1, 1, c & 1);
            compare(name, pool_c1 + 1, pool_c2 + 1, M, M, 1, K, 1);
            cases++;
        }
    printf("%s: %d cases\n", name, cases);
}

// The patch GEMMs over padded images, against the scalar twins and against the GEMMs over an
// im2col matrix of the same image (which checks pad_image and conv_patch_rows as well), for
// kernel sizes 3 and 5, strides 1 and 2, odd and even image sizes, 1..17 channels and outputs.
static float pad_pool[POOL], col_pool[POOL], ref_pool[POOL];

static void test_patch_gemm(void) {
    pcg32 rng;
    pcg32_seed(&rng, 11, 4);
    static const int dims[] = {1, 3, 5, 8}, chans[] = {1, 3, 4, 16, 17}, outs[] = {1, 3, 4, 8, 9, 17};
    int cases = 0;
    for (int hi = 0; hi < 4; hi++)
        for (int wi = 0; wi < 4; wi++)
            for (int ci = 0; ci < 5; ci++)
                for (int k = 3; k <= 5; k += 2)
                    for (int stride = 1; stride <= 2; stride++)
                        for (int ni = 0; ni < 6; ni++) {
                            int h = dims[hi], w = dims[wi], c = chans[ci], N = outs[ni];
                            conv_geom g = {h, w, c, (h + stride - 1) / stride, (w + stride - 1) / stride, stride, k};
                            int M = g.oh * g.ow, K = k * k * c;
                            float *x = pool_a, *B = pool_b, *bias = pool_b + K * N;
                            fill(x, h * w * c, &rng);
                            fill(B, K * N + N, &rng);
                            pad_image(pad_pool, x, g);
                            im2col(col_pool, x, g);
                            patch_rows P = conv_patch_rows(pad_pool, g);
                            const float *use_bias = (ni + ci) & 1 ? bias : NULL;
                            // Forward: C = P B (+ bias).
                            patch_dst D1 = patch_dst_rows(pool_c1, M, N), D2 = patch_dst_rows(pool_c2, M, N);
                            patch_gemm_simd(&P, M, N, B, use_bias, &D1);
                            patch_gemm_scalar(&P, M, N, B, use_bias, &D2);
                            compare("patch_gemm", pool_c1, pool_c2, M * N, M, N, K, stride);
                            for (int i = 0; i < M; i++)
                                for (int j = 0; j < N; j++) ref_pool[i * N + j] = use_bias ? bias[j] : 0.0f;
                            gemm_nn_scalar(M, N, K, col_pool, K, B, N, ref_pool, N, 1);
                            compare("patch_gemm vs im2col", pool_c2, ref_pool, M * N, M, N, K, stride);
                            // Weight gradient: C (K, N) += P^T D, D (M, N).
                            float *D = pool_b + K * N + N;
                            fill(D, M * N, &rng);
                            fill(pool_c1, K * N, &rng);
                            memcpy(pool_c2, pool_c1, (size_t)K * N * sizeof(float));
                            memcpy(ref_pool, pool_c1, (size_t)K * N * sizeof(float));
                            patch_gemm_tn_simd(&P, M, N, D, N, pool_c1, N);
                            patch_gemm_tn_scalar(&P, M, N, D, N, pool_c2, N);
                            compare("patch_gemm_tn", pool_c1, pool_c2, K * N, M, N, K, stride);
                            gemm_tn_scalar(K, N, M, col_pool, K, D, N, ref_pool, N, 1);
                            compare("patch_gemm_tn vs im2col", pool_c2, ref_pool, K * N, M, N, K, stride);
                            cases++;
                        }
    printf("patch_gemm, patch_gemm_tn: %d geometries\n", cases);
}

static void test_col_sums(void) {
    pcg32 rng;
    pcg32_seed(&rng, 21, 6);
    for (int a = 0; a < NSIZES; a++)
        for (int b = 0; b < NSIZES; b++) {
            int M = sizes[a], N = sizes[b];
            fill(pool_a, M * N, &rng);
            fill(pool_c1, N, &rng);
            memcpy(pool_c2, pool_c1, (size_t)N * sizeof(float));
            col_sums_simd(pool_c1, pool_a, M, N);
            col_sums_scalar(pool_c2, pool_a, M, N);
            compare("col_sums", pool_c1, pool_c2, N, M, N, 0, 0);
        }
    printf("col_sums: %d shapes\n", NSIZES * NSIZES);
}

static void test_dot_axpy(void) {
    pcg32 rng;
    pcg32_seed(&rng, 5, 2);
    for (int n = 0; n <= 67; n++)
        for (int off = 0; off < 4; off++) {
            float *a = pool_a + off, *b = pool_b + off;
            fill(a, n, &rng);
            fill(b, n, &rng);
            float got = vec_dot_simd(a, b, n), want = vec_dot_scalar(a, b, n);
            compare("dot", &got, &want, 1, n, 1, 0, off);
            float *y1 = pool_c1 + off, *y2 = pool_c2 + off;
            fill(y1, n, &rng);
            memcpy(y2, y1, n * sizeof(float));
            vec_axpy_simd(y1, 0.37f, a, n);
            vec_axpy_scalar(y2, 0.37f, a, n);
            compare("axpy", y1, y2, n, n, 1, 0, off);
        }
    printf("dot, axpy: n = 0..67 at 4 offsets\n");
}

static void test_activations(void) {
    pcg32 rng;
    pcg32_seed(&rng, 3, 9);
    const ae_activation acts[] = {ACT_RELU, ACT_LEAKY_RELU, ACT_ELU, ACT_TANH, ACT_LINEAR, ACT_SIGMOID};
    for (int a = 0; a < 6; a++)
        for (int n = 0; n <= 37; n++)
            for (int off = 0; off < 4; off++) {
                float *x1 = pool_a + off, *x2 = pool_b + off, *d1 = pool_c1 + off, *d2 = pool_c2 + off;
                fill(x1, n, &rng);
                for (int i = 0; i < n; i += 5) x1[i] = 0.0f; // the kink itself
                memcpy(x2, x1, n * sizeof(float));
                act_forward_simd(acts[a], x1, n);
                act_forward_scalar(acts[a], x2, n);
                compare("act_forward", x1, x2, n, n, a, 0, off);
                fill(d1, n, &rng);
                memcpy(d2, d1, n * sizeof(float));
                act_backward_simd(acts[a], d1, x2, n);
                act_backward_scalar(acts[a], d2, x2, n);
                compare("act_backward", d1, d2, n, n, a, 0, off);
            }
}

int main(int argc, char **argv) {
    test_init(argc, argv);
#if AEVP_HAVE_SIMD
#if defined(__wasm_simd128__)
    printf("SIMD: wasm simd128\n");
#else
    printf("SIMD: SSE4.1\n");
#endif
    test_gemm("gemm_nn", gemm_nn_simd, gemm_nn_scalar, 0);
    test_gemm("gemm_tn", gemm_tn_simd, gemm_tn_scalar, 1);
    test_patch_gemm();
    test_col_sums();
    test_activations();
    test_dot_axpy();
#else
    printf("this build has no SIMD kernels: nothing to compare (the scalar kernels are checked by "
           "test_gradcheck)\n");
#endif
    return test_finish("test_kernels");
}
