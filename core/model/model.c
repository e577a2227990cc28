// model.c — builds the layer list from a config, sizes and allocates the arenas once, and runs
// forward, loss and backward over a batch. No argument checking here: api.c does that.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "base/error.h"
#include "ops/ops.h"

// Everything the engine allocates for one model must fit here, whatever the config says: the
// check runs on 64-bit sizes before any allocation, so a huge config fails cleanly.
#define MODEL_MAX_BYTES (1024.0 * 1024.0 * 1024.0)

static size_t layer_out_size(const layer *l) { return (size_t)l->out_h * l->out_w * l->out_c; }

static layer make_layer(layer_kind kind, const char *name, ae_activation act, int stride, int in_h,
                        int in_w, int in_c, int out_h, int out_w, int out_c) {
    layer l = {kind, name, act, stride, in_h, in_w, in_c, out_h, out_w, out_c, 0, 0, 0, 0, 0};
    return l;
}

// The conv geometry of a layer: for a transposed conv, that of the conv it is the adjoint of.
static conv_geom layer_geom(const layer *l) {
    conv_geom g;
    if (l->kind == LAYER_CONVT) {
        g.h = l->out_h; g.w = l->out_w; g.c = l->out_c; g.oh = l->in_h; g.ow = l->in_w; g.stride = 2;
    } else {
        g.h = l->in_h; g.w = l->in_w; g.c = l->in_c; g.oh = l->out_h; g.ow = l->out_w; g.stride = l->stride;
    }
    return g;
}

static double layer_macs(const layer *l) {
    switch (l->kind) {
    case LAYER_CONV: return (double)l->out_h * l->out_w * l->out_c * 9.0 * l->in_c;
    case LAYER_CONVT: return (double)l->in_h * l->in_w * l->in_c * 9.0 * l->out_c;
    case LAYER_DENSE: return (double)l->in_c * l->out_c;
    }
    return 0.0;
}

double model_flops_per_sample(const ae_model *m) {
    double flops = 0.0;
    for (int i = 0; i < LAYER_COUNT; i++) {
        // forward, weight gradient, and (except for the first layer) input gradient
        flops += 2.0 * layer_macs(&m->layers[i]) * (i == 0 ? 2.0 : 3.0);
    }
    return flops;
}

// The first weights and biases, drawn in layer order from the seed's stream 1.
// pytorch: what torch.nn's Conv2d, ConvTranspose2d and Linear do by default — kaiming_uniform_
// with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases alike, where
// fan_in is weight.size(1) * kh * kw as torch computes it: the input channels of a conv, the
// OUTPUT channels of a transposed conv (its weight is (in, out, kh, kw)), the inputs of a dense.
// he: the rule before the init field existed, kept bit for bit so that old links rebuild the same
// model: He uniform ahead of the ReLU family, Glorot uniform ahead of the rest, zero biases.
// glorot: Glorot uniform everywhere, zero biases.
static void init_weights(ae_model *m, uint32_t seed) {
    pcg32 rng;
    pcg32_seed(&rng, seed, 1);
    for (int i = 0; i < LAYER_COUNT; i++) {
        const layer *l = &m->layers[i];
        double taps = l->kind == LAYER_DENSE ? 1.0 : 9.0;
        double fan_in = taps * l->in_c, fan_out = taps * l->out_c;
        float limit = 0.0f, bias_limit = 0.0f;
        switch (m->cfg.init) {
        case INIT_PYTORCH:
            limit = bias_limit = (float)(1.0 / sqrt(l->kind == LAYER_CONVT ? fan_out : fan_in));
            break;
        case INIT_HE: {
            int he = l->act == ACT_RELU || l->act == ACT_LEAKY_RELU || l->act == ACT_ELU;
            limit = (float)(he ? sqrt(6.0 / fan_in) : sqrt(6.0 / (fan_in + fan_out)));
            break;
        }
        case INIT_GLOROT:
            limit = (float)sqrt(6.0 / (fan_in + fan_out));
            break;
        }
        float *w = m->params + l->w_offset, *b = m->params + l->b_offset;
        for (size_t k = 0; k < l->w_count; k++) w[k] = (2.0f * pcg32_float(&rng) - 1.0f) * limit;
        for (int k = 0; k < l->out_c; k++) b[k] = bias_limit > 0 ? (2.0f * pcg32_float(&rng) - 1.0f) * bias_limit : 0.0f;
    }
}

