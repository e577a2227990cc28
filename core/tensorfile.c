// tensorfile.c — the model file: the parameters as safetensors (8-byte little-endian header
// length, a JSON header written with cJSON, raw little-endian F32 data), in memory only.
#include <stdlib.h>
#include <string.h>

#include "aevp.h"
#include "cJSON.h"
#include "model.h"

#define TENSORFILE_FORMAT_VERSION "1"

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

int ae_save(const ae_model *m, const char *metadata_json, uint8_t **out, size_t *len) {
    if (!m || !out || !len) return AE_ERR_ARG;
    cJSON *header = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(header, "__metadata__");
    cJSON_AddStringToObject(meta, "format", "aevp");
    cJSON_AddStringToObject(meta, "format_version", TENSORFILE_FORMAT_VERSION);
    cJSON_AddStringToObject(meta, "config", m->config_json);
    if (!add_metadata(meta, metadata_json)) {
        cJSON_Delete(header);
        return AE_ERR_ARG;
    }
    for (int t = 0; t < ae_tensor_count(m); t++) {
        ae_tensor info;
        ae_tensor_info(m, t, &info);
        cJSON *entry = cJSON_AddObjectToObject(header, info.name);
        cJSON_AddStringToObject(entry, "dtype", "F32");
        cJSON *shape = cJSON_AddArrayToObject(entry, "shape");
        for (int d = 0; d < info.rank; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber(info.shape[d]));
        cJSON *offsets = cJSON_AddArrayToObject(entry, "data_offsets");
        cJSON_AddItemToArray(offsets, cJSON_CreateNumber((double)(info.offset * 4)));
        cJSON_AddItemToArray(offsets, cJSON_CreateNumber((double)((info.offset + info.count) * 4)));
    }
    char *text = cJSON_PrintUnformatted(header);
    cJSON_Delete(header);
    if (!text) return AE_ERR_NOMEM;
    size_t text_len = strlen(text), padded = (text_len + 7) / 8 * 8; // data starts 8-aligned
    size_t data_len = m->param_count * sizeof(float);
    uint8_t *buf = malloc(8 + padded + data_len);
    if (!buf) {
        free(text);
        return AE_ERR_NOMEM;
    }
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    memcpy(buf + 8, text, text_len);
    memset(buf + 8 + text_len, ' ', padded - text_len);
    free(text);
    uint8_t *data = buf + 8 + padded;
    for (size_t i = 0; i < m->param_count; i++) { // little-endian whatever the host
        uint32_t bits;
        memcpy(&bits, &m->params[i], 4);
        for (int b = 0; b < 4; b++) data[4 * i + b] = (uint8_t)(bits >> (8 * b));
    }
    *out = buf;
    *len = 8 + padded + data_len;
    return AE_OK;
}

void ae_free(void *p) { free(p); }
