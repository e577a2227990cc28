// model.h — the autoencoder as a list of tagged layer descriptors over four arenas (parameters,
// gradients, optimizer moments, activations), sized from the config and allocated once.
// Internal to the engine: the public face is aevp.h.
#ifndef AEVP_MODEL_H
#define AEVP_MODEL_H

#include <stddef.h>

#include "base/rng.h"
#include "base/status.h"
#include "io/config.h"

typedef struct ae_model ae_model; // the opaque handle of aevp.h

typedef enum { LAYER_CONV, LAYER_CONVT, LAYER_DENSE } layer_kind;

enum { LAYER_CONV1, LAYER_CONV2, LAYER_ENC, LAYER_DEC, LAYER_CONVT1, LAYER_CONVT2, LAYER_OUT,
       LAYER_COUNT };

typedef struct {
    layer_kind kind;
    const char *name;
    ae_activation act;      // applied in place to the layer's output
    int stride;             // conv only
    int in_h, in_w, in_c;   // dense layers use in_c alone (in_h = in_w = 1)
    int out_h, out_w, out_c;
    size_t w_offset, w_count, b_offset; // into the parameter arena
    size_t in_offset, out_offset;       // into the activation arena (per batch)
} layer;

// A named parameter tensor: its layout in the flat parameter arena (aevp.h's ae_tensor says what
// the names and shapes are).
typedef struct {
    const char *name;
    int rank;
    int shape[4];
    size_t offset;          // in floats, into the parameters
    size_t count;
} model_tensor;

// What the visualiser shows, in pipeline order: conv1, conv2, latent, dense, convT1, convT2, output.
enum { MODEL_STAGE_COUNT = 7 };
typedef struct {
    const char *name;
    int h, w, c;
    size_t offset;          // in floats, into a trace buffer holding every stage end to end
} model_stage;

struct ae_model {
    ae_config cfg;
    char *config_json;
    layer layers[LAYER_COUNT];
    model_tensor tensors[2 * LAYER_COUNT];
    model_stage stages[MODEL_STAGE_COUNT];
    size_t trace_size;      // floats of all the stages end to end
    size_t param_count;
    float *params, *grads;
    float *moments;         // 5 * param_count: first and second moments, then a copy of the
                            // parameters and both moments from before the last step (rollback)
    float *acts;            // input, every layer's output, the sigmoid output; then their gradients
    size_t acts_per_batch;  // floats of forward activations for a full batch
    size_t recon_offset;    // sigmoid(logits), in acts
    size_t z_offset;        // the decoder's input: the ENC output, or the VAE's z (n, latent)
    size_t eps_offset;      // a VAE's noise for the batch (n, latent), kept for the backward pass
    int latent_dim;         // g*g: the size of z (the ENC layer has twice that for a VAE)
    double last_recon, last_kl; // the terms of the loss last computed by model_loss_and_grads
    float *col, *wt;        // im2col and transposed-weight scratch, inside the acts allocation
    int batch;
    int steps;
    double first_loss;      // the loss of step 1: a loss 1000 times larger means divergence
    double loss_average;    // a moving average of the sane losses: 100 times that is divergence too
    int can_roll_back;      // the moments' saved copy holds the state before the last update
    long run_steps;         // the updates a schedule spans (ae_plan_run); 0 when not planned
    long run_start;         // the step the run began at (ae_begin_run): the schedule counts from it
    pcg32 shuffle_rng;
};

// Builds the layers and allocates the arenas; AE_ERR_NOMEM (with the size) for too large a model.
int model_init(ae_model *m, const ae_config *cfg);
void model_free(ae_model *m);
// Runs layers first..last on n images already in place in the activation arena; the OUT layer
// also writes the sigmoid output. Deterministic: a VAE's z is its mu (model_latent).
void model_forward(ae_model *m, int n, int first, int last);
// Forward, loss and backward over n images in the input slot: grads are overwritten. For a VAE
// the images are rows first..first+n-1 of the batch of optimizer step m->steps, which fixes the
// noise: L = recon + beta * KL / input_size, KL the mean per image (nats).
double model_loss_and_grads(ae_model *m, int n, int first);
// The whole loss from its two terms: recon + beta * KL / input_size (KL in nats per image; 0 for a
// plain autoencoder). The one place the VAE's weighting is written down.
double model_total_loss(const ae_model *m, double recon, double kl);
// Where stage s of the last forward pass is in the activation arena (image 0 of the batch).
const float *model_stage_values(ae_model *m, int stage);
// The first stage the decoder computes (the latent): ae_trace_latent writes it and those after.
enum { MODEL_STAGE_LATENT = 2 };
// The decoder's input, (n, latent_dim): the ENC output, or a VAE's z.
float *model_latent(ae_model *m);
float *model_input(ae_model *m);
float *model_layer_output(ae_model *m, int layer_index);
float *model_recon(ae_model *m);
int model_input_size(const ae_model *m);
// One optimizer step from m->grads and the batch's mean loss (train_step.c), unless the loss, the
// gradients or the update diverge: then the model goes back to its last sane state and
// AE_ERR_DIVERGED says what happened.
int model_apply_step(ae_model *m, double loss);
// The learning rate the next step uses, from the schedule.
double model_learning_rate(const ae_model *m);
double model_flops_per_sample(const ae_model *m);
#endif
