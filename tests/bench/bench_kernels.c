// bench_kernels.c — GFLOP/s of each layer's forward and backward pass, next to this machine's
// measured 4-wide SIMD peak. Built natively and as WASM (out/*/bench_kernels).
// Usage: bench_kernels [CONFIG_JSON [--step]] (default "{}", the default model); --step times only
// the whole training step, for 8 s, for a profiler to sample (node --cpu-prof). The last layer's forward
// row includes the sigmoid of the reconstruction (libm's expf per pixel), which training skips
// (its loss works from the logits): "loss and grads" is the training step's own figure.
// A benchmark, not a test: it prints figures and exits 0 (1 when the config is refused).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels.h"
#include "aevp.h"
#include "model/model.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// The peak: 12 independent 4-wide multiply-add chains (no FMA: the plain build uses none), all
// in registers. Twelve chains hide the multiply and add latencies on the cores seen here (8 left
// a Zen 4 latency-bound at two thirds of its throughput). FLOP per iteration: 12 x 4 lanes x 2.
static double simd_peak_gflops(void) {
#if AEVP_HAVE_SIMD
    volatile float seed = 1.0f;
    float out[4];
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        float a[4] = {seed, seed, seed, seed}, b = 0.999999f;
        float acc[12][4];
        for (int c = 0; c < 12; c++)
            for (int l = 0; l < 4; l++) acc[c][l] = seed * (c + l);
        const long iters = 10000000;
        double t0 = now();
        for (long i = 0; i < iters; i++)
            for (int c = 0; c < 12; c++)
                for (int l = 0; l < 4; l++) acc[c][l] = acc[c][l] * b + a[l];
        double t = now() - t0;
        for (int l = 0; l < 4; l++) out[l] = acc[0][l] + acc[11][l];
        double g = iters * 12.0 * 4 * 2 / t / 1e9;
        if (g > best) best = g;
    }
    if (out[0] == 12345.0f) printf("!");
    return best;
#else
    return 0;
#endif
}

#if defined(__wasm_relaxed_simd__)
#include <wasm_simd128.h>
// The relaxed-SIMD build's peak: 12 chains of f32x4.relaxed_madd (fused where the CPU has FMA).
static double fma_peak_gflops(void) {
    volatile float seed = 1.0f;
    double best = 0;
    float out[4];
    for (int rep = 0; rep < 5; rep++) {
        v128_t a = wasm_f32x4_splat(seed), b = wasm_f32x4_splat(0.999999f), acc[12];
        for (int c = 0; c < 12; c++) acc[c] = wasm_f32x4_splat(seed * c);
        const long iters = 10000000;
        double t0 = now();
        for (long i = 0; i < iters; i++)
            for (int c = 0; c < 12; c++) acc[c] = wasm_f32x4_relaxed_madd(acc[c], b, a);
        double t = now() - t0;
        wasm_v128_store(out, wasm_f32x4_add(acc[0], acc[11]));
        double g = iters * 12.0 * 4 * 2 / t / 1e9;
        if (g > best) best = g;
    }
    if (out[0] == 12345.0f) printf("!");
    return best;
}
#define KERNEL_PEAK_NAME "fused multiply-add (relaxed SIMD)"
#else
#define KERNEL_PEAK_NAME "multiply+add"
#endif

// Times f(m, li, n) for at least 0.2 s; returns seconds per call.
static double time_pass(ae_model *m, int li, int n, int backward) {
    int reps = 0;
    double t0 = now(), t;
    do {
        if (backward) model_backward_layer(m, li, n);
        else model_forward(m, n, li, li);
        reps++;
        t = now() - t0;
    } while (t < 0.2);
    return t / reps;
}

int main(int argc, char **argv) {
    const char *config = argc > 1 ? argv[1] : "{}";
    int status;
    ae_model *m = ae_create(config, &status);
    if (!m) {
        fprintf(stderr, "bench_kernels: config refused: %s\n", ae_last_error());
        return 1;
    }
    int n = ae_batch_size(m), size = ae_input_size(m);
    float *x = model_input(m);
    for (int i = 0; i < n * size; i++) x[i] = (float)((i * 7919) % 255) / 255.0f;
    for (int i = 0; i < 5; i++) model_loss_and_grads(m, n, 0); // warm up and fill the activations

    // The peaks first, so that each layer's share of the one its kernels use can be printed.
    double peak = simd_peak_gflops(), kernel_peak = peak;
#if defined(__wasm_relaxed_simd__)
    double fma_peak = fma_peak_gflops();
    kernel_peak = fma_peak;
    printf("4-wide SIMD peak, 12 chains, measured: multiply+add %.2f GFLOP/s, fused multiply-add %.2f GFLOP/s\n", peak, fma_peak);
#else
    if (peak > 0) printf("4-wide SIMD peak, 12 chains of multiply+add, measured: %.2f GFLOP/s\n", peak);
#endif
    // The relaxed build's rows also against the plain multiply+add peak (issue 18's yardstick).
    int both = kernel_peak != peak && peak > 0;
    printf("%-18s %-9s %11s %9s %8s %7s%s\n", "layer", "pass", "MFLOP/batch", "ms/batch", "GFLOP/s", "% peak",
           both ? "  % plain" : "");
    double total_flops = 0, total_time = 0;
    int step_only = argc > 2 && strcmp(argv[2], "--step") == 0;
    for (int li = 0; !step_only && li < m->layer_count; li++) {
        const layer *l = &m->layers[li];
        double macs = model_layer_macs(l);
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1 && li == m->enc_layer && m->cfg.variational) continue; // needs the VAE's dz
            double t = time_pass(m, li, n, pass);
            double flops = 2.0 * macs * n * (pass == 0 ? 1 : (li == 0 ? 1 : 2));
            total_flops += flops;
            total_time += t;
            if (flops > 0)
            {
                double rate = flops / t / 1e9;
                printf("%-18s %-9s %11.2f %9.3f %8.2f %6.0f%%", l->name, pass ? "backward" : "forward", flops / 1e6,
                       t * 1e3, rate, kernel_peak > 0 ? 100.0 * rate / kernel_peak : 0.0);
                if (both) printf(" %8.0f%%", 100.0 * rate / peak);
                printf("\n");
            }
            else
                printf("%-18s %-9s %11s %9.3f %8s\n", l->name, pass ? "backward" : "forward", "-", t * 1e3, "-");
        }
    }
    // The whole forward + loss + backward, as training runs it (without the optimizer step).
    int reps = 0;
    double t0 = now(), step;
    do {
        model_loss_and_grads(m, n, 0);
        reps++;
    } while ((step = now() - t0) < (step_only ? 8.0 : 0.5));
    step /= reps;
    if (!step_only)
        printf("%-18s %-9s %11s %9.3f %8.2f\n", "all layers", "", "", total_time * 1e3, total_flops / total_time / 1e9);
    printf("%-18s %-9s %11.2f %9.3f %8.2f  (%.0f samples/s)\n", "loss and grads", "", model_flops_per_sample(m) * n / 1e6,
           step * 1e3, model_flops_per_sample(m) * n / step / 1e9, n / step);
    if (kernel_peak > 0 && !step_only)
        printf("the layers reach %.0f%% of the %s peak (%.2f GFLOP/s)\n", 100.0 * total_flops / total_time / 1e9 / kernel_peak,
               KERNEL_PEAK_NAME, kernel_peak);
    ae_destroy(m);
    return 0;
}
