// tensorfile.c — the model file: the parameters as safetensors (8-byte little-endian header
// length, a JSON header handled with cJSON, raw little-endian F32 data), written and read back.
// Bytes in memory only: no file I/O, and nothing here knows how a model computes.
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aevp.h"
#include "cJSON.h"
#include "error.h"
#include "model.h"
#include "quote.h"

#define TENSORFILE_FORMAT_VERSION "1"
#define TENSORFILE_FORMAT_VERSION_NUMBER 1

// Reading caps, checked before anything is parsed or allocated. The header of the largest model
// the engine accepts is under 2 KB; 1 MiB leaves room for long metadata and bounds what cJSON
// allocates for a hostile header. 256 MiB is far above the largest model's parameters (the
// engine's 1 GiB cap covers parameters, gradients, moments and activations together).
#define AEVP_MAX_HEADER ((uint64_t)1 << 20)
#define AEVP_MAX_FILE ((size_t)256 << 20)

// Names from the file are shortened in messages so that one stays readable on one line.

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
// flat over the parameters, so that their offsets continue the parameters' in the data section.
static int file_tensors(const ae_model *m, int with_state, ae_tensor *out) {
    int count = ae_tensor_count(m);
    for (int t = 0; t < count; t++) out[t] = m->tensors[t];
    if (!with_state) return count;
    for (int k = 0; k < 2; k++) {
        ae_tensor *t = &out[count + k];
        memset(t, 0, sizeof *t);
        t->name = k == 0 ? "optimizer.m1" : "optimizer.m2";
        t->rank = 1;
        t->shape[0] = (int)m->param_count;
        t->offset = (1 + (size_t)k) * m->param_count;
        t->count = m->param_count;
    }
    return count + 2;
}

// The float behind a file tensor's offset: a parameter, or an optimizer moment after them.
static float *file_value(const ae_model *m, size_t offset) {
    return offset < m->param_count ? m->params + offset : m->moments + (offset - m->param_count);
}

static void add_state_metadata(cJSON *meta, const ae_model *m) {
    char text[40];
    snprintf(text, sizeof text, "%d", m->steps);
    cJSON_AddStringToObject(meta, "optimizer_steps", text);
    snprintf(text, sizeof text, "%.17g", m->first_loss);
    cJSON_AddStringToObject(meta, "optimizer_first_loss", text);
    snprintf(text, sizeof text, "%.17g", m->loss_average);
    cJSON_AddStringToObject(meta, "optimizer_loss_average", text);
    // The data-shuffling stream too: the next epoch's order is the one an unbroken run would take.
    snprintf(text, sizeof text, "%016" PRIx64 "%016" PRIx64, m->shuffle_rng.state, m->shuffle_rng.inc);
    cJSON_AddStringToObject(meta, "shuffle_state", text);
}

