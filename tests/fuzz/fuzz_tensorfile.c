// fuzz_tensorfile.c — libFuzzer target for the model-file reader (core/model_file.c, io/safetensors.c): ae_load and
// ae_load_metadata on any bytes, and for every accepted file a save/load round trip. Not a test of
// what a loaded model computes; LeakSanitizer checks that every path releases what it took.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aevp.h"

#define REQUIRE(cond) \
    do {              \
        if (!(cond)) __builtin_trap(); \
    } while (0)

// ae_load builds the model named by the file's config, arenas included: a config asking for a big
// batch or input costs milliseconds per run. Model files over 64 KiB hold big models only, so
// they are skipped to keep the fuzzer fast; the reader's framing checks do not depend on size.
#define MAX_INPUT (64 * 1024)

static float *params_of(const ae_model *m) {
    size_t n = ae_param_count(m);
    float *p = malloc((n ? n : 1) * sizeof(float));
    REQUIRE(p != NULL);
    REQUIRE(ae_get_params(m, p) == AE_OK);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > MAX_INPUT) return 0;

    // The metadata reader checks only the framing: it must accept every file ae_load accepts.
    char *meta = (char *)data; // any non-NULL value: the reader must reset it
    int meta_rc = ae_load_metadata(data, size, &meta);
    REQUIRE(meta_rc == AE_OK || meta_rc == AE_ERR_DATA || meta_rc == AE_ERR_NOMEM);
    REQUIRE((meta_rc == AE_OK) == (meta != NULL));
    if (meta_rc == AE_OK) REQUIRE(meta[0] == '{');

    int status = -1;
    ae_model *m = ae_load(data, size, &status);
    if (!m) {
        REQUIRE(status != AE_OK && status != -1);
        REQUIRE(ae_last_error()[0] != '\0');
        ae_free(meta);
        return 0;
    }
    REQUIRE(status == AE_OK && meta_rc == AE_OK);

    // Saved with the metadata it came with and loaded again: the same config and parameters.
    uint8_t *saved = NULL;
    size_t saved_len = 0;
    REQUIRE(ae_save(m, meta, &saved, &saved_len) == AE_OK);
    ae_model *again = ae_load(saved, saved_len, &status);
    REQUIRE(again != NULL && status == AE_OK);
    REQUIRE(strcmp(ae_config_json(m), ae_config_json(again)) == 0);
    REQUIRE(ae_param_count(m) == ae_param_count(again));
    float *first = params_of(m), *second = params_of(again);
    REQUIRE(memcmp(first, second, ae_param_count(m) * sizeof(float)) == 0);

    // The writer is a fixed point: the reloaded model with its reloaded metadata writes the same bytes.
    char *meta_again = NULL;
    REQUIRE(ae_load_metadata(saved, saved_len, &meta_again) == AE_OK);
    uint8_t *resaved = NULL;
    size_t resaved_len = 0;
    REQUIRE(ae_save(again, meta_again, &resaved, &resaved_len) == AE_OK);
    REQUIRE(resaved_len == saved_len && memcmp(saved, resaved, saved_len) == 0);

    free(first);
    free(second);
    ae_free(resaved);
    ae_free(meta_again);
    ae_free(saved);
    ae_free(meta);
    ae_destroy(again);
    ae_destroy(m);
    return 0;
}
