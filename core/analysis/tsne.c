// tsne.c — Barnes-Hut t-SNE (van der Maaten 2014) of n points into 2-D, run in slices of
// iterations so a worker can report progress and cancel between them. Not PCA (pca.c).
//
// Why Barnes-Hut and not the exact gradient: the exact repulsion is n^2 pair terms per
// iteration, about 10 flops each; for n = 2,000 that is 4 x 10^6 pairs = 4 x 10^7 flops per
// iteration and 4 x 10^10 for a 1,000-iteration run — ~10-20 s of scalar WASM, ~4 s even at
// four SIMD lanes with perfect use; for n = 10,000 it is 25 times that. Barnes-Hut with theta = 0.5
// visits O(log n) cells per point (a few hundred), O(n log n) per iteration: ~20 times fewer
// terms at n = 2,000 and ~100 times fewer at 10,000. Attraction uses a sparse P over the 3 x
// perplexity nearest neighbours, O(n * perplexity) per iteration. Measured (WASM under Node, a
// shared 2-core machine): 2,000 points at ~1.5 ms per iteration, 10,000 at ~10 ms.
//
// Optimisation as in bhtsne / FIt-SNE / openTSNE: early exaggeration 12 for the first 250
// iterations with momentum 0.5, then momentum 0.8; per-coordinate gains (+0.2 / x0.8, floor
// 0.01); learning rate max(n / 12, 50) (Belkina et al. 2019) on the gradient without its
// constant factor 4 (as bhtsne and FIt-SNE write it); the embedding re-centred every iteration.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/tsne.h"
#include "base/error.h"
#include "kernels/kernels.h"
#include "base/rng.h"

#define TSNE_MAX_POINTS 10000
#define TSNE_MAX_DIM 256
#define TSNE_ITERATIONS 1000
#define TSNE_EXAGGERATION 12.0
#define TSNE_EXAGGERATION_ITERATIONS 250
#define TSNE_MOMENTUM_EARLY 0.5
#define TSNE_MOMENTUM_LATE 0.8
#define TSNE_THETA 0.5f
#define TSNE_INIT_STD 1e-4
// Cells are split until they hold one point or reach this depth: 2^-24 of the embedding's extent
// is below float resolution, so deeper cells could not separate their points anyway (duplicates).
#define TREE_MAX_DEPTH 24
#define PERPLEXITY_STEPS 200
#define PERPLEXITY_TOLERANCE 1e-5
#define TWO_PI 6.283185307179586

// A quadtree cell, stored in depth-first order so that a traversal is one forward loop: a cell
// that is summarised jumps to `skip` (the first cell after its subtree), one that is opened steps
// to the next cell (its first child). A leaf has width2 < 0 and is always summarised.
typedef struct {
    float cx, cy;   // centre of mass
    float width2;   // squared side of the cell, -1 for a leaf
    float count;    // points in the cell
    int skip;
} bh_cell;

struct ae_tsne {
    int n, done;
    // Sparse symmetric P (sums to 1), CSR.
    int *row_start, *col;
    float *p;
    double *y, *update, *gains, *grad;  // n x 2 each
    float *embedding;                    // n x 2, the float copy the tree and the caller read
    bh_cell *cells;                      // (TREE_MAX_DEPTH + 1) * n: the most a tree can need
    int *order;                          // the points, permuted into the tree's spatial order
    int cell_count;
};

// ---- Input affinities -------------------------------------------------------------------------

// Inserts (dist, j) into a max-heap of at most k entries keyed on dist (the k nearest so far).
static void heap_push(float *dist, int *idx, int *size, int k, float value, int j) {
    int i;
    if (*size < k) {
        i = (*size)++;
        while (i > 0 && dist[(i - 1) / 2] < value) {
            dist[i] = dist[(i - 1) / 2];
            idx[i] = idx[(i - 1) / 2];
            i = (i - 1) / 2;
        }
    } else {
        if (value >= dist[0]) return;
        i = 0;
        for (;;) {
            int c = 2 * i + 1;
            if (c >= k) break;
            if (c + 1 < k && dist[c + 1] > dist[c]) c++;
            if (dist[c] <= value) break;
            dist[i] = dist[c];
            idx[i] = idx[c];
            i = c;
        }
    }
    dist[i] = value;
    idx[i] = j;
}

