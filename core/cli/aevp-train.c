// aevp-train — trains the AeVP autoencoder natively on MNIST or Fashion-MNIST from the data-set
// cache, printing per-epoch metrics. The one place besides tests where files are read.
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aevp.h"
#include "idx.h"

#ifndef AEVP_DATA_DIR
#define AEVP_DATA_DIR "datasets/cache"
#endif

static const char usage[] =
    "usage: aevp-train --data mnist|fashion [--config file.json] [--epochs N] [--limit N]\n"
    "                  [--out model.safetensors] [--json] [--data-dir DIR]\n"
    "  --data      the data set (fetch it first: node datasets/fetch.mjs)\n"
    "  --config    a config JSON file (defaults for any field it leaves out), e.g.\n"
    "              {\"variational\": true, \"beta\": 1} for a VAE\n"
    "  --epochs    overrides the config's epochs\n"
    "  --limit     train on the first N training images only\n"
    "  --out       write the trained parameters as a safetensors file\n"
    "  --json      one JSON object per epoch instead of the table\n"
    "  --data-dir  where the data-set cache is (default " AEVP_DATA_DIR ")\n";

static int bad_usage(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "aevp-train: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n\n%s", usage);
    va_end(ap);
    return 2;
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n == cap) {
            cap = cap ? 2 * cap : 1 << 20;
            unsigned char *grown = realloc(buf, cap + 1);
            if (!grown) { free(buf); fclose(f); return NULL; }
            buf = grown;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

typedef struct {
    unsigned char *bytes;
    idx_file idx;
} loaded_idx;

static int load_idx(loaded_idx *out, const char *dir, const char *set, const char *name, int rank) {
    char path[1024], err[256];
    size_t len;
    snprintf(path, sizeof path, "%s/%s/%s", dir, set, name);
    out->bytes = read_file(path, &len);
    if (!out->bytes) {
        fprintf(stderr, "aevp-train: cannot read %s (%s); fetch the data set with: node datasets/fetch.mjs %s\n",
                path, strerror(errno), set);
        return 1;
    }
    if (idx_parse(&out->idx, out->bytes, len, err, sizeof err) != 0) {
        fprintf(stderr, "aevp-train: %s: %s\n", path, err);
        return 1;
    }
    if (out->idx.rank != rank) {
        fprintf(stderr, "aevp-train: %s: expected a rank-%d IDX file, found rank %d\n", path, rank, out->idx.rank);
        return 1;
    }
    return 0;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int write_model(const char *path, ae_model *m, const char *data, int epochs, double val_loss) {
    char meta[256];
    uint8_t *bytes;
    size_t len;
    snprintf(meta, sizeof meta, "{\"dataset\":\"%s\",\"epochs_trained\":\"%d\",\"val_loss\":\"%.6f\","
             "\"trainer\":\"aevp-train\"}", data, epochs, val_loss);
    if (ae_save(m, meta, &bytes, &len) != AE_OK) return 1;
    FILE *f = fopen(path, "wb");
    int rc = !f || fwrite(bytes, 1, len, f) != len;
    if (f) rc |= fclose(f) != 0;
    ae_free(bytes);
    return rc;
}

int main(int argc, char **argv) {
    const char *data = NULL, *config_path = NULL, *out_path = NULL, *data_dir = AEVP_DATA_DIR;
    int epochs = 0, limit = 0, json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) { printf("%s", usage); return 0; }
        else if (!has_value && a[0] == '-') return bad_usage("%s needs a value", a);
        else if (!strcmp(a, "--data")) data = argv[++i];
        else if (!strcmp(a, "--config")) config_path = argv[++i];
        else if (!strcmp(a, "--out")) out_path = argv[++i];
        else if (!strcmp(a, "--data-dir")) data_dir = argv[++i];
        else if (!strcmp(a, "--epochs") || !strcmp(a, "--limit")) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 1000000) return bad_usage("%s must be a positive integer (got \"%s\")", a, argv[i]);
            *(strcmp(a, "--epochs") ? &limit : &epochs) = (int)v;
        } else return bad_usage("unknown argument \"%s\"", a);
    }
    if (!data) return bad_usage("--data is required");
    if (strcmp(data, "mnist") && strcmp(data, "fashion"))
        return bad_usage("--data must be mnist or fashion (got \"%s\")", data);

    char *config = NULL;
    if (config_path) {
        size_t len;
        config = (char *)read_file(config_path, &len);
        if (!config) { fprintf(stderr, "aevp-train: cannot read %s: %s\n", config_path, strerror(errno)); return 1; }
    }
    int status;
    ae_model *m = ae_create(config, &status);
    free(config);
    if (!m) { fprintf(stderr, "aevp-train: %s\n", ae_last_error()); return 2; }
    int h, w, c;
    ae_input_shape(m, &h, &w, &c);
    if (h != 28 || w != 28 || c != 1) {
        fprintf(stderr, "aevp-train: %s images are 28x28x1; the config says otherwise\n", data);
        return 2;
    }
    if (!epochs) epochs = ae_epochs(m);

    loaded_idx train, test;
    if (load_idx(&train, data_dir, data, "train-images-idx3-ubyte", 3) ||
        load_idx(&test, data_dir, data, "t10k-images-idx3-ubyte", 3))
        return 1;
    int n_train = (int)train.idx.dims[0], n_test = (int)test.idx.dims[0];
    if (limit && limit < n_train) n_train = limit;
    int batch = ae_batch_size(m);
    // A VAE's loss has two terms worth seeing apart: the reconstruction and the KL (nats/image).
    int variational = strstr(ae_config_json(m), "\"variational\":true") != NULL;
    const char *beta_text = strstr(ae_config_json(m), "\"beta\":");
    double beta = beta_text ? strtod(beta_text + 7, NULL) : 0.0;
    double val_loss = 0;
    uint32_t *perm = malloc((size_t)n_train * sizeof(uint32_t));
    int tty = !json && isatty(fileno(stderr));
    if (!json)
        printf("aevp-train: %s, %d training and %d test images, %zu parameters, %.2f MFLOP/sample\n"
               "config: %s\n%5s %11s %9s %9s %7s %10s%s\n", data, n_train, n_test, ae_param_count(m),
               ae_flops_per_sample(m) / 1e6, ae_config_json(m), "epoch", "train_loss", "val_loss",
               "psnr_dB", "ssim", "samples/s",
               variational ? "  train_recon train_kl  val_recon   val_kl" : "");

    for (int epoch = 1; epoch <= epochs; epoch++) {
        ae_shuffle(m, perm, n_train);
        double loss_sum = 0, recon_sum = 0, kl_sum = 0, start = now_seconds(), last_draw = 0;
        int batches = 0;
        for (int b = 0; b < n_train; b += batch) {
            int n = n_train - b < batch ? n_train - b : batch;
            float loss;
            if (ae_train_batch_u8(m, train.idx.data, perm + b, n, &loss) != AE_OK) {
                fprintf(stderr, "\naevp-train: %s\n", ae_last_error());
                return 1;
            }
            loss_sum += loss;
            double recon, kl;
            ae_last_terms(m, &recon, &kl);
            recon_sum += recon;
            kl_sum += kl;
            batches++;
            double t = now_seconds();
            if (tty && t - last_draw > 0.1) {
                int width = 30, done = (int)((double)(b + n) / n_train * width);
                fprintf(stderr, "\r  epoch %d [%.*s%*s] %d/%d loss %.4f %.0f samples/s ", epoch, done,
                        "==============================", width - done, "", b + n, n_train, loss,
                        (b + n) / (t - start));
                last_draw = t;
            }
        }
        double seconds = now_seconds() - start;
        if (tty) fprintf(stderr, "\r%*s\r", 90, "");
        ae_metrics val;
        ae_evaluate_u8(m, test.idx.data, n_test, &val);
        double rate = n_train / seconds;
        val_loss = val.loss;
        // The validation loss is recon + beta * kl / pixels; its reconstruction term alone:
        double val_recon = val.loss - beta * val.kl / (h * w * c);
        if (json) {
            printf("{\"epoch\":%d,\"train_loss\":%.6f,\"val_loss\":%.6f,\"val_mse\":%.6f,\"val_psnr\":%.4f,"
                   "\"val_ssim\":%.5f,\"samples_per_s\":%.1f",
                   epoch, loss_sum / batches, val.loss, val.mse, val.psnr, val.ssim, rate);
            if (variational)
                printf(",\"train_recon\":%.6f,\"train_kl\":%.5f,\"val_recon\":%.6f,\"val_kl\":%.5f",
                       recon_sum / batches, kl_sum / batches, val_recon, val.kl);
            printf("}\n");
        } else {
            printf("%5d %11.5f %9.5f %9.3f %7.4f %10.0f", epoch, loss_sum / batches, val.loss,
                   val.psnr, val.ssim, rate);
            if (variational)
                printf("  %11.5f %8.3f %10.5f %8.3f", recon_sum / batches, kl_sum / batches, val_recon,
                       val.kl);
            printf("\n");
        }
        fflush(stdout);
    }
    if (out_path) {
        if (write_model(out_path, m, data, epochs, val_loss)) {
            fprintf(stderr, "aevp-train: cannot write %s: %s\n", out_path, strerror(errno));
            return 1;
        }
        if (!json) printf("wrote %s\n", out_path);
    }
    free(perm);
    free(train.bytes);
    free(test.bytes);
    ae_destroy(m);
    return 0;
}
