// pca.c — principal component analysis of n points in d dimensions: the covariance in double and
// its eigen-decomposition by cyclic Jacobi. Not t-SNE (tsne.c) and not the latent encoding (api.c).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/pca.h"
#include "base/error.h"

// Cyclic Jacobi converges quadratically once the off-diagonal mass is small: 6 to 10 sweeps for
// d <= 256 in practice. The cap only bounds the work on inputs that never settle (none known).
#define JACOBI_MAX_SWEEPS 60

// Eigen-decomposition of the symmetric d x d matrix a (row-major, destroyed): eigenvalues into
// values, eigenvectors into the columns of v. Cyclic Jacobi with the stable rotation of
// Rutishauser (Golub & Van Loan 8.5): accurate to a few ulps of the largest eigenvalue, which
// tridiagonalisation + QL matches but with more code, and O(d^3) per sweep, 10^6 flops at d = 64.
static void jacobi_eigen(double *a, int d, double *values, double *v) {
    for (int i = 0; i < d * d; i++) v[i] = 0.0;
    for (int i = 0; i < d; i++) v[i * d + i] = 1.0;
    double total = 0.0;
    for (int i = 0; i < d * d; i++) total += a[i] * a[i];
    for (int sweep = 0; sweep < JACOBI_MAX_SWEEPS; sweep++) {
        double off = 0.0;
        for (int p = 0; p < d; p++)
            for (int q = p + 1; q < d; q++) off += a[p * d + q] * a[p * d + q];
        // Off-diagonal mass below (1e-15)^2 of the matrix's: the eigenvalues are exact to rounding.
        if (off <= 1e-30 * total || off == 0.0) break;
        for (int p = 0; p < d; p++) {
            for (int q = p + 1; q < d; q++) {
                double apq = a[p * d + q];
                if (apq == 0.0) continue;
                double app = a[p * d + p], aqq = a[q * d + q];
                double theta = (aqq - app) / (2.0 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                // A' = J^T A J with J the rotation in the (p, q) plane: rows and columns p and q.
                for (int k = 0; k < d; k++) {
                    double akp = a[k * d + p], akq = a[k * d + q];
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for (int k = 0; k < d; k++) {
                    double apk = a[p * d + k], aqk = a[q * d + k];
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                a[p * d + q] = a[q * d + p] = 0.0;
                for (int k = 0; k < d; k++) {
                    double vkp = v[k * d + p], vkq = v[k * d + q];
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    for (int i = 0; i < d; i++) values[i] = a[i * d + i];
}

int pca_fit(const float *x, int n, int d, int k, float *mean, float *components, float *variance,
           float *proj) {
    if (!x || !mean || !components || !variance)
        return ae_fail(AE_ERR_ARG, "pca: x, mean, components and variance must not be NULL");
    if (d < 1 || d > PCA_MAX_DIM)
        return ae_fail(AE_ERR_ARG, "pca: d must be 1..%d (got %d)", PCA_MAX_DIM, d);
    if (k < 1 || k > d) return ae_fail(AE_ERR_ARG, "pca: k must be 1..d = %d (got %d)", d, k);
    if (n < 1 || n > PCA_MAX_POINTS)
        return ae_fail(AE_ERR_ARG, "pca: n must be 1..%d (got %d)", PCA_MAX_POINTS, n);
    const size_t count = (size_t)n * d;
    for (size_t i = 0; i < count; i++)
        if (!isfinite(x[i]))
            return ae_fail(AE_ERR_DATA, "pca: x[%zu] (point %zu, coordinate %zu) is %s", i, i / d,
                           i % d, isnan(x[i]) ? "NaN" : "infinite");

    // One block: mean, a centred row, the covariance, its eigenvectors, eigenvalues, the order.
    const size_t dd = (size_t)d * d;
    double *mu = malloc((2 * (size_t)d + 2 * dd + (size_t)d) * sizeof *mu);
    int *order = malloc((size_t)d * sizeof *order);
    if (!mu || !order) {
        free(mu);
        free(order);
        return ae_fail(AE_ERR_NOMEM, "pca: out of memory for d = %d", d);
    }
    double *row = mu + d, *cov = row + d, *vectors = cov + dd, *values = vectors + dd;

    for (int j = 0; j < d; j++) mu[j] = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) mu[j] += x[(size_t)i * d + j];
    for (int j = 0; j < d; j++) mu[j] /= n;

    // The upper triangle of sum (x - mu)(x - mu)^T, in double: 10,000 x 64 is 2 x 10^7 products,
    // a loop the compiler vectorises two doubles wide. Float accumulation would lose ~1e-4 of
    // the smaller variances to the larger ones' rounding.
    memset(cov, 0, dd * sizeof *cov);
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * d;
        for (int j = 0; j < d; j++) row[j] = (double)xi[j] - mu[j];
        for (int p = 0; p < d; p++) {
            double rp = row[p];
            double *c = cov + (size_t)p * d;
            for (int q = p; q < d; q++) c[q] += rp * row[q];
        }
    }
    // The variance of the points themselves (divided by n, not n - 1): variance[j] is then exactly
    // the mean of proj[:, j]^2, and one point has variance 0 rather than 0/0.
    for (int p = 0; p < d; p++)
        for (int q = p; q < d; q++) cov[(size_t)q * d + p] = cov[(size_t)p * d + q] /= n;

    jacobi_eigen(cov, d, values, vectors);

    // Decreasing variance; equal variances keep Jacobi's order (any basis of a repeated
    // eigenvalue's space is as right as another; this one is deterministic). Insertion sort: d <= 256.
    for (int i = 0; i < d; i++) {
        int j = i;
        while (j > 0 && values[order[j - 1]] < values[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (int a = 0; a < k; a++) {
        int col = order[a];
        // Sign rule: the first coordinate of largest magnitude is positive, so that an axis does not
        // flip between epochs when the data barely change.
        int big = 0;
        for (int j = 1; j < d; j++)
            if (fabs(vectors[(size_t)j * d + col]) > fabs(vectors[(size_t)big * d + col])) big = j;
        double sign = vectors[(size_t)big * d + col] < 0 ? -1.0 : 1.0;
        for (int j = 0; j < d; j++)
            components[(size_t)a * d + j] = (float)(sign * vectors[(size_t)j * d + col]);
        // Rounding can leave a zero eigenvalue slightly negative; a variance is not.
        variance[a] = values[col] > 0 ? (float)values[col] : 0.0f;
    }
    for (int j = 0; j < d; j++) mean[j] = (float)mu[j];

    if (proj) {
        for (int i = 0; i < n; i++) {
            const float *xi = x + (size_t)i * d;
            for (int j = 0; j < d; j++) row[j] = (double)xi[j] - mu[j];
            for (int a = 0; a < k; a++) {
                const float *u = components + (size_t)a * d;
                double s = 0.0;
                for (int j = 0; j < d; j++) s += row[j] * u[j];
                proj[(size_t)i * k + a] = (float)s;
            }
        }
    }
    free(mu);
    free(order);
    return AE_OK;
}