// The k nearest neighbours of every point (not itself), by brute force: distances as
// |x|^2 + |y|^2 - 2 x.y with the dot products from the SIMD GEMM, tile by tile. n = 10,000 at
// d = 64 is 6.4 x 10^9 multiply-adds, under a second of WASM SIMD; a vantage-point tree would
// save little at d = 9..64 on latents that fill their space. Writes idx (n x k).
#define KNN_ROWS 32
#define KNN_COLS 512
static int nearest_neighbours(const float *x, int n, int d, int k, int *idx) {
    float *xt = malloc((size_t)n * d * sizeof *xt);
    float *norms = malloc((size_t)n * sizeof *norms);
    float *dots = malloc((size_t)KNN_ROWS * KNN_COLS * sizeof *dots);
    float *heap = malloc((size_t)KNN_ROWS * k * sizeof *heap);
    int *sizes = malloc(KNN_ROWS * sizeof *sizes);
    int rc = AE_OK;
    if (!xt || !norms || !dots || !heap || !sizes) {
        rc = ae_fail(AE_ERR_NOMEM, "tsne: out of memory for the neighbour search (n = %d)", n);
        goto done;
    }
    transpose(xt, x, n, d);
    for (int i = 0; i < n; i++) {
        double s = 0.0;
        for (int j = 0; j < d; j++) s += (double)x[(size_t)i * d + j] * x[(size_t)i * d + j];
        norms[i] = (float)s;
    }
    for (int i0 = 0; i0 < n; i0 += KNN_ROWS) {
        int rows = n - i0 < KNN_ROWS ? n - i0 : KNN_ROWS;
        for (int r = 0; r < rows; r++) sizes[r] = 0;
        for (int j0 = 0; j0 < n; j0 += KNN_COLS) {
            int cols = n - j0 < KNN_COLS ? n - j0 : KNN_COLS;
            gemm_nn(rows, cols, d, x + (size_t)i0 * d, d, xt + j0, n, dots, KNN_COLS, 0);
            for (int r = 0; r < rows; r++) {
                int i = i0 + r;
                float *hd = heap + (size_t)r * k;
                int *hi = idx + (size_t)i * k;
                const float *dr = dots + (size_t)r * KNN_COLS;
                for (int c = 0; c < cols; c++) {
                    int j = j0 + c;
                    if (j == i) continue;
                    float dist = norms[i] + norms[j] - 2.0f * dr[c];
                    if (sizes[r] < k || dist < hd[0]) heap_push(hd, hi, &sizes[r], k, dist, j);
                }
            }
        }
    }
done:
    free(xt);
    free(norms);
    free(dots);
    free(heap);
    free(sizes);
    return rc;
}

// Conditional affinities p(j|i) over the k neighbours of i, with the Gaussian's precision beta
// found by bisection so that the entropy is log(perplexity) (nats). Distances are shifted by the
// nearest one, which cancels in the normalisation and keeps exp() from underflowing on any scale.
static void calibrate_row(const double *dist2, int k, double perplexity, double *p) {
    double dmin = dist2[0];
    for (int j = 1; j < k; j++)
        if (dist2[j] < dmin) dmin = dist2[j];
    const double target = log(perplexity);
    double beta = 1.0, lo = 0.0, hi = INFINITY;
    for (int step = 0; step < PERPLEXITY_STEPS; step++) {
        double sum = 0.0, weighted = 0.0;
        for (int j = 0; j < k; j++) {
            p[j] = exp(-beta * (dist2[j] - dmin));
            sum += p[j];
            weighted += (dist2[j] - dmin) * p[j];
        }
        double entropy = log(sum) + beta * weighted / sum;
        if (fabs(entropy - target) < PERPLEXITY_TOLERANCE) break;
        if (entropy > target) {
            lo = beta;
            beta = isinf(hi) ? beta * 2.0 : 0.5 * (beta + hi);
        } else {
            hi = beta;
            beta = 0.5 * (beta + lo);
        }
    }
    double sum = 0.0;
    for (int j = 0; j < k; j++) sum += p[j];
    for (int j = 0; j < k; j++) p[j] /= sum;
}

