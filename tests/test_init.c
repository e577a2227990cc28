// test_init.c — keeps init "pytorch" honest against PyTorch itself (tests/golden/init_reference.json,
// from make_init_reference.py): per tensor the bound, mean and variance of the first weights, and
// a short training run's validation BCE. Also: init "he" is the old rule, bit for bit.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aevp.h"
#include "base/rng.h"
#include "cJSON.h"
#include "io/idx.h"
#include "testutil.h"

#define SEEDS 5
// The recorded PyTorch training figure is a median over 3 seeds whose values spread by about
// +-4 %; the engine's median of its own 3 seeds must land within this share of it.
#define TRAINING_MARGIN 0.05

static const cJSON *item(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

// Pooled over SEEDS models: every tensor's values against PyTorch's statistics for the same shape.
static void check_config(const cJSON *reference) {
    char *config = cJSON_PrintUnformatted(item(reference, "config"));
    const cJSON *tensors = item(reference, "tensors");
    int tensor_count = 0;
    for (const cJSON *want = tensors->child; want; want = want->next) {
        double bound = item(want, "bound")->valuedouble, var_torch = item(want, "variance")->valuedouble;
        double mean_torch = item(want, "mean")->valuedouble;
        double sum = 0, sum2 = 0, largest = 0;
        size_t n = 0;
        for (int seed = 1; seed <= SEEDS; seed++) {
            char json[512];
            snprintf(json, sizeof json, "{\"seed\":%d,%s", seed, config + 1);
            if (strcmp(config, "{}") == 0) snprintf(json, sizeof json, "{\"seed\":%d}", seed);
            int status;
            ae_model *m = ae_create(json, &status);
            CHECK(m, "create %s: %s", json, ae_last_error());
            if (!m) continue;
            size_t count = ae_param_count(m);
            float *p = malloc(count * sizeof(float));
            ae_get_params(m, p);
            ae_tensor t = {0};
            int found = 0;
            for (int i = 0; i < ae_tensor_count(m) && !found; i++) {
                ae_tensor_info(m, i, &t);
                found = strcmp(t.name, want->string) == 0;
            }
            CHECK(found, "%s: no tensor %s", config, want->string);
            if (found) {
                CHECK((double)t.count == item(want, "count_per_seed")->valuedouble, "%s %s: %zu values, torch %g",
                      config, want->string, t.count, item(want, "count_per_seed")->valuedouble);
                for (size_t k = 0; k < t.count; k++) {
                    double v = p[t.offset + k];
                    sum += v;
                    sum2 += v * v;
                    if (fabs(v) > largest) largest = fabs(v);
                }
                n += t.count;
            }
            free(p);
            ae_destroy(m);
        }
        if (!n) continue;
        tensor_count++;
        double mean = sum / n, var = sum2 / n - mean * mean;
        // Sampling error of a uniform's mean and variance over n draws: b^2/3n and (4/45) b^4/n.
        double mean_sd = bound / sqrt(3.0 * n), var_sd = bound * bound * sqrt(4.0 / 45.0 / n);
        CHECK(largest <= bound * (1 + 1e-6), "%s %s: |w| reaches %.9g above the bound %.9g", config, want->string,
              largest, bound);
        if (n >= 500) CHECK(largest >= 0.98 * bound, "%s %s: |w| only reaches %.6g of a bound %.6g: a smaller limit",
                            config, want->string, largest, bound);
        // The engine's and PyTorch's samples are independent: each within 5 of its standard errors.
        CHECK(fabs(mean - mean_torch) <= 5 * sqrt(2.0) * mean_sd, "%s %s: mean %.6g, torch %.6g (sd %.3g)", config,
              want->string, mean, mean_torch, mean_sd);
        CHECK(fabs(var - var_torch) <= 5 * sqrt(2.0) * var_sd, "%s %s: variance %.6g, torch %.6g (sd %.3g)", config,
              want->string, var, var_torch, var_sd);
        CHECK(fabs(var - bound * bound / 3) <= 5 * var_sd, "%s %s: variance %.6g, a uniform of bound %.6g has %.6g",
              config, want->string, var, bound, bound * bound / 3);
    }
    CHECK(tensor_count == 14, "%s: %d tensors compared", config, tensor_count);
    printf("init pytorch %s: %d tensors match PyTorch's bounds, means and variances\n", config, tensor_count);
    free(config);
}

static unsigned char *load(const char *name, idx_file *idx) {
    char path[1024];
    size_t len;
    unsigned char *bytes = test_read_file(test_path(path, sizeof path, name), &len);
    CHECK(bytes, "cannot read %s: fetch the data with node datasets/fetch.mjs", path);
    if (bytes) CHECK(idx_parse(idx, bytes, len, NULL, 0) == AE_OK, "%s: %s", path, ae_last_error());
    return bytes;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// The recorded PyTorch run: one epoch on the first train_images MNIST images (batch 64, Adam 1e-3,
// BCE, shuffled), validation BCE on the first test_images, median over the seeds.
static void check_training(const cJSON *reference) {
    int train_n = (int)item(reference, "train_images")->valuedouble, test_n = (int)item(reference, "test_images")->valuedouble;
    double torch = item(reference, "val_bce_median")->valuedouble;
    idx_file train, test;
    unsigned char *train_bytes = load("datasets/cache/mnist/train-images-idx3-ubyte", &train);
    unsigned char *test_bytes = load("datasets/cache/mnist/t10k-images-idx3-ubyte", &test);
    if (!train_bytes || !test_bytes) return;
    double values[2][8];
    const char *inits[2] = {"pytorch", "he"};
    int seeds = cJSON_GetArraySize(item(reference, "seeds"));
    for (int which = 0; which < 2; which++) {
        for (int s = 0; s < seeds && s < 8; s++) {
            char json[128];
            snprintf(json, sizeof json, "{\"seed\":%d,\"init\":\"%s\"}", (int)cJSON_GetArrayItem(item(reference, "seeds"), s)->valuedouble,
                     inits[which]);
            int status;
            ae_model *m = ae_create(json, &status);
            uint32_t *perm = malloc((size_t)train_n * sizeof(uint32_t));
            ae_shuffle(m, perm, train_n);
            for (int b = 0; b < train_n; b += ae_batch_size(m)) {
                float loss;
                int n = train_n - b < ae_batch_size(m) ? train_n - b : ae_batch_size(m);
                CHECK(ae_train_batch_u8(m, train.data, perm + b, n, &loss) == AE_OK, "%s: %s", json, ae_last_error());
            }
            ae_metrics val;
            ae_evaluate_u8(m, test.data, test_n, &val);
            values[which][s] = val.loss;
            free(perm);
            ae_destroy(m);
        }
        qsort(values[which], (size_t)seeds, sizeof(double), compare_double);
    }
    double ours = values[0][seeds / 2], old = values[1][seeds / 2];
    printf("one epoch on %d images, val BCE on %d, median of %d seeds: init pytorch %.4f, PyTorch %.4f (%+.1f %%); "
           "init he %.4f (%+.1f %%)\n", train_n, test_n, seeds, ours, torch, 100 * (ours / torch - 1), old,
           100 * (old / torch - 1));
    CHECK(fabs(ours / torch - 1) <= TRAINING_MARGIN, "init pytorch: val BCE %.4f is more than %.0f %% from PyTorch's %.4f",
          ours, 100 * TRAINING_MARGIN, torch);
    free(train_bytes);
    free(test_bytes);
}

// init "he" draws exactly what the engine drew before the field existed (so that old share links
// and model files rebuild the same model): the seed's PCG32 stream 1, layer by layer, each weight
// (2u - 1) * limit with He's limit sqrt(6 / fan_in) ahead of relu and Glorot's sqrt(6 / (fan_in +
// fan_out)) ahead of the linear enc and out layers, fan counted on the layer's own in and out
// channels (a transposed conv's weight is (3, 3, out, in)), and zero biases, drawing nothing.
static void check_he_is_the_old_rule(void) {
    int status;
    ae_model *m = ae_create("{\"init\":\"he\",\"seed\":7}", &status);
    CHECK(m, "create: %s", ae_last_error());
    if (!m) return;
    size_t count = ae_param_count(m);
    float *p = malloc(count * sizeof(float));
    ae_get_params(m, p);
    pcg32 rng;
    pcg32_seed(&rng, 7, 1);
    size_t mismatches = 0;
    for (int i = 0; i < ae_tensor_count(m); i += 2) {
        ae_tensor w, b;
        ae_tensor_info(m, i, &w);
        ae_tensor_info(m, i + 1, &b);
        int dense = w.rank == 2, transposed = strncmp(w.name, "convT", 5) == 0;
        double taps = dense ? 1 : 9;
        int in = dense ? w.shape[0] : transposed ? w.shape[3] : w.shape[2];
        int out = dense ? w.shape[1] : transposed ? w.shape[2] : w.shape[3];
        int linear = strcmp(w.name, "enc.weight") == 0 || strcmp(w.name, "out.weight") == 0;
        float limit = (float)(linear ? sqrt(6.0 / (taps * in + taps * out)) : sqrt(6.0 / (taps * in)));
        for (size_t k = 0; k < w.count; k++)
            mismatches += p[w.offset + k] != (2.0f * pcg32_float(&rng) - 1.0f) * limit;
        for (size_t k = 0; k < b.count; k++) mismatches += p[b.offset + k] != 0.0f;
    }
    CHECK(mismatches == 0, "init he: %zu of %zu parameters differ from the old rule", mismatches, count);
    ae_destroy(m);
    free(p);
}

int main(int argc, char **argv) {
    test_init(argc, argv);
    char path[1024];
    size_t len = 0;
    char *text = (char *)test_read_file(test_path(path, sizeof path, "tests/golden/init_reference.json"), &len);
    CHECK(text, "cannot read %s", path);
    cJSON *reference = text ? cJSON_Parse(text) : NULL;
    CHECK(reference, "%s is not JSON", path);
    if (reference) {
        for (const cJSON *c = item(reference, "init")->child; c; c = c->next) check_config(c);
        check_training(item(reference, "training"));
    }
    check_he_is_the_old_rule();
    cJSON_Delete(reference);
    free(text);
    return test_finish("test_init");
}
