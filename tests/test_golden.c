// test_golden.c — the whole model against PyTorch: every stage of the forward pass, the loss, the
// gradients and one or two optimizer steps, on the committed cases written by
// tests/golden/make_golden.py, for any architecture (tensors and stages walked by name).
// Not a test of single ops (their own tests do that with finite differences) nor of training runs.
#include <stdint.h>

#include "aevp.h"
#include "model/model.h" // the config's seed, for the VAE's noise
#include "ops/ops.h"
#include "testutil.h"

// Together these cover every activation, both losses, all three optimizers, 1 and 3 channels,
// non-square inputs and a latent grid of 1, and two VAEs (their noise, both loss terms and two
// steps), then the architectures: 3 max-pool stages with nearest upsampling at odd sizes, 5x5
// residual blocks, and a VAE with attention in the encoder and the decoder; make_golden.py prints
// what each one is. tests/golden/cases.txt names each case's tensors and stages.
static const char *const CASES[] = {"relu_bce_adam", "tanh_mse_sgd", "elu_bce_rmsprop",
                                    "leaky_relu_mse_adam", "vae_elu_bce_adam",
                                    "vae_tanh_mse_rmsprop", "maxpool_nearest_elu_bce_adam",
                                    "residual_k5_relu_mse_sgd", "vae_attention_tanh_bce_sgd"};
enum { CASE_COUNT = sizeof CASES / sizeof CASES[0], RECORD_CAP = 64 };

// Tolerances, |got - want| <= atol + rtol * |want|. make_golden.py measures how far float32
// PyTorch itself is from a float64 run: at most ~0.4 of this for every record, so an engine whose
// float32 rounding is as good differs from the reference by well under the tolerance.
#define ATOL 1e-6
#define RTOL 1e-5
// Gradients: a gradient element is a sum over every position of every image of products that are
// much larger than the sum (they cancel), so its rounding error is relative to the largest
// gradients, not to itself: atol is 1e-5 of the record's largest |gradient|, and rtol is 1e-4 for
// a different summation order. A fixed atol of 1e-6 would exceed the median gradient of the MSE
// cases (~3e-5) and test little; this one is tighter than that for every case.
#define GRAD_ATOL_OF_MAX 1e-5
#define GRAD_RTOL 1e-4
// The step itself (params_after - params): with SGD it is lr * gradient, ~1e-5, which the params
// tolerance (1e-5 of |param|) would barely see. Storing p - step in float32 rounds by up to half
// an ulp of p, on both sides: atol 2 ulps of 1 (2.4e-7) times max(1, |p|), plus rtol 1e-4 for the
// gradient's own error.
#define STEP_ULPS_ATOL 2.4e-7
#define STEP_RTOL 1e-4

#include "golden_records.h"

static char *manifest_text; // tests/golden/cases.txt

// What an index of a compared buffer means, for the mismatch message.
typedef struct {
    const ae_model *model; // non-NULL: the buffer is in the flat parameter layout
    int h, w, c;           // otherwise, if h > 0: n images (h, w, c) NHWC
} layout;

static void describe_index(const layout *lay, size_t index, char *buf, size_t cap) {
    if (lay->model) {
        int count = ae_tensor_count(lay->model);
        for (int t = 0; t < count; t++) {
            ae_tensor info;
            if (ae_tensor_info(lay->model, t, &info) != AE_OK) break;
            if (index >= info.offset && index < info.offset + info.count) {
                snprintf(buf, cap, "%s[%zu]", info.name, index - info.offset);
                return;
            }
        }
        snprintf(buf, cap, "param %zu", index);
    } else if (lay->h > 0) {
        size_t pixel = index / (size_t)lay->c;
        size_t per_image = (size_t)lay->h * lay->w;
        snprintf(buf, cap, "image %zu y %zu x %zu ch %zu", pixel / per_image,
                 pixel % per_image / (size_t)lay->w, pixel % (size_t)lay->w,
                 index % (size_t)lay->c);
    } else {
        snprintf(buf, cap, "%zu", index);
    }
}

