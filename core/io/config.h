// config.h — the model configuration: a plain struct, parsed from and written to JSON with cJSON
// through one table of fields (config.c). Validation lives here; nothing here knows about layers.
#ifndef AEVP_CONFIG_H
#define AEVP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "base/enums.h"

enum { AE_MAX_DEPTH = 4 };

typedef struct {
    int filters[AE_MAX_DEPTH]; // the encoder stages' feature maps, 1..128 each; the decoder mirrors them
    int depth;               // how many of filters are given: 1..4 encoder stages
    int kernel_size;         // 3 | 5: every convolution's, padding kernel_size / 2
    ae_downsample downsample; // stride (a stride-2 conv) | maxpool (a conv, then 2x2 max-pooling)
    ae_upsample upsample;    // transpose (a stride-2 transposed conv) | nearest (x2 nearest, then a conv)
    int res_blocks;          // 0..3 residual blocks per stage, in the encoder and the decoder
    ae_attention attention;  // none | encoder | decoder | both: self-attention at the lowest resolution
    int latent_grid;         // g: 1..8, latent_dim = g*g
    ae_activation activation; // relu | leaky_relu | elu | tanh (linear/sigmoid are internal only)
    ae_loss loss;            // bce | mse
    int variational;         // 0 | 1: a VAE head (mu, log sigma^2) and the KL term in the loss
    double beta;             // [0, 100]: the weight of the KL term (variational only)
    ae_init init;            // how the weights and biases are first drawn
    ae_optimizer optimizer;  // adam | sgd (momentum 0.9) | rmsprop
    double learning_rate;    // (0, 10]: the peak rate of a schedule
    ae_schedule schedule;    // constant | cosine | onecycle
    double warmup;           // [0, 0.5]: onecycle's share of the run spent rising to the peak
    double weight_decay;     // [0, 1]: decoupled (AdamW-style) decay per step, times the rate
    int batch_size;          // 1..512
    int epochs;              // 1..1000
    uint32_t seed;           // 0..4294967295
    int input_h, input_w, input_c; // h, w: 4..256 and at least 2^depth; c: 1..4
} ae_config;

void config_defaults(ae_config *cfg);

// Parses JSON text (NULL or empty means "{}") over the defaults. Returns 0, or AE_ERR_CONFIG with
// the engine's error message (ae_fail) naming the field, the rule and the value seen, copied into
// err too if err is not NULL: "config: latent_grid must be 1..8 (got 12)", "config: unknown key \"foo\"".
int config_parse(ae_config *cfg, const char *json, char *err, size_t err_cap);

// Writes the full config (every field) as compact JSON; returns a malloc'd string or NULL.
char *config_to_json(const ae_config *cfg);

// Every field of the config as JSON (name, type, range or choices, default, rule, help), from the
// same table as config_parse: the page builds its form and share link from it. Static text, built
// once; NULL only if that one allocation failed.
const char *config_schema_json(void);

const char *activation_name(ae_activation a);
#endif
