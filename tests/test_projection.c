// test_projection.c — ae_pca against data built from a known decomposition, and ae_tsne on
// separated clusters (k-NN label agreement), determinism, slicing and argument errors.
// Timings are printed, never asserted: the machine is shared.
#include <stdint.h>
#include <time.h>

#include "aevp.h"
#include "base/rng.h"
#include "testutil.h"

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double gaussian(pcg32 *rng) {
    double u1 = (pcg32_next(rng) + 1.0) / 4294967296.0, u2 = pcg32_next(rng) / 4294967296.0;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

// ---- PCA ---------------------------------------------------------------------------------------

// A seeded orthonormal basis of R^d (rows of u), by Gram-Schmidt (twice, for orthogonality to
// rounding) on Gaussian vectors.
static void random_basis(double *u, int d, uint32_t seed) {
    pcg32 rng;
    pcg32_seed(&rng, seed, 3);
    for (int i = 0; i < d; i++) {
        double *v = u + (size_t)i * d;
        for (int j = 0; j < d; j++) v[j] = gaussian(&rng);
        for (int pass = 0; pass < 2; pass++) {
            for (int p = 0; p < i; p++) {
                const double *w = u + (size_t)p * d;
                double dot = 0.0;
                for (int j = 0; j < d; j++) dot += v[j] * w[j];
                for (int j = 0; j < d; j++) v[j] -= dot * w[j];
            }
            double norm = 0.0;
            for (int j = 0; j < d; j++) norm += v[j] * v[j];
            norm = sqrt(norm);
            for (int j = 0; j < d; j++) v[j] /= norm;
        }
    }
}

// Walsh function k at p: (-1)^popcount(p & k). For 0 < k < n = 2^m, over p = 0..n-1 these are
// zero-mean, have mean square 1 and are mutually orthogonal: the coefficients are exactly
// balanced, so the sample mean and covariance of the data below are exactly the intended ones.
static double walsh(int k, int p) {
    int bits = p & k, parity = 0;
    while (bits) {
        parity ^= bits & 1;
        bits >>= 1;
    }
    return parity ? -1.0 : 1.0;
}

// The sign rule of ae_pca applied to a vector: the first largest-magnitude coordinate positive.
static double rule_sign(const double *v, int d) {
    int big = 0;
    for (int j = 1; j < d; j++)
        if (fabs(v[j]) > fabs(v[big])) big = j;
    return v[big] < 0 ? -1.0 : 1.0;
}

// x = mean + sum_i walsh(i + 1, p) sigma_i u_i for p < n: mean, axes u_i and variances sigma_i^2
// known exactly. Checks everything ae_pca returns for the top k.
static void check_known(int n, int d, int k, uint32_t seed) {
    double *u = malloc((size_t)d * d * sizeof *u), *mu = malloc((size_t)d * sizeof *mu);
    double *sigma = malloc((size_t)d * sizeof *sigma);
    float *x = malloc((size_t)n * d * sizeof *x), *mean = malloc((size_t)d * sizeof *mean);
    float *comp = malloc((size_t)k * d * sizeof *comp), *var = malloc((size_t)k * sizeof *var);
    float *proj = malloc((size_t)n * k * sizeof *proj);
    random_basis(u, d, seed);
    pcg32 rng;
    pcg32_seed(&rng, seed, 5);
    for (int j = 0; j < d; j++) mu[j] = 4.0 * (pcg32_float(&rng) - 0.5);
    // Distinct standard deviations 3.0, 2.75, ... with gaps of at least 1% between variances.
    for (int i = 0; i < d; i++) sigma[i] = 3.0 * pow(0.97, i);
    for (int p = 0; p < n; p++)
        for (int j = 0; j < d; j++) {
            double v = mu[j];
            for (int i = 0; i < d; i++) v += walsh(i + 1, p) * sigma[i] * u[(size_t)i * d + j];
            x[(size_t)p * d + j] = (float)v;
        }

    int rc = ae_pca(x, n, d, k, mean, comp, var, proj);
    CHECK(rc == AE_OK, "pca n=%d d=%d k=%d: %s", n, d, k, ae_last_error());
    // Tolerances: the data are rounded to float (relative 6e-8 of |x| <= ~10), which moves the
    // covariance by ~1e-6 and an axis by that over the 1% eigenvalue gap: 1e-4 has margin.
    double worst_mean = 0, worst_axis = 0, worst_var = 0, worst_proj = 0;
    for (int j = 0; j < d; j++) worst_mean = fmax(worst_mean, fabs(mean[j] - mu[j]));
    for (int i = 0; i < k && rc == AE_OK; i++) {
        const double *ui = u + (size_t)i * d;
        double s = rule_sign(ui, d);
        for (int j = 0; j < d; j++)
            worst_axis = fmax(worst_axis, fabs(comp[(size_t)i * d + j] - s * ui[j]));
        worst_var = fmax(worst_var, fabs(var[i] - sigma[i] * sigma[i]) / (sigma[i] * sigma[i]));
        for (int p = 0; p < n; p++)
            worst_proj = fmax(worst_proj,
                              fabs(proj[(size_t)p * k + i] - s * walsh(i + 1, p) * sigma[i]));
    }
    CHECK(worst_mean < 1e-5, "pca n=%d d=%d: mean off by %.3g", n, d, worst_mean);
    CHECK(worst_axis < 1e-4, "pca n=%d d=%d k=%d: an axis off by %.3g", n, d, k, worst_axis);
    CHECK(worst_var < 1e-5, "pca n=%d d=%d k=%d: a variance off by %.3g relative", n, d, k,
          worst_var);
    CHECK(worst_proj < 1e-4, "pca n=%d d=%d k=%d: a projection off by %.3g", n, d, k, worst_proj);
    printf("pca known n=%d d=%d k=%d: max error mean %.2g, axis %.2g, variance %.2g (rel), "
           "projection %.2g\n", n, d, k, worst_mean, worst_axis, worst_var, worst_proj);
    free(u); free(mu); free(sigma); free(x); free(mean); free(comp); free(var); free(proj);
}

// Components orthonormal and following the sign rule; x = mean + proj * components when k = d.
static void check_basis(const float *x, int n, int d, uint32_t what) {
    float *mean = malloc((size_t)d * sizeof *mean), *comp = malloc((size_t)d * d * sizeof *comp);
    float *var = malloc((size_t)d * sizeof *var), *proj = malloc((size_t)n * d * sizeof *proj);
    int rc = ae_pca(x, n, d, d, mean, comp, var, proj);
    CHECK(rc == AE_OK, "pca case %u: %s", what, ae_last_error());
    double worst_ortho = 0, worst_recon = 0;
    for (int a = 0; a < d && rc == AE_OK; a++) {
        for (int b = 0; b < d; b++) {
            double dot = 0;
            for (int j = 0; j < d; j++) dot += (double)comp[a * d + j] * comp[b * d + j];
            worst_ortho = fmax(worst_ortho, fabs(dot - (a == b)));
        }
        int big = 0;
        for (int j = 1; j < d; j++)
            if (fabsf(comp[a * d + j]) > fabsf(comp[a * d + big])) big = j;
        CHECK(comp[a * d + big] > 0, "pca case %u: axis %d breaks the sign rule", what, a);
        if (a > 0) CHECK(var[a] <= var[a - 1], "pca case %u: variances not decreasing", what);
        CHECK(var[a] >= 0, "pca case %u: negative variance %g", what, var[a]);
    }
    for (int p = 0; p < n && rc == AE_OK; p++)
        for (int j = 0; j < d; j++) {
            double v = mean[j];
            for (int a = 0; a < d; a++) v += (double)proj[p * d + a] * comp[a * d + j];
            worst_recon = fmax(worst_recon, fabs(v - x[p * d + j]));
        }
    CHECK(worst_ortho < 1e-5, "pca case %u: axes not orthonormal (off by %.3g)", what, worst_ortho);
    CHECK(worst_recon < 1e-4, "pca case %u: mean + proj * axes misses x by %.3g", what,
          worst_recon);
    free(mean); free(comp); free(var); free(proj);
}

static void test_pca(void) {
    check_known(16, 9, 9, 1);     // k = d, the default latent size
    check_known(256, 9, 2, 2);    // k < d, the latent map's case
    check_known(128, 64, 5, 3);   // the largest latent
    check_known(512, 256, 3, 4);  // the largest d
    check_known(2, 1, 1, 5);      // d = 1

    // n = 1: the mean is the point, every variance and projection 0, the axes still a basis.
    float one[9] = {1, -2, 3, -4, 5, -6, 7, -8, 9}, mean[9], comp[81], var[9], proj[8 * 3];
    CHECK(ae_pca(one, 1, 9, 9, mean, comp, var, proj) == AE_OK, "pca n=1: %s", ae_last_error());
    for (int j = 0; j < 9; j++) {
        CHECK(mean[j] == one[j], "pca n=1: mean[%d] %g, want %g", j, mean[j], one[j]);
        CHECK(var[j] == 0 && proj[j] == 0, "pca n=1: variance %g, projection %g, want 0", var[j],
              proj[j]);
    }
    check_basis(one, 1, 9, 1);

    // Equal variances (the corners of a cube, centred on 0.5): any orthonormal basis is right;
    // the variances are all 0.25 and the reconstruction exact.
    float cube[8 * 3];
    for (int p = 0; p < 8; p++)
        for (int j = 0; j < 3; j++) cube[p * 3 + j] = (float)((p >> j) & 1);
    CHECK(ae_pca(cube, 8, 3, 3, mean, comp, var, proj) == AE_OK, "pca cube: %s", ae_last_error());
    for (int j = 0; j < 3; j++)
        CHECK(fabs(var[j] - 0.25) < 1e-6 && fabs(mean[j] - 0.5) < 1e-7,
              "pca cube: variance %g (want 0.25), mean %g (want 0.5)", var[j], mean[j]);
    check_basis(cube, 8, 3, 2);

    // Random data, k = d and NULL proj accepted.
    enum { RN = 500, RD = 12 };
    static float rnd[RN * RD];
    pcg32 rng;
    pcg32_seed(&rng, 9, 9);
    for (int i = 0; i < RN * RD; i++) rnd[i] = (float)gaussian(&rng) * (1 + i % RD);
    check_basis(rnd, RN, RD, 3);
    float m12[RD], c12[RD * RD], v12[RD];
    CHECK(ae_pca(rnd, RN, RD, RD, m12, c12, v12, NULL) == AE_OK, "pca without proj: %s",
          ae_last_error());

    // Argument errors, each with its message.
    struct { int n, d, k; const char *want; } bad[] = {
        {10, 9, 0, "k must be 1..d = 9 (got 0)"},   {10, 9, 10, "k must be 1..d = 9 (got 10)"},
        {10, 0, 1, "d must be 1..256 (got 0)"},     {10, 257, 1, "d must be 1..256 (got 257)"},
        {0, 9, 2, "n must be 1..100000 (got 0)"},   {100001, 9, 2, "n must be 1..100000 (got 100001)"},
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        int rc = ae_pca(rnd, bad[b].n, bad[b].d, bad[b].k, m12, c12, v12, NULL);
        CHECK(rc == AE_ERR_ARG && strstr(ae_last_error(), bad[b].want),
              "pca(n=%d, d=%d, k=%d): status %d, message \"%s\", want AE_ERR_ARG and \"%s\"",
              bad[b].n, bad[b].d, bad[b].k, rc, ae_last_error(), bad[b].want);
    }
    CHECK(ae_pca(NULL, 1, 1, 1, m12, c12, v12, NULL) == AE_ERR_ARG, "pca of NULL");
    CHECK(ae_pca(rnd, 1, 1, 1, NULL, c12, v12, NULL) == AE_ERR_ARG, "pca into NULL");
    float with_nan[6] = {1, 2, 3, NAN, 5, 6}, with_inf[6] = {1, 2, 3, 4, INFINITY, 6};
    int rc = ae_pca(with_nan, 3, 2, 1, m12, c12, v12, NULL);
    CHECK(rc == AE_ERR_DATA && strstr(ae_last_error(), "x[3] (point 1, coordinate 1) is NaN"),
          "pca of NaN: status %d, \"%s\"", rc, ae_last_error());
    rc = ae_pca(with_inf, 3, 2, 1, m12, c12, v12, NULL);
    CHECK(rc == AE_ERR_DATA && strstr(ae_last_error(), "is infinite"), "pca of Inf: %d, \"%s\"",
          rc, ae_last_error());

    // Timing of the latent map's sizes (printed, not asserted).
    enum { TN = 10000 };
    float *big = malloc((size_t)TN * 64 * sizeof *big), *bp = malloc((size_t)TN * 2 * sizeof *bp);
    for (size_t i = 0; i < (size_t)TN * 64; i++) big[i] = (float)gaussian(&rng);
    float bm[64], bc[2 * 64], bv[2];
    int dims[2] = {9, 64};
    for (int t = 0; t < 2; t++) {
        double t0 = seconds();
        rc = ae_pca(big, TN, dims[t], 2, bm, bc, bv, bp);
        CHECK(rc == AE_OK, "pca %dx%d: %s", TN, dims[t], ae_last_error());
        printf("timing: pca of %d x %d, k = 2, with projections: %.1f ms\n", TN, dims[t],
               (seconds() - t0) * 1e3);
    }
    free(big);
    free(bp);
}

// ---- t-SNE -------------------------------------------------------------------------------------

enum { CLUSTERS = 10, PER_CLUSTER = 100, POINTS = CLUSTERS * PER_CLUSTER, DIM = 9, NEIGHBOURS = 10 };

// Ten clusters in 9-D: centres at the origin and at 8 e_i (pairwise 8 or 11.3 apart), unit
// Gaussian noise (a cluster's points are ~4.2 apart from each other, ~3 from their centre).
static void clustered(float *x, int *labels, uint32_t seed) {
    pcg32 rng;
    pcg32_seed(&rng, seed, 7);
    for (int p = 0; p < POINTS; p++) {
        int c = p % CLUSTERS;
        labels[p] = c;
        for (int j = 0; j < DIM; j++)
            x[p * DIM + j] = (float)((c > 0 && j == c - 1 ? 8.0 : 0.0) + gaussian(&rng));
    }
}

// The mean over points of the fraction of their k nearest neighbours (in dim dimensions) that
// share their label.
static double knn_agreement(const float *y, int n, int dim, const int *labels, int k) {
    double *best = malloc((size_t)k * sizeof *best);
    int *who = malloc((size_t)k * sizeof *who);
    double total = 0;
    for (int i = 0; i < n; i++) {
        int found = 0;
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            double d2 = 0;
            for (int c = 0; c < dim; c++) {
                double diff = (double)y[i * dim + c] - y[j * dim + c];
                d2 += diff * diff;
            }
            if (found < k) found++;
            else if (d2 >= best[k - 1]) continue;
            int s = found - 1;
            while (s > 0 && best[s - 1] > d2) {
                best[s] = best[s - 1];
                who[s] = who[s - 1];
                s--;
            }
            best[s] = d2;
            who[s] = j;
        }
        int same = 0;
        for (int s = 0; s < k; s++) same += labels[who[s]] == labels[i];
        total += (double)same / k;
    }
    free(best);
    free(who);
    return total / n;
}

