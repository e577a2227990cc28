// aevp-train — trains the AeVP autoencoder natively on MNIST or Fashion-MNIST from the data-set
// cache, printing per-epoch metrics. The one place besides tests where files are read.
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aevp.h"
#include "io/idx.h"

#ifndef AEVP_DATA_DIR
#define AEVP_DATA_DIR "datasets/cache"
#endif

static const char usage[] =
    "usage: aevp-train --data mnist|fashion [--config file.json|JSON] [--epochs N] [--limit N]\n"
    "                  [--init model.safetensors | --resume model.safetensors]\n"
    "                  [--out model.safetensors [--checkpoint]] [--json] [--data-dir DIR]\n"
    "  --data        the data set (fetch it first: node datasets/fetch.mjs)\n"
    "  --config      a config JSON file, or JSON text starting with '{' (defaults for any field it\n"
    "                leaves out), e.g. {\"variational\": true, \"beta\": 1} for a VAE; with --init or\n"
    "                --resume, the fields it names replace the model file's\n"
    "  --epochs      overrides the config's epochs (with --resume: the epochs still to run)\n"
    "  --limit       train on the first N training images only\n"
    "  --init        start from a model file's weights (and its config), with a fresh optimizer\n"
    "  --resume      continue a run from a checkpoint (--out with --checkpoint): the weights, the\n"
    "                optimizer's moments and its step count, so the run goes on as if unbroken\n"
    "  --out         write the trained model as a safetensors file (checked before training)\n"
    "  --checkpoint  write --out with the optimizer's state, for --resume\n"
    "  --json        one JSON object per epoch instead of the table\n"
    "  --data-dir    where the data-set cache is (default " AEVP_DATA_DIR ")\n";

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

// An output path that cannot be written is found before a long run, not after it: the file must
// be writable if it exists, or its folder must exist and be writable.
static int check_writable(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return bad_usage("--out %s is a folder: name a file in it", path);
        if (access(path, W_OK) != 0) return bad_usage("--out %s cannot be written: %s", path, strerror(errno));
        return 0;
    }
    char folder[1024];
    snprintf(folder, sizeof folder, "%s", path);
    char *slash = strrchr(folder, '/');
    if (!slash) snprintf(folder, sizeof folder, ".");
    else if (slash == folder) folder[1] = 0;
    else *slash = 0;
    if (stat(folder, &st) != 0 || !S_ISDIR(st.st_mode))
        return bad_usage("--out %s: the folder %s does not exist; create it first", path, folder);
    if (access(folder, W_OK | X_OK) != 0)
        return bad_usage("--out %s: the folder %s cannot be written: %s", path, folder, strerror(errno));
    return 0;
}

