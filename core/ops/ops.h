// ops.h — forward and backward of one op on one batch of NHWC tensors, built on the kernels.
// Ops know nothing of the model: the caller owns every buffer. Backward accumulates (+=).
#ifndef AEVP_OPS_H
#define AEVP_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"

// conv2d, 3x3, padding 1, stride g.stride. x: (n, h, w, c)  y: (n, oh, ow, cout)
// w: (3, 3, c, cout)  b: (cout)  col: scratch of g.oh*g.ow*9*g.c floats  wt: scratch of w's size
void conv2d_forward(float *y, const float *x, const float *w, const float *b, int n, conv_geom g,
                    int cout, float *col);
// dx may be NULL (the first layer needs no input gradient); dx is overwritten, dw/db accumulate.
void conv2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                     const float *w, int n, conv_geom g, int cout, float *col, float *wt);

// conv_transpose2d: the adjoint of the conv2d with geometry g (g describes the *output* grid:
// the transposed conv maps (n, g.oh, g.ow, cin) to (n, g.h, g.w, g.c)). w: (3, 3, g.c, cin).
void conv_transpose2d_forward(float *y, const float *x, const float *w, const float *b, int n,
                              conv_geom g, int cin, float *col, float *wt);
void conv_transpose2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                               const float *w, int n, conv_geom g, int cin, float *col);

// dense: x (n, in)  w (in, out)  b (out)  y (n, out)
void dense_forward(float *y, const float *x, const float *w, const float *b, int n, int in,
                   int out);
void dense_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                    const float *w, int n, int in, int out, float *wt);

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
