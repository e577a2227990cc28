// config_fixtures.h — what the config tests and the config fuzz target both need: field-by-field
// equality of two configs, and a config unlike the defaults in every field.
#ifndef AEVP_CONFIG_FIXTURES_H
#define AEVP_CONFIG_FIXTURES_H

#include "io/config.h"

static int config_equal(const ae_config *a, const ae_config *b) {
    return a->filters[0] == b->filters[0] && a->filters[1] == b->filters[1] &&
           a->latent_grid == b->latent_grid && a->activation == b->activation && a->loss == b->loss &&
           a->variational == b->variational && a->beta == b->beta && a->init == b->init &&
           a->schedule == b->schedule && a->warmup == b->warmup && a->weight_decay == b->weight_decay &&
           a->optimizer == b->optimizer && a->learning_rate == b->learning_rate &&
           a->batch_size == b->batch_size && a->epochs == b->epochs && a->seed == b->seed &&
           a->input_h == b->input_h && a->input_w == b->input_w && a->input_c == b->input_c;
}

// A config unlike the defaults in every field, so a field that is not read or not written shows.
static ae_config config_sentinel(void) {
    ae_config cfg;
    config_defaults(&cfg);
    cfg.filters[0] = 7;
    cfg.filters[1] = 9;
    cfg.latent_grid = 5;
    cfg.activation = ACT_TANH;
    cfg.loss = LOSS_MSE;
    cfg.variational = 1;
    cfg.beta = 0.25;
    cfg.init = INIT_GLOROT;
    cfg.schedule = SCHEDULE_ONECYCLE;
    cfg.warmup = 0.125;
    cfg.weight_decay = 0.01;
    cfg.optimizer = OPT_SGD;
    cfg.learning_rate = 0.25;
    cfg.batch_size = 3;
    cfg.epochs = 77;
    cfg.seed = 99;
    cfg.input_h = 12;
    cfg.input_w = 16;
    cfg.input_c = 2;
    return cfg;
}
#endif
