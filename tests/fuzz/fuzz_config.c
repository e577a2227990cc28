// fuzz_config.c — libFuzzer target for config_parse (core/config.h): any bytes as config JSON text,
// and for every accepted config a write/read round trip that must give the same struct and bytes.
// Not a test of the model a config builds (fuzz_tensorfile.c reaches ae_create through ae_load).
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aevp.h"
#include "io/config.h"

// A fuzz target may trap; the library may not. Every broken contract ends here.
#define REQUIRE(cond) \
    do {              \
        if (!(cond)) __builtin_trap(); \
    } while (0)

#include "../config_fixtures.h"

// The ranges config.h documents for every field of an accepted config.
static int config_in_range(const ae_config *c) {
    if (c->depth < 1 || c->depth > AE_MAX_DEPTH) return 0;
    for (int i = 0; i < c->depth; i++)
        if (c->filters[i] < 1 || c->filters[i] > 128) return 0;
    int least = 1 << c->depth;
    int sides_ok = c->input_h >= least && c->input_h <= 256 && c->input_w >= least && c->input_w <= 256 &&
                   c->input_c >= 1 && c->input_c <= 4;
    int arch_ok = (c->kernel_size == 3 || c->kernel_size == 5) && c->downsample <= DOWN_MAXPOOL &&
                  c->upsample <= UP_NEAREST && c->res_blocks >= 0 && c->res_blocks <= 3 && c->attention <= ATTN_BOTH;
    return arch_ok && c->latent_grid >= 1 && c->latent_grid <= 8 && c->activation <= ACT_TANH &&
           c->loss <= LOSS_MSE && c->optimizer <= OPT_RMSPROP && c->learning_rate > 0 &&
           c->learning_rate <= 10 && c->batch_size >= 1 && c->batch_size <= 512 && c->epochs >= 1 &&
           c->epochs <= 1000 && sides_ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    ae_config cfg = config_sentinel();
    const ae_config before = cfg;
    char err[256] = "untouched";
    int rc = config_parse(&cfg, text, err, sizeof err);
    REQUIRE(rc == AE_OK || rc == AE_ERR_CONFIG);
    REQUIRE(memchr(err, '\0', sizeof err) != NULL);

    // The message buffer is optional: without one the verdict and the result are the same.
    ae_config quiet = config_sentinel();
    REQUIRE(config_parse(&quiet, text, NULL, 0) == rc);
    // A one-byte buffer still gets a terminated (empty) message.
    char tiny[1] = {'x'};
    ae_config tiny_cfg = config_sentinel();
    REQUIRE(config_parse(&tiny_cfg, text, tiny, sizeof tiny) == rc && tiny[0] == '\0');
    free(text);

    if (rc != AE_OK) {
        // A rejected config leaves the struct as it was and says why, naming the config.
        REQUIRE(config_equal(&cfg, &before) && config_equal(&quiet, &before));
        REQUIRE(strncmp(err, "config: ", 8) == 0);
        return 0;
    }
    REQUIRE(err[0] == '\0');
    REQUIRE(config_equal(&cfg, &quiet) && config_equal(&cfg, &tiny_cfg));
    REQUIRE(config_in_range(&cfg));

    // Written and read back, an accepted config is the same struct, and writes the same bytes.
    char *json = config_to_json(&cfg);
    REQUIRE(json != NULL);
    ae_config back = config_sentinel();
    REQUIRE(config_parse(&back, json, err, sizeof err) == AE_OK);
    REQUIRE(config_equal(&cfg, &back));
    char *again = config_to_json(&back);
    REQUIRE(again != NULL && strcmp(json, again) == 0);
    free(again);
    free(json);
    return 0;
}
