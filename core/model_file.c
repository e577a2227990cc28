// model_file.c — the model file (README "Model files"): a model's tensors, and for a checkpoint
// its optimizer's state, as safetensors (io/safetensors.c does the framing), written and read back.
// Bytes in memory only: no file I/O, and nothing here knows how a model computes.
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aevp.h"
#include "base/error.h"
#include "base/quote.h"
#include "cJSON.h"
#include "io/safetensors.h"
#include "model/model.h"

#define MODEL_FILE_FORMAT_VERSION "1"
#define MODEL_FILE_FORMAT_VERSION_NUMBER 1

// Adds every string field of the caller's metadata object (non-strings are written as JSON).
static int add_metadata(cJSON *meta, const char *metadata_json) {
    if (!metadata_json || !*metadata_json) return 1;
    cJSON *extra = cJSON_Parse(metadata_json);
    if (!cJSON_IsObject(extra)) {
        cJSON_Delete(extra);
        return 0;
    }
    for (cJSON *item = extra->child; item; item = item->next) {
        if (cJSON_GetObjectItemCaseSensitive(meta, item->string)) continue;
        if (cJSON_IsString(item)) {
            cJSON_AddStringToObject(meta, item->string, item->valuestring);
        } else {
            char *text = cJSON_PrintUnformatted(item);
            if (text) cJSON_AddStringToObject(meta, item->string, text);
            free(text);
        }
    }
    cJSON_Delete(extra);
    return 1;
}

// The tensors of a file: the model's, then (a checkpoint) the optimizer's two moment arrays, each
// flat over the parameters.
static int file_tensors(const ae_model *m, int with_state, st_tensor *out) {
    int count = ae_tensor_count(m);
    for (int t = 0; t < count; t++) {
        const model_tensor *mt = &m->tensors[t];
        out[t] = (st_tensor){mt->name, mt->rank, {mt->shape[0], mt->shape[1], mt->shape[2], mt->shape[3]},
                             mt->count, m->params + mt->offset};
    }
    if (!with_state) return count;
    for (int k = 0; k < 2; k++)
        out[count + k] = (st_tensor){k == 0 ? "optimizer.m1" : "optimizer.m2", 1, {(int)m->param_count, 0, 0, 0},
                                     m->param_count, m->moments + (size_t)k * m->param_count};
    return count + 2;
}

static void add_state_metadata(cJSON *meta, const ae_model *m) {
    char text[40];
    snprintf(text, sizeof text, "%d", m->steps);
    cJSON_AddStringToObject(meta, "optimizer_steps", text);
    snprintf(text, sizeof text, "%.17g", m->first_loss);
    cJSON_AddStringToObject(meta, "optimizer_first_loss", text);
    snprintf(text, sizeof text, "%.17g", m->loss_average);
    cJSON_AddStringToObject(meta, "optimizer_loss_average", text);
    snprintf(text, sizeof text, "%ld", m->run_start);
    cJSON_AddStringToObject(meta, "optimizer_run_start", text);
    // The data-shuffling stream too: the next epoch's order is the one an unbroken run would take.
    snprintf(text, sizeof text, "%016" PRIx64 "%016" PRIx64, m->shuffle_rng.state, m->shuffle_rng.inc);
    cJSON_AddStringToObject(meta, "shuffle_state", text);
}

static int save_file(const ae_model *m, const char *metadata_json, int with_state, uint8_t **out, size_t *len) {
    if (!m || !out || !len) return ae_fail(AE_ERR_ARG, "save: no model or result pointers");
    cJSON *meta = cJSON_CreateObject();
    if (!meta) return ae_fail(AE_ERR_NOMEM, "save: out of memory writing the header");
    cJSON_AddStringToObject(meta, "format", "aevp");
    cJSON_AddStringToObject(meta, "format_version", MODEL_FILE_FORMAT_VERSION);
    cJSON_AddStringToObject(meta, "config", m->config_json);
    if (with_state) add_state_metadata(meta, m);
    if (!add_metadata(meta, metadata_json)) {
        cJSON_Delete(meta);
        return ae_fail(AE_ERR_ARG, "save: the metadata must be a JSON object");
    }
    st_tensor tensors[MODEL_MAX_TENSORS + 2];
    int rc = safetensors_write(meta, tensors, file_tensors(m, with_state, tensors), out, len);
    cJSON_Delete(meta);
    return rc;
}

