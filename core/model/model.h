// model.h — the autoencoder as a list of tagged layer descriptors over four arenas (parameters,
// gradients, optimizer moments, activations), sized from the config and allocated once.
// Internal to the engine: the public face is aevp.h.
#ifndef AEVP_MODEL_H
#define AEVP_MODEL_H

#include <stddef.h>

#include "base/rng.h"
#include "base/status.h"
#include "io/config.h"
#include "kernels/kernels.h"

typedef struct ae_model ae_model; // the opaque handle of aevp.h

typedef enum { LAYER_CONV, LAYER_CONVT, LAYER_DENSE, LAYER_MAXPOOL, LAYER_UPSAMPLE, LAYER_ATTENTION } layer_kind;

// The most layers and tensors any config can ask for: 4 stages of (conv, pool, 3 residual blocks
// of 2 convs) each way, two attentions, enc, dec and out; a tensor per weight and per bias.
enum { MODEL_MAX_LAYERS = 80, MODEL_MAX_TENSORS = 2 * MODEL_MAX_LAYERS + 16, MODEL_MAX_STAGES = MODEL_MAX_LAYERS };
enum { MODEL_NAME_MAX = 24 };

#define NO_OFFSET ((size_t)-1)

typedef struct {
    layer_kind kind;
    char name[MODEL_NAME_MAX]; // the tensors' prefix: "conv1", "enc2.res1.a", "attn_enc", ...
    ae_activation act;      // applied in place to the layer's output (after the skip is added)
    int stride, k;          // conv: stride and kernel size; a transposed conv: stride 2
    int in_h, in_w, in_c;   // dense layers use in_c alone (in_h = in_w = 1)
    int out_h, out_w, out_c;
    size_t w_offset, w_count, b_offset; // into the parameter arena (attention: its 8 tensors from w_offset)
    size_t in_offset, out_offset;       // into the activation arena (per batch)
    int closes_block;       // the second conv of a residual block
    size_t skip_offset;     // a residual block's second conv: its input x, added before the act
    size_t also_grad_offset; // a residual block's first conv: the gradient of x that reaches it
                             // through the skip, added to dx after the backward pass
    size_t saved_offset;    // attention: what the backward pass needs (ops.h), in the activations
} layer;

// A named parameter tensor: its layout in the flat parameter arena (aevp.h's ae_tensor says what
// the names and shapes are).
typedef struct {
    char name[MODEL_NAME_MAX + 16];
    int rank;
    int shape[4];
    size_t offset;          // in floats, into the parameters
    size_t count;
} model_tensor;

// What the visualiser shows, in pipeline order: for today's model conv1, conv2, latent, dense,
// convT1, convT2, output; deeper models add stages, residual blocks and attention (aevp.h).
typedef enum { STAGE_LAYER, STAGE_LATENT, STAGE_DENSE, STAGE_ATTENTION_WEIGHTS, STAGE_OUTPUT } stage_source;
typedef struct {
    char name[MODEL_NAME_MAX + 8];
    const char *kind;       // "conv", "residual", "attention", "attention_weights", "latent", "dense", "up", "output"
    stage_source source;
    int layer;              // the layer whose output (or attention weights) it shows
    int h, w, c;
    size_t offset;          // in floats, into a trace buffer holding every stage end to end
} model_stage;

struct ae_model {
    ae_config cfg;
    char *config_json;
    int layer_count, tensor_count, stage_count;
    int enc_layer, dec_layer, out_layer; // the bottleneck's two dense layers and the last conv
    int latent_stage;       // the first stage the decoder computes: ae_trace_latent writes from it
    layer layers[MODEL_MAX_LAYERS];
    model_tensor tensors[MODEL_MAX_TENSORS];
    model_stage stages[MODEL_MAX_STAGES];
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
    float *col, *wt;        // im2col (or attention) and transposed-weight scratch, inside the acts allocation
    int batch;
    int steps;
    double first_loss;      // the loss of step 1: a loss 1000 times larger means divergence
    double loss_average;    // a moving average of the sane losses: 100 times that is divergence too
    int can_roll_back;      // the moments' saved copy holds the state before the last update
    long run_steps;         // the updates a schedule spans (ae_plan_run); 0 when not planned
    long run_start;         // the step the run began at (ae_begin_run): the schedule counts from it
    pcg32 shuffle_rng;
};

// Builds the layers and allocates the arenas (build.c); AE_ERR_NOMEM (with the size) for too large
// a model, before anything is allocated.
int model_init(ae_model *m, const ae_config *cfg);
// The conv geometry of a conv or transposed conv layer: for a transposed conv, that of the conv it
// is the adjoint of.
conv_geom model_layer_geom(const layer *l);
size_t model_layer_out_size(const layer *l);
void model_free(ae_model *m);
// Runs layers first..last on n images already in place in the activation arena; the OUT layer
// also writes the sigmoid output. Deterministic: a VAE's z is its mu (model_latent).
void model_forward(ae_model *m, int n, int first, int last);
// Forward, loss and backward over n images in the input slot: grads are overwritten. For a VAE
// the images are rows first..first+n-1 of the batch of optimizer step m->steps, which fixes the
// noise: L = recon + beta * KL / input_size, KL the mean per image (nats).
double model_loss_and_grads(ae_model *m, int n, int first);
// Layer i's backward pass alone, given its output gradient in place (model_loss_and_grads runs
// it for every layer; bench_kernels times it).
void model_backward_layer(ae_model *m, int i, int n);
// The whole loss from its two terms: recon + beta * KL / input_size (KL in nats per image; 0 for a
// plain autoencoder). The one place the VAE's weighting is written down.
double model_total_loss(const ae_model *m, double recon, double kl);
// Copies stage s of image 0 of the last forward pass into out (h * w * c floats, NHWC).
void model_copy_stage(ae_model *m, int stage, float *out);
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
// Multiply-adds of layer l's forward pass for one image.
double model_layer_macs(const layer *l);
#endif