// P = (P(j|i) + P(i|j)) / 2n over the union of the neighbour lists, as CSR with sorted columns.
static int symmetric_affinities(ae_tsne *t, const float *x, int d, int k, double perplexity) {
    const int n = t->n;
    int *idx = malloc((size_t)n * k * sizeof *idx);
    float *cond = malloc((size_t)n * k * sizeof *cond);
    double *scratch = malloc(2 * (size_t)k * sizeof *scratch);
    int *fill = calloc((size_t)n + 1, sizeof *fill);
    int rc = AE_OK;
    if (!idx || !cond || !scratch || !fill) {
        rc = ae_fail(AE_ERR_NOMEM, "tsne: out of memory for the affinities (n = %d)", n);
        goto done;
    }
    rc = nearest_neighbours(x, n, d, k, idx);
    if (rc != AE_OK) goto done;
    for (int i = 0; i < n; i++) {
        double *dist2 = scratch, *p = scratch + k;
        const float *xi = x + (size_t)i * d;
        // Exact distances for the chosen few: the GEMM's expansion loses digits for close pairs.
        for (int a = 0; a < k; a++) {
            const float *xj = x + (size_t)idx[(size_t)i * k + a] * d;
            double s = 0.0;
            for (int c = 0; c < d; c++) {
                double diff = (double)xi[c] - xj[c];
                s += diff * diff;
            }
            dist2[a] = s;
        }
        calibrate_row(dist2, k, perplexity, p);
        for (int a = 0; a < k; a++) cond[(size_t)i * k + a] = (float)p[a];
    }

    // Every (i, j) lands in row i and row j; duplicates are merged after sorting each row.
    t->row_start = calloc((size_t)n + 1, sizeof *t->row_start);
    t->col = malloc(2 * (size_t)n * k * sizeof *t->col);
    t->p = malloc(2 * (size_t)n * k * sizeof *t->p);
    if (!t->row_start || !t->col || !t->p) {
        rc = ae_fail(AE_ERR_NOMEM, "tsne: out of memory for the affinities (n = %d)", n);
        goto done;
    }
    for (size_t e = 0; e < (size_t)n * k; e++) {
        t->row_start[e / k + 1]++;
        t->row_start[idx[e] + 1]++;
    }
    for (int i = 0; i < n; i++) t->row_start[i + 1] += t->row_start[i];
    for (size_t e = 0; e < (size_t)n * k; e++) {
        int i = (int)(e / k), j = idx[e];
        size_t a = (size_t)t->row_start[i] + fill[i]++, b = (size_t)t->row_start[j] + fill[j]++;
        t->col[a] = j;
        t->p[a] = cond[e];
        t->col[b] = i;
        t->p[b] = cond[e];
    }
    // Sort each row by column (insertion sort: rows are ~2k long) and merge equal columns.
    int out = 0;
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        int begin = t->row_start[i], end = t->row_start[i + 1];
        for (int a = begin + 1; a < end; a++) {
            int c = t->col[a];
            float v = t->p[a];
            int b = a;
            while (b > begin && t->col[b - 1] > c) {
                t->col[b] = t->col[b - 1];
                t->p[b] = t->p[b - 1];
                b--;
            }
            t->col[b] = c;
            t->p[b] = v;
        }
        t->row_start[i] = out;
        for (int a = begin; a < end; a++) {
            if (out > t->row_start[i] && t->col[out - 1] == t->col[a]) {
                t->p[out - 1] += t->p[a];
            } else {
                t->col[out] = t->col[a];
                t->p[out] = t->p[a];
                out++;
            }
        }
    }
    t->row_start[n] = out;
    for (int e = 0; e < out; e++) total += t->p[e];
    for (int e = 0; e < out; e++) t->p[e] = (float)(t->p[e] / total);
