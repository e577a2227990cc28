// test_gradcheck.c — every backward pass against central finite differences: each op at odd
// sizes, each activation, each loss, and the whole model end to end for every activation.
//
// Ops are linear in their inputs and weights, so the difference quotient of the scalar
// L = sum(y * r) is exact up to float rounding: with eps = 1e-2 and L summed in double the error
// stays near 1e-5; the bound is |analytic - numeric| <= 2e-3 + 2e-3 * |numeric|. Nonlinear pieces
// use eps = 1e-3 and keep inputs away from kinks.
#include "aevp.h"
#include "model/model.h"
#include "ops/ops.h"
#include "base/rng.h"
#include "testutil.h"

static pcg32 rng;

static float *randoms(size_t n, float scale) {
    float *x = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = (2.0f * pcg32_float(&rng) - 1.0f) * scale;
    return x;
}

static double dot(const float *a, const float *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

static void check_grad(const char *what, double analytic, double numeric, size_t index, double atol,
                       double rtol) {
    CHECK(fabs(analytic - numeric) <= atol + rtol * fabs(numeric),
          "%s[%zu]: analytic %.7g, numeric %.7g", what, index, analytic, numeric);
}

// One op with parameters: forward(y, x, w, b) and backward(dx, dw, db, dy, x, w).
typedef struct {
    const char *name;
    size_t nx, nw, nb, ny;
    void (*forward)(const void *ctx, float *y, const float *x, const float *w, const float *b);
    void (*backward)(const void *ctx, float *dx, float *dw, float *db, const float *dy,
                     const float *x, const float *w);
    const void *ctx;
} op_case;

static double op_objective(const op_case *op, const float *x, const float *w, const float *b,
                           const float *r, float *y) {
    op->forward(op->ctx, y, x, w, b);
    return dot(y, r, op->ny);
}

static void check_op(const op_case *op) {
    const float eps = 1e-2f;
    float *x = randoms(op->nx, 1), *w = randoms(op->nw, 0.5f), *b = randoms(op->nb, 0.5f);
    float *r = randoms(op->ny, 1), *y = malloc(op->ny * sizeof(float));
    float *dx = calloc(op->nx, sizeof(float)), *dw = calloc(op->nw, sizeof(float));
    float *db = calloc(op->nb, sizeof(float));
    op->backward(op->ctx, dx, dw, db, r, x, w);
    float *vars[3] = {x, w, b}, *grads[3] = {dx, dw, db};
    size_t counts[3] = {op->nx, op->nw, op->nb};
    const char *names[3] = {"dx", "dw", "db"};
    char label[96];
    for (int v = 0; v < 3; v++) {
        snprintf(label, sizeof label, "%s %s", op->name, names[v]);
        for (size_t i = 0; i < counts[v]; i++) {
            float keep = vars[v][i];
            vars[v][i] = keep + eps;
            double up = op_objective(op, x, w, b, r, y);
            vars[v][i] = keep - eps;
            double down = op_objective(op, x, w, b, r, y);
            vars[v][i] = keep;
            check_grad(label, grads[v][i], (up - down) / (2.0 * eps), i, 2e-3, 2e-3);
        }
    }
    printf("%-40s %zu inputs, %zu weights, %zu biases checked\n", op->name, op->nx, op->nw, op->nb);
    free(x); free(w); free(b); free(r); free(y); free(dx); free(dw); free(db);
}

typedef struct {
    int n, cout, cin;
    conv_geom g;
    float *col, *wt;
} conv_ctx;

static void conv_fwd(const void *c, float *y, const float *x, const float *w, const float *b) {
    const conv_ctx *k = c;
    conv2d_forward(y, x, w, b, k->n, k->g, k->cout, k->col);
}
static void conv_bwd(const void *c, float *dx, float *dw, float *db, const float *dy,
                     const float *x, const float *w) {
    const conv_ctx *k = c;
    conv2d_backward(dx, dw, db, dy, x, w, k->n, k->g, k->cout, k->col, k->wt);
}
static void convt_fwd(const void *c, float *y, const float *x, const float *w, const float *b) {
    const conv_ctx *k = c;
    conv_transpose2d_forward(y, x, w, b, k->n, k->g, k->cin, k->col, k->wt);
}
static void convt_bwd(const void *c, float *dx, float *dw, float *db, const float *dy,
                      const float *x, const float *w) {
    const conv_ctx *k = c;
    conv_transpose2d_backward(dx, dw, db, dy, x, w, k->n, k->g, k->cin, k->col);
}
static void dense_fwd(const void *c, float *y, const float *x, const float *w, const float *b) {
    const conv_ctx *k = c;
    dense_forward(y, x, w, b, k->n, k->cin, k->cout);
}
static void dense_bwd(const void *c, float *dx, float *dw, float *db, const float *dy,
                      const float *x, const float *w) {
    const conv_ctx *k = c;
    dense_backward(dx, dw, db, dy, x, w, k->n, k->cin, k->cout, k->wt);
}

static void check_convs(void) {
    // (h, w, c) -> (cout), stride, kernel: odd sizes, odd channel counts, stride 1 and 2, 3x3 and
    // 5x5 (a 5x5 on a 3-pixel side: every tap row clipped somewhere).
    const int shapes[][6] = {{7, 5, 3, 5, 2, 3}, {5, 6, 2, 3, 1, 3}, {8, 8, 1, 4, 2, 3}, {3, 3, 4, 1, 1, 3},
                             {7, 5, 3, 4, 2, 5}, {5, 3, 2, 3, 1, 5}, {6, 7, 2, 1, 1, 5}, {9, 9, 1, 2, 2, 5}};
    for (int s = 0; s < 8; s++) {
        conv_ctx k;
        k.n = 2;
        k.g.h = shapes[s][0]; k.g.w = shapes[s][1]; k.g.c = shapes[s][2]; k.g.stride = shapes[s][4];
        k.g.k = shapes[s][5];
        k.g.oh = (k.g.h - 1) / k.g.stride + 1; k.g.ow = (k.g.w - 1) / k.g.stride + 1;
        k.cout = shapes[s][3];
        k.cin = k.cout; // the transposed conv maps cout channels on the small grid back
        size_t taps = (size_t)k.g.k * k.g.k;
        size_t cs = conv_col_scratch(k.g, k.cout), gs = transposed_gather_scratch(k.g, k.cout);
        k.col = malloc((cs > gs ? cs : gs) * sizeof(float));
        k.wt = malloc(taps * k.g.c * k.cout * sizeof(float));
        size_t big = (size_t)k.n * k.g.h * k.g.w * k.g.c, small = (size_t)k.n * k.g.oh * k.g.ow * k.cout;
        size_t nw = taps * k.g.c * k.cout;
        char name[2][64];
        snprintf(name[0], 64, "conv2d %dx%d %dx%dx%d->%d s%d", k.g.k, k.g.k, k.g.h, k.g.w, k.g.c, k.cout, k.g.stride);
        snprintf(name[1], 64, "conv_transpose2d %dx%d %dx%dx%d->%dx%dx%d", k.g.k, k.g.k, k.g.oh, k.g.ow, k.cout,
                 k.g.h, k.g.w, k.g.c);
        op_case conv = {name[0], big, nw, (size_t)k.cout, small, conv_fwd, conv_bwd, &k};
        op_case convt = {name[1], small, nw, (size_t)k.g.c, big, convt_fwd, convt_bwd, &k};
        check_op(&conv);
        check_op(&convt);
        free(k.col);
        free(k.wt);
    }
    conv_ctx d = {3, 5, 7, {0}, NULL, malloc(35 * sizeof(float))};
    op_case dense = {"dense 7->5", 21, 35, 5, 15, dense_fwd, dense_bwd, &d};
    check_op(&dense);
    free(d.wt);
}

typedef struct {
    int n, h, w, c, oh, ow;
    float *saved, *scratch;
} shape_ctx;

static void pool_fwd(const void *c, float *y, const float *x, const float *w, const float *b) {
    const shape_ctx *k = c;
    (void)w; (void)b;
    maxpool2_forward(y, x, k->n, k->h, k->w, k->c);
}
static void pool_bwd(const void *c, float *dx, float *dw, float *db, const float *dy, const float *x,
                     const float *w) {
    const shape_ctx *k = c;
    (void)dw; (void)db; (void)w;
    maxpool2_backward(dx, dy, x, k->n, k->h, k->w, k->c);
}
static void up_fwd(const void *c, float *y, const float *x, const float *w, const float *b) {
    const shape_ctx *k = c;
    (void)w; (void)b;
    upsample_nearest_forward(y, x, k->n, k->h, k->w, k->c, k->oh, k->ow);
}
static void up_bwd(const void *c, float *dx, float *dw, float *db, const float *dy, const float *x,
                   const float *w) {
    const shape_ctx *k = c;
    (void)dw; (void)db; (void)x; (void)w;
    upsample_nearest_backward(dx, dy, k->n, k->h, k->w, k->c, k->oh, k->ow);
}
// Attention's weights and biases are one buffer: the op case's w holds all of them, b is empty.
static void attn_fwd(const void *c, float *y, const float *x, const float *w, const float *b) {
    const shape_ctx *k = c;
    (void)b;
    attention_forward(y, k->saved, x, w, k->n, k->h * k->w, k->c, k->scratch);
}
static void attn_bwd(const void *c, float *dx, float *dw, float *db, const float *dy, const float *x,
                     const float *w) {
    const shape_ctx *k = c;
    (void)db;
    attention_forward(k->scratch + attention_scratch_size(k->h * k->w, k->c), k->saved, x, w, k->n, k->h * k->w,
                      k->c, k->scratch);
    attention_backward(dx, dw, dy, x, k->saved, w, k->n, k->h * k->w, k->c, k->scratch);
}

// Max-pooling is piecewise linear: with distinct inputs spaced wider than eps apart no window's
// winner changes under a +-eps step, so the difference quotient is exact. Odd sizes put windows
// over the edge (ceil mode).
static void check_pool_and_upsample(void) {
    const int pools[][3] = {{5, 7, 3}, {4, 6, 2}, {3, 3, 1}};
    for (int s = 0; s < 3; s++) {
        shape_ctx k = {2, pools[s][0], pools[s][1], pools[s][2], (pools[s][0] + 1) / 2, (pools[s][1] + 1) / 2, NULL, NULL};
        size_t nx = (size_t)k.n * k.h * k.w * k.c, ny = (size_t)k.n * k.oh * k.ow * k.c;
        char name[64];
        snprintf(name, sizeof name, "maxpool2 %dx%dx%d", k.h, k.w, k.c);
        op_case pool = {name, nx, 0, 0, ny, pool_fwd, pool_bwd, &k};
        check_op(&pool);
    }
    // x2 exactly, an odd target (4 -> 7: PyTorch's size= rule), and a non-square mix.
    const int ups[][5] = {{3, 4, 2, 6, 8}, {4, 4, 1, 7, 7}, {2, 3, 3, 3, 5}};
    for (int s = 0; s < 3; s++) {
        shape_ctx k = {2, ups[s][0], ups[s][1], ups[s][2], ups[s][3], ups[s][4], NULL, NULL};
        size_t nx = (size_t)k.n * k.h * k.w * k.c, ny = (size_t)k.n * k.oh * k.ow * k.c;
        char name[64];
        snprintf(name, sizeof name, "upsample_nearest %dx%dx%d->%dx%d", k.h, k.w, k.c, k.oh, k.ow);
        op_case up = {name, nx, 0, 0, ny, up_fwd, up_bwd, &k};
        check_op(&up);
    }
    // The nearest rule itself: 4 -> 7 takes rows 0 0 1 1 2 2 3.
    float x[4] = {0, 1, 2, 3}, y[7];
    upsample_nearest_forward(y, x, 1, 4, 1, 1, 7, 1);
    const float want[7] = {0, 0, 1, 1, 2, 2, 3};
    CHECK(memcmp(y, want, sizeof want) == 0, "nearest 4 -> 7: %g %g %g %g %g %g %g", y[0], y[1], y[2], y[3], y[4],
          y[5], y[6]);
}

// Attention is smooth; its softmax makes it nonlinear, so eps is smaller and the tolerance that of
// the nonlinear checks. Odd position and channel counts; 1 channel (a scale of 1).
static void check_attention(void) {
    const int shapes[][3] = {{3, 1, 5}, {2, 3, 3}, {1, 1, 1}, {3, 3, 2}};
    const float eps = 1e-3f;
    for (int s = 0; s < 4; s++) {
        shape_ctx k = {2, shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][0], shapes[s][1], NULL, NULL};
        int p = k.h * k.w;
        size_t nx = (size_t)k.n * p * k.c, nw = attention_param_count(k.c);
        k.saved = malloc((size_t)k.n * attention_saved_size(p, k.c) * sizeof(float));
        k.scratch = malloc((attention_scratch_size(p, k.c) + nx) * sizeof(float));
        float *x = randoms(nx, 1), *w = randoms(nw, 0.7f), *r = randoms(nx, 1), *y = malloc(nx * sizeof(float));
        float *dx = calloc(nx, sizeof(float)), *dw = calloc(nw, sizeof(float));
        attn_bwd(&k, dx, dw, NULL, r, x, w);
        float *vars[2] = {x, w}, *grads[2] = {dx, dw};
        size_t counts[2] = {nx, nw};
        for (int v = 0; v < 2; v++)
            for (size_t i = 0; i < counts[v]; i++) {
                float keep = vars[v][i];
                vars[v][i] = keep + eps;
                attn_fwd(&k, y, x, w, NULL);
                double up = dot(y, r, nx);
                vars[v][i] = keep - eps;
                attn_fwd(&k, y, x, w, NULL);
                double down = dot(y, r, nx);
                vars[v][i] = keep;
                check_grad(v ? "attention dparams" : "attention dx", grads[v][i], (up - down) / (2.0 * eps), i, 2e-3,
                           5e-3);
            }
        // Each row of A is a distribution over the keys.
        for (int i = 0; i < k.n; i++)
            for (int q = 0; q < p; q++) {
                const float *row = k.saved + (size_t)i * attention_saved_size(p, k.c) + 3 * (size_t)p * k.c + (size_t)q * p;
                double sum = 0;
                for (int j = 0; j < p; j++) sum += row[j];
                CHECK(fabs(sum - 1.0) < 1e-5, "attention row %d of image %d sums to %.7f", q, i, sum);
            }
        printf("%-40s %zu inputs, %zu weights checked\n", "attention", nx, nw);
        free(k.saved); free(k.scratch); free(x); free(w); free(r); free(y); free(dx); free(dw);
    }
}

