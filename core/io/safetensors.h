// safetensors.h — reads and writes the safetensors framing (README "Model files"): F32 tensors and
// a __metadata__ object of strings, every byte checked. Knows no model: the caller names the tensors.
#ifndef AEVP_SAFETENSORS_H
#define AEVP_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "cJSON.h"

#define ST_MAX_TENSORS 64
#define ST_MAX_READ_KEYS 8

// One tensor: its name and shape, and the floats it is written from or read into.
typedef struct {
    const char *name;
    int rank;
    int shape[4];
    size_t count;           // the product of the shape
    float *values;
} st_tensor;

// Writes metadata (an object of strings, copied) and the tensors, in order, with their data
// 8-aligned after the header. *out is malloc'd.
int safetensors_write(const cJSON *metadata, const st_tensor *tensors, int count, uint8_t **out, size_t *len);

// An opened file: its parsed header, its __metadata__ and where the data section is.
typedef struct {
    cJSON *root;
    const cJSON *meta;
    const uint8_t *data;
    size_t data_len;
} st_file;

// Checks the framing (lengths, a JSON object, __metadata__ of strings, each of read_keys at most
// once) and parses the header: AE_ERR_DATA with "model file: ..." otherwise. Close it after.
int safetensors_open(st_file *h, const uint8_t *bytes, size_t len, const char *const *read_keys, int read_count);
// Reads exactly these tensors: each once, F32, of its shape, their data_offsets tiling the data
// section with no gap, overlap or extra byte, no NaN or Inf.
int safetensors_read(const st_file *h, const st_tensor *tensors, int count);
const char *safetensors_meta(const st_file *h, const char *key); // NULL if absent
int safetensors_has(const st_file *h, const char *name);         // a tensor entry of that name
void safetensors_close(st_file *h);
#endif
