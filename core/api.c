// api.c — the public C API over the model (aevp.h): argument checks and status codes, and the
// splitting of large requests into batches. The maths is in model/ and below; model files are
// model_file.c's, the projections and metrics api_analysis.c's.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aevp.h"
#include "analysis/metrics.h"
#include "base/error.h"
#include "model/model.h"
#include "ops/ops.h"

const char *ae_last_error(void) { return error_message(); }

const char *ae_config_schema(void) {
    const char *schema = config_schema_json();
    if (!schema) ae_fail(AE_ERR_NOMEM, "out of memory writing the config schema");
    return schema;
}

#define REQUIRE(cond, ...)                                    \
    do {                                                      \
        if (!(cond)) return ae_fail(AE_ERR_ARG, __VA_ARGS__); \
    } while (0)

ae_model *ae_create(const char *config_json, int *status) {
    int rc;
    ae_config cfg;
    ae_model *m = NULL;
    config_defaults(&cfg);
    rc = config_parse(&cfg, config_json, NULL, 0);
    if (rc == AE_OK) {
        m = calloc(1, sizeof *m);
        if (!m) rc = ae_fail(AE_ERR_NOMEM, "out of memory creating the model");
    }
    if (rc == AE_OK) rc = model_init(m, &cfg);
    if (rc == AE_OK) {
        m->config_json = config_to_json(&m->cfg);
        if (!m->config_json) rc = ae_fail(AE_ERR_NOMEM, "out of memory writing the config");
    }
    if (status) *status = rc;
    if (rc != AE_OK && m) {
        model_free(m);
        free(m);
        m = NULL;
    }
    return m;
}

void ae_destroy(ae_model *m) {
    if (!m) return;
    model_free(m);
    free(m);
}

const char *ae_config_json(const ae_model *m) { return m ? m->config_json : NULL; }
int ae_input_size(const ae_model *m) { return model_input_size(m); }
int ae_latent_dim(const ae_model *m) { return m->cfg.latent_grid * m->cfg.latent_grid; }
int ae_batch_size(const ae_model *m) { return m->batch; }
int ae_epochs(const ae_model *m) { return m->cfg.epochs; }
void ae_input_shape(const ae_model *m, int *h, int *w, int *c) {
    *h = m->cfg.input_h;
    *w = m->cfg.input_w;
    *c = m->cfg.input_c;
}
size_t ae_param_count(const ae_model *m) { return m->param_count; }
double ae_flops_per_sample(const ae_model *m) { return model_flops_per_sample(m); }
int ae_steps(const ae_model *m) { return m->steps; }

int ae_plan_run(ae_model *m, int steps_per_epoch) {
    REQUIRE(m, "no model");
    REQUIRE(steps_per_epoch >= 1, "steps_per_epoch must be at least 1 (got %d)", steps_per_epoch);
    m->run_steps = (long)steps_per_epoch * m->cfg.epochs;
    return AE_OK;
}

int ae_begin_run(ae_model *m) {
    REQUIRE(m, "no model");
    m->run_start = m->steps;
    return AE_OK;
}

double ae_learning_rate(const ae_model *m) { return m ? model_learning_rate(m) : 0.0; }

// The images are already in the input slot.
static int train_loaded(ae_model *m, int n, float *loss) {
    double value = model_loss_and_grads(m, n, 0);
    if (loss) *loss = (float)value;
    return model_apply_step(m, value);
}

#define CHECK_BATCH(m, n)                                                                     \
    REQUIRE(m, "no model");                                                                   \
    REQUIRE((n) >= 1 && (n) <= (m)->batch, "batch of %d images: must be 1..%d (batch_size)", \
            (n), (m)->batch)

int ae_train_batch(ae_model *m, const float *images, int n, float *loss) {
    CHECK_BATCH(m, n);
    REQUIRE(images, "no images");
    memcpy(model_input(m), images, (size_t)n * model_input_size(m) * sizeof(float));
    return train_loaded(m, n, loss);
}