static void fill_tensor(model_tensor *t, const char *name, int rank, int d0, int d1, int d2, int d3,
                        size_t offset) {
    t->name = name;
    t->rank = rank;
    t->shape[0] = d0; t->shape[1] = d1; t->shape[2] = d2; t->shape[3] = d3;
    t->offset = offset;
    t->count = (size_t)d0 * (rank > 1 ? d1 : 1) * (rank > 2 ? d2 : 1) * (rank > 3 ? d3 : 1);
}

static const char *const tensor_names[2 * LAYER_COUNT] = {
    "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "enc.weight", "enc.bias",
    "dec.weight", "dec.bias", "convT1.weight", "convT1.bias", "convT2.weight", "convT2.bias",
    "out.weight", "out.bias"};

static const int stage_layer[MODEL_STAGE_COUNT] = {LAYER_CONV1, LAYER_CONV2, LAYER_ENC, LAYER_DEC,
                                                   LAYER_CONVT1, LAYER_CONVT2, LAYER_OUT};
static const char *const stage_names[MODEL_STAGE_COUNT] = {"conv1", "conv2", "latent", "dense",
                                                           "convT1", "convT2", "output"};

// The stages' shapes from the layers: the latent as a g x g grid, the dense output as the
// feature maps the first transposed conv takes, the output as the input's shape.
static void describe_stages(ae_model *m) {
    size_t offset = 0;
    for (int s = 0; s < MODEL_STAGE_COUNT; s++) {
        model_stage *st = &m->stages[s];
        const layer *l = &m->layers[stage_layer[s]];
        st->name = stage_names[s];
        if (s == MODEL_STAGE_LATENT) {
            st->h = st->w = m->cfg.latent_grid;
            st->c = 1;
        } else if (stage_layer[s] == LAYER_DEC) {
            const layer *next = &m->layers[LAYER_CONVT1];
            st->h = next->in_h; st->w = next->in_w; st->c = next->in_c;
        } else {
            st->h = l->out_h; st->w = l->out_w; st->c = l->out_c;
        }
        st->offset = offset;
        offset += (size_t)st->h * st->w * st->c;
    }
    m->trace_size = offset;
}

const float *model_stage_values(ae_model *m, int stage) {
    if (stage == MODEL_STAGE_LATENT) return model_latent(m);
    if (stage_layer[stage] == LAYER_OUT) return model_recon(m);
    return model_layer_output(m, stage_layer[stage]);
}

double model_total_loss(const ae_model *m, double recon, double kl) {
    // The KL is per image and the reconstruction per element: dividing the KL by the pixels per
    // image makes the total the usual beta-VAE sum loss over a constant (images * pixels).
    return recon + m->cfg.beta * kl / model_input_size(m);
}

