// kernels.h — the hot loops of the engine: small row-major GEMMs, the convolutions' patch GEMMs
// (over the padded image in place) and the elementwise activations. Pure loops on float arrays; they know nothing of layers or models.
//
// Every kernel with a SIMD version has a scalar twin with the same signature (suffix _scalar),
// and tests/test_kernels.c runs both on the same inputs. The unsuffixed name is the one the
// engine calls: the SIMD version where the build has one (wasm simd128 or SSE), else the scalar.
#ifndef AEVP_KERNELS_H
#define AEVP_KERNELS_H

#include <stddef.h>

#include "base/enums.h"

// C = op(A) * B, or C += op(A) * B when accumulate is 1; row-major with leading dimensions.
// nn: A (M,K).   tn: A (K,M), used transposed.   B (K,N), C (M,N). Overwriting spares the
// caller a memset of C (im2col-sized buffers: a sixth of the training time when they were zeroed).
// (A product with a transposed weight transposes the small weight first: see transpose().)
typedef void gemm_fn(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                     float *C, int ldc, int accumulate);
gemm_fn gemm_nn_scalar, gemm_tn_scalar;
gemm_fn gemm_nn_simd, gemm_tn_simd;

// A convolution's patch matrix without building it (implicit im2col): row p of the (M, segs*seg)
// matrix is segs runs of seg contiguous floats, run s starting at
//   base + img * image_step + y * row_step + x * col_step + s * seg_step,
// where x = p % ow and row p / ow is row y of image img: y = (p / ow) % oh, img = (p / ow) / oh
// (oh = 0: one image, y = p / ow). For a k x k conv over zero-padded images (pw pixels wide,
// c channels, stride s, one after another image_step floats apart): segs = k (one run per patch
// row ky), seg = k * c, seg_step = pw * c, col_step = s * c, row_step = s * pw * c. Element
// (p, kk) is run kk / seg, offset kk % seg. Several small images in one patch matrix make one
// longer GEMM instead of many short ones.
typedef struct {
    const float *base;
    int ow, row_step, col_step, segs, seg, seg_step;
    int oh;
    size_t image_step;
} patch_rows;

// Row p's first run, as an offset from base.
static inline size_t patch_row_offset(const patch_rows *P, int p) {
    int row = p / P->ow, y = P->oh ? row % P->oh : row, img = P->oh ? row / P->oh : 0;
    return (size_t)img * P->image_step + (size_t)y * P->row_step + (size_t)(p % P->ow) * P->col_step;
}

// Where the rows of a patch GEMM's result go: row p (N floats) at
//   base + (p / ow) * row_step + (p % ow) * col_step
// — the rows of a plain matrix (patch_dst_rows), or one parity class of a larger grid.
typedef struct {
    float *base;
    int ow, row_step, col_step;
} patch_dst;

static inline patch_dst patch_dst_rows(float *C, int M, int ldc) {
    patch_dst D = {C, M > 0 ? M : 1, 0, ldc};
    return D;
}

// C (M,N) = P * B, plus bias[j] in every row when bias is not NULL; B (segs*seg, N) row-major.
// Sums over the patch in kk order, then adds the bias: bit for bit what gemm_nn gives from an
// im2col matrix into a C preset to the bias.
typedef void patch_gemm_fn(const patch_rows *P, int M, int N, const float *B, const float *bias,
                           const patch_dst *C);
// C (segs*seg, N) += P^T * B, B (M, N) with leading dimension ldb: sums over p in order, as
// gemm_tn does over an im2col matrix (a conv's weight gradient).
typedef void patch_gemm_tn_fn(const patch_rows *P, int M, int N, const float *B, int ldb, float *C,
                              int ldc);
patch_gemm_fn patch_gemm_scalar, patch_gemm_simd;
patch_gemm_tn_fn patch_gemm_tn_scalar, patch_gemm_tn_simd;

// sums[j] += the sum over rows i of A[i*N + j]: a bias's gradient from its layer's dy (M, N).
typedef void col_sums_fn(float *sums, const float *A, int M, int N);
col_sums_fn col_sums_scalar, col_sums_simd;

