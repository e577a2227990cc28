// build.c — the autoencoder as a list of layers built from the config: stages, residual blocks,
// attention; their tensors and trace stages; the sizes, checked before the one allocation; the
// first weights. Not the forward and backward passes (model.c) nor the train step (train_step.c).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "model/model.h"
#include "ops/ops.h"

// Everything the engine allocates for one model must fit here, whatever the config says: the
// check runs on 64-bit sizes before any allocation, so a huge config fails cleanly.
#define MODEL_MAX_BYTES (1024.0 * 1024.0 * 1024.0)

size_t model_layer_out_size(const layer *l) { return (size_t)l->out_h * l->out_w * l->out_c; }

conv_geom model_layer_geom(const layer *l) {
    conv_geom g;
    if (l->kind == LAYER_CONVT) {
        g.h = l->out_h; g.w = l->out_w; g.c = l->out_c; g.oh = l->in_h; g.ow = l->in_w; g.stride = 2;
    } else {
        g.h = l->in_h; g.w = l->in_w; g.c = l->in_c; g.oh = l->out_h; g.ow = l->out_w; g.stride = l->stride;
    }
    g.k = l->k;
    return g;
}

static double layer_weights(const layer *l) {
    switch (l->kind) {
    case LAYER_CONV: case LAYER_CONVT: return (double)l->k * l->k * l->in_c * l->out_c;
    case LAYER_DENSE: return (double)l->in_c * l->out_c;
    case LAYER_ATTENTION: return (double)attention_param_count(l->in_c) - l->in_c; // the last bias is b_offset's
    case LAYER_MAXPOOL: case LAYER_UPSAMPLE: return 0.0;
    }
    return 0.0;
}
static int has_bias(const layer *l) { return l->kind != LAYER_MAXPOOL && l->kind != LAYER_UPSAMPLE; }

double model_layer_macs(const layer *l) {
    double taps = (double)l->k * l->k, positions = (double)l->in_h * l->in_w;
    switch (l->kind) {
    case LAYER_CONV: return (double)l->out_h * l->out_w * l->out_c * taps * l->in_c;
    case LAYER_CONVT: return positions * l->in_c * taps * l->out_c;
    case LAYER_DENSE: return (double)l->in_c * l->out_c;
    case LAYER_ATTENTION: return 4.0 * positions * l->in_c * l->in_c + 2.0 * positions * positions * l->in_c;
    case LAYER_MAXPOOL: case LAYER_UPSAMPLE: return 0.0;
    }
    return 0.0;
}

double model_flops_per_sample(const ae_model *m) {
    double flops = 0.0;
    for (int i = 0; i < m->layer_count; i++) {
        // forward, weight gradient, and (except for the first layer) input gradient
        flops += 2.0 * model_layer_macs(&m->layers[i]) * (i == 0 ? 2.0 : 3.0);
    }
    return flops;
}

// --- The layer list -------------------------------------------------------------------------------

typedef struct {
    ae_model *m;
    int h, w, c;            // the shape the next layer takes
} builder;