static void check_activations(void) {
    const ae_activation acts[] = {ACT_RELU, ACT_LEAKY_RELU, ACT_ELU, ACT_TANH, ACT_SIGMOID, ACT_LINEAR};
    const float eps = 1e-3f;
    enum { N = 41 };
    for (int a = 0; a < 6; a++) {
        float v[N], y[N], dy[N], up[1], down[1];
        for (int i = 0; i < N; i++) {
            v[i] = -2.0f + 4.0f * i / (N - 1);
            if (fabsf(v[i]) < 0.05f) v[i] = 0.05f; // away from the kink
            y[i] = v[i];
            dy[i] = 1.0f;
        }
        act_forward(acts[a], y, N);
        act_backward(acts[a], dy, y, N);
        for (int i = 0; i < N; i++) {
            up[0] = v[i] + eps;
            down[0] = v[i] - eps;
            act_forward(acts[a], up, 1);
            act_forward(acts[a], down, 1);
            check_grad(activation_name(acts[a]), dy[i], ((double)up[0] - down[0]) / (2.0 * eps), i,
                       1e-3, 1e-3);
        }
    }
    printf("activations: relu, leaky_relu, elu, tanh, sigmoid, linear checked\n");
}

static void check_losses(void) {
    enum { N = 23 };
    const float eps = 1e-3f;
    float z[N], t[N], dz[N], recon[N], scratch[N], scratch2[N];
    for (int i = 0; i < N; i++) {
        z[i] = (2.0f * pcg32_float(&rng) - 1.0f) * 4.0f;
        t[i] = pcg32_float(&rng);
    }
    for (int which = 0; which < 2; which++) {
        double (*loss)(float *, float *, const float *, const float *, size_t) =
            which == 0 ? bce_with_logits : mse_after_sigmoid;
        loss(dz, recon, z, t, N);
        for (int i = 0; i < N; i++) {
            float keep = z[i];
            z[i] = keep + eps;
            double up = loss(scratch, scratch2, z, t, N);
            z[i] = keep - eps;
            double down = loss(scratch, scratch2, z, t, N);
            z[i] = keep;
            check_grad(which == 0 ? "bce" : "mse", dz[i], (up - down) / (2.0 * eps), i, 1e-5, 2e-3);
        }
    }
    // Stability: huge logits give finite losses and gradients.
    float zz[2] = {1e4f, -1e4f}, tt[2] = {0.0f, 1.0f};
    double big = bce_with_logits(dz, recon, zz, tt, 2);
    CHECK(isfinite(big) && fabs(big - 1e4) < 1.0, "bce of logits +-1e4 should be 1e4, got %g", big);
    CHECK(isfinite(dz[0]) && isfinite(dz[1]), "bce gradient not finite at +-1e4");
    printf("losses: bce (from logits), mse (after sigmoid) checked\n");
}