static int save_file(const ae_model *m, const char *metadata_json, int with_state, uint8_t **out, size_t *len) {
    if (!m || !out || !len) return ae_fail(AE_ERR_ARG, "save: no model or result pointers");
    cJSON *header = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(header, "__metadata__");
    if (!meta) {
        cJSON_Delete(header);
        return ae_fail(AE_ERR_NOMEM, "save: out of memory writing the header");
    }
    cJSON_AddStringToObject(meta, "format", "aevp");
    cJSON_AddStringToObject(meta, "format_version", TENSORFILE_FORMAT_VERSION);
    cJSON_AddStringToObject(meta, "config", m->config_json);
    if (with_state) add_state_metadata(meta, m);
    if (!add_metadata(meta, metadata_json)) {
        cJSON_Delete(header);
        return ae_fail(AE_ERR_ARG, "save: the metadata must be a JSON object");
    }
    ae_tensor tensors[2 * LAYER_COUNT + 2];
    int tensor_count = file_tensors(m, with_state, tensors);
    for (int t = 0; t < tensor_count; t++) {
        ae_tensor info = tensors[t];
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
    if (!text) return ae_fail(AE_ERR_NOMEM, "save: out of memory writing the header");
    size_t text_len = strlen(text), padded = (text_len + 7) / 8 * 8; // data starts 8-aligned
    size_t values = (with_state ? 3 : 1) * m->param_count, data_len = values * sizeof(float);
    uint8_t *buf = malloc(8 + padded + data_len);
    if (!buf) {
        free(text);
        return ae_fail(AE_ERR_NOMEM, "save: out of memory for a %zu-byte file", 8 + padded + data_len);
    }
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    memcpy(buf + 8, text, text_len);
    memset(buf + 8 + text_len, ' ', padded - text_len);
    free(text);
    uint8_t *data = buf + 8 + padded;
    for (size_t i = 0; i < values; i++) { // little-endian whatever the host
        uint32_t bits;
        memcpy(&bits, file_value(m, i), 4);
        for (int b = 0; b < 4; b++) data[4 * i + b] = (uint8_t)(bits >> (8 * b));
    }
    *out = buf;
    *len = 8 + padded + data_len;
    return AE_OK;
}

int ae_save(const ae_model *m, const char *metadata_json, uint8_t **out, size_t *len) {
    return save_file(m, metadata_json, 0, out, len);
}

int ae_save_checkpoint(const ae_model *m, const char *metadata_json, uint8_t **out, size_t *len) {
    return save_file(m, metadata_json, 1, out, len);
}

void ae_free(void *p) { free(p); }

// --- Reading -----------------------------------------------------------------------------------



static uint64_t read_u64le(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

// A JSON number that is a whole number in 0..2^53 (so exact in a double) into *out; 0 if not.
static int json_whole(const cJSON *item, uint64_t *out) {
    if (!cJSON_IsNumber(item)) return 0;
    double v = item->valuedouble;
    if (!(v >= 0.0 && v <= 9007199254740992.0) || v != floor(v)) return 0;
    *out = (uint64_t)v;
    return 1;
}

// The header of a model file: the parsed JSON, its __metadata__, and where the data section is.
typedef struct {
    cJSON *root;
    const cJSON *meta;
    const uint8_t *data;
    size_t data_len;
} file_header;

// Checks the framing (lengths, a JSON object, __metadata__ holding strings) and parses the header.
// On success the caller owns h->root.
static int parse_header(const uint8_t *bytes, size_t len, file_header *h) {
    memset(h, 0, sizeof *h);
    if (len < 8)
        return ae_fail(AE_ERR_DATA, "model file: %zu bytes is too short (the header length alone "
                                    "takes 8)", len);
    if (!bytes) return ae_fail(AE_ERR_ARG, "model file: no bytes");
    if (len > AEVP_MAX_FILE)
        return ae_fail(AE_ERR_DATA, "model file: %zu bytes exceeds the limit of %zu MiB", len,
                       AEVP_MAX_FILE >> 20);
    uint64_t header_len = read_u64le(bytes);
    if (header_len > len - 8)
        return ae_fail(AE_ERR_DATA, "model file: header length %" PRIu64 " exceeds the file "
                                    "(%zu bytes)", header_len, len);
    if (header_len < 2)
        return ae_fail(AE_ERR_DATA, "model file: header length %" PRIu64 " is too short for a "
                                    "JSON object (at least 2)", header_len);
    if (header_len > AEVP_MAX_HEADER)
        return ae_fail(AE_ERR_DATA, "model file: header length %" PRIu64 " exceeds the limit of "
                                    "%" PRIu64 " bytes", header_len, AEVP_MAX_HEADER);
    const char *text = (const char *)bytes + 8;
    size_t text_len = (size_t)header_len;
    // A NUL would end a tensor name early in C: "conv1.weight\0x" must not pass as conv1.weight.
    const char *nul = memchr(text, 0, text_len);
    if (nul)
        return ae_fail(AE_ERR_DATA, "model file: the header holds a NUL byte at offset %zu",
                       (size_t)(nul - text));
    // cJSON_ParseWithLength stops after the value; the Opts form says where, so that what follows
    // can be checked to be padding only.
    const char *end = NULL;
    h->root = cJSON_ParseWithLengthOpts(text, text_len, &end, 0);
    if (!h->root) {
        const char *at = cJSON_GetErrorPtr();
        size_t where = at && at >= text && at <= text + text_len ? (size_t)(at - text) : 0;
        return ae_fail(AE_ERR_DATA, "model file: the header is not valid JSON (error near byte %zu "
                                    "of %zu)", where, text_len);
    }
    for (const char *p = end; p < text + text_len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete(h->root);
            h->root = NULL;
            return ae_fail(AE_ERR_DATA, "model file: the header has %zu bytes after its JSON value "
                                        "that are not padding", (size_t)(text + text_len - end));
        }
    }
    int rc = AE_OK;
    if (cJSON_IsObject(h->root)) h->meta = cJSON_GetObjectItemCaseSensitive(h->root, "__metadata__");
    if (!cJSON_IsObject(h->root)) {
        rc = ae_fail(AE_ERR_DATA, "model file: the header is not a JSON object");
    } else if (!h->meta) {
        rc = ae_fail(AE_ERR_DATA, "model file: the header has no __metadata__");
    } else if (!cJSON_IsObject(h->meta)) {
        rc = ae_fail(AE_ERR_DATA, "model file: __metadata__ is not an object");
    } else {
        // safetensors' __metadata__ maps strings to strings; other readers rely on it. cJSON keeps
        // repeated keys, and which copy a reader takes is arbitrary, so the fields AeVP reads must
        // appear once (counted in one pass: a hostile header can hold ~10^5 fields).
        static const char *const read_fields[] = {"format", "format_version", "config"};
        int repeats[3] = {0, 0, 0};
        for (const cJSON *item = h->meta->child; item && rc == AE_OK; item = item->next) {
            for (int f = 0; f < 3; f++) repeats[f] += strcmp(item->string, read_fields[f]) == 0;
            if (!cJSON_IsString(item)) {
                quoted name;
                ae_quote(name, sizeof name, item->string);
                rc = ae_fail(AE_ERR_DATA, "model file: __metadata__ field %s is not a string", name);
            }
        }
        for (int f = 0; f < 3 && rc == AE_OK; f++)
            if (repeats[f] > 1)
                rc = ae_fail(AE_ERR_DATA, "model file: __metadata__ field \"%s\" appears %d times",
                             read_fields[f], repeats[f]);
        for (const cJSON *item = h->root->child; item && rc == AE_OK; item = item->next)
            if (item != h->meta && strcmp(item->string, "__metadata__") == 0)
                rc = ae_fail(AE_ERR_DATA, "model file: __metadata__ appears twice");
    }
    if (rc != AE_OK) {
        cJSON_Delete(h->root);
        h->root = NULL;
        return rc;
    }
    h->data = bytes + 8 + text_len;
    h->data_len = len - 8 - text_len;
    return AE_OK;
}

int ae_load_metadata(const uint8_t *bytes, size_t len, char **json_out) {
    if (!json_out) return ae_fail(AE_ERR_ARG, "no result pointer");
    *json_out = NULL;
    file_header h;
    int rc = parse_header(bytes, len, &h);
    if (rc != AE_OK) return rc;
    *json_out = cJSON_PrintUnformatted(h.meta);
    cJSON_Delete(h.root);
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
    if (atoi(v) > TENSORFILE_FORMAT_VERSION_NUMBER)
        return ae_fail(AE_ERR_DATA, "model file: format_version %s is newer than this AeVP reads (%d)",
                       seen, TENSORFILE_FORMAT_VERSION_NUMBER);
    return AE_OK;
}

// "[3,3,16,8]" from the file's shape array (already checked to hold whole numbers).
static void format_shape(char *out, size_t cap, const cJSON *shape) {
    size_t n = (size_t)snprintf(out, cap, "[");
    const cJSON *d = shape->child;
    // Each number takes at most 17 characters with its comma; 8 more close the list.
    for (; d && n + 25 < cap; d = d->next)
        n += (size_t)snprintf(out + n, cap - n, "%s%.0f", d == shape->child ? "" : ",", d->valuedouble);
    snprintf(out + n, cap - n, "%s]", d ? ",..." : "");
}

static void format_model_shape(char *out, size_t cap, const ae_tensor *t) {
    size_t n = (size_t)snprintf(out, cap, "[");
    for (int d = 0; d < t->rank; d++) n += (size_t)snprintf(out + n, cap - n, "%s%d", d ? "," : "", t->shape[d]);
    snprintf(out + n, cap - n, "]");
}

// Where one tensor's bytes are, relative to the data section.
typedef struct {
    uint64_t begin, end;
} span;

// Checks one tensor entry against the model's tensor t and reads its data_offsets into *where.
static int check_entry(const cJSON *entry, const ae_tensor *t, span *where) {
    quoted name;
    ae_quote(name, sizeof name, t->name);
    if (!cJSON_IsObject(entry))
        return ae_fail(AE_ERR_DATA, "model file: tensor %s is not an object", name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(entry, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
    if (!cJSON_IsString(dtype))
        return ae_fail(AE_ERR_DATA, "model file: tensor %s has no dtype string", name);
    if (strcmp(dtype->valuestring, "F32") != 0) {
        quoted seen;
        ae_quote(seen, sizeof seen, dtype->valuestring);
        return ae_fail(AE_ERR_DATA, "model file: tensor %s has dtype %s; AeVP reads F32 only", name,
                       seen);
    }
    uint64_t value;
    if (!cJSON_IsArray(shape))
        return ae_fail(AE_ERR_DATA, "model file: tensor %s has no shape array", name);
    for (const cJSON *d = shape->child; d; d = d->next)
        if (!json_whole(d, &value))
            return ae_fail(AE_ERR_DATA, "model file: tensor %s: shape must hold whole numbers "
                                        "0..2^53", name);
    int same = cJSON_GetArraySize(shape) == t->rank;
    const cJSON *d = shape->child;
    for (int k = 0; same && k < t->rank; k++, d = d->next) same = d->valuedouble == t->shape[k];
    if (!same) {
        char got[128], want[64];
        format_shape(got, sizeof got, shape);
        format_model_shape(want, sizeof want, t);
        return ae_fail(AE_ERR_DATA, "model file: tensor %s has shape %s, the config needs %s", name,
                       got, want);
    }
    if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2 ||
        !json_whole(offsets->child, &where->begin) || !json_whole(offsets->child->next, &where->end))
        return ae_fail(AE_ERR_DATA, "model file: tensor %s: data_offsets must be [begin, end], "
                                    "whole numbers of bytes 0..2^53", name);
    if (where->end < where->begin)
        return ae_fail(AE_ERR_DATA, "model file: tensor %s has data_offsets [%" PRIu64 ", %" PRIu64
                                    "]: end is before begin", name, where->begin, where->end);
    if (where->end - where->begin != (uint64_t)t->count * 4)
        return ae_fail(AE_ERR_DATA, "model file: tensor %s has data_offsets [%" PRIu64 ", %" PRIu64
                                    "]: %" PRIu64 " bytes, its shape needs %zu", name, where->begin,
                       where->end, where->end - where->begin, t->count * 4);
    return AE_OK;
}

// Checks that the header lists exactly the model's tensors, each once and well formed, and that
// their data_offsets tile the data section: every tensor inside it, no two overlapping, and the
// section no longer than their sum (safetensors forbids holes, which could hide other content).
// Together these make every byte of the data section belong to exactly one tensor.
// A checkpoint (ae_save_checkpoint) also holds optimizer.m1 and optimizer.m2: both or neither.
static int check_tensors(const ae_model *m, const file_header *h, const ae_tensor *tensors, int count, span *where) {
    int rc;
    int seen[2 * LAYER_COUNT + 2] = {0};
    for (const cJSON *entry = h->root->child; entry; entry = entry->next) {
        if (strcmp(entry->string, "__metadata__") == 0) continue;
        quoted name;
        ae_quote(name, sizeof name, entry->string);
        int t = 0;
        while (t < count && strcmp(tensors[t].name, entry->string) != 0) t++;
        if (t == count) return ae_fail(AE_ERR_DATA, "model file: unknown tensor %s", name);
        if (seen[t]++) return ae_fail(AE_ERR_DATA, "model file: tensor %s appears twice", name);
        if ((rc = check_entry(entry, &tensors[t], &where[t])) != AE_OK) return rc;
    }
    for (int t = 0; t < count; t++) {
        if (!seen[t]) {
            quoted name;
            ae_quote(name, sizeof name, tensors[t].name);
            return ae_fail(AE_ERR_DATA, "model file: missing tensor %s", name);
        }
    }
    size_t needed = 0;
    for (int t = 0; t < count; t++) needed += tensors[t].count * 4;
    if (h->data_len < needed)
        return ae_fail(AE_ERR_DATA, "model file: the data section holds %zu bytes, the tensors need "
                                    "%zu: the file is truncated", h->data_len, needed);
    if (h->data_len > needed)
        return ae_fail(AE_ERR_DATA, "model file: the data section holds %zu bytes, %zu more than the "
                                    "tensors need", h->data_len, h->data_len - needed);
    for (int t = 0; t < count; t++) {
        if (where[t].end > h->data_len) {
            quoted name;
            ae_quote(name, sizeof name, tensors[t].name);
            return ae_fail(AE_ERR_DATA, "model file: tensor %s has data_offsets [%" PRIu64 ", %" PRIu64
                                        "], outside the data section (%zu bytes)", name,
                           where[t].begin, where[t].end, h->data_len);
        }
    }
    for (int a = 0; a < count; a++) {
        for (int b = a + 1; b < count; b++) {
            if (where[a].begin < where[b].end && where[b].begin < where[a].end) {
                quoted first, second;
                ae_quote(first, sizeof first, tensors[a].name);
                ae_quote(second, sizeof second, tensors[b].name);
                return ae_fail(AE_ERR_DATA, "model file: tensors %s and %s overlap", first, second);
            }
        }
    }
    return AE_OK;
}

// Copies every tensor's little-endian floats into the parameters, refusing NaN and Inf.
static int read_values(ae_model *m, const file_header *h, const ae_tensor *tensors, int count, const span *where) {
    for (int t = 0; t < count; t++) {
        const ae_tensor *info = &tensors[t];
        const uint8_t *src = h->data + where[t].begin;
        float *dst = file_value(m, info->offset);
        for (size_t i = 0; i < info->count; i++, src += 4) {
            uint32_t bits = (uint32_t)src[0] | (uint32_t)src[1] << 8 | (uint32_t)src[2] << 16 |
                            (uint32_t)src[3] << 24;
            memcpy(&dst[i], &bits, 4);
            if (!isfinite(dst[i])) {
                quoted name;
                ae_quote(name, sizeof name, info->name);
                return ae_fail(AE_ERR_DATA, "model file: tensor %s value %zu is not finite (%g)",
                               name, i, (double)dst[i]);
            }
        }
    }
    return AE_OK;
}

// A checkpoint's step count and loss references, from its __metadata__.
static int read_state(ae_model *m, const cJSON *meta) {
    const char *names[3] = {"optimizer_steps", "optimizer_first_loss", "optimizer_loss_average"};
    double values[3];
    for (int k = 0; k < 3; k++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(meta, names[k]);
        char *end = NULL;
        values[k] = item ? strtod(item->valuestring, &end) : NAN;
        if (!item || end == item->valuestring || *end || !isfinite(values[k]) || values[k] < 0 ||
            (k == 0 && (values[k] != floor(values[k]) || values[k] > 2147483647.0)))
            return ae_fail(AE_ERR_DATA, "model file: the optimizer state needs __metadata__ \"%s\", %s", names[k],
                           k == 0 ? "a whole number of steps" : "a finite number >= 0");
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
        out = strdup(text); // not an object: ae_create says what is wrong with it
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
    file_header h;
    ae_model *m = NULL;
    span where[2 * LAYER_COUNT + 2];
    ae_tensor tensors[2 * LAYER_COUNT + 2];
    int tensor_count = 0;
    int rc = parse_header(bytes, len, &h);
    if (rc == AE_OK) rc = check_format(h.meta);
    if (rc == AE_OK) {
        const cJSON *config = cJSON_GetObjectItemCaseSensitive(h.meta, "config");
        if (!config) {
            rc = ae_fail(AE_ERR_DATA, "model file: __metadata__ has no \"config\"");
        } else {
            char *merged = file_config(config->valuestring, config_overrides, &rc);
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
    int with_state = rc == AE_OK && (cJSON_GetObjectItemCaseSensitive(h.root, "optimizer.m1") ||
                                     cJSON_GetObjectItemCaseSensitive(h.root, "optimizer.m2"));
    if (rc == AE_OK) {
        tensor_count = file_tensors(m, with_state, tensors);
        rc = check_tensors(m, &h, tensors, tensor_count, where);
    }
    if (rc == AE_OK) rc = read_values(m, &h, tensors, tensor_count, where);
    if (rc == AE_OK && with_state) rc = read_state(m, h.meta);
    cJSON_Delete(h.root);
    if (rc != AE_OK) {
        ae_destroy(m);
        m = NULL;
    }
    if (status) *status = rc;
    return m;
}
