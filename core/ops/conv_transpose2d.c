// conv_transpose2d.c — k x k transposed convolution (stride 2, padding k / 2, output padding 0 or
// 1 in PyTorch's terms, whatever makes the size g.h), the exact adjoint of conv2d: forward as a
// gather over the input (the sub-pixel decomposition), backward through dy's patch matrix.
#include <string.h>

#include "ops/ops.h"

// The taps of one output parity class p (output rows Y = s * a + p): ky = p + pad - s * d for the
// whole numbers d = first .. first + count - 1, reading input row a + d; ascending d is
// descending ky.
typedef struct {
    int count, first;
} class_taps;

static class_taps taps_of(int p, int s, int k) {
    class_taps t = {0, 0};
    for (int ky = k - 1; ky >= 0; ky--) {
        int d = p + k / 2 - ky;
        if (d % s) continue;
        if (!t.count) t.first = d / s;
        t.count++;
    }
    return t;
}

// The padded input's border: lo rows and columns before the image, hi after (geometry for
// pad_image: its k = 2 * lo + 1 pads lo on both sides, its oh = h + max(hi - lo, 0) adds the rest).
static conv_geom gather_pad(conv_geom g, int cin) {
    int lo = 0, hi = 0, s = g.stride;
    for (int p = 0; p < s; p++) {
        class_taps t = taps_of(p, s, g.k);
        if (!t.count) continue;
        if (-t.first > lo) lo = -t.first;
        if (t.first + t.count - 1 > hi) hi = t.first + t.count - 1;
    }
    int extra = hi > lo ? hi - lo : 0;
    conv_geom gp = {g.oh, g.ow, cin, g.oh + extra, g.ow + extra, 1, 2 * lo + 1};
    return gp;
}

size_t transposed_gather_scratch(conv_geom g, int cin) {
    conv_geom gp = gather_pad(g, cin);
    return (size_t)conv_padded_h(gp) * conv_padded_w(gp) * cin;
}

void transposed_gather(float *y, const float *x, const float *w, const float *b, int n, conv_geom g,
                       int cin, float *scratch, float *wt) {
    int s = g.stride, k = g.k, co = g.c;
    conv_geom gp = gather_pad(g, cin);
    int lo = gp.k / 2, pw = conv_padded_w(gp);
    // Each class's weights packed as its patch rows read them: (dy, dx, ci) rows, co columns.
    size_t offset[64];
    size_t at = 0;
    for (int py = 0; py < s; py++)
        for (int px = 0; px < s; px++) {
            class_taps ty = taps_of(py, s, k), tx = taps_of(px, s, k);
            offset[py * s + px] = at;
            for (int sy = 0; sy < ty.count; sy++)
                for (int sx = 0; sx < tx.count; sx++) {
                    int ky = py + k / 2 - s * (ty.first + sy), kx = px + k / 2 - s * (tx.first + sx);
                    for (int ci = 0; ci < cin; ci++)
                        for (int c = 0; c < co; c++)
                            wt[at++] = w[(((size_t)ky * k + kx) * co + c) * cin + ci];
                }
        }
    size_t in = (size_t)g.oh * g.ow * cin, out = (size_t)g.h * g.w * co;
    for (int i = 0; i < n; i++) {
        float *yi = y + (size_t)i * out;
        pad_image(scratch, x + (size_t)i * in, gp);
        for (int py = 0; py < s && py < g.h; py++)
            for (int px = 0; px < s && px < g.w; px++) {
                class_taps ty = taps_of(py, s, k), tx = taps_of(px, s, k);
                int rows = (g.h - py + s - 1) / s, cols = (g.w - px + s - 1) / s;
                patch_dst D = {yi + ((size_t)py * g.w + px) * co, cols, s * g.w * co, s * co};
                if (!ty.count || !tx.count) { // no tap reaches this class: the bias alone
                    for (int r = 0; r < rows * cols; r++) {
                        float *dst = D.base + (size_t)(r / cols) * D.row_step + (size_t)(r % cols) * D.col_step;
                        for (int c = 0; c < co; c++) dst[c] = b ? b[c] : 0.0f;
                    }
                    continue;
                }
                patch_rows P = {scratch + ((size_t)(ty.first + lo) * pw + tx.first + lo) * cin, cols, pw * cin, cin,
                                ty.count, tx.count * cin, pw * cin, 0, 0}; // one image
                patch_gemm(&P, rows * cols, co, wt + offset[py * s + px], b, &D);
            }
    }
}

void conv_transpose2d_forward(float *y, const float *x, const float *w, const float *b, int n,
                              conv_geom g, int cin, float *col, float *wt) {
    transposed_gather(y, x, w, b, n, g, cin, col, wt);
}

void conv_transpose2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                               const float *w, int n, conv_geom g, int cin, float *col) {
    // dy's patch matrix (the padded dy read in place) gives both the weight gradient and dx,
    // which is the conv2d of dy with w.
    size_t m = (size_t)g.oh * g.ow, out = (size_t)g.h * g.w * g.c;
    int per = conv_images_per_pass(g, g.c, n);
    for (int i = 0; i < n; i += per) {
        int count = n - i < per ? n - i : per;
        const float *dyi = dy + (size_t)i * out;
        col_sums(db, dyi, count * g.h * g.w, g.c);
        conv_pad_images(col, dy, i, count, g);
        patch_rows P = conv_patch_rows_images(col, g, count);
        const float *xi = x + (size_t)i * m * cin;
        patch_gemm_tn(&P, count * (int)m, cin, xi, cin, dw, cin);
        if (dx) {
            patch_dst D = patch_dst_rows(dx + (size_t)i * m * cin, count * (int)m, cin);
            patch_gemm(&P, count * (int)m, cin, w, NULL, &D);
        }
    }
}