// The VAE head: the noise is deterministic and standard normal, and vae_backward is the gradient
// of sum(z * r) + kl_scale * KL with respect to mu and logvar, at an odd latent size.
static void check_vae_head(void) {
    enum { N = 3, LATENT = 5, DRAWS = 4000 };
    float a[LATENT], b[LATENT];
    vae_noise(a, LATENT, 1, 0, 0);
    vae_noise(b, LATENT, 1, 0, 0);
    CHECK(memcmp(a, b, sizeof a) == 0, "the noise of (1, 0, 0) differs between calls");
    const uint32_t other[3][3] = {{2, 0, 0}, {1, 1, 0}, {1, 0, 1}};
    for (int o = 0; o < 3; o++) {
        vae_noise(b, LATENT, other[o][0], other[o][1], other[o][2]);
        CHECK(memcmp(a, b, sizeof a) != 0, "the noise of (%u, %u, %u) equals that of (1, 0, 0)",
              other[o][0], other[o][1], other[o][2]);
    }
    double sum = 0, squares = 0;
    for (int r = 0; r < DRAWS; r++) {
        vae_noise(a, LATENT, 7, 3, (uint32_t)r);
        for (int k = 0; k < LATENT; k++) {
            sum += a[k];
            squares += (double)a[k] * a[k];
        }
    }
    double mean = sum / (DRAWS * LATENT), var = squares / (DRAWS * LATENT) - mean * mean;
    // 20,000 draws: the standard error of the mean is 0.007, of the variance 0.01.
    CHECK(fabs(mean) < 0.03 && fabs(var - 1.0) < 0.05, "noise mean %g variance %g", mean, var);

    const float eps = 1e-3f;
    float *enc = randoms((size_t)N * 2 * LATENT, 1.0f), *r = randoms((size_t)N * LATENT, 1.0f);
    float noise[N * LATENT], z[N * LATENT], denc[N * 2 * LATENT];
    for (int i = 0; i < N; i++) vae_noise(noise + i * LATENT, LATENT, 5, 2, (uint32_t)i);
    const float scales[2] = {0.0f, 0.7f};
    for (int s = 0; s < 2; s++) {
        vae_backward(denc, r, enc, noise, N, LATENT, scales[s]);
        for (int i = 0; i < N * 2 * LATENT; i++) {
            double value[2];
            float keep = enc[i];
            for (int side = 0; side < 2; side++) {
                enc[i] = keep + (side ? -eps : eps);
                vae_forward(z, enc, noise, N, LATENT);
                value[side] = dot(z, r, N * LATENT) + scales[s] * vae_kl(enc, N, LATENT);
            }
            enc[i] = keep;
            check_grad(scales[s] ? "vae head, kl_scale 0.7" : "vae head, kl_scale 0", denc[i],
                       (value[0] - value[1]) / (2.0 * eps), (size_t)i, 1e-3, 1e-3);
        }
    }
    // With eps NULL z is mu, and the KL of mu = 0, logvar = 0 is 0.
    vae_forward(z, enc, NULL, N, LATENT);
    for (int i = 0; i < N; i++)
        CHECK(memcmp(z + i * LATENT, enc + i * 2 * LATENT, LATENT * sizeof(float)) == 0, "z != mu, row %d", i);
    float zero[2 * LATENT] = {0};
    CHECK(vae_kl(zero, 1, LATENT) == 0.0, "KL of N(0, 1) is %g", vae_kl(zero, 1, LATENT));
    printf("vae head: noise (mean %.4f, variance %.4f), reparameterisation and KL checked\n", mean, var);
    free(enc);
    free(r);
}

