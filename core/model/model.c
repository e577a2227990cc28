// model.c — forward, loss and backward over a batch, through the layer list build.c made; the
// stages the trace shows. No argument checking here: api.c does that.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "ops/ops.h"

double model_total_loss(const ae_model *m, double recon, double kl) {
    // The KL is per image and the reconstruction per element: dividing the KL by the pixels per
    // image makes the total the usual beta-VAE sum loss over a constant (images * pixels).
    return recon + m->cfg.beta * kl / model_input_size(m);
}

float *model_input(ae_model *m) { return m->acts; }
float *model_layer_output(ae_model *m, int i) { return m->acts + m->layers[i].out_offset; }
float *model_recon(ae_model *m) { return m->acts + m->recon_offset; }
float *model_latent(ae_model *m) { return m->acts + m->z_offset; }
int model_input_size(const ae_model *m) { return m->cfg.input_h * m->cfg.input_w * m->cfg.input_c; }

void model_copy_stage(ae_model *m, int stage, float *out) {
    const model_stage *s = &m->stages[stage];
    const layer *l = &m->layers[s->layer];
    size_t count = (size_t)s->h * s->w * s->c;
    switch (s->source) {
    case STAGE_LATENT: memcpy(out, model_latent(m), count * sizeof(float)); return;
    case STAGE_OUTPUT: memcpy(out, model_recon(m), count * sizeof(float)); return;
    case STAGE_LAYER: case STAGE_DENSE: memcpy(out, m->acts + l->out_offset, count * sizeof(float)); return;
    case STAGE_ATTENTION_WEIGHTS: {
        // A (query, key) is saved row by row; the stage is (key position, query channel): channel q
        // is the map of where query q attends.
        int p = l->in_h * l->in_w;
        const float *a = m->acts + l->saved_offset + 3 * (size_t)p * l->in_c;
        transpose(out, a, p, p);
        return;
    }
    }
}

static void forward_layers(ae_model *m, int n, int first, int last) {
    for (int i = first; i <= last; i++) {
        const layer *l = &m->layers[i];
        const float *x = m->acts + l->in_offset, *w = m->params + l->w_offset;
        const float *b = m->params + l->b_offset;
        float *y = m->acts + l->out_offset;
        switch (l->kind) {
        case LAYER_CONV:
            conv2d_forward(y, x, w, b, n, model_layer_geom(l), l->out_c, m->col);
            break;
        case LAYER_CONVT:
            conv_transpose2d_forward(y, x, w, b, n, model_layer_geom(l), l->in_c, m->col, m->wt);
            break;
        case LAYER_DENSE:
            dense_forward(y, x, w, b, n, l->in_c, l->out_c);
            break;
        case LAYER_MAXPOOL:
            maxpool2_forward(y, x, n, l->in_h, l->in_w, l->in_c);
            break;
        case LAYER_UPSAMPLE:
            upsample_nearest_forward(y, x, n, l->in_h, l->in_w, l->in_c, l->out_h, l->out_w);
            break;
        case LAYER_ATTENTION:
            attention_forward(y, m->acts + l->saved_offset, x, w, n, l->in_h * l->in_w, l->in_c, m->col);
            break;
        }
        size_t count = (size_t)n * model_layer_out_size(l);
        if (l->skip_offset != NO_OFFSET) vec_axpy(y, 1.0f, m->acts + l->skip_offset, (int)count);
        act_forward(l->act, y, (int)count);
    }
}

void model_forward(ae_model *m, int n, int first, int last) {
    int enc = m->enc_layer;
    if (m->cfg.variational && first <= enc && last >= enc) {
        forward_layers(m, n, first, enc);
        vae_forward(model_latent(m), model_layer_output(m, enc), NULL, n, m->latent_dim);
        first = m->dec_layer;
    }
    if (first <= last) forward_layers(m, n, first, last);
    if (last == m->out_layer) {
        size_t count = (size_t)n * model_input_size(m);
        float *recon = model_recon(m);
        memcpy(recon, model_layer_output(m, m->out_layer), count * sizeof(float));
        act_forward(ACT_SIGMOID, recon, (int)count);
    }
}

