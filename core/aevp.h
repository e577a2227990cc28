// aevp.h — the public, flat, handle-based C API of the AeVP engine (prefix ae_).
// Bytes in, bytes out: no file I/O, no threads, never exit/abort. Used by the CLI and exported to WASM.
#ifndef AEVP_H
#define AEVP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "base/status.h" // AE_OK and the AE_ERR_* codes

// The message of the most recent failure ("config: latent_grid must be 1..8 (got 12)").
const char *ae_last_error(void);

// Every config field as JSON: {"fields": [{"name", "type" (int, number, bool, choice, int_list,
// object), "min", "max", "min_exclusive", "multiple_of", "choices", "min_items", "max_items",
// "fields" (an object's), "default", "rule" (the text after "must be" in a refusal), "help"}]},
// in the order ae_config_json writes them. Built from the table config parsing uses; static text
// owned by the engine (never freed); NULL only if the engine is out of memory.
const char *ae_config_schema(void);

typedef struct ae_model ae_model;

// Builds a model from a config JSON (NULL or "{}" gives the defaults). Weights are initialised
// from the config's seed. On failure returns NULL and sets the status in *status (if not NULL).
ae_model *ae_create(const char *config_json, int *status);
void ae_destroy(ae_model *m);

// The full config with defaults filled in, as JSON; owned by the model, valid until destroy.
const char *ae_config_json(const ae_model *m);

// Sizes.
int ae_input_size(const ae_model *m);      // H*W*C floats per image
int ae_latent_dim(const ae_model *m);      // g*g: the size of a latent z (and of a VAE's mu)
int ae_batch_size(const ae_model *m);      // the config's batch size: the most images per train call
int ae_epochs(const ae_model *m);          // the config's epochs
void ae_input_shape(const ae_model *m, int *h, int *w, int *c);
size_t ae_param_count(const ae_model *m);
double ae_flops_per_sample(const ae_model *m); // forward + backward, one training sample

// The loss. recon is the mean reconstruction loss per element (BCE from the logits, or MSE after
// the sigmoid; the target is the input itself). A plain autoencoder's loss is recon. A VAE
// (config variational: true) has an encoder that gives mu and log sigma^2 (ENC has 2*latent_dim
// outputs: mu first), and in training decodes z = mu + exp(logvar / 2) * eps, eps ~ N(0, 1) drawn
// for row r of the batch at optimizer step s (ae_steps) as a pure function of (config seed, s, r);
// its loss is L = recon + beta * KL / P, where KL is the mean over the images of
// sum over units of -1/2 (1 + logvar - mu^2 - sigma^2) (nats per image) and P = ae_input_size:
// the beta-VAE loss summed over images and pixels, divided by the constant images * P.
// Everything that does not train (evaluate, trace, encode) is deterministic: z = mu.

// Training on one batch of n images (1 <= n <= batch_size), NHWC floats in [0, 1] (rows 0..n-1
// of the step's noise). Writes the loss L to *loss. Divergence — a NaN/Inf loss or gradient, a
// loss 1000 times the first step's or 100 times the recent average, an update that makes a weight
// infinite — returns AE_ERR_DIVERGED and puts the parameters, the optimizer's moments and the step
// count back to those before the last update, whose loss was sane: the model is usable again.
int ae_train_batch(ae_model *m, const float *images, int n, float *loss);
// The same from uint8 pixels: images[idx[i] * input_size ...] / 255 for i < n.
int ae_train_batch_u8(ae_model *m, const uint8_t *images, const uint32_t *idx, int n, float *loss);
// The loss and its gradient w.r.t. every parameter (ae_param_count floats, in the flat layout),
// with no update: for gradient checks and golden tests. Calls at the same step use the same noise.
int ae_gradients(ae_model *m, const float *images, int n, float *loss, float *grads);
// Data-parallel training: each replica computes the gradient of its share of a batch into its
// gradient buffer (ae_param_count floats: the mean over its n images) with ae_gradients_u8; the
// caller combines the shares in that buffer (weighted by image counts, in the same order on
// every replica) and applies them with ae_apply_gradients, given the batch's mean loss. The
// divergence checks and the update are those of ae_train_batch_u8, so replicas stay identical.
// first is the position of this share's first image in the whole batch (0 <= first,
// first + n <= batch_size): a VAE draws the noise of rows first..first+n-1, so the combined
// gradient is the one ae_train_batch_u8 would compute for the whole batch.
int ae_gradients_u8(ae_model *m, const uint8_t *images, const uint32_t *idx, int n, int first,
                    float *loss);
