// test_arch.c — the configurable architecture through the public API: the stage and tensor lists
// each choice gives, sizes at every depth, trace agreeing with encode/decode, attention weights,
// size refusals before allocation, and training, rollback and data parallelism on deep models.
// Not the gradients (test_gradcheck.c) nor PyTorch's numbers (test_golden.c).
#include "aevp.h"
#include "base/rng.h"
#include "testutil.h"

static ae_model *create(const char *json) {
    int status = -1;
    ae_model *m = ae_create(json, &status);
    CHECK(m && status == AE_OK, "create %s: status %d: %s", json, status, ae_last_error());
    return m;
}

static float *random_images(int n, int size, uint32_t seed) {
    pcg32 rng;
    pcg32_seed(&rng, seed, 11);
    float *x = malloc((size_t)n * size * sizeof(float));
    for (int i = 0; i < n * size; i++) x[i] = pcg32_float(&rng);
    return x;
}

// The stages as "name:kind:hxwxc" joined by spaces.
static void stage_list(const ae_model *m, char *out, size_t cap) {
    size_t used = 0;
    out[0] = '\0';
    for (int s = 0; s < ae_stage_count(m) && used < cap; s++) {
        ae_stage st;
        ae_stage_info(m, s, &st);
        used += (size_t)snprintf(out + used, cap - used, "%s%s:%s:%dx%dx%d", s ? " " : "", st.name, st.kind, st.h, st.w,
                                 st.c);
    }
}

static void tensor_list(const ae_model *m, char *out, size_t cap) {
    size_t used = 0;
    out[0] = '\0';
    for (int t = 0; t < ae_tensor_count(m) && used < cap; t++) {
        ae_tensor info;
        ae_tensor_info(m, t, &info);
        used += (size_t)snprintf(out + used, cap - used, "%s%s", t ? " " : "", info.name);
        for (int d = 0; d < info.rank && used < cap; d++)
            used += (size_t)snprintf(out + used, cap - used, "%c%d", d ? 'x' : ':', info.shape[d]);
    }
}

static void expect_lists(const char *json, const char *stages, const char *tensors, size_t params) {
    ae_model *m = create(json);
    if (!m) return;
    char got[4096];
    stage_list(m, got, sizeof got);
    CHECK(strcmp(got, stages) == 0, "%s stages:\n  got  %s\n  want %s", json, got, stages);
    if (tensors) {
        tensor_list(m, got, sizeof got);
        CHECK(strcmp(got, tensors) == 0, "%s tensors:\n  got  %s\n  want %s", json, got, tensors);
    }
    // The tensors tile the parameters in order, with no gap.
    size_t next = 0;
    for (int t = 0; t < ae_tensor_count(m); t++) {
        ae_tensor info;
        ae_tensor_info(m, t, &info);
        CHECK(info.offset == next, "%s: tensor %s at %zu, want %zu", json, info.name, info.offset, next);
        next += info.count;
    }
    CHECK(next == ae_param_count(m), "%s: tensors hold %zu of %zu parameters", json, next, ae_param_count(m));
    if (params) CHECK(ae_param_count(m) == params, "%s: %zu parameters, want %zu", json, ae_param_count(m), params);
    ae_destroy(m);
}