static ae_tsne *create(const float *x, int n, int d, double perplexity, uint32_t seed) {
    int status = -1;
    ae_tsne *t = ae_tsne_create(x, n, d, perplexity, seed, &status);
    CHECK(t && status == AE_OK, "tsne create n=%d d=%d perplexity %g: status %d: %s", n, d,
          perplexity, status, ae_last_error());
    return t;
}

static void test_tsne_clusters(void) {
    static float x[POINTS * DIM];
    static int labels[POINTS], shuffled[POINTS];
    static float first[POINTS * 2], final[POINTS * 2];
    clustered(x, labels, 1);
    double input = knn_agreement(x, POINTS, DIM, labels, NEIGHBOURS);
    printf("tsne: %d-NN label agreement in the input space %.4f\n", NEIGHBOURS, input);
    CHECK(input > 0.99, "the synthetic clusters overlap in 9-D (agreement %.4f)", input);

    double t0 = seconds();
    ae_tsne *t = create(x, POINTS, DIM, 30.0, 42);
    if (!t) return;
    double t1 = seconds();
    CHECK(ae_tsne_total(t) == 1000, "total %d, want 1000", ae_tsne_total(t));
    memcpy(first, ae_tsne_embedding(t), sizeof first);
    int done = ae_tsne_run(t, 5000);
    double t2 = seconds();
    CHECK(done == 1000, "a run of 5000 iterations stops at the total: %d", done);
    CHECK(ae_tsne_run(t, 10) == 1000, "running past the total does nothing");
    memcpy(final, ae_tsne_embedding(t), sizeof final);
    printf("timing: tsne of %d x %d: create %.0f ms, 1000 iterations %.0f ms (%.2f ms each)\n",
           POINTS, DIM, (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t2 - t1));

    // The criterion: 10-NN label agreement in 2-D >= 0.95. In 9-D it is 1 (checked above): every
    // point's neighbours are its cluster's. A faithful map keeps each cluster a separate blob, so
    // only a few points on a blob's rim may see a foreign neighbour; if any two clusters merged,
    // their 200 points (20% of all) would have ~half their neighbours foreign, dropping the
    // agreement to ~0.90 at best. So 0.95 fails on one merged pair and passes with room for rims.
    double agreement = knn_agreement(final, POINTS, 2, labels, NEIGHBOURS);
    printf("tsne: %d-NN label agreement in the embedding %.4f (bound 0.95)\n", NEIGHBOURS,
           agreement);
    CHECK(agreement >= 0.95, "t-SNE mixed the clusters: %d-NN agreement %.4f < 0.95", NEIGHBOURS,
          agreement);
    // Negative controls, showing the criterion can fail: the random initial embedding, and the
    // final embedding with labels shuffled, score at chance (~0.1).
    double initial = knn_agreement(first, POINTS, 2, labels, NEIGHBOURS);
    pcg32 rng;
    pcg32_seed(&rng, 3, 3);
    for (int p = 0; p < POINTS; p++) shuffled[p] = labels[p];
    for (int p = POINTS - 1; p > 0; p--) {
        int q = (int)pcg32_below(&rng, (uint32_t)p + 1), tmp = shuffled[p];
        shuffled[p] = shuffled[q];
        shuffled[q] = tmp;
    }
    double random_labels = knn_agreement(final, POINTS, 2, shuffled, NEIGHBOURS);
    printf("tsne: negative controls: initial embedding %.4f, shuffled labels %.4f\n", initial,
           random_labels);
    CHECK(initial < 0.3 && random_labels < 0.3,
          "the criterion does not discriminate: initial %.4f, shuffled labels %.4f", initial,
          random_labels);

    // The embedding is centred and finite, and spreads out (t-SNE's clusters sit ~tens apart).
    double mx = 0, my = 0, spread = 0;
    int finite = 1;
    for (int p = 0; p < POINTS; p++) {
        finite &= isfinite(final[2 * p]) && isfinite(final[2 * p + 1]);
        mx += final[2 * p];
        my += final[2 * p + 1];
        spread = fmax(spread, fabs(final[2 * p]));
    }
    CHECK(finite, "the embedding has a NaN or Inf");
    CHECK(fabs(mx / POINTS) < 1e-3 && fabs(my / POINTS) < 1e-3, "not centred: mean (%g, %g)",
          mx / POINTS, my / POINTS);
    CHECK(spread > 5, "the embedding did not expand (max |x| %g)", spread);

    // Determinism and slicing: the same seed in slices of 7 iterations gives the same bits.
    ae_tsne *again = create(x, POINTS, DIM, 30.0, 42);
    if (again) {
        int count = 0, steps = 0;
        while (count < 1000 && steps++ < 1000) count = ae_tsne_run(again, 7);
        CHECK(count == 1000, "slices of 7 reach %d", count);
        CHECK(memcmp(ae_tsne_embedding(again), final, sizeof final) == 0,
              "the same seed run in slices gave a different embedding");
        ae_tsne_destroy(again);
    }
    // Another seed starts elsewhere.
    ae_tsne *other = create(x, POINTS, DIM, 30.0, 43);
    if (other) {
        CHECK(memcmp(ae_tsne_embedding(other), first, sizeof first) != 0,
              "seeds 42 and 43 start from the same embedding");
        ae_tsne_destroy(other);
    }
    ae_tsne_destroy(t);
}

