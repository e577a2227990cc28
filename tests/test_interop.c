// test_interop.c — model files against PyTorch, both ways: a file AeVP saved runs in PyTorch with
// the same outputs, and a file PyTorch wrote (tests/interop/interop.py) loads and runs the same here.
// Native only, and only where /usr/bin/python3 has torch: otherwise it reports itself skipped (77).
#define _XOPEN_SOURCE 700 // mkdtemp
#include <stdio.h>

#ifdef __EMSCRIPTEN__
int main(void) {
    printf("skipped: no subprocesses in WASM\n");
    return 77;
}
#else
#include <stdint.h>
#include <unistd.h>

#include "aevp.h"
#include "base/rng.h"
#include "testutil.h"

#define PYTHON "/usr/bin/python3"
// Both directions compare sigmoid outputs in [0, 1] computed in float32 by two implementations
// with different summation orders: a few ulps apart, far inside this.
#define TOLERANCE 1e-5

// Elu, three channels, a non-square input and a 3x3 latent; interop.py trains a different model.
static const char *const CONFIG =
    "{\"input\":{\"h\":12,\"w\":16,\"c\":3},\"filters\":[6,4],\"latent_grid\":3,"
    "\"activation\":\"elu\",\"loss\":\"mse\",\"optimizer\":\"rmsprop\",\"learning_rate\":0.01,"
    "\"batch_size\":4,\"seed\":11}";
// A VAE too: PyTorch must find mu and log sigma^2 in enc and decode mu, as ae_encode/ae_decode do.
static const char *const VAE_CONFIG =
    "{\"input\":{\"h\":8,\"w\":12,\"c\":1},\"filters\":[4,3],\"latent_grid\":2,"
    "\"activation\":\"tanh\",\"loss\":\"bce\",\"variational\":true,\"beta\":2,"
    "\"learning_rate\":0.01,\"batch_size\":4,\"seed\":12}";
// A deep one: 3 max-pool stages with nearest upsampling, 5x5 residual blocks and attention in the
// encoder and the decoder (interop.py's deep model is the stride/transpose counterpart).
static const char *const DEEP_CONFIG =
    "{\"input\":{\"h\":13,\"w\":11,\"c\":2},\"filters\":[4,5,3],\"kernel_size\":5,"
    "\"downsample\":\"maxpool\",\"upsample\":\"nearest\",\"res_blocks\":2,\"attention\":\"both\","
    "\"latent_grid\":2,\"activation\":\"leaky_relu\",\"loss\":\"bce\",\"optimizer\":\"adam\","
    "\"learning_rate\":0.01,\"batch_size\":4,\"seed\":13}";
enum { IMAGES = 4 };

static char dir[64];

static const char *in_dir(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/%s", dir, name);
    return buf;
}

static int write_file(const char *name, const void *bytes, size_t len) {
    char path[128];
    FILE *f = fopen(in_dir(path, sizeof path, name), "wb");
    int ok = f && fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    CHECK(ok, "could not write %s", path);
    return ok;
}

// Floats as little-endian bytes, whatever the host.
static int write_floats(const char *name, const float *x, size_t n) {
    uint8_t *bytes = malloc(n * 4);
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], 4);
        for (int b = 0; b < 4; b++) bytes[4 * i + b] = (uint8_t)(bits >> (8 * b));
    }
    int ok = write_file(name, bytes, n * 4);
    free(bytes);
    return ok;
}

static float *read_floats(const char *name, size_t *n) {
    char path[128];
    size_t len = 0;
    uint8_t *bytes = test_read_file(in_dir(path, sizeof path, name), &len);
    CHECK(bytes && len % 4 == 0, "could not read %s", path);
    if (!bytes) return NULL;
    float *x = malloc(len + 1);
    for (size_t i = 0; i < len / 4; i++) {
        uint32_t bits = (uint32_t)bytes[4 * i] | (uint32_t)bytes[4 * i + 1] << 8 |
                        (uint32_t)bytes[4 * i + 2] << 16 | (uint32_t)bytes[4 * i + 3] << 24;
        memcpy(&x[i], &bits, 4);
    }
    free(bytes);
    *n = len / 4;
    return x;
}

// Reconstructions of n images: the sigmoid output, as ae_trace's output stage.
static float *reconstruct(ae_model *m, const float *images, int n) {
    float *latents = malloc((size_t)n * ae_latent_dim(m) * sizeof(float));
    float *out = malloc((size_t)n * ae_input_size(m) * sizeof(float));
    CHECK(ae_encode(m, images, n, latents) == AE_OK, "encode: %s", ae_last_error());
    CHECK(ae_decode(m, latents, n, out) == AE_OK, "decode: %s", ae_last_error());
    free(latents);
    return out;
}