// The signs of every activated layer output after a forward pass: a relu or leaky relu
// difference quotient is only valid when no pre-activation crosses zero between +eps and -eps.
static size_t activation_pattern(const ae_model *m, int n, unsigned char *pattern) {
    size_t k = 0;
    for (int i = 0; i < m->layer_count; i++) {
        const layer *l = &m->layers[i];
        if (l->act == ACT_LINEAR) continue;
        size_t count = (size_t)n * l->out_h * l->out_w * l->out_c;
        for (size_t j = 0; j < count; j++) pattern[k++] = m->acts[l->out_offset + j] > 0.0f;
    }
    return k;
}

// The whole model: analytic gradients of the mean loss against finite differences of the loss
// itself (in double), for a sample of parameters of every tensor. Coordinates whose +-eps step
// flips a relu kink are skipped (and counted); every other one must agree.
// vae: "" for the autoencoder, or the config's variational fields (the noise stays that of step 0).
// arch: NULL for today's model, else the architecture's fields and input (a JSON fragment).
static void check_model(const char *activation, const char *loss, const char *vae, const char *arch) {
    char json[512];
    snprintf(json, sizeof json,
             "{%s,\"latent_grid\":2,\"activation\":\"%s\",\"loss\":\"%s\",\"batch_size\":2%s}",
             arch ? arch : "\"filters\":[3,2],\"input\":{\"h\":8,\"w\":12,\"c\":2}", activation, loss, vae);
    int status;
    ae_model *m = ae_create(json, &status);
    CHECK(m, "create %s: %s", json, ae_last_error());
    if (!m) return;
    int size = ae_input_size(m);
    // A VAE case's images come from its config text (the autoencoder cases keep the shared
    // stream's), so that adding cases does not move any case onto a relu kink.
    if (vae[0] || arch) {
        uint64_t hash = 1469598103934665603ULL;
        for (const char *c = json; *c; c++) hash = (hash ^ (unsigned char)*c) * 1099511628211ULL;
        pcg32_seed(&rng, hash, 5);
    }
    float *images = randoms((size_t)2 * size, 0.5f);
    for (int i = 0; i < 2 * size; i++) images[i] += 0.5f;
    float *grads = malloc(ae_param_count(m) * sizeof(float));
    unsigned char *up_pattern = malloc(m->acts_per_batch), *down_pattern = malloc(m->acts_per_batch);
    memcpy(model_input(m), images, (size_t)2 * size * sizeof(float));
    model_loss_and_grads(m, 2, 0);
    memcpy(grads, m->grads, ae_param_count(m) * sizeof(float));
    const float eps = 1e-3f;
    int checked = 0, bad = 0, kinks = 0;
    for (int t = 0; t < ae_tensor_count(m); t++) {
        ae_tensor info;
        ae_tensor_info(m, t, &info);
        for (size_t k = 0; k < info.count; k += 1 + info.count / 12) {
            size_t i = info.offset + k;
            float keep = m->params[i];
            m->params[i] = keep + eps;
            memcpy(model_input(m), images, (size_t)2 * size * sizeof(float));
            double up = model_loss_and_grads(m, 2, 0);
            size_t pattern_len = activation_pattern(m, 2, up_pattern);
            m->params[i] = keep - eps;
            memcpy(model_input(m), images, (size_t)2 * size * sizeof(float));
            double down = model_loss_and_grads(m, 2, 0);
            activation_pattern(m, 2, down_pattern);
            m->params[i] = keep;
            int smooth = strcmp(activation, "relu") != 0 && strcmp(activation, "leaky_relu") != 0;
            if (!smooth && memcmp(up_pattern, down_pattern, pattern_len) != 0) {
                kinks++;
                continue;
            }
            double numeric = (up - down) / (2.0 * eps);
            checked++;
            if (!(fabs(grads[i] - numeric) <= 5e-5 + 2e-2 * fabs(numeric))) {
                bad++;
                fprintf(stderr, "  model %s/%s%s %s[%zu]: analytic %.7g numeric %.7g\n", activation,
                        loss, vae, info.name, k, grads[i], numeric);
            }
        }
    }
    CHECK(bad == 0, "model %s/%s%s: %d of %d coordinates off", activation, loss, vae, bad, checked);
    CHECK(kinks * 4 < checked, "model %s/%s%s: too many kink crossings (%d) to test anything", activation,
          loss, vae, kinks);
    printf("model %s/%s%s: %d parameters checked, %d skipped at a relu kink, %d off\n", activation,
           loss, vae, checked, kinks, bad);
    free(images);
    free(grads);
    free(up_pattern);
    free(down_pattern);
    ae_destroy(m);
}