void model_backward_layer(ae_model *m, int i, int n) {
    float *dacts = m->acts + m->acts_per_batch;
    const layer *l = &m->layers[i];
    float *dy = dacts + l->out_offset, *dx = i == 0 ? NULL : dacts + l->in_offset;
    const float *y = m->acts + l->out_offset, *x = m->acts + l->in_offset;
    const float *w = m->params + l->w_offset;
    float *dw = m->grads + l->w_offset, *db = m->grads + l->b_offset;
    act_backward(l->act, dy, y, (int)(n * model_layer_out_size(l)));
    switch (l->kind) {
    case LAYER_CONV:
        conv2d_backward(dx, dw, db, dy, x, w, n, model_layer_geom(l), l->out_c, m->col, m->wt);
        break;
    case LAYER_CONVT:
        conv_transpose2d_backward(dx, dw, db, dy, x, w, n, model_layer_geom(l), l->in_c, m->col);
        break;
    case LAYER_DENSE:
        dense_backward(dx, dw, db, dy, x, w, n, l->in_c, l->out_c, m->wt);
        break;
    case LAYER_MAXPOOL:
        maxpool2_backward(dx, dy, x, n, l->in_h, l->in_w, l->in_c);
        break;
    case LAYER_UPSAMPLE:
        upsample_nearest_backward(dx, dy, n, l->in_h, l->in_w, l->in_c, l->out_h, l->out_w);
        break;
    case LAYER_ATTENTION:
        attention_backward(dx, dw, dy, x, m->acts + l->saved_offset, w, n, l->in_h * l->in_w, l->in_c, m->col);
        break;
    }
    // The block's input also reached the output through the skip: its gradient there is the block
    // output's (after the act), which the second conv's backward pass has left in place.
    if (dx && l->also_grad_offset != NO_OFFSET)
        vec_axpy(dx, 1.0f, dacts + l->also_grad_offset, (int)((size_t)n * l->in_h * l->in_w * l->in_c));
}

double model_loss_and_grads(ae_model *m, int n, int first) {
    float *dacts = m->acts + m->acts_per_batch;
    size_t count = (size_t)n * model_input_size(m);
    int latent = m->latent_dim, variational = m->cfg.variational;
    const float *enc = model_layer_output(m, m->enc_layer), *eps = m->acts + m->eps_offset;
    memset(m->grads, 0, m->param_count * sizeof(float));
    double kl = 0.0;
    if (variational) {
        forward_layers(m, n, 0, m->enc_layer);
        float *noise = m->acts + m->eps_offset;
        for (int i = 0; i < n; i++)
            vae_noise(noise + (size_t)i * latent, latent, m->cfg.seed, (uint32_t)m->steps,
                      (uint32_t)(first + i));
        vae_forward(model_latent(m), enc, eps, n, latent);
        kl = vae_kl(enc, n, latent) / n;
        forward_layers(m, n, m->dec_layer, m->out_layer);
    } else {
        forward_layers(m, n, 0, m->out_layer);
    }

    const layer *out = &m->layers[m->out_layer];
    float *dz = dacts + out->out_offset;
    const float *z = m->acts + out->out_offset, *target = m->acts;
    double recon = m->cfg.loss == LOSS_BCE ? bce_with_logits(dz, model_recon(m), z, target, count)
                                           : mse_after_sigmoid(dz, model_recon(m), z, target, count);
    double pixels = model_input_size(m);
    m->last_recon = recon;
    m->last_kl = kl;

    for (int i = m->out_layer; i >= 0; i--) {
        if (i == m->enc_layer && variational)
            vae_backward(dacts + m->layers[i].out_offset, dacts + m->z_offset, enc, eps, n, latent,
                         (float)(m->cfg.beta / ((double)n * pixels)));
        model_backward_layer(m, i, n);
    }
    return model_total_loss(m, recon, kl);
}