// vec_dot: sum of a[i] * b[i]; vec_axpy: y[i] += alpha * x[i].
typedef float dot_fn(const float *a, const float *b, int n);
typedef void axpy_fn(float *y, float alpha, const float *x, int n);
dot_fn vec_dot_scalar, vec_dot_simd;
axpy_fn vec_axpy_scalar, vec_axpy_simd;

// y = act(y) in place; dy *= act'(y) given the activation's output y (every activation here has
// a derivative expressible through its output, so only outputs are kept).
typedef void act_forward_fn(ae_activation act, float *y, int n);
typedef void act_backward_fn(ae_activation act, float *dy, const float *y, int n);
act_forward_fn act_forward_scalar, act_forward_simd;
act_backward_fn act_backward_scalar, act_backward_simd;

// y[i] = exp(x[i]) (y may be x): mathf.h's exp, within 2 ulp of expf, the same bits in both twins.
typedef void vec_exp_fn(float *y, const float *x, int n);
vec_exp_fn vec_exp_scalar, vec_exp_simd;

// The binary cross-entropy of sigmoid(z) against targets t in [0, 1], from the logits z: returns
// the sum over the n pixels of max(z, 0) - z t + log1p(exp(-|z|)) (each term in double, as
// mathf.h's mathf_bce_term), and where not NULL sets recon = sigmoid(z) and dz = (recon - t) *
// scale. The sum runs in four double lanes, element i in lane i % 4, added (0 + 1) + (2 + 3) at
// the end: both twins in that order.
typedef double bce_logits_fn(float *dz, float *recon, const float *z, const float *t, size_t n, float scale);
bce_logits_fn bce_logits_scalar, bce_logits_simd;

#if defined(__wasm_simd128__) || defined(__SSE4_1__)
#define AEVP_HAVE_SIMD 1
#define gemm_nn gemm_nn_simd
#define gemm_tn gemm_tn_simd
#define patch_gemm patch_gemm_simd
#define patch_gemm_tn patch_gemm_tn_simd
#define col_sums col_sums_simd
#define vec_exp vec_exp_simd
#define bce_logits bce_logits_simd
#define vec_dot vec_dot_simd
#define vec_axpy vec_axpy_simd
#define act_forward act_forward_simd
#define act_backward act_backward_simd
#else
#define AEVP_HAVE_SIMD 0
#define gemm_nn gemm_nn_scalar
#define gemm_tn gemm_tn_scalar
#define patch_gemm patch_gemm_scalar
#define patch_gemm_tn patch_gemm_tn_scalar
#define col_sums col_sums_scalar
#define vec_exp vec_exp_scalar
#define bce_logits bce_logits_scalar
#define vec_dot vec_dot_scalar
#define vec_axpy vec_axpy_scalar
#define act_forward act_forward_scalar
#define act_backward act_backward_scalar
#endif

#define LEAKY_RELU_SLOPE 0.01f

// A k x k convolution's patch geometry: input (h, w, c), output (oh, ow), stride, padding k / 2
// (k odd: 3 or 5 in the model).
typedef struct {
    int h, w, c, oh, ow, stride, k;
} conv_geom;

// col: (oh*ow, k*k*c), rows ordered (ky, kx, c) to match (kh, kw, in, out) weights: the patch
// matrix the patch GEMMs read in place (test_kernels compares them with GEMMs over this one).
void im2col(float *col, const float *x, conv_geom g);
// xp = x (h, w, c) with a zero border: ph x pw pixels, x's pixel (y, x) at (y + pad, x + pad).
// ph, pw cover every patch of g: conv_padded_h/w.
void pad_image(float *xp, const float *x, conv_geom g);
int conv_padded_h(conv_geom g);
int conv_padded_w(conv_geom g);
// The patch rows of g over a padded image xp (pad_image's layout), or over `images` of them one
// after another (conv_padded_h * conv_padded_w * c floats apart): images * oh * ow rows.
patch_rows conv_patch_rows(const float *xp, conv_geom g);
patch_rows conv_patch_rows_images(const float *xp, conv_geom g, int images);
// dst (cols, rows) = src (rows, cols) transposed.
void transpose(float *dst, const float *src, int rows, int cols);
#endif