int ae_save(const ae_model *m, const char *metadata_json, uint8_t **out, size_t *len) {
    return save_file(m, metadata_json, 0, out, len);
}

int ae_save_checkpoint(const ae_model *m, const char *metadata_json, uint8_t **out, size_t *len) {
    return save_file(m, metadata_json, 1, out, len);
}

void ae_free(void *p) { free(p); }

// --- Reading -----------------------------------------------------------------------------------

// The metadata fields AeVP reads must appear once each: which copy of a repeat a reader takes is
// arbitrary.
static const char *const read_keys[] = {"format", "format_version", "config"};

int ae_load_metadata(const uint8_t *bytes, size_t len, char **json_out) {
    if (!json_out) return ae_fail(AE_ERR_ARG, "no result pointer");
    *json_out = NULL;
    st_file h;
    int rc = safetensors_open(&h, bytes, len, read_keys, 3);
    if (rc != AE_OK) return rc;
    *json_out = cJSON_PrintUnformatted(h.meta);
    safetensors_close(&h);
    if (!*json_out) return ae_fail(AE_ERR_NOMEM, "out of memory writing the metadata");
    return AE_OK;
}

// format "aevp" and a format_version this reader knows.
static int check_format(const cJSON *meta) {
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(meta, "format");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(meta, "format_version");
    quoted seen;
    if (!format) return ae_fail(AE_ERR_DATA, "model file: __metadata__ has no \"format\" (\"aevp\")");
    if (strcmp(format->valuestring, "aevp") != 0) {
        ae_quote(seen, sizeof seen, format->valuestring);
        return ae_fail(AE_ERR_DATA, "model file: format %s is not \"aevp\"", seen);
    }
    if (!version) return ae_fail(AE_ERR_DATA, "model file: __metadata__ has no \"format_version\"");
    const char *v = version->valuestring;
    size_t digits = strspn(v, "0123456789");
    ae_quote(seen, sizeof seen, v);
    if (digits == 0 || digits > 9 || v[digits] || (v[0] == '0'))
        return ae_fail(AE_ERR_DATA, "model file: format_version %s is not a version number", seen);
    if (atoi(v) > MODEL_FILE_FORMAT_VERSION_NUMBER)
        return ae_fail(AE_ERR_DATA, "model file: format_version %s is newer than this AeVP reads (%d)",
                       seen, MODEL_FILE_FORMAT_VERSION_NUMBER);
    return AE_OK;
}

// A checkpoint's step count and loss references, from its __metadata__.
static int read_state(ae_model *m, const cJSON *meta) {
    const char *names[4] = {"optimizer_steps", "optimizer_first_loss", "optimizer_loss_average", "optimizer_run_start"};
    double values[4];
    for (int k = 0; k < 4; k++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(meta, names[k]);
        char *end = NULL;
        values[k] = item ? strtod(item->valuestring, &end) : NAN;
        if (!item || end == item->valuestring || *end || !isfinite(values[k]) || values[k] < 0 ||
            ((k == 0 || k == 3) && (values[k] != floor(values[k]) || values[k] > 2147483647.0)))
            return ae_fail(AE_ERR_DATA, "model file: the optimizer state needs __metadata__ \"%s\", %s", names[k],
                           k == 0 || k == 3 ? "a whole number of steps" : "a finite number >= 0");
    }
    if (values[3] > values[0]) {
        return ae_fail(AE_ERR_DATA, "model file: optimizer_run_start %.0f is after optimizer_steps %.0f", values[3],
                       values[0]);
    }
    const cJSON *shuffle = cJSON_GetObjectItemCaseSensitive(meta, "shuffle_state");
    const char *hex = shuffle ? shuffle->valuestring : "";
    if (strlen(hex) != 32 || strspn(hex, "0123456789abcdef") != 32)
        return ae_fail(AE_ERR_DATA, "model file: the optimizer state needs __metadata__ \"shuffle_state\", 32 hex digits");
    char half[17] = {0};
    memcpy(half, hex, 16);
    uint64_t state = strtoull(half, NULL, 16);
    memcpy(half, hex + 16, 16);
    uint64_t inc = strtoull(half, NULL, 16);
    if (!(inc & 1)) return ae_fail(AE_ERR_DATA, "model file: shuffle_state is not a PCG32 state (its increment is even)");
    m->steps = (int)values[0];
    m->first_loss = values[1];
    m->loss_average = values[2];
    m->run_start = (long)values[3];
    m->can_roll_back = 0;
    m->shuffle_rng.state = state;
    m->shuffle_rng.inc = inc;
    return AE_OK;
}