done:
    free(idx);
    free(cond);
    free(scratch);
    free(fill);
    return rc;
}

// ---- The quadtree -----------------------------------------------------------------------------

// Builds the cell for points order[lo..hi) inside the square (x0, y0, width) and its subtree.
static void build_cell(ae_tsne *t, int lo, int hi, float x0, float y0, float width, int depth) {
    const float *e = t->embedding;
    int *order = t->order;
    int self = t->cell_count++;
    bh_cell *cell = &t->cells[self];
    double sx = 0.0, sy = 0.0;
    for (int a = lo; a < hi; a++) {
        sx += e[2 * order[a]];
        sy += e[2 * order[a] + 1];
    }
    cell->cx = (float)(sx / (hi - lo));
    cell->cy = (float)(sy / (hi - lo));
    cell->count = (float)(hi - lo);
    if (hi - lo == 1 || depth == TREE_MAX_DEPTH) {
        cell->width2 = -1.0f;
        cell->skip = t->cell_count;
        return;
    }
    cell->width2 = width * width;
    const float half = 0.5f * width, mx = x0 + half, my = y0 + half;
    // Two-way partitions: by y into [lo, mid) and [mid, hi), then each half by x.
    int bounds[5];
    bounds[0] = lo;
    bounds[4] = hi;
    int mid = lo;
    for (int a = lo; a < hi; a++)
        if (e[2 * order[a] + 1] < my) {
            int tmp = order[a]; order[a] = order[mid]; order[mid] = tmp;
            mid++;
        }
    bounds[2] = mid;
    for (int h = 0; h < 2; h++) {
        int from = bounds[2 * h], to = bounds[2 * h + 2], m = from;
        for (int a = from; a < to; a++)
            if (e[2 * order[a]] < mx) {
                int tmp = order[a]; order[a] = order[m]; order[m] = tmp;
                m++;
            }
        bounds[2 * h + 1] = m;
    }
    for (int q = 0; q < 4; q++)
        if (bounds[q + 1] > bounds[q])
            build_cell(t, bounds[q], bounds[q + 1], (q & 1) ? mx : x0, (q & 2) ? my : y0, half,
                       depth + 1);
    cell->skip = t->cell_count;
}

static void build_tree(ae_tsne *t) {
    const float *e = t->embedding;
    float minx = e[0], maxx = e[0], miny = e[1], maxy = e[1];
    for (int i = 1; i < t->n; i++) {
        minx = fminf(minx, e[2 * i]);
        maxx = fmaxf(maxx, e[2 * i]);
        miny = fminf(miny, e[2 * i + 1]);
        maxy = fmaxf(maxy, e[2 * i + 1]);
    }
    float width = fmaxf(maxx - minx, maxy - miny);
    // Widened a little so that the largest coordinate falls strictly inside.
    width = width * 1.001f + 1e-30f;
    t->cell_count = 0;
    build_cell(t, 0, t->n, minx, miny, width, 0);
}

// ---- The gradient ----------------------------------------------------------------------------