static layer *add(builder *b, layer_kind kind, ae_activation act, int out_h, int out_w, int out_c, const char *fmt,
                  int i, int j) {
    layer *l = &b->m->layers[b->m->layer_count++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    snprintf(l->name, sizeof l->name, fmt, i, j);
    l->act = act;
    l->stride = 1;
    l->k = b->m->cfg.kernel_size;
    l->in_h = b->h; l->in_w = b->w; l->in_c = b->c;
    l->out_h = out_h; l->out_w = out_w; l->out_c = out_c;
    l->skip_offset = l->also_grad_offset = l->saved_offset = NO_OFFSET;
    b->h = out_h; b->w = out_w; b->c = out_c;
    return l;
}

static void stage(ae_model *m, const char *kind, stage_source source, const char *name) {
    model_stage *s = &m->stages[m->stage_count++];
    s->kind = kind;
    s->source = source;
    s->layer = m->layer_count - 1;
    const char *text = name ? name : m->layers[s->layer].name;
    size_t len = strlen(text) < sizeof s->name - 1 ? strlen(text) : sizeof s->name - 1;
    memcpy(s->name, text, len);
    s->name[len] = '\0';
}

// conv_a, act, conv_b, plus the block's input, act: the skip offsets are set once the offsets are.
static void residual_blocks(builder *b, const char *prefix, int stage_number) {
    ae_activation act = b->m->cfg.activation;
    for (int j = 1; j <= b->m->cfg.res_blocks; j++) {
        char fmt[MODEL_NAME_MAX];
        snprintf(fmt, sizeof fmt, "%s%%d.res%%d.a", prefix);
        add(b, LAYER_CONV, act, b->h, b->w, b->c, fmt, stage_number, j);
        snprintf(fmt, sizeof fmt, "%s%%d.res%%d.b", prefix);
        add(b, LAYER_CONV, act, b->h, b->w, b->c, fmt, stage_number, j)->closes_block = 1;
        char name[MODEL_NAME_MAX];
        snprintf(name, sizeof name, "%s%d.res%d", prefix, stage_number, j);
        stage(b->m, "residual", STAGE_LAYER, name);
    }
}

static void attention(builder *b, const char *name) {
    add(b, LAYER_ATTENTION, ACT_LINEAR, b->h, b->w, b->c, name, 0, 0);
    stage(b->m, "attention", STAGE_LAYER, NULL);
    char weights[MODEL_NAME_MAX + 8];
    snprintf(weights, sizeof weights, "%s.weights", name);
    stage(b->m, "attention_weights", STAGE_ATTENTION_WEIGHTS, weights);
}

// The layers of arch.md's order (README "Architectures"): encoder stages, bottleneck, decoder
// stages, output. Today's config gives conv1, conv2, enc, dec, convT1, convT2, out.
static void build_layers(ae_model *m) {
    const ae_config *cfg = &m->cfg;
    ae_activation act = cfg->activation;
    int depth = cfg->depth, sizes_h[AE_MAX_DEPTH + 1], sizes_w[AE_MAX_DEPTH + 1];
    sizes_h[0] = cfg->input_h;
    sizes_w[0] = cfg->input_w;
    for (int i = 1; i <= depth; i++) {
        sizes_h[i] = (sizes_h[i - 1] + 1) / 2;
        sizes_w[i] = (sizes_w[i - 1] + 1) / 2;
    }
    builder b = {m, cfg->input_h, cfg->input_w, cfg->input_c};
    m->layer_count = m->stage_count = 0;
    for (int i = 1; i <= depth; i++) {
        if (cfg->downsample == DOWN_STRIDE) {
            layer *l = add(&b, LAYER_CONV, act, sizes_h[i], sizes_w[i], cfg->filters[i - 1], "conv%d", i, 0);
            l->stride = 2;
        } else {
            add(&b, LAYER_CONV, act, b.h, b.w, cfg->filters[i - 1], "conv%d", i, 0);
            add(&b, LAYER_MAXPOOL, ACT_LINEAR, sizes_h[i], sizes_w[i], b.c, "pool%d", i, 0);
        }
        char name[MODEL_NAME_MAX];
        snprintf(name, sizeof name, "conv%d", i);
        stage(m, "conv", STAGE_LAYER, name);
        residual_blocks(&b, "enc", i);
    }
    if (cfg->attention == ATTN_ENCODER || cfg->attention == ATTN_BOTH) attention(&b, "attn_enc");
    int low_h = b.h, low_w = b.w, low_c = b.c, latent = cfg->latent_grid * cfg->latent_grid;
    b.h = b.w = 1;
    b.c = low_h * low_w * low_c;
    m->enc_layer = m->layer_count;
    add(&b, LAYER_DENSE, ACT_LINEAR, 1, 1, cfg->variational ? 2 * latent : latent, "enc", 0, 0);
    stage(m, "latent", STAGE_LATENT, "latent");
    m->latent_stage = m->stage_count - 1;
    b.c = latent;
    m->dec_layer = m->layer_count;
    add(&b, LAYER_DENSE, act, 1, 1, low_h * low_w * low_c, "dec", 0, 0);
    stage(m, "dense", STAGE_DENSE, "dense");
    b.h = low_h; b.w = low_w; b.c = low_c;
    if (cfg->attention == ATTN_DECODER || cfg->attention == ATTN_BOTH) attention(&b, "attn_dec");
    for (int k = 1; k <= depth; k++) {
        int out_h = sizes_h[depth - k], out_w = sizes_w[depth - k], out_c = cfg->filters[depth - k];
        residual_blocks(&b, "dec", k);
        if (cfg->upsample == UP_TRANSPOSE) {
            add(&b, LAYER_CONVT, act, out_h, out_w, out_c, "convT%d", k, 0)->stride = 2;
        } else {
            add(&b, LAYER_UPSAMPLE, ACT_LINEAR, out_h, out_w, b.c, "upsample%d", k, 0);
            add(&b, LAYER_CONV, act, out_h, out_w, out_c, "up%d", k, 0);
        }
        stage(m, "up", STAGE_LAYER, NULL);
    }
    m->out_layer = m->layer_count;
    add(&b, LAYER_CONV, ACT_LINEAR, b.h, b.w, cfg->input_c, "out", 0, 0);
    stage(m, "output", STAGE_OUTPUT, "output");
}

// The stages' shapes: the latent as a g x g grid, the dense output as the maps the decoder takes,
// an attention's weights as one h x w map per query position, the output as the input's shape.
static void describe_stages(ae_model *m) {
    size_t offset = 0;
    for (int s = 0; s < m->stage_count; s++) {
        model_stage *st = &m->stages[s];
        const layer *l = &m->layers[st->layer];
        switch (st->source) {
        case STAGE_LATENT: st->h = st->w = m->cfg.latent_grid; st->c = 1; break;
        case STAGE_DENSE: {
            const layer *next = &m->layers[st->layer + 1];
            st->h = next->in_h; st->w = next->in_w; st->c = next->in_c;
            break;
        }
        case STAGE_ATTENTION_WEIGHTS: st->h = l->out_h; st->w = l->out_w; st->c = l->out_h * l->out_w; break;
        case STAGE_LAYER: case STAGE_OUTPUT: st->h = l->out_h; st->w = l->out_w; st->c = l->out_c; break;
        }
        st->offset = offset;
        offset += (size_t)st->h * st->w * st->c;
    }
    m->trace_size = offset;
}

static void add_tensor(ae_model *m, const char *name, const char *suffix, int rank, int d0, int d1, int d2, int d3,
                       size_t offset) {
    model_tensor *t = &m->tensors[m->tensor_count++];
    snprintf(t->name, sizeof t->name, "%s%s", name, suffix);
    t->rank = rank;
    t->shape[0] = d0; t->shape[1] = d1; t->shape[2] = d2; t->shape[3] = d3;
    t->offset = offset;
    t->count = (size_t)d0 * (rank > 1 ? d1 : 1) * (rank > 2 ? d2 : 1) * (rank > 3 ? d3 : 1);
}

static void describe_tensors(ae_model *m) {
    static const char *const projections[4] = {".q", ".k", ".v", ".o"};
    m->tensor_count = 0;
    for (int i = 0; i < m->layer_count; i++) {
        const layer *l = &m->layers[i];
        switch (l->kind) {
        case LAYER_CONV: add_tensor(m, l->name, ".weight", 4, l->k, l->k, l->in_c, l->out_c, l->w_offset); break;
        case LAYER_CONVT: add_tensor(m, l->name, ".weight", 4, l->k, l->k, l->out_c, l->in_c, l->w_offset); break;
        case LAYER_DENSE: add_tensor(m, l->name, ".weight", 2, l->in_c, l->out_c, 0, 0, l->w_offset); break;
        case LAYER_ATTENTION:
            for (int j = 0; j < 4; j++) {
                char name[MODEL_NAME_MAX + 4];
                size_t at = l->w_offset + (size_t)j * ((size_t)l->in_c * l->in_c + l->in_c);
                snprintf(name, sizeof name, "%s%s", l->name, projections[j]);
                add_tensor(m, name, ".weight", 2, l->in_c, l->in_c, 0, 0, at);
                add_tensor(m, name, ".bias", 1, l->in_c, 0, 0, 0, at + (size_t)l->in_c * l->in_c);
            }
            continue;
        case LAYER_MAXPOOL: case LAYER_UPSAMPLE: continue;
        }
        add_tensor(m, l->name, ".bias", 1, l->out_c, 0, 0, 0, l->b_offset);
    }
}

// --- The first weights ----------------------------------------------------------------------------

// One weight tensor and its bias, drawn from the seed's stream 1 in the tensors' order.
// pytorch: what torch.nn's Conv2d, ConvTranspose2d and Linear do by default — kaiming_uniform_
// with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases alike, where
// fan_in is weight.size(1) * kh * kw as torch computes it: the input channels of a conv, the
// OUTPUT channels of a transposed conv (its weight is (in, out, kh, kw)), the inputs of a dense.
// he: the rule before the init field existed, kept bit for bit so that old links rebuild the same
// model: He uniform ahead of the ReLU family, Glorot uniform ahead of the rest, zero biases.
// glorot: Glorot uniform everywhere, zero biases.
static void init_pair(pcg32 *rng, ae_init init, ae_activation act, int transposed, double taps, int in, int out,
                      float *w, float *b) {
    double fan_in = taps * in, fan_out = taps * out;
    float limit = 0.0f, bias_limit = 0.0f;
    switch (init) {
    case INIT_PYTORCH:
        limit = bias_limit = (float)(1.0 / sqrt(transposed ? fan_out : fan_in));
        break;
    case INIT_HE: {
        int he = act == ACT_RELU || act == ACT_LEAKY_RELU || act == ACT_ELU;
        limit = (float)(he ? sqrt(6.0 / fan_in) : sqrt(6.0 / (fan_in + fan_out)));
        break;
    }
    case INIT_GLOROT:
        limit = (float)sqrt(6.0 / (fan_in + fan_out));
        break;
    }
    size_t count = (size_t)(taps * in * out);
    for (size_t k = 0; k < count; k++) w[k] = (2.0f * pcg32_float(rng) - 1.0f) * limit;
    for (int k = 0; k < out; k++) b[k] = bias_limit > 0 ? (2.0f * pcg32_float(rng) - 1.0f) * bias_limit : 0.0f;
}

static void init_weights(ae_model *m, uint32_t seed) {
    pcg32 rng;
    pcg32_seed(&rng, seed, 1);
    for (int i = 0; i < m->layer_count; i++) {
        const layer *l = &m->layers[i];
        float *w = m->params + l->w_offset;
        switch (l->kind) {
        case LAYER_CONV: case LAYER_CONVT:
            init_pair(&rng, m->cfg.init, l->act, l->kind == LAYER_CONVT, (double)l->k * l->k, l->in_c, l->out_c, w,
                      m->params + l->b_offset);
            break;
        case LAYER_DENSE: init_pair(&rng, m->cfg.init, l->act, 0, 1.0, l->in_c, l->out_c, w, m->params + l->b_offset); break;
        case LAYER_ATTENTION:
            for (int j = 0; j < 4; j++) {
                float *wj = w + (size_t)j * ((size_t)l->in_c * l->in_c + l->in_c);
                init_pair(&rng, m->cfg.init, ACT_LINEAR, 0, 1.0, l->in_c, l->in_c, wj, wj + (size_t)l->in_c * l->in_c);
            }
            break;
        case LAYER_MAXPOOL: case LAYER_UPSAMPLE: break;
        }
    }
}

// --- Sizes and the allocation ---------------------------------------------------------------------

static void describe_filters(const ae_config *cfg, char *out, size_t cap) {
    size_t used = (size_t)snprintf(out, cap, "[");
    for (int i = 0; i < cfg->depth && used < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%d", i ? ", " : "", cfg->filters[i]);
    if (used < cap) snprintf(out + used, cap - used, "]");
}

// Offsets into the arenas, in layer order; each layer reads the output of the one before it,
// except the decoder's first dense layer in a VAE (it reads z) and a residual block's second conv,
// which also adds the block's input.
static void place(ae_model *m) {
    int n = m->cfg.batch_size;
    size_t p = 0, a = (size_t)n * model_input_size(m);
    for (int i = 0; i < m->layer_count; i++) {
        layer *l = &m->layers[i];
        l->w_offset = p;
        l->w_count = (size_t)layer_weights(l);
        l->b_offset = p + l->w_count;
        p += l->w_count + (has_bias(l) ? (size_t)l->out_c : 0);
        l->in_offset = i == 0 ? 0 : m->layers[i - 1].out_offset;
        l->out_offset = a;
        a += (size_t)n * model_layer_out_size(l);
        if (l->kind == LAYER_ATTENTION) {
            l->saved_offset = a;
            a += (size_t)n * attention_saved_size(l->in_h * l->in_w, l->in_c);
        }
        if (l->closes_block) { // the layer before it is the block's first conv, which took the block's input
            layer *first = &m->layers[i - 1];
            l->skip_offset = first->in_offset;
            first->also_grad_offset = l->out_offset;
        }
    }
    m->recon_offset = a;
    a += (size_t)n * model_input_size(m);
    m->z_offset = m->layers[m->enc_layer].out_offset;
    if (m->cfg.variational) {
        m->z_offset = a;
        m->eps_offset = a + (size_t)n * m->latent_dim;
        a += 2 * (size_t)n * m->latent_dim;
        m->layers[m->dec_layer].in_offset = m->z_offset;
    }
    m->acts_per_batch = a;
    m->param_count = p;
}

int model_init(ae_model *m, const ae_config *cfg) {
    m->cfg = *cfg;
    m->latent_dim = cfg->latent_grid * cfg->latent_grid;
    m->batch = cfg->batch_size;
    build_layers(m);

    // Sizes first, in 64-bit doubles, checked against the cap before anything is allocated.
    double n = cfg->batch_size, pixels = (double)cfg->input_h * cfg->input_w * cfg->input_c;
    double params = 0, acts = 2.0 * pixels, scratch = 0, wt = 0;
    for (int i = 0; i < m->layer_count; i++) {
        const layer *l = &m->layers[i];
        double wc = layer_weights(l);
        params += wc + (has_bias(l) ? l->out_c : 0);
        acts += (double)l->out_h * l->out_w * l->out_c;
        if (wc > wt) wt = wc;
        if (l->kind == LAYER_CONV || l->kind == LAYER_CONVT) {
            conv_geom g = model_layer_geom(l);
            // padded images (of x, or of dy in the backward)
            double ps = (double)conv_col_scratch(g, l->kind == LAYER_CONVT ? l->in_c : l->out_c);
            // the transposed conv's gather (its forward; a strided conv's input gradient)
            double gs = (double)transposed_gather_scratch(g, l->kind == LAYER_CONVT ? l->in_c : l->out_c);
            if (ps > scratch) scratch = ps;
            if (gs > scratch) scratch = gs;
        } else if (l->kind == LAYER_ATTENTION) {
            double positions = (double)l->in_h * l->in_w, c = l->in_c;
            acts += 4.0 * positions * c + positions * positions;
            double as = 5.0 * positions * c + positions * positions + 4.0 * c * c;
            if (as > scratch) scratch = as;
        }
    }
    if (cfg->variational) acts += 2.0 * m->latent_dim; // z and the noise
    double bytes = 4.0 * (params * 7.0 + acts * 2.0 * n + scratch + wt);
    if (bytes > MODEL_MAX_BYTES) {
        char filters[64];
        describe_filters(cfg, filters, sizeof filters);
        return ae_fail(AE_ERR_NOMEM,
                       "config: this model needs %.0f MB (batch_size %d, input %dx%dx%d, filters %s, kernel_size %d, "
                       "res_blocks %d%s); the limit is %.0f MB: lower batch_size, filters, the input size or the depth",
                       bytes / 1048576.0, cfg->batch_size, cfg->input_h, cfg->input_w, cfg->input_c, filters,
                       cfg->kernel_size, cfg->res_blocks, cfg->attention == ATTN_NONE ? "" : ", with attention",
                       MODEL_MAX_BYTES / 1048576.0);
    }
    place(m);
    describe_tensors(m);
    describe_stages(m);

    size_t p = m->param_count, a = m->acts_per_batch;
    m->params = calloc(p, sizeof(float));
    m->grads = calloc(p, sizeof(float));
    m->moments = calloc(5 * p, sizeof(float));
    m->acts = calloc(2 * a + (size_t)scratch + (size_t)wt, sizeof(float));
    if (!m->params || !m->grads || !m->moments || !m->acts) {
        return ae_fail(AE_ERR_NOMEM, "out of memory: the model needs %.0f MB", bytes / 1048576.0);
    }
    m->col = m->acts + 2 * a;
    m->wt = m->col + (size_t)scratch;
    init_weights(m, cfg->seed);
    pcg32_seed(&m->shuffle_rng, cfg->seed, 2);
    return AE_OK;
}

void model_free(ae_model *m) {
    free(m->params);
    free(m->grads);
    free(m->moments);
    free(m->acts);
    free(m->config_json);
}