static void load_u8(float *dst, const uint8_t *images, const uint32_t *idx, int n, int size) {
    for (int i = 0; i < n; i++) {
        const uint8_t *src = images + (size_t)(idx ? idx[i] : (uint32_t)i) * size;
        for (int k = 0; k < size; k++) dst[(size_t)i * size + k] = src[k] * (1.0f / 255.0f);
    }
}

int ae_train_batch_u8(ae_model *m, const uint8_t *images, const uint32_t *idx, int n, float *loss) {
    CHECK_BATCH(m, n);
    REQUIRE(images && idx, "no images");
    load_u8(model_input(m), images, idx, n, model_input_size(m));
    return train_loaded(m, n, loss);
}

int ae_gradients(ae_model *m, const float *images, int n, float *loss, float *grads) {
    CHECK_BATCH(m, n);
    REQUIRE(images && grads, "no images or gradient buffer");
    memcpy(model_input(m), images, (size_t)n * model_input_size(m) * sizeof(float));
    double value = model_loss_and_grads(m, n, 0);
    memcpy(grads, m->grads, m->param_count * sizeof(float));
    if (loss) *loss = (float)value;
    return AE_OK;
}

int ae_gradients_u8(ae_model *m, const uint8_t *images, const uint32_t *idx, int n, int first,
                    float *loss) {
    CHECK_BATCH(m, n);
    REQUIRE(images && idx && loss, "no images, indices or loss");
    REQUIRE(first >= 0 && first <= m->batch - n,
            "first must be 0..%d for a share of %d images of a batch of at most %d (got %d)",
            m->batch - n, n, m->batch, first);
    load_u8(model_input(m), images, idx, n, model_input_size(m));
    *loss = (float)model_loss_and_grads(m, n, first);
    return AE_OK;
}

void ae_last_terms(const ae_model *m, double *recon, double *kl) {
    if (recon) *recon = m ? m->last_recon : 0.0;
    if (kl) *kl = m ? m->last_kl : 0.0;
}

float *ae_gradient_buffer(ae_model *m) { return m ? m->grads : NULL; }

int ae_apply_gradients(ae_model *m, float loss) {
    REQUIRE(m, "no model");
    return model_apply_step(m, loss);
}