float *ae_gradient_buffer(ae_model *m);
int ae_apply_gradients(ae_model *m, float loss);
// A seeded permutation of 0..n-1 from the model's data-shuffling stream.
void ae_shuffle(ae_model *m, uint32_t *perm, int n);
int ae_steps(const ae_model *m);           // optimizer steps taken so far
// The run's length for the learning-rate schedule: steps_per_epoch * the config's epochs updates.
// A cosine or one-cycle schedule refuses to step before it is set (AE_ERR_ARG).
int ae_plan_run(ae_model *m, int steps_per_epoch);
// A new run begins at the current step: the schedule starts again from there (a trained model
// trained further with other settings). A new or set model's run begins at step 0; a checkpoint
// keeps the step its run began at.
int ae_begin_run(ae_model *m);
// The learning rate the next update uses (the config's, or the schedule's at ae_steps).
double ae_learning_rate(const ae_model *m);
// The two terms of the loss last computed by ae_train_batch*, ae_gradients* (for this replica's
// share): recon as above, and the KL in nats per image, not scaled by beta (0 for a plain AE).
void ae_last_terms(const ae_model *m, double *recon, double *kl);

// Means over n images of: the loss (for a VAE recon + beta * kl / P, at z = mu), MSE, PSNR (dB,
// pixel range 1), SSIM, the KL (nats per image; 0 for a plain autoencoder), and recon, the
// reconstruction term of the loss alone (the loss itself for a plain autoencoder).
typedef struct {
    double loss, mse, psnr, ssim, kl, recon;
} ae_metrics;
int ae_evaluate(ae_model *m, const float *images, int n, ae_metrics *out);
int ae_evaluate_u8(ae_model *m, const uint8_t *images, int n, ae_metrics *out);
// The mean-image baseline: the metrics above (under this model's loss and input size; kl 0) of
// predicting each of n_val images as the mean of n_train training images (uint8 pixels / 255).
// A model whose validation loss is above this has collapsed: it has learnt less than the average.
int ae_mean_image_u8(ae_model *m, const uint8_t *train, int n_train, const uint8_t *val, int n_val,
                     ae_metrics *out);

// Stages the visualizer shows, in pipeline order (README "Architectures"). Today's default model
// has seven: conv1, conv2, latent, dense, convT1, convT2, output; deeper ones add a stage per
// encoder stage (conv<i>), residual block (enc<i>.res<j>, dec<k>.res<j>), attention block
// (attn_enc, attn_dec, each followed by its weights) and decoder stage (convT<k> or up<k>).
typedef struct {
    const char *name;   // "conv1", "enc1.res1", "attn_enc", "attn_enc.weights", "latent", "dense", ...
    int h, w, c;        // the latent is (g, g, 1); an attention's weights (h, w, h * w): channel q
                        // is the map over the key positions of query position q (row-major)
    size_t offset;      // in floats, into the trace buffer
    const char *kind;   // "conv", "residual", "attention", "attention_weights", "latent", "dense",
                        // "up", "output"
} ae_stage;
int ae_stage_count(const ae_model *m);
int ae_latent_stage(const ae_model *m);    // the stage ae_trace_latent begins at
int ae_stage_info(const ae_model *m, int stage, ae_stage *out);
size_t ae_trace_size(const ae_model *m);   // floats in a trace buffer: all stages end to end
// Runs one image through the model and writes every stage into out (ae_trace_size floats).
int ae_trace(ae_model *m, const float *image, float *out);
// Runs one latent through the decoder and writes the stages latent..output into out, at the
// same offsets as ae_trace (the encoder stages are left untouched).
int ae_trace_latent(ae_model *m, const float *latent, float *out);

// n images -> n latents (n * latent_dim floats; a VAE's mu); n latents -> n images.
int ae_encode(ae_model *m, const float *images, int n, float *latents);
// A VAE's posterior: mu and log sigma^2 of n images (n * latent_dim floats each). AE_ERR_ARG for
// a model that is not variational.
int ae_encode_dist(ae_model *m, const float *images, int n, float *mu, float *logvar);
int ae_decode(ae_model *m, const float *latents, int n, float *images);

// All parameters as one flat buffer of ae_param_count floats, in the order of the tensors below.
int ae_get_params(const ae_model *m, float *out);
// Sets all parameters; rejects a buffer holding NaN/Inf. Resets the optimizer state.
int ae_set_params(ae_model *m, const float *in, size_t count);

// Named parameter tensors (for model files): conv weights are (kh, kw, in, out) — for the
// transposed convs, (kh, kw, out, in): the layout of the conv they are the adjoint of — dense
// weights are (in, out), biases (out). A VAE's enc.weight is (in, 2 * latent_dim): mu's columns
// first, then log sigma^2's.
typedef struct {
    const char *name;   // "conv1.weight", "conv1.bias", ...
    int rank;
    int shape[4];
    size_t offset;      // in floats, into the flat parameter buffer
    size_t count;
} ae_tensor;
int ae_tensor_count(const ae_model *m);
int ae_tensor_info(const ae_model *m, int i, ae_tensor *out);