// Writes the gradient of KL(P || Q) (without the factor 4) into t->grad, with P scaled by
// exaggeration: attraction over P's non-zeros exactly, repulsion by Barnes-Hut.
static void gradient(ae_tsne *t, double exaggeration) {
    const int n = t->n;
    const float *e = t->embedding;
    const bh_cell *cells = t->cells;
    const int cell_count = t->cell_count;
    const float theta2 = TSNE_THETA * TSNE_THETA;
    double z = 0.0;
    // In the tree's order, so that consecutive points walk nearly the same cells.
    for (int a = 0; a < n; a++) {
        int i = t->order[a];
        const float px = e[2 * i], py = e[2 * i + 1];
        float sum_q = 0.0f, fx = 0.0f, fy = 0.0f;
        int c = 0;
        while (c < cell_count) {
            const bh_cell *cell = &cells[c];
            float dx = px - cell->cx, dy = py - cell->cy;
            float d2 = dx * dx + dy * dy;
            if (cell->width2 < theta2 * d2) {
                float q = 1.0f / (1.0f + d2);
                float nq = cell->count * q;
                sum_q += nq;
                nq *= q;
                fx += nq * dx;
                fy += nq * dy;
                c = cell->skip;
            } else {
                c++;
            }
        }
        // The point met itself in its own leaf: q = 1 there, with no force.
        z += (double)sum_q - 1.0;
        t->grad[2 * i] = -fx;
        t->grad[2 * i + 1] = -fy;
    }
    const double inv_z = z > 0 ? 1.0 / z : 0.0;
    for (int i = 0; i < n; i++) {
        double ax = 0.0, ay = 0.0;
        const double yx = e[2 * i], yy = e[2 * i + 1];
        for (int s = t->row_start[i]; s < t->row_start[i + 1]; s++) {
            int j = t->col[s];
            double dx = yx - e[2 * j], dy = yy - e[2 * j + 1];
            double pq = t->p[s] / (1.0 + dx * dx + dy * dy);
            ax += pq * dx;
            ay += pq * dy;
        }
        t->grad[2 * i] = exaggeration * ax + t->grad[2 * i] * inv_z;
        t->grad[2 * i + 1] = exaggeration * ay + t->grad[2 * i + 1] * inv_z;
    }
}

static void step(ae_tsne *t) {
    const int n = t->n;
    const int early = t->done < TSNE_EXAGGERATION_ITERATIONS;
    const double exaggeration = early ? TSNE_EXAGGERATION : 1.0;
    const double momentum = early ? TSNE_MOMENTUM_EARLY : TSNE_MOMENTUM_LATE;
    const double rate = n / 12.0 > 50.0 ? n / 12.0 : 50.0;
    build_tree(t);
    gradient(t, exaggeration);
    double mx = 0.0, my = 0.0;
    for (int i = 0; i < 2 * n; i++) {
        double g = t->grad[i];
        // Gains grow where the gradient keeps pushing against the motion, shrink where it agrees.
        t->gains[i] = (g > 0) != (t->update[i] > 0) ? t->gains[i] + 0.2 : t->gains[i] * 0.8;
        if (t->gains[i] < 0.01) t->gains[i] = 0.01;
        t->update[i] = momentum * t->update[i] - rate * t->gains[i] * g;
        t->y[i] += t->update[i];
        if (i & 1) my += t->y[i]; else mx += t->y[i];
    }
    mx /= n;
    my /= n;
    for (int i = 0; i < n; i++) {
        t->y[2 * i] -= mx;
        t->y[2 * i + 1] -= my;
        t->embedding[2 * i] = (float)t->y[2 * i];
        t->embedding[2 * i + 1] = (float)t->y[2 * i + 1];
    }
    t->done++;
}

// ---- The API ---------------------------------------------------------------------------------

void tsne_destroy(ae_tsne *t) {
    if (!t) return;
    free(t->row_start);
    free(t->col);
    free(t->p);
    free(t->y);
    free(t->embedding);
    free(t->cells);
    free(t->order);
    free(t);
}

static ae_tsne *create_failed(ae_tsne *t, int *status, int rc) {
    tsne_destroy(t);
    if (status) *status = rc;
    return NULL;
}