// Compares got with want element by element against atol + rtol * |want|, where atol is scaled
// by max(1, |scale[i]|) when scale is given. Prints the worst error of the record and the first
// mismatch; returns the number of mismatches.
static size_t compare(const char *case_name, const char *what, const double *got,
                      const double *want, const double *scale, size_t count, double atol,
                      double rtol, const layout *lay) {
    size_t mismatches = 0, first = 0, worst_index = 0;
    double worst_abs = 0.0, worst_ratio = 0.0;
    for (size_t i = 0; i < count; i++) {
        double err = fabs(got[i] - want[i]);
        double tol = atol * (scale ? fmax(1.0, fabs(scale[i])) : 1.0) + rtol * fabs(want[i]);
        double ratio = err / tol;
        if (!(ratio <= 1.0)) { // also catches NaN
            if (mismatches++ == 0) first = i;
        }
        if (err > worst_abs || isnan(err)) worst_abs = err;
        if (ratio > worst_ratio || isnan(ratio)) { worst_ratio = ratio; worst_index = i; }
    }
    char where[96];
    describe_index(lay, worst_index, where, sizeof where);
    printf("  %s %-13s %6zu values: max |err| %.3g, worst %.3g of tolerance at %s\n", case_name,
           what, count, worst_abs, worst_ratio, where);
    if (mismatches) {
        describe_index(lay, first, where, sizeof where);
        CHECK(0, "%s %s: %zu of %zu values differ; first at index %zu (%s): got %.9g, want %.9g",
              case_name, what, mismatches, count, first, where, got[first], want[first]);
    }
    return mismatches;
}

static double *to_double(const float *x, size_t count) {
    double *out = malloc((count ? count : 1) * sizeof *out);
    if (out)
        for (size_t i = 0; i < count; i++) out[i] = x[i];
    return out;
}

static size_t compare_floats(const char *case_name, const char *what, const float *got,
                             const float *want, size_t count, double atol, double rtol,
                             const layout *lay) {
    double *g = to_double(got, count), *w = to_double(want, count);
    size_t bad = 1;
    CHECK(g && w, "malloc");
    if (g && w) bad = compare(case_name, what, g, w, NULL, count, atol, rtol, lay);
    free(g);
    free(w);
    return bad;
}

// The parameter layout is what the golden file assumes: names, order, offsets and shapes.
static int check_tensors(const char *name, const ae_model *m, const record *shapes,
                         const manifest_case *want) {
    int ok = 1;
    int count = ae_tensor_count(m);
    const int want_count_all = want->tensor_count;
    CHECK(count == want_count_all, "%s: %d tensors, want %d", name, count, want_count_all);
    CHECK(shapes->count == 4u * (uint32_t)want_count_all, "%s: %u shape values for %d tensors",
          name, shapes->count, want_count_all);
    if (count != want_count_all || shapes->count != 4u * (uint32_t)want_count_all) return 0;
    size_t offset = 0;
    for (int t = 0; t < count; t++) {
        const char *want_name = want->tensors[t];
        ae_tensor info;
        if (ae_tensor_info(m, t, &info) != AE_OK) {
            CHECK(0, "%s: ae_tensor_info(%d): %s", name, t, ae_last_error());
            return 0;
        }
        int want_rank = 0;
        size_t want_count = 1;
        for (int d = 0; d < 4 && shapes->values[4 * t + d] > 0; d++) {
            want_rank++;
            want_count *= (size_t)shapes->values[4 * t + d];
        }
        int same_shape = info.rank == want_rank;
        for (int d = 0; d < want_rank && same_shape; d++)
            same_shape = info.shape[d] == (int)shapes->values[4 * t + d];
        CHECK(info.name && strcmp(info.name, want_name) == 0, "%s: tensor %d is %s, want %s",
              name, t, info.name ? info.name : "(null)", want_name);
        CHECK(same_shape, "%s: %s has rank %d shape (%d,%d,%d,%d), want (%g,%g,%g,%g)", name,
              want_name, info.rank, info.shape[0], info.shape[1], info.shape[2],
              info.shape[3], shapes->values[4 * t], shapes->values[4 * t + 1],
              shapes->values[4 * t + 2], shapes->values[4 * t + 3]);
        CHECK(info.offset == offset && info.count == want_count,
              "%s: %s at offset %zu count %zu, want offset %zu count %zu", name, want_name,
              info.offset, info.count, offset, want_count);
        ok = ok && info.name && strcmp(info.name, want_name) == 0 && same_shape &&
             info.offset == offset && info.count == want_count;
        offset += want_count;
    }
    return ok;
}