void ae_shuffle(ae_model *m, uint32_t *perm, int n) {
    for (int i = 0; i < n; i++) perm[i] = (uint32_t)i;
    for (int i = n - 1; i > 0; i--) {
        uint32_t j = pcg32_below(&m->shuffle_rng, (uint32_t)i + 1);
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

// Large requests run in batches of at most batch_size images through the activation arena: each
// chunk's inputs are copied in, the layers first..last run, and its outputs copied out.
typedef struct {
    const float *in;        // floats in, in_stride per item (or bytes, if in_bytes)
    const uint8_t *in_bytes;
    size_t in_stride;
    int first, last;        // the layers to run
    void (*take)(ae_model *m, int start, int count, void *ctx); // reads the chunk's results
    void *ctx;
} chunked;

static void run_chunks(ae_model *m, int n, const chunked *c) {
    float *slot = c->first == m->dec_layer ? model_latent(m) : model_input(m);
    for (int start = 0; start < n; start += m->batch) {
        int count = n - start < m->batch ? n - start : m->batch;
        if (c->in_bytes)
            load_u8(slot, c->in_bytes + (size_t)start * c->in_stride, NULL, count, (int)c->in_stride);
        else
            memcpy(slot, c->in + (size_t)start * c->in_stride, (size_t)count * c->in_stride * sizeof(float));
        model_forward(m, count, c->first, c->last);
        c->take(m, start, count, c->ctx);
    }
}

// Sums per-image metrics for a chunk: loss, mse, psnr, ssim, kl, recon.
static void take_metrics(ae_model *m, int start, int n, void *ctx) {
    double *sums = ctx;
    int size = model_input_size(m), latent = m->latent_dim;
    const float *target = model_input(m), *recon = model_recon(m);
    const float *logits = model_layer_output(m, m->out_layer), *enc = model_layer_output(m, m->enc_layer);
    for (int i = 0; i < n; i++) {
        size_t o = (size_t)i * size;
        double mse = metrics_mse(recon + o, target + o, size);
        double kl = m->cfg.variational ? vae_kl(enc + (size_t)i * 2 * latent, 1, latent) : 0.0;
        double recon_loss = m->cfg.loss == LOSS_BCE ? bce_sum(logits + o, target + o, size) / size : mse;
        sums[0] += model_total_loss(m, recon_loss, kl);
        sums[1] += mse;
        sums[2] += metrics_psnr(mse);
        sums[3] += metrics_ssim(recon + o, target + o, m->cfg.input_h, m->cfg.input_w, m->cfg.input_c);
        sums[4] += kl;
        sums[5] += recon_loss;
    }
}

static int evaluate(ae_model *m, const float *images, const uint8_t *bytes, int n, ae_metrics *out) {
    REQUIRE(m && out, "no model or result");
    REQUIRE(images || bytes, "no images");
    REQUIRE(n >= 1, "evaluate needs at least one image (got %d)", n);
    double sums[6] = {0, 0, 0, 0, 0, 0};
    chunked c = {images, bytes, (size_t)model_input_size(m), 0, m->out_layer, take_metrics, sums};
    run_chunks(m, n, &c);
    out->loss = sums[0] / n;
    out->mse = sums[1] / n;
    out->psnr = sums[2] / n;
    out->ssim = sums[3] / n;
    out->kl = sums[4] / n;
    out->recon = sums[5] / n;
    return AE_OK;
}

int ae_evaluate(ae_model *m, const float *images, int n, ae_metrics *out) {
    return evaluate(m, images, NULL, n, out);
}

int ae_evaluate_u8(ae_model *m, const uint8_t *images, int n, ae_metrics *out) {
    return evaluate(m, NULL, images, n, out);
}

int ae_stage_info(const ae_model *m, int stage, ae_stage *out) {
    REQUIRE(m && out, "no model or result");
    REQUIRE(stage >= 0 && stage < m->stage_count, "stage must be 0..%d (got %d)", m->stage_count - 1, stage);
    const model_stage *s = &m->stages[stage];
    out->name = s->name;
    out->kind = s->kind;
    out->h = s->h;
    out->w = s->w;
    out->c = s->c;
    out->offset = s->offset;
    return AE_OK;
}

int ae_stage_count(const ae_model *m) { return m ? m->stage_count : 0; }
int ae_latent_stage(const ae_model *m) { return m ? m->latent_stage : 0; }
size_t ae_trace_size(const ae_model *m) { return m ? m->trace_size : 0; }

static void copy_stages(ae_model *m, int first, float *out) {
    for (int i = first; i < m->stage_count; i++) model_copy_stage(m, i, out + m->stages[i].offset);
}

int ae_trace(ae_model *m, const float *image, float *out) {
    REQUIRE(m && image && out, "no model, image or output buffer");
    memcpy(model_input(m), image, (size_t)model_input_size(m) * sizeof(float));
    model_forward(m, 1, 0, m->out_layer);
    copy_stages(m, 0, out);
    return AE_OK;
}

int ae_trace_latent(ae_model *m, const float *latent, float *out) {
    REQUIRE(m && latent && out, "no model, latent or output buffer");
    memcpy(model_latent(m), latent, (size_t)ae_latent_dim(m) * sizeof(float));
    model_forward(m, 1, m->dec_layer, m->out_layer);
    copy_stages(m, m->latent_stage, out);
    return AE_OK;
}

// Where a chunk's results go: codes (or a VAE's mu and logvar apart), or images.
typedef struct {
    float *a, *b;
} outputs;

static void take_latents(ae_model *m, int start, int count, void *ctx) {
    int dim = m->latent_dim;
    memcpy(((outputs *)ctx)->a + (size_t)start * dim, model_latent(m), (size_t)count * dim * sizeof(float));
}

static void take_distribution(ae_model *m, int start, int count, void *ctx) {
    outputs *o = ctx;
    int dim = m->latent_dim;
    const float *enc = model_layer_output(m, m->enc_layer);
    for (int i = 0; i < count; i++) {
        size_t at = (size_t)(start + i) * dim;
        memcpy(o->a + at, enc + (size_t)i * 2 * dim, (size_t)dim * sizeof(float));
        memcpy(o->b + at, enc + (size_t)i * 2 * dim + dim, (size_t)dim * sizeof(float));
    }
}

static void take_images(ae_model *m, int start, int count, void *ctx) {
    size_t size = (size_t)model_input_size(m);
    memcpy(((outputs *)ctx)->a + (size_t)start * size, model_recon(m), (size_t)count * size * sizeof(float));
}

int ae_encode(ae_model *m, const float *images, int n, float *latents) {
    REQUIRE(m && images && latents, "no model, images or output buffer");
    REQUIRE(n >= 0, "image count must not be negative (got %d)", n);
    outputs o = {latents, NULL};
    chunked c = {images, NULL, (size_t)model_input_size(m), 0, m->enc_layer, take_latents, &o};
    run_chunks(m, n, &c);
    return AE_OK;
}

int ae_encode_dist(ae_model *m, const float *images, int n, float *mu, float *logvar) {
    REQUIRE(m && images && mu && logvar, "no model, images or output buffers");
    REQUIRE(m->cfg.variational,
            "encode_dist needs a variational model (the config has variational false): use encode");
    REQUIRE(n >= 0, "image count must not be negative (got %d)", n);
    outputs o = {mu, logvar};
    chunked c = {images, NULL, (size_t)model_input_size(m), 0, m->enc_layer, take_distribution, &o};
    run_chunks(m, n, &c);
    return AE_OK;
}

int ae_decode(ae_model *m, const float *latents, int n, float *images) {
    REQUIRE(m && latents && images, "no model, latents or output buffer");
    REQUIRE(n >= 0, "latent count must not be negative (got %d)", n);
    outputs o = {images, NULL};
    chunked c = {latents, NULL, (size_t)m->latent_dim, m->dec_layer, m->out_layer, take_images, &o};
    run_chunks(m, n, &c);
    return AE_OK;
}

int ae_get_params(const ae_model *m, float *out) {
    REQUIRE(m && out, "no model or output buffer");
    memcpy(out, m->params, m->param_count * sizeof(float));
    return AE_OK;
}

int ae_set_params(ae_model *m, const float *in, size_t count) {
    REQUIRE(m && in, "no model or parameters");
    if (count != m->param_count)
        return ae_fail(AE_ERR_DATA, "parameters: this model has %zu, the buffer holds %zu",
                       m->param_count, count);
    for (size_t i = 0; i < count; i++)
        if (!isfinite(in[i]))
            return ae_fail(AE_ERR_DATA, "parameters: value %zu is not finite (%g)", i, (double)in[i]);
    memcpy(m->params, in, count * sizeof(float));
    memset(m->moments, 0, 5 * count * sizeof(float));
    m->steps = 0;
    m->first_loss = 0;
    m->loss_average = 0;
    m->can_roll_back = 0;
    m->run_start = 0;
    return AE_OK;
}

int ae_tensor_count(const ae_model *m) { return m ? m->tensor_count : 0; }

int ae_tensor_info(const ae_model *m, int i, ae_tensor *out) {
    REQUIRE(m && out, "no model or result");
    REQUIRE(i >= 0 && i < m->tensor_count, "tensor must be 0..%d (got %d)", m->tensor_count - 1, i);
    const model_tensor *t = &m->tensors[i];
    out->name = t->name;
    out->rank = t->rank;
    memcpy(out->shape, t->shape, sizeof out->shape);
    out->offset = t->offset;
    out->count = t->count;
    return AE_OK;
}
