// test_kernels.c — every SIMD kernel against its scalar twin on the same inputs, over sizes
// below, at, above and at multiples of the vector width, at unaligned offsets.
#include "kernels/kernels.h"
#include "kernels/mathf.h"
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
// kernel sizes 3 and 5, strides 1 and 2, odd and even image sizes, 1..17 channels and outputs,
// one image or three in one patch matrix.
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
                        for (int ni = 0; ni < 6; ni++)
                            for (int images = 1; images <= 3; images += 2) {
                            int h = dims[hi], w = dims[wi], c = chans[ci], N = outs[ni];
                            conv_geom g = {h, w, c, (h + stride - 1) / stride, (w + stride - 1) / stride, stride, k};
                            int m = g.oh * g.ow, M = images * m, K = k * k * c;
                            size_t in = (size_t)h * w * c, padded = (size_t)conv_padded_h(g) * conv_padded_w(g) * c;
                            if ((size_t)M * K > POOL || images * padded > POOL || (size_t)K * N + N + (size_t)M * N > POOL)
                                continue;
                            float *x = pool_a, *B = pool_b, *bias = pool_b + K * N;
                            fill(x, (int)(images * in), &rng);
                            fill(B, K * N + N, &rng);
                            // Several images: padded one after another, one patch matrix of images * m rows.
                            for (int im = 0; im < images; im++) {
                                pad_image(pad_pool + im * padded, x + im * in, g);
                                im2col(col_pool + (size_t)im * m * K, x + im * in, g);
                            }
                            patch_rows P = images == 1 ? conv_patch_rows(pad_pool, g) : conv_patch_rows_images(pad_pool, g, images);
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

// How many floats apart got is from want (a double, rounded to float first).
static double ulps(float got, double want) {
    float w = (float)want;
    if (got == w) return 0;
    float step = nextafterf(fabsf(w), INFINITY) - fabsf(w);
    return fabs((double)got - want) / step;
}

// mathf.h's exp and log1p against libm in double, over their ranges and at their edges.
static void test_mathf(void) {
    double worst_exp = 0, worst_log1p = 0;
    for (int i = 0; i <= 400000; i++) {
        float x = -87.3f + (88.0f + 87.3f) * (float)i / 400000.0f;
        double u = ulps(mathf_exp(x), exp((double)x));
        worst_exp = u > worst_exp ? u : worst_exp;
    }
    for (int i = 0; i <= 400000; i++) {
        // -0.999 .. 1e4 in steps dense near 0, and tiny values of both signs
        float x = i < 200000 ? -0.999f + 1.999f * (float)i / 200000.0f : powf(10.0f, -30.0f + 34.0f * (float)(i - 200000) / 200000.0f);
        float neg = -x * 1e-3f; // down to -1 + 1e-7
        double u = ulps(mathf_log1p(x), log1p((double)x)), v = ulps(mathf_log1p(neg), log1p((double)neg));
        worst_log1p = u > worst_log1p ? u : worst_log1p;
        worst_log1p = v > worst_log1p ? v : worst_log1p;
    }
    CHECK(worst_exp <= 2.0, "exp: %.2f ulp from libm", worst_exp);
    CHECK(worst_log1p <= 2.0, "log1p: %.2f ulp from libm", worst_log1p);
    CHECK(mathf_exp(-87.5f) == 0.0f && mathf_exp(-INFINITY) == 0.0f, "exp below float's range is 0");
    CHECK(isinf(mathf_exp(89.0f)) && isinf(mathf_exp(INFINITY)), "exp above float's range is inf");
    CHECK(mathf_exp(0.0f) == 1.0f && mathf_log1p(0.0f) == 0.0f, "exp(0) = 1, log1p(0) = 0");
    CHECK(isnan(mathf_exp(NAN)) && isnan(mathf_log1p(NAN)), "NaN stays NaN");
    printf("mathf: exp within %.2f ulp, log1p within %.2f ulp of libm\n", worst_exp, worst_log1p);
}

#if AEVP_HAVE_SIMD
// Both twins do the same float operations in the same order: the same bits, edges included.
static void test_exp_bce(void) {
    pcg32 rng;
    pcg32_seed(&rng, 11, 4);
    const float edges[] = {0.0f, -0.0f, -87.2f, -87.4f, -200.0f, 87.9f, 88.1f, 88.8f, 1e-30f, -1e-30f,
                           INFINITY, -INFINITY};
    int cases = 0;
    for (int n = 0; n <= 200; n++)
        for (int off = 0; off < 4; off++, cases++) {
            float *x = pool_a + off, *t = pool_b + off, *y1 = pool_c1 + off, *y2 = pool_c2 + off;
            for (int i = 0; i < n; i++) {
                x[i] = 40.0f * pcg32_float(&rng) - 20.0f;
                t[i] = i % 7 == 0 ? (float)(i % 2) : pcg32_float(&rng);
            }
            for (int i = 0; i < n && i < 12; i++) x[(i * 17) % n] = edges[i];
            vec_exp_simd(y1, x, n);
            vec_exp_scalar(y2, x, n);
            CHECK(memcmp(y1, y2, (size_t)n * sizeof(float)) == 0, "exp n=%d offset=%d: twins differ", n, off);
            for (int i = 0; i < n; i++)
                if (isfinite(x[i])) x[i] = x[i] < -30 ? -30 : x[i] > 30 ? 30 : x[i]; // logits
            static float dz1[POOL], dz2[POOL], r1[POOL], r2[POOL];
            double s1 = bce_logits_simd(dz1, r1, x, t, (size_t)n, 0.5f);
            double s2 = bce_logits_scalar(dz2, r2, x, t, (size_t)n, 0.5f);
            double bare = bce_logits_simd(NULL, NULL, x, t, (size_t)n, 0.0f);
#define SAME(a, b) ((a) == (b) || (isnan(a) && isnan(b)))
            CHECK(SAME(s1, s2) && SAME(bare, s1), "bce n=%d offset=%d: sums %.17g %.17g %.17g", n, off, s1, s2, bare);
            CHECK(memcmp(dz1, dz2, (size_t)n * sizeof(float)) == 0 && memcmp(r1, r2, (size_t)n * sizeof(float)) == 0,
                  "bce n=%d offset=%d: dz or recon differ", n, off);
            double ref = 0;
            int finite = 1;
            for (int i = 0; i < n; i++) {
                double z = x[i], tt = t[i], e = exp(-fabs(z));
                finite &= isfinite(x[i]);
                ref += (z > 0 ? z : 0) - z * tt + log1p(e);
                double y = z >= 0 ? 1 / (1 + e) : e / (1 + e);
                if (isfinite(x[i]) && fabs(r1[i] - y) > 1e-7 + 2e-7 * y) {
                    CHECK(0, "bce n=%d: sigmoid(%g) = %.9g, want %.9g", n, z, r1[i], y);
                    break;
                }
            }
            if (finite) CHECK(fabs(s1 - ref) <= 1e-6 * ref + 1e-9, "bce n=%d: sum %.9g, want %.9g", n, s1, ref);
        }
    float z[5] = {1, 2, NAN, 3, 4}, tt[5] = {0, 1, 0, 1, 0};
    CHECK(isnan(bce_logits_simd(NULL, NULL, z, tt, 5, 0)) && isnan(bce_logits_scalar(NULL, NULL, z, tt, 5, 0)),
          "a NaN logit makes the loss NaN (divergence is seen)");
    printf("exp, bce: %d cases, twins bit for bit\n", cases);
}
#endif

int main(int argc, char **argv) {
    test_init(argc, argv);
    test_mathf();
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
    test_exp_bce();
#else
    printf("this build has no SIMD kernels: nothing to compare (the scalar kernels are checked by "
           "test_gradcheck)\n");
#endif
    return test_finish("test_kernels");
}