// The config a file's model is built from: the file's, with "init": "he" where it names none (a
// file written before the init field drew its first weights by that rule, so training it again
// from its seed gives the same model), and the caller's overrides on top. NULL with a message if
// the overrides are not a JSON object; the merged text is checked by ae_create as usual.
static char *file_config(const char *text, const char *overrides, int *rc) {
    cJSON *config = cJSON_Parse(text), *extra = overrides && *overrides ? cJSON_Parse(overrides) : NULL;
    char *out = NULL;
    *rc = AE_OK;
    if (overrides && *overrides && !cJSON_IsObject(extra)) {
        *rc = ae_fail(AE_ERR_CONFIG, "config: the overrides must be a JSON object");
    } else if (!cJSON_IsObject(config)) {
        size_t n = strlen(text) + 1; // not an object: ae_create says what is wrong with it
        out = malloc(n);
        if (out) memcpy(out, text, n);
    } else {
        if (!cJSON_GetObjectItemCaseSensitive(config, "init")) cJSON_AddStringToObject(config, "init", "he");
        for (cJSON *item = extra ? extra->child : NULL; item; item = item->next) {
            cJSON *copy = cJSON_Duplicate(item, 1);
            if (!copy) break;
            if (cJSON_GetObjectItemCaseSensitive(config, item->string))
                cJSON_ReplaceItemInObjectCaseSensitive(config, item->string, copy);
            else
                cJSON_AddItemToObject(config, item->string, copy);
        }
        out = cJSON_PrintUnformatted(config);
    }
    if (!out && *rc == AE_OK) *rc = ae_fail(AE_ERR_NOMEM, "model file: out of memory reading the config");
    cJSON_Delete(config);
    cJSON_Delete(extra);
    return out;
}

ae_model *ae_load(const uint8_t *bytes, size_t len, int *status) {
    return ae_load_with(bytes, len, NULL, status);
}

ae_model *ae_load_with(const uint8_t *bytes, size_t len, const char *config_overrides, int *status) {
    st_file h;
    ae_model *m = NULL;
    int rc = safetensors_open(&h, bytes, len, read_keys, 3);
    if (rc == AE_OK) rc = check_format(h.meta);
    if (rc == AE_OK) {
        const char *config = safetensors_meta(&h, "config");
        if (!config) {
            rc = ae_fail(AE_ERR_DATA, "model file: __metadata__ has no \"config\"");
        } else {
            char *merged = file_config(config, config_overrides, &rc);
            m = merged ? ae_create(merged, &rc) : NULL;
            free(merged);
            if (!m && merged) {
                // ae_create's message names the field; say where the config came from.
                char reason[512];
                snprintf(reason, sizeof reason, "%s", ae_last_error());
                ae_fail(rc, "model file: %s", reason);
            }
        }
    }
    // A checkpoint holds optimizer.m1 and optimizer.m2 too: both, or it is a damaged file.
    int with_state = rc == AE_OK && (safetensors_has(&h, "optimizer.m1") || safetensors_has(&h, "optimizer.m2"));
    if (rc == AE_OK) {
        st_tensor tensors[MODEL_MAX_TENSORS + 2];
        rc = safetensors_read(&h, tensors, file_tensors(m, with_state, tensors));
    }
    if (rc == AE_OK && with_state) rc = read_state(m, h.meta);
    if (h.root) safetensors_close(&h);
    if (rc != AE_OK) {
        ae_destroy(m);
        m = NULL;
    }
    if (status) *status = rc;
    return m;
}