static void check_stages(const char *name, ae_model *m, const record *recs, int nrec,
                         const float *input, int n, const manifest_case *want_case) {
    size_t trace_size = ae_trace_size(m);
    int input_size = ae_input_size(m);
    int stage_count = ae_stage_count(m);
    CHECK(stage_count == want_case->stage_count, "%s: %d stages, want %d", name, stage_count,
          want_case->stage_count);
    if (stage_count != want_case->stage_count) return;
    float *trace = malloc(trace_size * sizeof *trace);
    CHECK(trace != NULL, "malloc");
    if (!trace) return;
    for (int s = 0; s < stage_count; s++) {
        ae_stage info;
        const manifest_stage *ref = &want_case->stages[s];
        if (ae_stage_info(m, s, &info) != AE_OK) {
            CHECK(0, "%s: ae_stage_info(%d): %s", name, s, ae_last_error());
            continue;
        }
        char key[96];
        snprintf(key, sizeof key, "stage.%s", ref->name);
        CHECK(info.kind && strcmp(info.kind, ref->kind) == 0, "%s: stage %s is of kind %s, want %s",
              name, ref->name, info.kind ? info.kind : "(null)", ref->kind);
        CHECK(info.h == ref->h && info.w == ref->w && info.c == ref->c,
              "%s: stage %s is %dx%dx%d, want %dx%dx%d", name, ref->name, info.h, info.w, info.c,
              ref->h, ref->w, ref->c);
        const record *want = find_record(recs, nrec, key);
        size_t size = (size_t)info.h * info.w * info.c;
        CHECK(info.name && strcmp(info.name, ref->name) == 0, "%s: stage %d is %s, want %s",
              name, s, info.name ? info.name : "(null)", ref->name);
        CHECK(want && want->count == size * (size_t)n,
              "%s: stage %s is %dx%dx%d, the reference has %u values for %d images", name,
              ref->name, info.h, info.w, info.c, want ? want->count : 0, n);
        CHECK(info.offset + size <= trace_size, "%s: stage %s runs past the trace buffer", name,
              ref->name);
        if (!want || want->count != size * (size_t)n || info.offset + size > trace_size) continue;
        float *got = malloc(want->count * sizeof *got);
        CHECK(got != NULL, "malloc");
        if (!got) continue;
        int traced = 1;
        for (int i = 0; i < n && traced; i++) {
            int rc = ae_trace(m, input + (size_t)i * input_size, trace);
            CHECK(rc == AE_OK, "%s: ae_trace image %d: %d %s", name, i, rc, ae_last_error());
            traced = rc == AE_OK;
            if (traced) memcpy(got + (size_t)i * size, trace + info.offset, size * sizeof *got);
        }
        layout lay = {NULL, info.h, info.w, info.c};
        if (traced) compare_floats(name, key, got, want->values, want->count, ATOL, RTOL, &lay);
        free(got);
    }
    free(trace);
}

// A VAE case: the engine's noise for the step is the reference's, and the terms of the loss just
// computed are the reference's recon and KL. suffix: "" for step 1, "_2" for step 2.
static void check_vae_step(const char *name, ae_model *m, const record *recs, int nrec, int n,
                           int step, const char *suffix) {
    char key[32];
    const layout scalar = {NULL, 0, 0, 0};
    snprintf(key, sizeof key, "eps%s", suffix);
    const record *eps = find_record(recs, nrec, key);
    int dim = ae_latent_dim(m);
    CHECK(eps && eps->count == (uint32_t)(n * dim), "%s: no record %s of %d values", name, key, n * dim);
    if (eps && eps->count == (uint32_t)(n * dim)) {
        float *noise = malloc(eps->count * sizeof *noise);
        for (int r = 0; r < n; r++) vae_noise(noise + (size_t)r * dim, dim, m->cfg.seed, (uint32_t)step, (uint32_t)r);
        compare_floats(name, key, noise, eps->values, eps->count, ATOL, RTOL, &scalar);
        free(noise);
    }
    double recon, kl;
    ae_last_terms(m, &recon, &kl);
    const char *terms[2] = {"recon", "kl"};
    for (int t = 0; t < 2; t++) {
        snprintf(key, sizeof key, "%s%s", terms[t], suffix);
        const record *want = find_record(recs, nrec, key);
        CHECK(want && want->count == 1, "%s: no record %s", name, key);
        float got = (float)(t == 0 ? recon : kl);
        if (want && want->count == 1) compare_floats(name, key, &got, want->values, 1, ATOL, RTOL, &scalar);
    }
}