int model_init(ae_model *m, const ae_config *cfg) {
    m->cfg = *cfg;
    int h = cfg->input_h, w = cfg->input_w, c = cfg->input_c;
    int f1 = cfg->filters[0], f2 = cfg->filters[1], latent = cfg->latent_grid * cfg->latent_grid;
    // A VAE's encoder gives mu and logvar side by side; the decoder still takes latent numbers.
    int enc_out = cfg->variational ? 2 * latent : latent;
    int inner = (h / 4) * (w / 4) * f2;
    ae_activation act = cfg->activation;
    layer *L = m->layers;
    L[LAYER_CONV1] = make_layer(LAYER_CONV, "conv1", act, 2, h, w, c, h / 2, w / 2, f1);
    L[LAYER_CONV2] = make_layer(LAYER_CONV, "conv2", act, 2, h / 2, w / 2, f1, h / 4, w / 4, f2);
    L[LAYER_ENC] = make_layer(LAYER_DENSE, "enc", ACT_LINEAR, 1, 1, 1, inner, 1, 1, enc_out);
    L[LAYER_DEC] = make_layer(LAYER_DENSE, "dec", act, 1, 1, 1, latent, 1, 1, inner);
    L[LAYER_CONVT1] = make_layer(LAYER_CONVT, "convT1", act, 2, h / 4, w / 4, f2, h / 2, w / 2, f2);
    L[LAYER_CONVT2] = make_layer(LAYER_CONVT, "convT2", act, 2, h / 2, w / 2, f2, h, w, f1);
    L[LAYER_OUT] = make_layer(LAYER_CONV, "out", ACT_LINEAR, 1, h, w, f1, h, w, c);

    // Sizes first, in 64-bit doubles, checked against the cap before anything is allocated.
    double params = 0, acts = (double)h * w * c, col = 0, wt = 0;
    for (int i = 0; i < LAYER_COUNT; i++) {
        layer *l = &L[i];
        double wc = (l->kind == LAYER_DENSE ? 1.0 : 9.0) * l->in_c * l->out_c;
        params += wc + l->out_c;
        acts += (double)l->out_h * l->out_w * l->out_c;
        if (wc > wt) wt = wc;
        if (l->kind != LAYER_DENSE) {
            conv_geom g = layer_geom(l);
            double cs = (double)g.oh * g.ow * 9.0 * g.c;
            if (cs > col) col = cs;
        }
    }
    acts += (double)h * w * c; // the sigmoid output
    if (cfg->variational) acts += 2.0 * latent; // z and the noise
    double bytes = 4.0 * (params * 7.0 + acts * 2.0 * cfg->batch_size + col + wt);
    if (bytes > MODEL_MAX_BYTES) {
        return ae_fail(AE_ERR_NOMEM,
                 "config: this model needs %.0f MB (batch_size %d, input %dx%dx%d, filters [%d, %d]); "
                 "the limit is %.0f MB: lower batch_size, filters or the input size",
                 bytes / 1048576.0, cfg->batch_size, h, w, c, f1, f2, MODEL_MAX_BYTES / 1048576.0);
    }

    size_t p = 0, a = (size_t)cfg->batch_size * h * w * c;
    for (int i = 0; i < LAYER_COUNT; i++) {
        layer *l = &L[i];
        l->w_count = (l->kind == LAYER_DENSE ? 1u : 9u) * (size_t)l->in_c * l->out_c;
        l->w_offset = p;
        l->b_offset = p + l->w_count;
        p += l->w_count + l->out_c;
        l->in_offset = i == 0 ? 0 : L[i - 1].out_offset;
        l->out_offset = a;
        a += (size_t)cfg->batch_size * layer_out_size(l);
        model_tensor *t = &m->tensors[2 * i];
        if (l->kind == LAYER_DENSE)
            fill_tensor(t, tensor_names[2 * i], 2, l->in_c, l->out_c, 0, 0, l->w_offset);
        else if (l->kind == LAYER_CONV)
            fill_tensor(t, tensor_names[2 * i], 4, 3, 3, l->in_c, l->out_c, l->w_offset);
        else
            fill_tensor(t, tensor_names[2 * i], 4, 3, 3, l->out_c, l->in_c, l->w_offset);
        fill_tensor(t + 1, tensor_names[2 * i + 1], 1, l->out_c, 0, 0, 0, l->b_offset);
    }
    m->recon_offset = a;
    a += (size_t)cfg->batch_size * h * w * c;
    m->latent_dim = latent;
    m->z_offset = L[LAYER_ENC].out_offset;
    if (cfg->variational) {
        m->z_offset = a;
        m->eps_offset = a + (size_t)cfg->batch_size * latent;
        a += 2 * (size_t)cfg->batch_size * latent;
        L[LAYER_DEC].in_offset = m->z_offset;
    }
    m->acts_per_batch = a;
    m->param_count = p;
    m->batch = cfg->batch_size;

    m->params = calloc(p, sizeof(float));
    m->grads = calloc(p, sizeof(float));
    m->moments = calloc(5 * p, sizeof(float));
    m->acts = calloc(2 * a + (size_t)col + (size_t)wt, sizeof(float));
    if (!m->params || !m->grads || !m->moments || !m->acts) {
        return ae_fail(AE_ERR_NOMEM, "out of memory: the model needs %.0f MB", bytes / 1048576.0);
    }
    m->col = m->acts + 2 * a;
    m->wt = m->col + (size_t)col;
    init_weights(m, cfg->seed);
    pcg32_seed(&m->shuffle_rng, cfg->seed, 2);
    describe_stages(m);
    return AE_OK;
}

void model_free(ae_model *m) {
    free(m->params);
    free(m->grads);
    free(m->moments);
    free(m->acts);
    free(m->config_json);
}

float *model_input(ae_model *m) { return m->acts; }
float *model_layer_output(ae_model *m, int i) { return m->acts + m->layers[i].out_offset; }
float *model_recon(ae_model *m) { return m->acts + m->recon_offset; }
float *model_latent(ae_model *m) { return m->acts + m->z_offset; }
int model_input_size(const ae_model *m) { return m->cfg.input_h * m->cfg.input_w * m->cfg.input_c; }

