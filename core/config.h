// config.h — the model configuration: a plain struct, parsed from and written to JSON with cJSON.
// Validation lives here; nothing here knows about layers or training.
#ifndef AEVP_CONFIG_H
#define AEVP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef enum { ACT_RELU, ACT_LEAKY_RELU, ACT_ELU, ACT_TANH, ACT_LINEAR, ACT_SIGMOID } ae_activation;
typedef enum { LOSS_BCE, LOSS_MSE } ae_loss;
typedef enum { OPT_ADAM, OPT_SGD, OPT_RMSPROP } ae_optimizer;

typedef struct {
    int filters[2];          // F1, F2: 1..64
    int latent_grid;         // g: 1..8, latent_dim = g*g
    ae_activation activation; // relu | leaky_relu | elu | tanh (linear/sigmoid are internal only)
    ae_loss loss;            // bce | mse
    int variational;         // 0 | 1: a VAE head (mu, log sigma^2) and the KL term in the loss
    double beta;             // [0, 100]: the weight of the KL term (variational only)
    ae_optimizer optimizer;  // adam | sgd (momentum 0.9) | rmsprop
    double learning_rate;    // (0, 10]
    int batch_size;          // 1..512
    int epochs;              // 1..1000
    uint32_t seed;           // 0..4294967295
    int input_h, input_w, input_c; // h, w: 4..256, divisible by 4; c: 1..4
} ae_config;

void config_defaults(ae_config *cfg);

// Parses JSON text (NULL or empty means "{}") over the defaults. Returns 0, or AE_ERR_CONFIG with
// a message in err naming the field, the rule and the value seen:
//   "config: latent_grid must be 1..8 (got 12)", "config: unknown key \"foo\"".
int config_parse(ae_config *cfg, const char *json, char *err, size_t err_cap);

// Writes the full config (every field) as compact JSON; returns a malloc'd string or NULL.
char *config_to_json(const ae_config *cfg);

const char *activation_name(ae_activation a);
#endif