// The parameters as a safetensors file (format documented in README): tensors as listed by
// ae_tensor_info, __metadata__ with format "aevp", format_version, config, and the string fields
// of metadata_json (an object, may be NULL). *out is malloc'd: release it with ae_free.
int ae_save(const ae_model *m, const char *metadata_json, uint8_t **out, size_t *len);
// A checkpoint: ae_save's file plus the optimizer's state — tensors "optimizer.m1" and
// "optimizer.m2" (param_count floats each: Adam's moments, SGD's momentum in m1, RMSprop's square
// average in m2) and __metadata__ optimizer_steps, optimizer_first_loss, optimizer_loss_average,
// optimizer_run_start and shuffle_state (the data-shuffling stream) — so that training resumed
// from it continues exactly as if it had not stopped.
int ae_save_checkpoint(const ae_model *m, const char *metadata_json, uint8_t **out, size_t *len);
// Builds a model from a model file written by ae_save (or by anything else that follows the
// README's "Model files"): the model comes from __metadata__.config (ae_create's checks apply),
// and the file must hold exactly that model's tensors, F32 with its shapes, whose data_offsets
// tile the data section with no gap, overlap or extra byte, and no NaN/Inf. The file is at most
// 256 MiB, its JSON header at most 1 MiB. On failure returns NULL, sets *status (if not NULL) to
// AE_ERR_DATA (AE_ERR_ARG for NULL bytes), or to ae_create's status for a bad config, and
// ae_last_error() says what is wrong.
// The optimizer state is fresh (steps count from 0) unless the file is a checkpoint, whose state
// is restored. A config without "init" (a file from before that field) means init "he".
ae_model *ae_load(const uint8_t *bytes, size_t len, int *status);
// The same with config fields changed on the way in: config_overrides (a JSON object, may be
// NULL) replaces the file's fields of those names, e.g. {"learning_rate": 0.0001} to resume a
// diverged run more gently. The file's tensors must still fit the changed config.
ae_model *ae_load_with(const uint8_t *bytes, size_t len, const char *config_overrides, int *status);
// The __metadata__ object of a model file as JSON (format, format_version, config, dataset, ...),
// checking only the header's framing, so a page can show what a file is even when ae_load refuses
// it (a newer format_version, say). *json_out is malloc'd: release it with ae_free.
int ae_load_metadata(const uint8_t *bytes, size_t len, char **json_out);
void ae_free(void *p);

// Checks an unsigned-byte IDX file (MNIST's format) in memory: rank (1 labels, 3 images) and
// dims (dims[0] is the count). AE_ERR_DATA with a message if anything does not add up.
int ae_idx_info(const uint8_t *bytes, size_t len, int *rank, uint32_t dims[3]);

// Per-image metrics on images in [0, 1] (HWC, c channels; SSIM averages the channels).
double ae_mse(const float *a, const float *b, int n);
double ae_psnr(double mse);
double ae_ssim(const float *a, const float *b, int h, int w, int c);

// Projections: PCA (pca.c) and t-SNE (tsne.c) of n points of dimension d, row-major floats.

// PCA of n points of dimension d (row-major floats): the mean (d floats), the top k principal
// axes as the rows of components (k*d, unit length, in decreasing order of variance; the sign of
// each axis fixed so that its largest-magnitude coordinate is positive — the first such, on a
// tie), the variance along each (k floats; the variance of the points, divided by n, so that it
// is the mean of the squared projections), and, if proj is not NULL, the points' coordinates on
// the axes (n*k, centred). Axes of equal variance are a deterministic orthonormal basis of their
// space. 1 <= k <= d <= 256, 1 <= n <= 100000. AE_ERR_ARG otherwise, AE_ERR_DATA for NaN/Inf input.
int ae_pca(const float *x, int n, int d, int k, float *mean, float *components, float *variance,
           float *proj);

typedef struct ae_tsne ae_tsne;
// Prepares a Barnes-Hut t-SNE of n points of dimension d into 2-D (2 <= n <= 10000,
// 1 <= d <= 256) with the given perplexity (>= 2 and < (n - 1) / 3) and seed: computes the input
// affinities over the 3 x perplexity nearest neighbours; the embedding starts from a seeded,
// deterministic Gaussian of standard deviation 1e-4. NULL and *status (if not NULL) on failure
// (AE_ERR_ARG, AE_ERR_DATA for NaN/Inf input, AE_ERR_NOMEM); ae_last_error says why.
ae_tsne *ae_tsne_create(const float *x, int n, int d, double perplexity, uint32_t seed,
                        int *status);
// Runs up to `iterations` more gradient iterations (never past ae_tsne_total); returns the number
// done since creation, or minus a status (-AE_ERR_ARG for a NULL handle or iterations < 0).
int ae_tsne_run(ae_tsne *t, int iterations);
int ae_tsne_total(const ae_tsne *t);              // the iterations of a full run: 1000
const float *ae_tsne_embedding(const ae_tsne *t); // n*2 floats; valid until the next run/destroy
void ae_tsne_destroy(ae_tsne *t);

#ifdef __cplusplus
}
#endif
#endif