static void test_tsne_errors(void) {
    static float x[100 * 3];
    for (int i = 0; i < 300; i++) x[i] = (float)(i % 17);
    struct { int n, d; double perplexity; const char *want; } bad[] = {
        {1, 3, 2.0, "n must be 2..10000 (got 1)"},
        {10001, 3, 2.0, "n must be 2..10000 (got 10001)"},
        {100, 0, 5.0, "d must be 1..256 (got 0)"},
        {100, 257, 5.0, "d must be 1..256 (got 257)"},
        {100, 3, 33.0, "perplexity must be >= 2 and < (n - 1) / 3 = 33 for n = 100 points (got 33)"},
        {100, 3, 1.5, "perplexity must be >= 2 and < (n - 1) / 3 = 33 for n = 100 points (got 1.5)"},
        {7, 3, 2.0, "perplexity must be >= 2 and < (n - 1) / 3 = 2 for n = 7 points (got 2)"},
        {100, 3, NAN, "perplexity must be >= 2"},
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        int status = -1;
        ae_tsne *t = ae_tsne_create(x, bad[b].n, bad[b].d, bad[b].perplexity, 1, &status);
        CHECK(!t && status == AE_ERR_ARG && strstr(ae_last_error(), bad[b].want),
              "tsne(n=%d, d=%d, perplexity %g): status %d, \"%s\", want AE_ERR_ARG and \"%s\"",
              bad[b].n, bad[b].d, bad[b].perplexity, status, ae_last_error(), bad[b].want);
        ae_tsne_destroy(t);
    }
    int status = -1;
    CHECK(!ae_tsne_create(NULL, 10, 3, 2.0, 1, &status) && status == AE_ERR_ARG, "tsne of NULL");
    x[40] = NAN;
    ae_tsne *t = ae_tsne_create(x, 100, 3, 5.0, 1, &status);
    CHECK(!t && status == AE_ERR_DATA && strstr(ae_last_error(), "x[40] (point 13, coordinate 1) is NaN"),
          "tsne of NaN: status %d, \"%s\"", status, ae_last_error());
    x[40] = 0;
    // The smallest accepted: n = 8, perplexity 2 (< 7/3); a status pointer may be NULL.
    t = ae_tsne_create(x, 8, 3, 2.0, 1, NULL);
    CHECK(t != NULL, "tsne n=8 perplexity 2: %s", ae_last_error());
    if (t) {
        CHECK(ae_tsne_run(t, -1) == -AE_ERR_ARG && strstr(ae_last_error(), "iterations must be >= 0"),
              "run(-1): \"%s\"", ae_last_error());
        CHECK(ae_tsne_run(t, 0) == 0, "run(0) does nothing");
        CHECK(ae_tsne_run(t, 1000) == 1000, "the full run of 8 points");
        for (int i = 0; i < 16; i++)
            CHECK(isfinite(ae_tsne_embedding(t)[i]), "8 points: coordinate %d is %g", i,
                  ae_tsne_embedding(t)[i]);
        ae_tsne_destroy(t);
    }
    CHECK(ae_tsne_run(NULL, 1) == -AE_ERR_ARG, "run on NULL");
    CHECK(ae_tsne_embedding(NULL) == NULL && ae_tsne_total(NULL) == 0, "NULL handle queries");
    ae_tsne_destroy(NULL);

    // Duplicates only: every distance 0. The tree must stop splitting and nothing may go NaN.
    static float same[50 * 2];
    for (int i = 0; i < 100; i++) same[i] = 1.0f;
    t = ae_tsne_create(same, 50, 2, 5.0, 1, NULL);
    CHECK(t != NULL, "tsne of duplicates: %s", ae_last_error());
    if (t) {
        ae_tsne_run(t, 300);
        for (int i = 0; i < 100; i++)
            CHECK(isfinite(ae_tsne_embedding(t)[i]), "duplicates: coordinate %d is %g", i,
                  ae_tsne_embedding(t)[i]);
        ae_tsne_destroy(t);
    }
}

