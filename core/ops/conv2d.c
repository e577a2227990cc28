// conv2d.c — k x k convolution, padding k / 2, any stride, as a GEMM per image over the padded
// image read in place as its patch matrix (kernels.h's patch_rows), no im2col copy.
// The layer's activation is applied by the model, not here.
#include <string.h>

#include "ops/ops.h"

static size_t in_size(conv_geom g) { return (size_t)g.h * g.w * g.c; }
static size_t pixels_out(conv_geom g) { return (size_t)g.oh * g.ow; }

size_t conv_padded_size(conv_geom g, int c) { return (size_t)conv_padded_h(g) * conv_padded_w(g) * c; }

int conv_images_per_pass(conv_geom g, int c, int n) {
    size_t each = conv_padded_size(g, c), fit = CONV_PASS_FLOATS / (each ? each : 1);
    return fit < 1 ? 1 : fit > (size_t)n ? n : (int)fit;
}

size_t conv_col_scratch(conv_geom g, int cout) {
    size_t padded = conv_padded_size(g, g.c > cout ? g.c : cout);
    return padded > CONV_PASS_FLOATS ? padded : CONV_PASS_FLOATS;
}

void conv_pad_images(float *col, const float *x, int i, int count, conv_geom g) {
    size_t each = conv_padded_size(g, g.c), in = (size_t)g.h * g.w * g.c;
    for (int j = 0; j < count; j++) pad_image(col + (size_t)j * each, x + (size_t)(i + j) * in, g);
}

void conv2d_forward(float *y, const float *x, const float *w, const float *b, int n, conv_geom g,
                    int cout, float *col) {
    // Per pass: zero-padded copies of a few images (col holds them) read as one patch matrix.
    size_t m = pixels_out(g);
    int per = conv_images_per_pass(g, g.c, n);
    for (int i = 0; i < n; i += per) {
        int count = n - i < per ? n - i : per;
        conv_pad_images(col, x, i, count, g);
        patch_rows P = conv_patch_rows_images(col, g, count);
        patch_dst D = patch_dst_rows(y + (size_t)i * m * cout, count * (int)m, cout);
        patch_gemm(&P, count * (int)m, cout, w, b, &D);
    }
}

// A stride-1 conv's input gradient is the same conv of dy with the kernel turned by 180 degrees
// and its in/out channels swapped: wf (k, k, cout, cin) from w (k, k, cin, cout).
static void flip_kernel(float *wf, const float *w, int k, int cin, int cout) {
    for (int t = 0; t < k * k; t++)
        for (int ci = 0; ci < cin; ci++)
            for (int co = 0; co < cout; co++)
                wf[((size_t)(k * k - 1 - t) * cout + co) * cin + ci] = w[((size_t)t * cin + ci) * cout + co];
}

void conv2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                     const float *w, int n, conv_geom g, int cout, float *col, float *wt) {
    size_t m = pixels_out(g);
    // dy seen as the input of the flipped conv (stride 1: the same grid as x).
    conv_geom gd = {g.oh, g.ow, cout, g.h, g.w, 1, g.k};
    if (dx && g.stride == 1) flip_kernel(wt, w, g.k, g.c, cout);
    int per = conv_images_per_pass(g, g.c > cout ? g.c : cout, n);
    for (int i = 0; i < n; i += per) {
        int count = n - i < per ? n - i : per;
        const float *dyi = dy + (size_t)i * m * cout;
        col_sums(db, dyi, count * (int)m, cout);
        conv_pad_images(col, x, i, count, g);
        patch_rows P = conv_patch_rows_images(col, g, count);
        patch_gemm_tn(&P, count * (int)m, cout, dyi, cout, dw, cout);
        if (!dx || g.stride != 1) continue;
        conv_pad_images(col, dy, i, count, gd);
        patch_rows Pd = conv_patch_rows_images(col, gd, count);
        patch_dst D = patch_dst_rows(dx + (size_t)i * in_size(g), count * g.h * g.w, g.c);
        patch_gemm(&Pd, count * g.h * g.w, g.c, wt, NULL, &D);
    }
    // A strided conv's input gradient is the transposed conv of dy: w is already laid out as one's.
    if (dx && g.stride != 1) transposed_gather(dx, dy, w, NULL, n, g, cout, col, wt);
}