static void test_lists(void) {
    // Today's model: the seven stages and fourteen tensors of before.
    expect_lists("{}",
                 "conv1:conv:14x14x16 conv2:conv:7x7x8 latent:latent:3x3x1 dense:dense:7x7x8 convT1:up:14x14x8 "
                 "convT2:up:28x28x16 output:output:28x28x1",
                 "conv1.weight:3x3x1x16 conv1.bias:16 conv2.weight:3x3x16x8 conv2.bias:8 enc.weight:392x9 enc.bias:9 "
                 "dec.weight:9x392 dec.bias:392 convT1.weight:3x3x8x8 convT1.bias:8 convT2.weight:3x3x16x8 "
                 "convT2.bias:16 out.weight:3x3x16x1 out.bias:1",
                 0);
    // Three max-pool stages on 28: 28 -> 14 -> 7 -> 4, and nearest back 4 -> 7 -> 14 -> 28.
    expect_lists("{\"filters\":[8,16,32],\"downsample\":\"maxpool\",\"upsample\":\"nearest\",\"latent_grid\":2}",
                 "conv1:conv:14x14x8 conv2:conv:7x7x16 conv3:conv:4x4x32 latent:latent:2x2x1 dense:dense:4x4x32 "
                 "up1:up:7x7x32 up2:up:14x14x16 up3:up:28x28x8 output:output:28x28x1",
                 "conv1.weight:3x3x1x8 conv1.bias:8 conv2.weight:3x3x8x16 conv2.bias:16 conv3.weight:3x3x16x32 "
                 "conv3.bias:32 enc.weight:512x4 enc.bias:4 dec.weight:4x512 dec.bias:512 up1.weight:3x3x32x32 "
                 "up1.bias:32 up2.weight:3x3x32x16 up2.bias:16 up3.weight:3x3x16x8 up3.bias:8 out.weight:3x3x8x1 "
                 "out.bias:1",
                 0);
    // One residual block per stage, 5x5 kernels, attention on both sides at 7x7.
    expect_lists("{\"filters\":[4,6],\"res_blocks\":1,\"kernel_size\":5,\"attention\":\"both\",\"latent_grid\":2}",
                 "conv1:conv:14x14x4 enc1.res1:residual:14x14x4 conv2:conv:7x7x6 enc2.res1:residual:7x7x6 "
                 "attn_enc:attention:7x7x6 attn_enc.weights:attention_weights:7x7x49 latent:latent:2x2x1 "
                 "dense:dense:7x7x6 attn_dec:attention:7x7x6 attn_dec.weights:attention_weights:7x7x49 "
                 "dec1.res1:residual:7x7x6 convT1:up:14x14x6 dec2.res1:residual:14x14x6 convT2:up:28x28x4 "
                 "output:output:28x28x1",
                 NULL,
                 // convs: 1->4, 4->4 x2, 4->6, 6->6 x2 (enc); 6->6 x2, 6->6 (convT1), 6->6 x2, 6->4, 4->1
                 (25 * 1 * 4 + 4) + 2 * (25 * 4 * 4 + 4) + (25 * 4 * 6 + 6) + 2 * (25 * 6 * 6 + 6) +
                     2 * 4 * (6 * 6 + 6) + (294 * 4 + 4) + (4 * 294 + 294) + 2 * (25 * 6 * 6 + 6) + (25 * 6 * 6 + 6) +
                     2 * (25 * 6 * 6 + 6) + (25 * 4 * 6 + 4) + (25 * 4 * 1 + 1));
    // One stage at an odd size: 9 x 7 -> 5 x 4 and back.
    expect_lists("{\"filters\":[3],\"input\":{\"h\":9,\"w\":7,\"c\":2},\"latent_grid\":1}",
                 "conv1:conv:5x4x3 latent:latent:1x1x1 dense:dense:5x4x3 convT1:up:9x7x3 output:output:9x7x2", NULL, 0);
}

// Every depth at the smallest size it allows and at a few others, both resamplings: trace agrees
// with encode and decode, and the output has the input's shape.
static void test_sizes(void) {
    const int sides[] = {4, 5, 7, 16, 28, 33};
    int built = 0;
    for (int depth = 1; depth <= 4; depth++)
        for (int s = 0; s < 6; s++)
            for (int resample = 0; resample < 2; resample++) {
                int h = sides[s], w = sides[(s + 2) % 6];
                if (h < (1 << depth) || w < (1 << depth)) continue;
                char json[320];
                snprintf(json, sizeof json,
                         "{\"filters\":[3,4,5,6],\"input\":{\"h\":%d,\"w\":%d,\"c\":1},\"batch_size\":2,%s"
                         "\"attention\":\"both\",\"res_blocks\":1}",
                         h, w, resample ? "\"downsample\":\"maxpool\",\"upsample\":\"nearest\"," : "");
                // Cut the filter list to the depth.
                char *list = strstr(json, "[3,4,5,6]");
                const char *cuts[] = {"[3]      ", "[3,4]    ", "[3,4,5]  ", "[3,4,5,6]"};
                memcpy(list, cuts[depth - 1], 9);
                ae_model *m = create(json);
                if (!m) continue;
                int size = ae_input_size(m), dim = ae_latent_dim(m);
                float *image = random_images(1, size, 3), *trace = malloc(ae_trace_size(m) * sizeof(float));
                float *latent = malloc(dim * sizeof(float)), *decoded = malloc(size * sizeof(float));
                CHECK(ae_trace(m, image, trace) == AE_OK && ae_encode(m, image, 1, latent) == AE_OK &&
                          ae_decode(m, latent, 1, decoded) == AE_OK,
                      "%s: %s", json, ae_last_error());
                ae_stage lat, out;
                ae_stage_info(m, ae_latent_stage(m), &lat);
                ae_stage_info(m, ae_stage_count(m) - 1, &out);
                CHECK(out.h == h && out.w == w && out.c == 1, "%s: output %dx%dx%d", json, out.h, out.w, out.c);
                CHECK(memcmp(trace + lat.offset, latent, dim * sizeof(float)) == 0, "%s: trace latent != encode", json);
                CHECK(memcmp(trace + out.offset, decoded, size * sizeof(float)) == 0, "%s: trace output != decode", json);
                free(image); free(trace); free(latent); free(decoded);
                ae_destroy(m);
                built++;
            }
    printf("sizes: %d models of depth 1..4 at sides 4..33 traced, encoded and decoded\n", built);
}