// The largest size: 10,000 latents of d = 64 (create) and a few iterations of each phase.
static void test_tsne_large(void) {
    enum { N = 10000, D = 64 };
    float *x = malloc((size_t)N * D * sizeof *x);
    pcg32 rng;
    pcg32_seed(&rng, 11, 11);
    for (size_t i = 0; i < (size_t)N * D; i++) x[i] = (float)gaussian(&rng) + (float)((i / D) % 7);
    double t0 = seconds();
    ae_tsne *t = create(x, N, D, 30.0, 1);
    double t1 = seconds();
    free(x);
    if (!t) return;
    int done = ae_tsne_run(t, 20);
    double t2 = seconds();
    CHECK(done == 20, "20 iterations of 10,000 points: %d", done);
    int finite = 1;
    for (int i = 0; i < 2 * N; i++) finite &= isfinite(ae_tsne_embedding(t)[i]);
    CHECK(finite, "10,000 points: the embedding has a NaN or Inf");
    printf("timing: tsne of %d x %d: create %.0f ms, %.1f ms per early iteration\n", N, D,
           (t1 - t0) * 1e3, (t2 - t1) * 1e3 / 20);
    ae_tsne_destroy(t);
}

int main(int argc, char **argv) {
    test_init(argc, argv);
    test_pca();
    test_tsne_errors();
    test_tsne_clusters();
    test_tsne_large();
    return test_finish("test_projection");
}