// --config's text: inline JSON, or a file's contents. An empty file is refused rather than taken
// as the defaults: it is far more often a failed write than a wish for the defaults.
static char *config_text(const char *arg) {
    const char *p = arg;
    while (*p == ' ' || *p == '\t' || *p == '\n') p++;
    if (*p == '{') {
        size_t n = strlen(arg) + 1;
        char *copy = malloc(n);
        if (copy) memcpy(copy, arg, n);
        return copy;
    }
    size_t len;
    char *text = (char *)read_file(arg, &len);
    if (!text) {
        fprintf(stderr, "aevp-train: cannot read %s: %s\n", arg, strerror(errno));
        return NULL;
    }
    for (p = text; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'; p++) {}
    if (!*p) {
        fprintf(stderr, "aevp-train: %s is empty; write {} in it for the defaults\n", arg);
        free(text);
        return NULL;
    }
    return text;
}

// The model to train: a new one from the config, or one read from --init / --resume with the
// config's fields on top. *epochs_done is what the file says it was trained for (0 if new).
static ae_model *make_model(const char *config, const char *from, int resume, int *epochs_done) {
    int status;
    *epochs_done = 0;
    if (!from) {
        ae_model *m = ae_create(config, &status);
        if (!m) fprintf(stderr, "aevp-train: %s\n", ae_last_error());
        return m;
    }
    size_t len;
    unsigned char *bytes = read_file(from, &len);
    if (!bytes) {
        fprintf(stderr, "aevp-train: cannot read %s: %s\n", from, strerror(errno));
        return NULL;
    }
    ae_model *m = ae_load_with(bytes, len, config, &status);
    char *meta = NULL;
    if (m && ae_load_metadata(bytes, len, &meta) == AE_OK) {
        const char *done = strstr(meta, "\"epochs_trained\":\"");
        if (done) *epochs_done = atoi(done + 18);
    }
    int has_state = meta && strstr(meta, "\"optimizer_steps\"");
    ae_free(meta);
    free(bytes);
    if (!m) {
        fprintf(stderr, "aevp-train: %s: %s\n", from, ae_last_error());
        return NULL;
    }
    if (resume && !has_state) {
        fprintf(stderr, "aevp-train: %s holds no optimizer state: write it with --out %s --checkpoint, or start "
                        "from its weights with --init\n", from, from);
        ae_destroy(m);
        return NULL;
    }
    if (!resume) {
        // --init: the file's weights with a fresh optimizer, as ae_set_params gives.
        size_t n = ae_param_count(m);
        float *params = malloc(n * sizeof(float));
        int ok = params && ae_get_params(m, params) == AE_OK && ae_set_params(m, params, n) == AE_OK;
        free(params);
        if (!ok) { ae_destroy(m); return NULL; }
        *epochs_done = 0;
    }
    return m;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int write_model(const char *path, ae_model *m, const char *data, int epochs, double val_loss,
                       int checkpoint) {
    char meta[256];
    uint8_t *bytes;
    size_t len;
    snprintf(meta, sizeof meta, "{\"dataset\":\"%s\",\"epochs_trained\":\"%d\",\"val_loss\":\"%.6f\","
             "\"trainer\":\"aevp-train\"}", data, epochs, val_loss);
    if ((checkpoint ? ae_save_checkpoint : ae_save)(m, meta, &bytes, &len) != AE_OK) return 1;
    FILE *f = fopen(path, "wb");
    int rc = !f || fwrite(bytes, 1, len, f) != len;
    if (f) rc |= fclose(f) != 0;
    ae_free(bytes);
    return rc;
}

// Trains the epochs, printing each; on divergence the engine has put the model back to its last
// sane state, which is written to --out (as a checkpoint) so that the run can be resumed gently.
typedef struct {
    const char *data, *out_path;
    int epochs, epochs_done, json, checkpoint, n_train, n_test;
    const uint8_t *train, *test;
} run_plan;

static void print_epoch(const run_plan *r, ae_model *m, int epoch, double train_loss, double recon, double kl,
                        const ae_metrics *val, const ae_metrics *baseline, double rate, int variational) {
    double val_recon = val->recon; // the validation loss's reconstruction term alone
    int collapsed = val->loss > baseline->loss;
    if (r->json) {
        printf("{\"epoch\":%d,\"train_loss\":%.6f,\"val_loss\":%.6f,\"val_mse\":%.6f,\"val_psnr\":%.4f,"
               "\"val_ssim\":%.5f,\"samples_per_s\":%.1f,\"lr\":%.6g,\"baseline_loss\":%.6f,\"collapsed\":%s",
               epoch, train_loss, val->loss, val->mse, val->psnr, val->ssim, rate, ae_learning_rate(m),
               baseline->loss, collapsed ? "true" : "false");
        if (variational)
            printf(",\"train_recon\":%.6f,\"train_kl\":%.5f,\"val_recon\":%.6f,\"val_kl\":%.5f", recon, kl,
                   val_recon, val->kl);
        printf("}\n");
    } else {
        printf("%5d %11.5f %9.5f %9.3f %7.4f %10.0f", epoch, train_loss, val->loss, val->psnr, val->ssim, rate);
        if (variational) printf("  %11.5f %8.3f %10.5f %8.3f", recon, kl, val_recon, val->kl);
        printf("\n");
    }
    if (collapsed)
        fprintf(stderr, "aevp-train: epoch %d: the validation loss %.5f is worse than predicting the mean image "
                        "(%.5f): the model ignores its input so far. Early in a short run that passes; if it "
                        "stays, the run has collapsed: lower the learning rate\n", epoch, val->loss, baseline->loss);
    fflush(stdout);
}

static int train(const run_plan *r, ae_model *m) {
    int batch = ae_batch_size(m), variational = strstr(ae_config_json(m), "\"variational\":true") != NULL;
    uint32_t *perm = malloc((size_t)r->n_train * sizeof(uint32_t));
    int tty = !r->json && isatty(fileno(stderr)), rc = 0;
    ae_metrics baseline;
    if (!perm || ae_mean_image_u8(m, r->train, r->n_train, r->test, r->n_test, &baseline) != AE_OK ||
        ae_plan_run(m, (r->n_train + batch - 1) / batch) != AE_OK) {
        fprintf(stderr, "aevp-train: %s\n", perm ? ae_last_error() : "out of memory");
        free(perm);
        return 1;
    }
    double val_loss = 0;
    int epoch = r->epochs_done + 1, last = r->epochs_done + r->epochs;
    for (; epoch <= last && rc == 0; epoch++) {
        ae_shuffle(m, perm, r->n_train);
        double loss_sum = 0, recon_sum = 0, kl_sum = 0, start = now_seconds(), last_draw = 0;
        int batches = 0;
        for (int b = 0; b < r->n_train; b += batch) {
            int n = r->n_train - b < batch ? r->n_train - b : batch;
            float loss;
            if (ae_train_batch_u8(m, r->train, perm + b, n, &loss) != AE_OK) {
                fprintf(stderr, "\naevp-train: %s\n", ae_last_error());
                rc = 1;
                break;
            }
            loss_sum += loss;
            double recon, kl;
            ae_last_terms(m, &recon, &kl);
            recon_sum += recon;
            kl_sum += kl;
            batches++;
            double t = now_seconds();
            if (tty && t - last_draw > 0.1) {
                int width = 30, done = (int)((double)(b + n) / r->n_train * width);
                fprintf(stderr, "\r  epoch %d [%.*s%*s] %d/%d loss %.4f %.0f samples/s ", epoch, done,
                        "==============================", width - done, "", b + n, r->n_train, loss,
                        (b + n) / (t - start));
                last_draw = t;
            }
        }
        if (rc) break;
        double seconds = now_seconds() - start;
        if (tty) fprintf(stderr, "\r%*s\r", 90, "");
        ae_metrics val;
        ae_evaluate_u8(m, r->test, r->n_test, &val);
        val_loss = val.loss;
        print_epoch(r, m, epoch, loss_sum / batches, recon_sum / batches, kl_sum / batches, &val, &baseline,
                    r->n_train / seconds, variational);
    }
    free(perm);
    int trained = epoch - 1; // whole epochs: a diverged one is run again on resume
    if (r->out_path) {
        if (write_model(r->out_path, m, r->data, trained, val_loss, r->checkpoint || rc != 0)) {
            fprintf(stderr, "aevp-train: cannot write %s: %s\n", r->out_path, strerror(errno));
            return 1;
        }
        if (rc)
            fprintf(stderr, "aevp-train: wrote the last sane model to %s; continue it with --resume %s and a "
                            "lower learning rate, e.g. --config '{\"learning_rate\": %g}'\n",
                    r->out_path, r->out_path, ae_learning_rate(m) / 10);
        else if (!r->json)
            printf("wrote %s\n", r->out_path);
    }
    return rc;
}

int main(int argc, char **argv) {
    const char *config_arg = NULL, *data_dir = AEVP_DATA_DIR, *init_path = NULL, *resume_path = NULL;
    run_plan r = {0};
    int limit = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--json")) r.json = 1;
        else if (!strcmp(a, "--checkpoint")) r.checkpoint = 1;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) { printf("%s", usage); return 0; }
        else if (!has_value && a[0] == '-') return bad_usage("%s needs a value", a);
        else if (!strcmp(a, "--data")) r.data = argv[++i];
        else if (!strcmp(a, "--config")) config_arg = argv[++i];
        else if (!strcmp(a, "--out")) r.out_path = argv[++i];
        else if (!strcmp(a, "--init")) init_path = argv[++i];
        else if (!strcmp(a, "--resume")) resume_path = argv[++i];
        else if (!strcmp(a, "--data-dir")) data_dir = argv[++i];
        else if (!strcmp(a, "--epochs") || !strcmp(a, "--limit")) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 1000000) return bad_usage("%s must be a positive integer (got \"%s\")", a, argv[i]);
            *(strcmp(a, "--epochs") ? &limit : &r.epochs) = (int)v;
        } else return bad_usage("unknown argument \"%s\"", a);
    }
    if (!r.data) return bad_usage("--data is required");
    if (strcmp(r.data, "mnist") && strcmp(r.data, "fashion"))
        return bad_usage("--data must be mnist or fashion (got \"%s\")", r.data);
    if (init_path && resume_path) return bad_usage("--init and --resume exclude each other");
    if (r.checkpoint && !r.out_path) return bad_usage("--checkpoint needs --out");
    if (r.out_path && check_writable(r.out_path)) return 2;

    char *config = NULL;
    if (config_arg && !(config = config_text(config_arg))) return 2;
    ae_model *m = make_model(config, init_path ? init_path : resume_path, resume_path != NULL, &r.epochs_done);
    free(config);
    if (!m) return 2;
    int h, w, c;
    ae_input_shape(m, &h, &w, &c);
    if (h != 28 || w != 28 || c != 1) {
        fprintf(stderr, "aevp-train: %s images are 28x28x1; the config says otherwise\n", r.data);
        ae_destroy(m);
        return 2;
    }
    if (!r.epochs) r.epochs = ae_epochs(m) - r.epochs_done;
    if (r.epochs < 1) {
        fprintf(stderr, "aevp-train: %s was trained for %d of its %d epochs already: give --epochs for more\n",
                resume_path, r.epochs_done, ae_epochs(m));
        ae_destroy(m);
        return 2;
    }

    loaded_idx train_set, test_set;
    if (load_idx(&train_set, data_dir, r.data, "train-images-idx3-ubyte", 3) ||
        load_idx(&test_set, data_dir, r.data, "t10k-images-idx3-ubyte", 3))
        return 1;
    r.train = train_set.idx.data;
    r.test = test_set.idx.data;
    r.n_train = (int)train_set.idx.dims[0];
    r.n_test = (int)test_set.idx.dims[0];
    if (limit && limit < r.n_train) r.n_train = limit;
    if (!r.json)
        printf("aevp-train: %s, %d training and %d test images, %zu parameters, %.2f MFLOP/sample\n"
               "config: %s\n%5s %11s %9s %9s %7s %10s%s\n", r.data, r.n_train, r.n_test, ae_param_count(m),
               ae_flops_per_sample(m) / 1e6, ae_config_json(m), "epoch", "train_loss", "val_loss",
               "psnr_dB", "ssim", "samples/s",
               strstr(ae_config_json(m), "\"variational\":true") ? "  train_recon train_kl  val_recon   val_kl" : "");
    int rc = train(&r, m);
    free(train_set.bytes);
    free(test_set.bytes);
    ae_destroy(m);
    return rc;
}