static void run_case(const char *name) {
    char rel[256], path[4096];
    snprintf(rel, sizeof rel, "tests/golden/%s.json", name);
    char *json = (char *)test_read_file(test_path(path, sizeof path, rel), NULL);
    CHECK(json != NULL, "cannot read %s (golden files are committed; see make_golden.py)", path);
    snprintf(rel, sizeof rel, "tests/golden/%s.bin", name);
    size_t len = 0;
    unsigned char *bytes = test_read_file(test_path(path, sizeof path, rel), &len);
    CHECK(bytes != NULL, "cannot read %s (golden files are committed; see make_golden.py)", path);
    record recs[RECORD_CAP];
    int nrec = bytes ? parse_records(bytes, len, recs, RECORD_CAP) : -1;
    free(bytes);
    CHECK(!bytes || nrec > 0, "%s is malformed", path);
    static manifest_case want_case;
    int listed = manifest_text && parse_manifest(manifest_text, name, &want_case);
    CHECK(listed, "%s: not in tests/golden/cases.txt, or a line of it is malformed", name);
    if (!json || nrec <= 0 || !listed) { free(json); return; }

    static const char *const needed[] = {"params", "input", "loss", "grads", "params_after",
                                         "tensor_shapes"};
    const record *rec[6];
    int have_all = 1;
    for (int i = 0; i < 6; i++) {
        rec[i] = find_record(recs, nrec, needed[i]);
        CHECK(rec[i] != NULL, "%s: no record %s", name, needed[i]);
        have_all = have_all && rec[i];
    }
    int status = -1;
    ae_model *m = have_all ? ae_create(json, &status) : NULL;
    CHECK(!have_all || m != NULL, "%s: ae_create: %d %s", name, status, ae_last_error());
    if (m) {
        const record *params = rec[0], *input = rec[1], *loss = rec[2], *grads = rec[3],
                     *after = rec[4], *shapes = rec[5];
        size_t pcount = ae_param_count(m);
        int isize = ae_input_size(m);
        int n = isize > 0 ? (int)(input->count / (uint32_t)isize) : 0;
        CHECK(pcount == params->count && grads->count == pcount && after->count == pcount,
              "%s: %zu parameters, the reference has %u", name, pcount, params->count);
        CHECK(n > 0 && (size_t)n * isize == input->count,
              "%s: %u input floats are not whole images of %d", name, input->count, isize);
        CHECK(ae_batch_size(m) == n, "%s: batch size %d, want %d", name, ae_batch_size(m), n);
        CHECK(loss->count == 1, "%s: loss record has %u values", name, loss->count);
        int sizes_ok = pcount == params->count && grads->count == pcount &&
                       after->count == pcount && n > 0 && (size_t)n * isize == input->count &&
                       loss->count == 1;
        int layout_ok = sizes_ok && check_tensors(name, m, shapes, &want_case);
        int rc = layout_ok ? ae_set_params(m, params->values, pcount) : AE_ERR_ARG;
        CHECK(!layout_ok || rc == AE_OK, "%s: ae_set_params: %d %s", name, rc, ae_last_error());
        float *buf = layout_ok ? malloc(pcount * sizeof *buf) : NULL;
        if (layout_ok && rc == AE_OK && buf) {
            printf("%s:\n", name);
            layout flat = {m, 0, 0, 0};
            rc = ae_get_params(m, buf);
            CHECK(rc == AE_OK && memcmp(buf, params->values, pcount * sizeof *buf) == 0,
                  "%s: ae_get_params does not return what ae_set_params set", name);

            check_stages(name, m, recs, nrec, input->values, n, &want_case);

            float got_loss = NAN;
            rc = ae_gradients(m, input->values, n, &got_loss, buf);
            CHECK(rc == AE_OK, "%s: ae_gradients: %d %s", name, rc, ae_last_error());
            if (rc == AE_OK) {
                layout scalar = {NULL, 0, 0, 0};
                compare_floats(name, "loss", &got_loss, loss->values, 1, ATOL, RTOL, &scalar);
                double max_grad = 0.0;
                for (size_t i = 0; i < pcount; i++)
                    max_grad = fmax(max_grad, fabs(grads->values[i]));
                compare_floats(name, "grads", buf, grads->values, pcount,
                               GRAD_ATOL_OF_MAX * max_grad, GRAD_RTOL, &flat);
            }
            const int variational = find_record(recs, nrec, "eps") != NULL;
            if (variational) check_vae_step(name, m, recs, nrec, n, 0, "");

            float train_loss = NAN;
            rc = ae_train_batch(m, input->values, n, &train_loss);
            CHECK(rc == AE_OK, "%s: ae_train_batch: %d %s", name, rc, ae_last_error());
            CHECK(ae_steps(m) == 1, "%s: %d steps after one ae_train_batch", name, ae_steps(m));
            if (rc == AE_OK && ae_get_params(m, buf) == AE_OK) {
                layout scalar = {NULL, 0, 0, 0};
                compare_floats(name, "train loss", &train_loss, loss->values, 1, ATOL, RTOL,
                               &scalar);
                compare_floats(name, "params_after", buf, after->values, pcount, ATOL, RTOL,
                               &flat);
                double *step = malloc(pcount * sizeof *step);
                double *want_step = malloc(pcount * sizeof *want_step);
                double *before = to_double(params->values, pcount);
                CHECK(step && want_step && before, "malloc");
                if (step && want_step && before) {
                    for (size_t i = 0; i < pcount; i++) {
                        step[i] = (double)buf[i] - before[i];
                        want_step[i] = (double)after->values[i] - before[i];
                    }
                    compare(name, "step", step, want_step, before, pcount, STEP_ULPS_ATOL,
                            STEP_RTOL, &flat);
                }
                free(step);
                free(want_step);
                free(before);
            }
            // A second step where the reference made one (every VAE and the architecture cases):
            // a VAE's draws the noise of step 1 (ae_steps is now 1).
            const record *loss2 = find_record(recs, nrec, "loss_2");
            const record *after2 = find_record(recs, nrec, "params_after_2");
            CHECK(!variational || (loss2 && after2 && after2->count == pcount),
                  "%s: no records loss_2 and params_after_2", name);
            CHECK(!after2 || after2->count == pcount, "%s: params_after_2 has %u values", name,
                  after2 ? after2->count : 0);
            if (loss2 && after2 && after2->count == pcount) {
                layout scalar = {NULL, 0, 0, 0};
                rc = ae_train_batch(m, input->values, n, &train_loss);
                CHECK(rc == AE_OK, "%s: second ae_train_batch: %d %s", name, rc, ae_last_error());
                if (rc == AE_OK && ae_get_params(m, buf) == AE_OK) {
                    compare_floats(name, "loss_2", &train_loss, loss2->values, 1, ATOL, RTOL, &scalar);
                    if (variational) check_vae_step(name, m, recs, nrec, n, 1, "_2");
                    compare_floats(name, "params_after_2", buf, after2->values, pcount, ATOL, RTOL, &flat);
                }
            }
        }
        free(buf);
        ae_destroy(m);
    }
    for (int i = 0; i < nrec; i++) free(recs[i].values);
    free(json);
}

int main(int argc, char **argv) {
    test_init(argc, argv);
    char path[4096];
    manifest_text = (char *)test_read_file(test_path(path, sizeof path, "tests/golden/cases.txt"), NULL);
    CHECK(manifest_text != NULL, "cannot read %s (written by make_golden.py)", path);
    for (int c = 0; c < CASE_COUNT; c++) run_case(CASES[c]);
    free(manifest_text);
    return test_finish("test_golden");
}
