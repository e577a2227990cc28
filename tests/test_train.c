// test_train.c — training on real MNIST: 4,096 training images for 2 epochs must clearly lower
// the validation loss on 2,000 test images, below what any input-blind model can reach.
//
// The bound: the best constant output is the per-pixel mean of the training images; its BCE on
// the test images (0.255, computed below) is what a model that ignores its input reaches at
// best, and the first thing an autoencoder learns. An untrained model sits near 0.69. The
// trained model must beat the mean image by at least 10%: only a model that uses its 9-number
// code can. Batch size 16 gives 512 steps, enough to leave the mean-image plateau (seen: 0.193).
#include "aevp.h"
#include "io/idx.h"
#include "testutil.h"

#define TRAIN_IMAGES 4096
#define TEST_IMAGES 2000

static unsigned char *load(const char *name, idx_file *idx) {
    char path[1024], err[256];
    size_t len;
    test_path(path, sizeof path, name);
    unsigned char *bytes = test_read_file(path, &len);
    CHECK(bytes, "cannot read %s: fetch the data with `node datasets/fetch.mjs mnist` (npm test does)", path);
    if (!bytes) return NULL;
    int rc = idx_parse(idx, bytes, len, err, sizeof err);
    CHECK(rc == 0, "%s: %s", path, err);
    return rc == 0 ? bytes : NULL;
}

static double mean_image_bce(const uint8_t *train, const uint8_t *test, int size) {
    double *mean = calloc(size, sizeof(double)), sum = 0;
    for (int i = 0; i < TRAIN_IMAGES; i++)
        for (int k = 0; k < size; k++) mean[k] += train[(size_t)i * size + k] / 255.0 / TRAIN_IMAGES;
    for (int i = 0; i < TEST_IMAGES; i++)
        for (int k = 0; k < size; k++) {
            double p = fmin(fmax(mean[k], 1e-7), 1 - 1e-7), t = test[(size_t)i * size + k] / 255.0;
            sum -= t * log(p) + (1 - t) * log(1 - p);
        }
    free(mean);
    return sum / ((double)TEST_IMAGES * size);
}

// A VAE (beta 1) for the same 2 epochs: its validation loss recon + KL/P must fall clearly, the
// KL must stay well above 0 (the posterior is used, not collapsed onto the prior), and a second
// model with the same seed must see the same training losses (the noise is seeded).
static void train_vae(const uint8_t *train, const uint8_t *test, double baseline) {
    const char *json = "{\"seed\":3,\"batch_size\":16,\"variational\":true}";
    int status;
    ae_model *m = ae_create(json, &status), *twin = ae_create(json, &status);
    CHECK(m && twin, "create: %s", ae_last_error());
    if (!m || !twin) return;
    int size = ae_input_size(m), batch = ae_batch_size(m);
    ae_metrics before, after;
    ae_evaluate_u8(m, test, TEST_IMAGES, &before);
    uint32_t perm[TRAIN_IMAGES];
    double first_terms = 0, last_terms = 0;
    int same = 1, twin_steps = 50;
    for (int epoch = 1; epoch <= 2; epoch++) {
        ae_shuffle(m, perm, TRAIN_IMAGES);
        for (int b = 0; b < TRAIN_IMAGES; b += batch) {
            float loss, twin_loss;
            int rc = ae_train_batch_u8(m, train, perm + b, batch, &loss);
            CHECK(rc == AE_OK, "VAE epoch %d batch %d: %s", epoch, b / batch, ae_last_error());
            double recon, kl;
            ae_last_terms(m, &recon, &kl);
            if (epoch == 1 && b == 0) first_terms = recon + kl / size;
            last_terms = recon + kl / size;
            if (ae_steps(twin) < twin_steps) {
                ae_train_batch_u8(twin, train, perm + b, batch, &twin_loss);
                same = same && twin_loss == loss;
            }
        }
    }
    ae_evaluate_u8(m, test, TEST_IMAGES, &after);
    printf("VAE validation: loss %.4f -> %.4f, KL %.3f -> %.3f nats/image, BCE at mu %.4f (PSNR %.2f dB, "
           "SSIM %.3f); training batch recon + KL/P %.4f -> %.4f\n", before.loss, after.loss, before.kl,
           after.kl, after.loss - after.kl / size, after.psnr, after.ssim, first_terms, last_terms);
    CHECK(after.loss < 0.5 * before.loss, "VAE validation loss %.4f is not under half the untrained %.4f",
          after.loss, before.loss);
    CHECK(last_terms < 0.5 * first_terms, "VAE training recon + KL/P %.4f -> %.4f", first_terms, last_terms);
    CHECK(fabs(after.recon - (after.loss - after.kl / size)) < 1e-9, "VAE recon %.9g is not loss - KL/P %.9g",
          after.recon, after.loss - after.kl / size);
    CHECK(after.loss - after.kl / size < 0.9 * baseline, "VAE BCE at mu %.4f does not beat 90%% of the "
          "mean image's %.4f", after.loss - after.kl / size, baseline);
    CHECK(after.kl > 1.0, "VAE KL %.4f nats per image: the posterior collapsed", after.kl);
    CHECK(same, "two VAEs with the same seed saw different losses in the first %d steps", twin_steps);
    ae_destroy(m);
    ae_destroy(twin);
}