ae_tsne *tsne_create(const float *x, int n, int d, double perplexity, uint32_t seed,
                        int *status) {
    if (!x) return create_failed(NULL, status, ae_fail(AE_ERR_ARG, "tsne: x must not be NULL"));
    if (n < 2 || n > TSNE_MAX_POINTS)
        return create_failed(NULL, status, ae_fail(AE_ERR_ARG, "tsne: n must be 2..%d (got %d)",
                                                   TSNE_MAX_POINTS, n));
    if (d < 1 || d > TSNE_MAX_DIM)
        return create_failed(NULL, status, ae_fail(AE_ERR_ARG, "tsne: d must be 1..%d (got %d)",
                                                   TSNE_MAX_DIM, d));
    // 3 x perplexity neighbours per point must exist among the n - 1 others.
    if (!(perplexity >= 2.0 && perplexity < (n - 1) / 3.0))
        return create_failed(NULL, status,
                             ae_fail(AE_ERR_ARG,
                                     "tsne: perplexity must be >= 2 and < (n - 1) / 3 = %.6g "
                                     "for n = %d points (got %g)",
                                     (n - 1) / 3.0, n, perplexity));
    for (size_t i = 0; i < (size_t)n * d; i++)
        if (!isfinite(x[i]))
            return create_failed(NULL, status,
                                 ae_fail(AE_ERR_DATA, "tsne: x[%zu] (point %zu, coordinate %zu) is %s",
                                         i, i / d, i % d, isnan(x[i]) ? "NaN" : "infinite"));
    ae_tsne *t = calloc(1, sizeof *t);
    if (!t) return create_failed(NULL, status, ae_fail(AE_ERR_NOMEM, "tsne: out of memory"));
    t->n = n;
    t->y = calloc(8 * (size_t)n, sizeof *t->y);  // y, update, gains, grad
    t->embedding = malloc(2 * (size_t)n * sizeof *t->embedding);
    t->cells = malloc((size_t)(TREE_MAX_DEPTH + 1) * n * sizeof *t->cells);
    t->order = malloc((size_t)n * sizeof *t->order);
    if (!t->y || !t->embedding || !t->cells || !t->order)
        return create_failed(t, status, ae_fail(AE_ERR_NOMEM, "tsne: out of memory (n = %d)", n));
    t->update = t->y + 2 * (size_t)n;
    t->gains = t->update + 2 * (size_t)n;
    t->grad = t->gains + 2 * (size_t)n;

    int k = (int)(3.0 * perplexity);
    int rc = symmetric_affinities(t, x, d, k, perplexity);
    if (rc != AE_OK) return create_failed(t, status, rc);

    // A small seeded Gaussian (Box-Muller on PCG32), so the first iterations see no large
    // distances and every build starts from the same points.
    pcg32 rng;
    pcg32_seed(&rng, seed, 0x75e5e);
    for (int i = 0; i < n; i++) {
        double u1 = (pcg32_next(&rng) + 1.0) / 4294967296.0, u2 = pcg32_next(&rng) / 4294967296.0;
        double r = TSNE_INIT_STD * sqrt(-2.0 * log(u1));
        t->y[2 * i] = r * cos(TWO_PI * u2);
        t->y[2 * i + 1] = r * sin(TWO_PI * u2);
    }
    for (int i = 0; i < 2 * n; i++) {
        t->gains[i] = 1.0;
        t->embedding[i] = (float)t->y[i];
    }
    for (int i = 0; i < n; i++) t->order[i] = i;
    if (status) *status = AE_OK;
    return t;
}

int tsne_run(ae_tsne *t, int iterations) {
    if (!t) return -ae_fail(AE_ERR_ARG, "tsne: run on a NULL handle");
    if (iterations < 0)
        return -ae_fail(AE_ERR_ARG, "tsne: iterations must be >= 0 (got %d)", iterations);
    for (int i = 0; i < iterations && t->done < TSNE_ITERATIONS; i++) step(t);
    return t->done;
}

int tsne_total(const ae_tsne *t) { return t ? TSNE_ITERATIONS : 0; }

const float *tsne_embedding(const ae_tsne *t) { return t ? t->embedding : NULL; }