static void forward_layers(ae_model *m, int n, int first, int last) {
    for (int i = first; i <= last; i++) {
        const layer *l = &m->layers[i];
        const float *x = m->acts + l->in_offset, *w = m->params + l->w_offset;
        const float *b = m->params + l->b_offset;
        float *y = m->acts + l->out_offset;
        switch (l->kind) {
        case LAYER_CONV:
            conv2d_forward(y, x, w, b, n, layer_geom(l), l->out_c, m->col);
            break;
        case LAYER_CONVT:
            conv_transpose2d_forward(y, x, w, b, n, layer_geom(l), l->in_c, m->col, m->wt);
            break;
        case LAYER_DENSE:
            dense_forward(y, x, w, b, n, l->in_c, l->out_c);
            break;
        }
        act_forward(l->act, y, (int)(n * layer_out_size(l)));
    }
}

void model_forward(ae_model *m, int n, int first, int last) {
    if (m->cfg.variational && first <= LAYER_ENC && last >= LAYER_ENC) {
        forward_layers(m, n, first, LAYER_ENC);
        vae_forward(model_latent(m), model_layer_output(m, LAYER_ENC), NULL, n, m->latent_dim);
        first = LAYER_DEC;
    }
    if (first <= last) forward_layers(m, n, first, last);
    if (last == LAYER_OUT) {
        size_t count = (size_t)n * model_input_size(m);
        float *recon = model_recon(m);
        memcpy(recon, model_layer_output(m, LAYER_OUT), count * sizeof(float));
        act_forward(ACT_SIGMOID, recon, (int)count);
    }
}

double model_loss_and_grads(ae_model *m, int n, int first) {
    float *dacts = m->acts + m->acts_per_batch;
    size_t count = (size_t)n * model_input_size(m);
    int latent = m->latent_dim, variational = m->cfg.variational;
    const float *enc = model_layer_output(m, LAYER_ENC), *eps = m->acts + m->eps_offset;
    memset(m->grads, 0, m->param_count * sizeof(float));
    double kl = 0.0;
    if (variational) {
        forward_layers(m, n, 0, LAYER_ENC);
        float *noise = m->acts + m->eps_offset;
        for (int i = 0; i < n; i++)
            vae_noise(noise + (size_t)i * latent, latent, m->cfg.seed, (uint32_t)m->steps,
                      (uint32_t)(first + i));
        vae_forward(model_latent(m), enc, eps, n, latent);
        kl = vae_kl(enc, n, latent) / n;
        forward_layers(m, n, LAYER_DEC, LAYER_OUT);
    } else {
        forward_layers(m, n, 0, LAYER_OUT);
    }

    const layer *out = &m->layers[LAYER_OUT];
    float *dz = dacts + out->out_offset;
    const float *z = m->acts + out->out_offset, *target = m->acts;
    double recon = m->cfg.loss == LOSS_BCE ? bce_with_logits(dz, model_recon(m), z, target, count)
                                           : mse_after_sigmoid(dz, model_recon(m), z, target, count);
    double pixels = model_input_size(m);
    m->last_recon = recon;
    m->last_kl = kl;

    for (int i = LAYER_OUT; i >= 0; i--) {
        const layer *l = &m->layers[i];
        float *dy = dacts + l->out_offset, *dx = i == 0 ? NULL : dacts + l->in_offset;
        const float *y = m->acts + l->out_offset, *x = m->acts + l->in_offset;
        const float *w = m->params + l->w_offset;
        float *dw = m->grads + l->w_offset, *db = m->grads + l->b_offset;
        if (i == LAYER_ENC && variational)
            vae_backward(dy, dacts + m->z_offset, enc, eps, n, latent,
                         (float)(m->cfg.beta / ((double)n * pixels)));
        act_backward(l->act, dy, y, (int)(n * layer_out_size(l)));
        switch (l->kind) {
        case LAYER_CONV:
            conv2d_backward(dx, dw, db, dy, x, w, n, layer_geom(l), l->out_c, m->col, m->wt);
            break;
        case LAYER_CONVT:
            conv_transpose2d_backward(dx, dw, db, dy, x, w, n, layer_geom(l), l->in_c, m->col);
            break;
        case LAYER_DENSE:
            dense_backward(dx, dw, db, dy, x, w, n, l->in_c, l->out_c, m->wt);
            break;
        }
    }
    return model_total_loss(m, recon, kl);
}