// A trained model resumed with a learning rate of 10 diverges within a few steps; the rollback
// must give back the trained model itself, not the blown-up weights of the step before: its test
// loss after the rollback equals the loss before resuming, bit for bit.
static void resume_with_huge_rate(ae_model *trained, const uint8_t *train, const uint8_t *test, double loss_before) {
    uint8_t *file = NULL;
    size_t len = 0;
    CHECK(ae_save_checkpoint(trained, NULL, &file, &len) == AE_OK, "checkpoint: %s", ae_last_error());
    int status;
    ae_model *m = ae_load_with(file, len, "{\"learning_rate\": 10}", &status);
    CHECK(m, "resume with lr 10: %s", ae_last_error());
    ae_free(file);
    if (!m) return;
    uint32_t perm[TRAIN_IMAGES];
    ae_shuffle(m, perm, TRAIN_IMAGES);
    int rc = AE_OK, steps = 0, batch = ae_batch_size(m);
    for (; steps < 50 && rc == AE_OK; steps++) {
        float loss;
        rc = ae_train_batch_u8(m, train, perm + (size_t)steps * batch, batch, &loss);
    }
    CHECK(rc == AE_ERR_DIVERGED, "lr 10 did not diverge in 50 steps (rc %d)", rc);
    ae_metrics after;
    ae_evaluate_u8(m, test, TEST_IMAGES, &after);
    printf("resumed with lr 10: diverged at step %d (%s); test BCE before %.6f, after the rollback %.6f\n", steps,
           ae_last_error(), loss_before, after.loss);
    CHECK(after.loss == loss_before, "after the rollback the test BCE is %.9g, before resuming %.9g", after.loss,
          loss_before);
    ae_destroy(m);
}

// A run can collapse without diverging: Adam at 0.1 stays finite yet ends worse than the mean
// image, which is what the trainer and the page flag. The baseline is checked against this file's.
static void collapse_is_worse_than_the_mean(const uint8_t *train, const uint8_t *test, double baseline) {
    int status;
    ae_model *m = ae_create("{\"seed\":3,\"learning_rate\":0.1}", &status);
    CHECK(m, "create: %s", ae_last_error());
    if (!m) return;
    ae_metrics mean, after;
    CHECK(ae_mean_image_u8(m, train, TRAIN_IMAGES, test, TEST_IMAGES, &mean) == AE_OK, "mean image: %s", ae_last_error());
    CHECK(fabs(mean.loss - baseline) < 1e-6 * baseline, "ae_mean_image_u8 says %.9g, this test computes %.9g", mean.loss, baseline);
    uint32_t perm[TRAIN_IMAGES];
    int batch = ae_batch_size(m), rc = AE_OK;
    ae_shuffle(m, perm, TRAIN_IMAGES);
    for (int b = 0; b + batch <= TRAIN_IMAGES && rc == AE_OK; b += batch) {
        float loss;
        rc = ae_train_batch_u8(m, train, perm + b, batch, &loss);
    }
    ae_evaluate_u8(m, test, TEST_IMAGES, &after);
    printf("Adam at 0.1, one epoch: rc %d, test BCE %.4f against the mean image's %.4f\n", rc, after.loss, mean.loss);
    CHECK(rc == AE_OK && after.loss > mean.loss, "Adam at 0.1 did not collapse as expected (rc %d, %.4f vs %.4f)", rc,
          after.loss, mean.loss);
    ae_destroy(m);
}

int main(int argc, char **argv) {
    test_init(argc, argv);
    idx_file train, test;
    unsigned char *train_bytes = load("datasets/cache/mnist/train-images-idx3-ubyte", &train);
    unsigned char *test_bytes = load("datasets/cache/mnist/t10k-images-idx3-ubyte", &test);
    if (!train_bytes || !test_bytes) return test_finish("test_train");

    int status;
    ae_model *m = ae_create("{\"seed\":3,\"batch_size\":16}", &status);
    CHECK(m, "create: %s", ae_last_error());
    if (!m) return test_finish("test_train");
    int size = ae_input_size(m), batch = ae_batch_size(m);
    double baseline = mean_image_bce(train.data, test.data, size);
    ae_metrics before, after;
    ae_evaluate_u8(m, test.data, TEST_IMAGES, &before);
    uint32_t perm[TRAIN_IMAGES];
    for (int epoch = 1; epoch <= 2; epoch++) {
        ae_shuffle(m, perm, TRAIN_IMAGES);
        for (int b = 0; b < TRAIN_IMAGES; b += batch) {
            float loss;
            int rc = ae_train_batch_u8(m, train.data, perm + b, batch, &loss);
            CHECK(rc == AE_OK, "epoch %d batch %d: %s", epoch, b / batch, ae_last_error());
        }
    }
    ae_evaluate_u8(m, test.data, TEST_IMAGES, &after);
    printf("validation BCE: untrained %.4f, mean-image baseline %.4f, after 2 epochs %.4f "
           "(PSNR %.2f dB, SSIM %.3f)\n", before.loss, baseline, after.loss, after.psnr, after.ssim);
    CHECK(after.loss < 0.9 * baseline, "validation BCE %.4f does not beat 90%% of the mean image's %.4f",
          after.loss, baseline);
    CHECK(after.loss < 0.5 * before.loss, "validation BCE %.4f is not under half the untrained %.4f",
          after.loss, before.loss);
    CHECK(after.ssim > before.ssim, "SSIM did not improve: %.3f -> %.3f", before.ssim, after.ssim);
    CHECK(after.recon == after.loss, "a plain autoencoder's recon %.9g is not its loss %.9g", after.recon, after.loss);
    resume_with_huge_rate(m, train.data, test.data, after.loss);
    collapse_is_worse_than_the_mean(train.data, test.data, baseline);
    ae_destroy(m);
    train_vae(train.data, test.data, baseline);
    free(train_bytes);
    free(test_bytes);
    return test_finish("test_train");
}