// The attention weights of the trace: one distribution over the keys per query, laid out as
// (key position, query) so that channel q is query q's map.
static void test_attention_weights(void) {
    ae_model *m = create("{\"filters\":[4,4],\"attention\":\"encoder\",\"input\":{\"h\":12,\"w\":8,\"c\":1}}");
    if (!m) return;
    float *image = random_images(1, ae_input_size(m), 5), *trace = malloc(ae_trace_size(m) * sizeof(float));
    ae_trace(m, image, trace);
    int found = 0;
    for (int s = 0; s < ae_stage_count(m); s++) {
        ae_stage st;
        ae_stage_info(m, s, &st);
        if (strcmp(st.kind, "attention_weights") != 0) continue;
        found++;
        CHECK(st.h == 3 && st.w == 2 && st.c == 6, "weights shape %dx%dx%d", st.h, st.w, st.c);
        for (int q = 0; q < st.c; q++) {
            double sum = 0;
            for (int key = 0; key < st.h * st.w; key++) {
                float a = trace[st.offset + (size_t)key * st.c + q];
                CHECK(a >= 0 && a <= 1, "weight %g", a);
                sum += a;
            }
            CHECK(fabs(sum - 1) < 1e-5, "query %d: weights sum to %.7f", q, sum);
        }
    }
    CHECK(found == 1, "%d attention weight stages, want 1", found);
    free(image);
    free(trace);
    ae_destroy(m);
}

// Too large an architecture is refused before anything is allocated, with the size it would need.
static void test_refusals(void) {
    int status = -1;
    ae_model *m = ae_create("{\"filters\":[128],\"attention\":\"both\",\"input\":{\"h\":256,\"w\":256,\"c\":3}}",
                            &status);
    CHECK(!m && status == AE_ERR_NOMEM, "attention over 128x128 positions accepted (status %d)", status);
    CHECK(strstr(ae_last_error(), "MB") && strstr(ae_last_error(), "with attention"), "message: %s", ae_last_error());
    m = ae_create("{\"filters\":[128,128,128,128],\"res_blocks\":3,\"kernel_size\":5,\"batch_size\":512,"
                  "\"input\":{\"h\":256,\"w\":256,\"c\":4}}",
                  &status);
    CHECK(!m && status == AE_ERR_NOMEM, "a deep model of many GB accepted (status %d)", status);
    CHECK(strstr(ae_last_error(), "filters [128, 128, 128, 128]") != NULL, "message: %s", ae_last_error());
    m = ae_create("{\"filters\":[8,8,8,8],\"input\":{\"h\":12,\"w\":28}}", &status);
    CHECK(!m && status == AE_ERR_CONFIG, "12 pixels through 4 stages accepted (status %d)", status);
    CHECK(!strcmp(ae_last_error(), "config: input.h must be at least 16 for 4 encoder stages, as each stage halves it (got 12)"),
          "message: %s", ae_last_error());
}

