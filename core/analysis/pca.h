// pca.h — principal component analysis of points in double (covariance + cyclic Jacobi).
// The public face, with the contract spelled out, is ae_pca in aevp.h.
#ifndef AEVP_PCA_H
#define AEVP_PCA_H

#include "base/error.h"

#define PCA_MAX_DIM 256
#define PCA_MAX_POINTS 100000

// As ae_pca: mean (d), components (k*d rows), variance (k), proj (n*k, may be NULL).
int pca_fit(const float *x, int n, int d, int k, float *mean, float *components, float *variance, float *proj);
#endif