// (1) AeVP's side of direction (a): a trained model, a batch of images and AeVP's outputs, as
// prefix.safetensors, prefix_input.f32 and prefix_output.f32.
static void write_aevp_files(const char *config, const char *prefix) {
    int status = -1;
    ae_model *m = ae_create(config, &status);
    CHECK(m, "create: %s", ae_last_error());
    if (!m) return;
    size_t size = (size_t)ae_input_size(m);
    pcg32 rng;
    pcg32_seed(&rng, 2024, 3);
    float *images = malloc(IMAGES * size * sizeof(float));
    for (size_t i = 0; i < IMAGES * size; i++) images[i] = pcg32_float(&rng);
    // A few steps so that the biases are no longer zero and every tensor carries information.
    float loss;
    for (int s = 0; s < 3; s++)
        CHECK(ae_train_batch(m, images, IMAGES, &loss) == AE_OK, "train: %s", ae_last_error());
    uint8_t *file = NULL;
    size_t len = 0;
    CHECK(ae_save(m, "{\"dataset\":\"random\"}", &file, &len) == AE_OK, "save: %s", ae_last_error());
    float *out = reconstruct(m, images, IMAGES);
    char name[64];
    snprintf(name, sizeof name, "%s.safetensors", prefix);
    if (file) write_file(name, file, len);
    snprintf(name, sizeof name, "%s_input.f32", prefix);
    write_floats(name, images, IMAGES * size);
    snprintf(name, sizeof name, "%s_output.f32", prefix);
    write_floats(name, out, IMAGES * size);
    ae_free(file);
    free(out);
    free(images);
    ae_destroy(m);
}

// (3) Direction (b): PyTorch's file loads, and reproduces PyTorch's outputs.
static void check_torch_file(const char *prefix) {
    char path[128], name[64];
    size_t len = 0;
    snprintf(name, sizeof name, "%s.safetensors", prefix);
    uint8_t *file = test_read_file(in_dir(path, sizeof path, name), &len);
    CHECK(file, "interop.py wrote no %s", path);
    if (!file) return;
    int status = -1;
    ae_model *m = ae_load(file, len, &status);
    CHECK(m && status == AE_OK, "load PyTorch's file: status %d: %s", status, ae_last_error());
    char *meta = NULL;
    CHECK(ae_load_metadata(file, len, &meta) == AE_OK && strstr(meta, "\"producer\":\"PyTorch"),
          "metadata of PyTorch's file: %s", meta ? meta : ae_last_error());
    if (meta) printf("PyTorch's file: %s\n", meta);
    ae_free(meta);
    free(file);
    size_t n_in = 0, n_out = 0;
    snprintf(name, sizeof name, "%s_input.f32", prefix);
    float *images = read_floats(name, &n_in);
    snprintf(name, sizeof name, "%s_output.f32", prefix);
    float *want = read_floats(name, &n_out);
    if (m && images && want) {
        size_t size = (size_t)ae_input_size(m);
        CHECK(n_in == n_out && n_in % size == 0 && n_in > 0, "%zu input floats, %zu output, image %zu",
              n_in, n_out, size);
        if (n_in == n_out && n_in % size == 0) {
            float *got = reconstruct(m, images, (int)(n_in / size));
            double worst = 0.0;
            size_t worst_at = 0;
            for (size_t i = 0; i < n_in; i++) {
                double d = fabs((double)got[i] - want[i]);
                if (d > worst || d != d) { worst = d; worst_at = i; }
            }
            printf("interop (b): PyTorch file %s -> AeVP: %zu images, max |difference| %.3g (tolerance "
                   "%g)\n", prefix, n_in / size, worst, TOLERANCE);
            CHECK(worst <= TOLERANCE, "output %zu: AeVP %.9g, PyTorch %.9g", worst_at,
                  (double)got[worst_at], (double)want[worst_at]);
            free(got);
        }
    }
    free(images);
    free(want);
    ae_destroy(m);
}

static void remove_dir(void) {
    static const char *const files[] = {"aevp.safetensors", "aevp_input.f32", "aevp_output.f32",
                                        "aevp_vae.safetensors", "aevp_vae_input.f32", "aevp_vae_output.f32",
                                        "aevp_deep.safetensors", "aevp_deep_input.f32", "aevp_deep_output.f32",
                                        "torch.safetensors", "torch_input.f32", "torch_output.f32",
                                        "torch_deep.safetensors", "torch_deep_input.f32", "torch_deep_output.f32"};
    char path[128];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) remove(in_dir(path, sizeof path, files[i]));
    rmdir(dir);
}

int main(int argc, char **argv) {
    test_init(argc, argv);
    if (system(PYTHON " -c 'import torch, numpy' >/dev/null 2>&1") != 0) {
        printf("skipped: python3-torch is not installed\n");
        return 77;
    }
    snprintf(dir, sizeof dir, "/tmp/aevp-interop-XXXXXX");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "test_interop: could not create a directory under /tmp\n");
        return 1;
    }
    write_aevp_files(CONFIG, "aevp");
    write_aevp_files(VAE_CONFIG, "aevp_vae");
    write_aevp_files(DEEP_CONFIG, "aevp_deep");
    if (!test_failures) {
        // (2) PyTorch runs AeVP's file, then trains and writes its own.
        char command[1024];
        snprintf(command, sizeof command, PYTHON " '%s/tests/interop/interop.py' '%s'", test_source_dir, dir);
        fflush(stdout);
        int rc = system(command);
        CHECK(rc == 0, "%s failed (status %d): see its output above", command, rc);
    }
    if (!test_failures) {
        check_torch_file("torch");
        check_torch_file("torch_deep");
    }
    if (test_failures) fprintf(stderr, "test_interop: files kept in %s\n", dir);
    else remove_dir();
    return test_finish("test_interop");
}
#endif
