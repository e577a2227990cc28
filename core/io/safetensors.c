// safetensors.c — the safetensors framing: an 8-byte little-endian header length, a JSON header
// (cJSON) of tensor entries and a __metadata__ object of strings, then raw little-endian F32 data.
// Checks every byte against the tensors the caller expects; knows no model (model_file.c does).
#include "io/safetensors.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/quote.h"

// Reading caps, checked before anything is parsed or allocated. The header of the largest model
// the engine accepts is under 2 KB; 1 MiB leaves room for long metadata and bounds what cJSON
// allocates for a hostile header. 256 MiB is far above the largest model's parameters (the
// engine's 1 GiB cap covers parameters, gradients, moments and activations together).
#define AEVP_MAX_HEADER ((uint64_t)1 << 20)
#define AEVP_MAX_FILE ((size_t)256 << 20)

// --- Writing -----------------------------------------------------------------------------------

int safetensors_write(const cJSON *metadata, const st_tensor *tensors, int count, uint8_t **out, size_t *len) {
    cJSON *header = cJSON_CreateObject();
    cJSON *meta = header ? cJSON_Duplicate(metadata, 1) : NULL;
    int ok = meta && cJSON_AddItemToObject(header, "__metadata__", meta);
    if (meta && !ok) cJSON_Delete(meta);
    size_t values = 0;
    for (int t = 0; ok && t < count; t++) {
        const st_tensor *info = &tensors[t];
        cJSON *entry = cJSON_AddObjectToObject(header, info->name);
        ok = entry && cJSON_AddStringToObject(entry, "dtype", "F32");
        cJSON *shape = ok ? cJSON_AddArrayToObject(entry, "shape") : NULL;
        cJSON *offsets = shape ? cJSON_AddArrayToObject(entry, "data_offsets") : NULL;
        ok = offsets != NULL;
        for (int d = 0; ok && d < info->rank; d++) ok = cJSON_AddItemToArray(shape, cJSON_CreateNumber(info->shape[d]));
        ok = ok && cJSON_AddItemToArray(offsets, cJSON_CreateNumber((double)(values * 4)));
        values += info->count;
        ok = ok && cJSON_AddItemToArray(offsets, cJSON_CreateNumber((double)(values * 4)));
    }
    char *text = ok ? cJSON_PrintUnformatted(header) : NULL;
    cJSON_Delete(header);
    if (!text) return ae_fail(AE_ERR_NOMEM, "save: out of memory writing the header");
    size_t text_len = strlen(text), padded = (text_len + 7) / 8 * 8; // data starts 8-aligned
    size_t data_len = values * sizeof(float);
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
    for (int t = 0; t < count; t++) {
        for (size_t i = 0; i < tensors[t].count; i++, data += 4) { // little-endian whatever the host
            uint32_t bits;
            memcpy(&bits, &tensors[t].values[i], 4);
            for (int b = 0; b < 4; b++) data[b] = (uint8_t)(bits >> (8 * b));
        }
    }
    *out = buf;
    *len = 8 + padded + data_len;
    return AE_OK;
}

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

// Checks the framing (lengths, a JSON object, __metadata__ holding strings) and parses the header.
// On success the caller owns h->root.
int safetensors_open(st_file *h, const uint8_t *bytes, size_t len, const char *const *read_keys, int read_count) {
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
        // repeated keys, and which copy a reader takes is arbitrary, so the fields the caller reads
        // must appear once (counted in one pass: a hostile header can hold ~10^5 fields).
        int repeats[ST_MAX_READ_KEYS] = {0};
        for (const cJSON *item = h->meta->child; item && rc == AE_OK; item = item->next) {
            for (int f = 0; f < read_count; f++) repeats[f] += strcmp(item->string, read_keys[f]) == 0;
            if (!cJSON_IsString(item)) {
                quoted name;
                ae_quote(name, sizeof name, item->string);
                rc = ae_fail(AE_ERR_DATA, "model file: __metadata__ field %s is not a string", name);
            }
        }
        for (int f = 0; f < read_count && rc == AE_OK; f++)
            if (repeats[f] > 1)
                rc = ae_fail(AE_ERR_DATA, "model file: __metadata__ field \"%s\" appears %d times",
                             read_keys[f], repeats[f]);
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

// "[3,3,16,8]" from the file's shape array (already checked to hold whole numbers).
static void format_shape(char *out, size_t cap, const cJSON *shape) {
    size_t n = (size_t)snprintf(out, cap, "[");
    const cJSON *d = shape->child;
    // Each number takes at most 17 characters with its comma; 8 more close the list.
    for (; d && n + 25 < cap; d = d->next)
        n += (size_t)snprintf(out + n, cap - n, "%s%.0f", d == shape->child ? "" : ",", d->valuedouble);
    snprintf(out + n, cap - n, "%s]", d ? ",..." : "");
}

static void format_model_shape(char *out, size_t cap, const st_tensor *t) {
    size_t n = (size_t)snprintf(out, cap, "[");
    for (int d = 0; d < t->rank; d++) n += (size_t)snprintf(out + n, cap - n, "%s%d", d ? "," : "", t->shape[d]);
    snprintf(out + n, cap - n, "]");
}

// Where one tensor's bytes are, relative to the data section.
typedef struct {
    uint64_t begin, end;
} span;

// Checks one tensor entry against the model's tensor t and reads its data_offsets into *where.
static int check_entry(const cJSON *entry, const st_tensor *t, span *where) {
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
static int check_tensors(const st_file *h, const st_tensor *tensors, int count, span *where) {
    int rc;
    int seen[ST_MAX_TENSORS] = {0};
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
static int read_values(const st_file *h, const st_tensor *tensors, int count, const span *where) {
    for (int t = 0; t < count; t++) {
        const st_tensor *info = &tensors[t];
        const uint8_t *src = h->data + where[t].begin;
        float *dst = info->values;
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


int safetensors_read(const st_file *h, const st_tensor *tensors, int count) {
    span where[ST_MAX_TENSORS];
    if (count > ST_MAX_TENSORS) return ae_fail(AE_ERR_ARG, "model file: %d tensors, at most %d", count, ST_MAX_TENSORS);
    int rc = check_tensors(h, tensors, count, where);
    return rc == AE_OK ? read_values(h, tensors, count, where) : rc;
}

const char *safetensors_meta(const st_file *h, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(h->meta, key);
    return item ? item->valuestring : NULL;
}

int safetensors_has(const st_file *h, const char *name) {
    return strcmp(name, "__metadata__") != 0 && cJSON_GetObjectItemCaseSensitive(h->root, name) != NULL;
}

void safetensors_close(st_file *h) {
    cJSON_Delete(h->root);
    h->root = NULL;
}