int main(int argc, char **argv) {
    test_init(argc, argv);
    pcg32_seed(&rng, 2024, 5);
    check_convs();
    check_pool_and_upsample();
    check_attention();
    check_activations();
    check_losses();
    check_vae_head();
    const char *acts[] = {"relu", "leaky_relu", "elu", "tanh"};
    const char *vaes[] = {"", ",\"variational\":true,\"beta\":0", ",\"variational\":true,\"beta\":1",
                          ",\"variational\":true,\"beta\":100"};
    for (int a = 0; a < 4; a++)
        for (int v = 0; v < 4; v++) {
            check_model(acts[a], "bce", vaes[v], NULL);
            check_model(acts[a], "mse", vaes[v], NULL);
        }
    // The architectures at odd sizes: max-pooling and nearest upsampling over three stages
    // (12 -> 6 -> 3 -> 2 and back, 2 -> 3 not a doubling), residual blocks with 5x5 kernels,
    // attention in both halves of a VAE, and everything at once.
    const char *archs[] = {
        "\"filters\":[3,2,2],\"downsample\":\"maxpool\",\"upsample\":\"nearest\",\"input\":{\"h\":12,\"w\":10,\"c\":1}",
        "\"filters\":[2,3],\"res_blocks\":2,\"kernel_size\":5,\"input\":{\"h\":8,\"w\":12,\"c\":2}",
        "\"filters\":[3,2],\"attention\":\"both\",\"input\":{\"h\":7,\"w\":9,\"c\":1}",
        "\"filters\":[2,2,3],\"res_blocks\":1,\"attention\":\"both\",\"downsample\":\"maxpool\","
        "\"upsample\":\"nearest\",\"kernel_size\":5,\"input\":{\"h\":9,\"w\":8,\"c\":2}",
        "\"filters\":[4],\"res_blocks\":3,\"attention\":\"encoder\",\"input\":{\"h\":6,\"w\":5,\"c\":1}"};
    for (int k = 0; k < 5; k++) {
        check_model(k % 2 ? "elu" : "tanh", k % 2 ? "mse" : "bce", "", archs[k]);
        check_model(k % 2 ? "tanh" : "elu", "bce", vaes[2], archs[k]);
        check_model("leaky_relu", k % 2 ? "bce" : "mse", "", archs[k]);
    }
    return test_finish("test_gradcheck");
}
