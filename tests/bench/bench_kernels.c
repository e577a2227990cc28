// bench_kernels.c — GFLOP/s of each layer's forward and backward on the default model, next to
// this machine's measured 4-wide SIMD peak. Built natively and as WASM (out/*/bench_kernels).
// A benchmark, not a test: it prints figures and always exits 0.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels.h"
#include "aevp.h"
#include "model/model.h"
#include "ops/ops.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// The peak: 8 independent 4-wide multiply-add chains (no FMA: the engine uses none), all in
// registers. FLOP per iteration: 8 chains x 4 lanes x 2.
static double simd_peak_gflops(void) {
#if AEVP_HAVE_SIMD
    volatile float seed = 1.0f;
    float out[4];
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        float a[4] = {seed, seed, seed, seed}, b = 0.999999f;
        float acc[8][4];
        for (int c = 0; c < 8; c++)
            for (int l = 0; l < 4; l++) acc[c][l] = seed * (c + l);
        const long iters = 20000000;
        double t0 = now();
        for (long i = 0; i < iters; i++)
            for (int c = 0; c < 8; c++)
                for (int l = 0; l < 4; l++) acc[c][l] = acc[c][l] * b + a[l];
        double t = now() - t0;
        for (int l = 0; l < 4; l++) out[l] = acc[0][l] + acc[7][l];
        double g = iters * 8.0 * 4 * 2 / t / 1e9;
        if (g > best) best = g;
    }
    if (out[0] == 12345.0f) printf("!");
    return best;
#else
    return 0;
#endif
}

int main(void) {
    int status;
    ae_model *m = ae_create("{}", &status);
    if (!m) return 0;
    int n = ae_batch_size(m), size = ae_input_size(m);
    float *x = model_input(m);
    for (int i = 0; i < n * size; i++) x[i] = (float)((i * 7919) % 255) / 255.0f;
    for (int i = 0; i < 5; i++) model_loss_and_grads(m, n, 0); // warm up and fill the activations

    printf("%-8s %-10s %12s %10s %9s\n", "layer", "pass", "MFLOP/batch", "ms/batch", "GFLOP/s");
    double total_flops = 0, total_time = 0;
    for (int li = 0; li < m->layer_count; li++) {
        const layer *l = &m->layers[li];
        double macs = l->kind == LAYER_DENSE ? (double)l->in_c * l->out_c
                    : l->kind == LAYER_CONV ? (double)l->out_h * l->out_w * l->out_c * l->k * l->k * l->in_c
                                            : (double)l->in_h * l->in_w * l->in_c * l->k * l->k * l->out_c;
        const float *xin = m->acts + l->in_offset, *w = m->params + l->w_offset, *b = m->params + l->b_offset;
        float *y = m->acts + l->out_offset, *dy = m->acts + m->acts_per_batch + l->out_offset;
        float *dx = li == 0 ? NULL : m->acts + m->acts_per_batch + l->in_offset;
        float *dw = m->grads + l->w_offset, *db = m->grads + l->b_offset;
        if (l->kind != LAYER_CONV && l->kind != LAYER_CONVT && l->kind != LAYER_DENSE) continue; // the default model has no others
        conv_geom g = model_layer_geom(l);
        for (int pass = 0; pass < 2; pass++) {
            int reps = 0;
            double t0 = now(), t;
            do {
                if (pass == 0) {
                    switch (l->kind) {
                    case LAYER_CONV: conv2d_forward(y, xin, w, b, n, g, l->out_c, m->col); break;
                    case LAYER_CONVT: conv_transpose2d_forward(y, xin, w, b, n, g, l->in_c, m->col, m->wt); break;
                    case LAYER_DENSE: dense_forward(y, xin, w, b, n, l->in_c, l->out_c); break;
                    default: break;
                    }
                    act_forward(l->act, y, (int)(n * (size_t)l->out_h * l->out_w * l->out_c));
                } else {
                    switch (l->kind) {
                    case LAYER_CONV: conv2d_backward(dx, dw, db, dy, xin, w, n, g, l->out_c, m->col, m->wt); break;
                    case LAYER_CONVT: conv_transpose2d_backward(dx, dw, db, dy, xin, w, n, g, l->in_c, m->col); break;
                    case LAYER_DENSE: dense_backward(dx, dw, db, dy, xin, w, n, l->in_c, l->out_c, m->wt); break;
                    default: break;
                    }
                }
                reps++;
                t = now() - t0;
            } while (t < 0.2);
            double flops = 2.0 * macs * n * (pass == 0 ? 1 : (li == 0 ? 1 : 2));
            total_flops += flops * reps;
            total_time += t;
            printf("%-8s %-10s %12.2f %10.3f %9.2f\n", l->name, pass ? "backward" : "forward", flops / 1e6,
                   t / reps * 1e3, flops * reps / t / 1e9);
        }
    }
    double peak = simd_peak_gflops();
    printf("%-8s %-10s %12s %10s %9.2f\n", "all", "", "", "", total_flops / total_time / 1e9);
    if (peak > 0)
        printf("4-wide SIMD peak (8 chains of multiply+add, measured): %.2f GFLOP/s; the layers reach %.0f%% of it\n",
               peak, 100.0 * total_flops / total_time / 1e9 / peak);
    ae_destroy(m);
    return 0;
}
