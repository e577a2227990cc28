// ops.h — forward and backward of one op on one batch of NHWC tensors, built on the kernels.
// Ops know nothing of the model: the caller owns every buffer. Backward accumulates (+=).
#ifndef AEVP_OPS_H
#define AEVP_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"

// conv2d, k x k (k = g.k), padding k / 2, stride g.stride. x: (n, h, w, c)  y: (n, oh, ow, cout)
// w: (k, k, c, cout)  b: (cout)  col: scratch of conv_col_scratch(g, cout) floats  wt: scratch of
// w's size. Small images go CONV_PASS_FLOATS of padded images at a time, as one patch matrix.
#define CONV_PASS_FLOATS 8192
size_t conv_padded_size(conv_geom g, int c);
int conv_images_per_pass(conv_geom g, int c, int n);
size_t conv_col_scratch(conv_geom g, int cout);
// Images i .. i + count - 1 of x (g.h, g.w, g.c each), zero-padded one after another into col.
void conv_pad_images(float *col, const float *x, int i, int count, conv_geom g);
void conv2d_forward(float *y, const float *x, const float *w, const float *b, int n, conv_geom g,
                    int cout, float *col);
// dx may be NULL (the first layer needs no input gradient); dx is overwritten, dw/db accumulate.
void conv2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                     const float *w, int n, conv_geom g, int cout, float *col, float *wt);

// conv_transpose2d: the adjoint of the conv2d with geometry g (g describes the *output* grid:
// the transposed conv maps (n, g.oh, g.ow, cin) to (n, g.h, g.w, g.c)). w: (k, k, g.c, cin).
// col: conv_col_scratch(g, cin) floats for the backward, transposed_gather_scratch for the forward.
void conv_transpose2d_forward(float *y, const float *x, const float *w, const float *b, int n,
                              conv_geom g, int cin, float *col, float *wt);
void conv_transpose2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                               const float *w, int n, conv_geom g, int cin, float *col);
// The transposed conv of geometry g as a gather (conv_transpose2d.c): y (n, g.h, g.w, g.c) = the
// adjoint of the conv2d g applied to x (n, g.oh, g.ow, cin), plus b (NULL: none); overwrites y.
// It is conv_transpose2d_forward, and a strided conv2d's input gradient. scratch holds
// transposed_gather_scratch(g, cin) floats, wt the k*k*g.c*cin weights repacked.
void transposed_gather(float *y, const float *x, const float *w, const float *b, int n, conv_geom g,
                       int cin, float *scratch, float *wt);
size_t transposed_gather_scratch(conv_geom g, int cin);

// dense: x (n, in)  w (in, out)  b (out)  y (n, out)
void dense_forward(float *y, const float *x, const float *w, const float *b, int n, int in,
                   int out);
void dense_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                    const float *w, int n, int in, int out, float *wt);

// 2x2 max-pooling, stride 2, ceil mode: (n, h, w, c) -> (n, ceil(h/2), ceil(w/2), c). Backward
// overwrites dx, routing each gradient to its window's first largest input (PyTorch's choice).
void maxpool2_forward(float *y, const float *x, int n, int h, int w, int c);
void maxpool2_backward(float *dx, const float *dy, const float *x, int n, int h, int w, int c);
// Nearest-neighbour resize (n, h, w, c) -> (n, oh, ow, c), source floor(dst * in / out) as
// PyTorch's F.interpolate(size=..., mode="nearest"). Backward overwrites dx.
void upsample_nearest_forward(float *y, const float *x, int n, int h, int w, int c, int oh, int ow);
void upsample_nearest_backward(float *dx, const float *dy, int n, int h, int w, int c, int oh, int ow);

// Single-head self-attention with a residual connection over p positions of c channels (NHWC
// rows): y = x + softmax(Q K^T / sqrt(c)) V Wo + bo, Q = x Wq + bq, K = x Wk + bk, V = x Wv + bv.
// params: Wq bq Wk bk Wv bv Wo bo, each W (c, c) as (in, out). saved: n * attention_saved_size
// floats, written by forward (per image Q, K, V, then A (p, p), then A V) and read by backward.
// Backward overwrites dx and accumulates into dparams (the same layout as params).
size_t attention_param_count(int c);
size_t attention_saved_size(int p, int c);
size_t attention_scratch_size(int p, int c);
void attention_forward(float *y, float *saved, const float *x, const float *params, int n, int p, int c,
                       float *scratch);
void attention_backward(float *dx, float *dparams, const float *dy, const float *x, const float *saved,
                        const float *params, int n, int p, int c, float *scratch);

// Losses on logits z against targets t in [0, 1], count elements; the mean loss is returned in
// double and dz = d(mean loss)/dz is written. recon receives sigmoid(z).
double bce_with_logits(float *dz, float *recon, const float *z, const float *t, size_t count);
double mse_after_sigmoid(float *dz, float *recon, const float *z, const float *t, size_t count);
// Per-element loss value only, for evaluation.
double bce_sum(const float *z, const float *t, size_t count);

// The VAE head. enc: (n, 2*latent), each row mu then logvar; eps, z, dz: (n, latent).
// eps: latent standard normals, a pure function of (seed, step, row) — the same on every build.
void vae_noise(float *eps, int latent, uint32_t seed, uint32_t step, uint32_t row);
// z = mu + exp(logvar / 2) * eps, or z = mu when eps is NULL.
void vae_forward(float *z, const float *enc, const float *eps, int n, int latent);
// KL(N(mu, sigma^2) || N(0, 1)) summed over units and images: sum -1/2 (1 + logvar - mu^2 - e^logvar).
double vae_kl(const float *enc, int n, int latent);
// denc = d/d(enc) of [the loss through z, given dz] + kl_scale * vae_kl; overwritten, not accumulated.
void vae_backward(float *denc, const float *dz, const float *enc, const float *eps, int n,
                  int latent, float kl_scale);
#endif