// A deep model learns a fixed batch, rolls back a divergence to weights that still work, and two
// replicas sharing its batches stay identical and end where one model does.
static void test_training(const char *json) {
    ae_model *m = create(json), *a = create(json), *b = create(json);
    if (!m || !a || !b) return;
    int size = ae_input_size(m);
    size_t p = ae_param_count(m);
    uint8_t *images = malloc((size_t)16 * size);
    for (int i = 0; i < 16; i++)
        for (int k = 0; k < size; k++) images[(size_t)i * size + k] = (uint8_t)(((k % 7) * 40 + i * 9) % 256);
    uint32_t idx[16];
    for (int i = 0; i < 16; i++) idx[i] = (uint32_t)i;
    float first = 0, loss = 0, la, lb;
    for (int step = 0; step < 120; step++) {
        CHECK(ae_train_batch_u8(m, images, idx, 16, &loss) == AE_OK, "%s step %d: %s", json, step, ae_last_error());
        if (step == 0) first = loss;
        if (step < 10) { // data parallel: 7 + 9 images
            CHECK(ae_gradients_u8(a, images, idx, 7, 0, &la) == AE_OK && ae_gradients_u8(b, images, idx + 7, 9, 7, &lb) == AE_OK,
                  "%s: %s", json, ae_last_error());
            float *ga = ae_gradient_buffer(a), *gb = ae_gradient_buffer(b);
            for (size_t k = 0; k < p; k++) ga[k] = gb[k] = (7 * ga[k] + 9 * gb[k]) / 16.0f;
            float shared = (7 * la + 9 * lb) / 16.0f;
            CHECK(ae_apply_gradients(a, shared) == AE_OK && ae_apply_gradients(b, shared) == AE_OK, "apply: %s", ae_last_error());
        }
    }
    CHECK(loss < 0.6f * first, "%s: 120 steps on one batch: loss %g -> %g", json, first, loss);
    float *wa = malloc(p * sizeof(float)), *wb = malloc(p * sizeof(float));
    ae_get_params(a, wa);
    ae_get_params(b, wb);
    CHECK(memcmp(wa, wb, p * sizeof(float)) == 0, "%s: the replicas differ", json);

    // Learning rate 10 through a checkpoint, under BCE (an MSE after the sigmoid is at most 1, so it
    // cannot rise a thousandfold): the divergence puts back weights as good as the trained ones.
    uint8_t *file;
    size_t len;
    CHECK(ae_save_checkpoint(m, NULL, &file, &len) == AE_OK, "checkpoint: %s", ae_last_error());
    int status;
    ae_model *hot = ae_load_with(file, len, "{\"learning_rate\":10,\"loss\":\"bce\"}", &status);
    CHECK(hot, "load_with: %s", ae_last_error());
    if (hot) {
        ae_metrics trained, mm;
        ae_evaluate_u8(hot, images, 16, &trained);
        int rc = AE_OK, steps = 0;
        float l;
        while (rc == AE_OK && steps < 50) {
            rc = ae_train_batch_u8(hot, images, idx, 16, &l);
            steps++;
        }
        CHECK(rc == AE_ERR_DIVERGED, "%s: lr 10 did not diverge in 50 steps", json);
        CHECK(ae_evaluate_u8(hot, images, 16, &mm) == AE_OK && isfinite(mm.loss) && mm.loss <= 1.05 * trained.loss,
              "%s: after the rollback at step %d the loss is %g (trained %g)", json, steps, mm.loss, trained.loss);
        ae_destroy(hot);
    }
    ae_free(file);
    printf("%s: loss %.4f -> %.4f in 120 steps; replicas identical; divergence rolled back\n", json, first, loss);
    free(images); free(wa); free(wb);
    ae_destroy(m); ae_destroy(a); ae_destroy(b);
}

int main(int argc, char **argv) {
    test_init(argc, argv);
    test_lists();
    test_sizes();
    test_attention_weights();
    test_refusals();
    test_training("{\"filters\":[8,8,8],\"res_blocks\":1,\"attention\":\"both\",\"batch_size\":16,\"learning_rate\":0.01,"
                  "\"loss\":\"mse\",\"input\":{\"h\":16,\"w\":16,\"c\":1}}");
    test_training("{\"filters\":[6,8],\"downsample\":\"maxpool\",\"upsample\":\"nearest\",\"kernel_size\":5,\"variational\":true,"
                  "\"batch_size\":16,\"learning_rate\":0.01,\"beta\":0.1,\"loss\":\"mse\",\"input\":{\"h\":12,\"w\":12,\"c\":2}}");
    return test_finish("test_arch");
}
