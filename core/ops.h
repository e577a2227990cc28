// ops.h — forward and backward of one op on one batch of NHWC tensors, built on the kernels.
// Ops know nothing of the model: the caller owns every buffer. Backward accumulates (+=).
#ifndef AEVP_OPS_H
#define AEVP_OPS_H

#include <stddef.h>

#include "kernels.h"

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
#endif
