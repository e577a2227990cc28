// idx.h — reads the IDX format of MNIST and Fashion-MNIST from bytes in memory (no file I/O).
// Validates magic, rank, dimensions and the byte length before pointing at any data.
#ifndef AEVP_IDX_H
#define AEVP_IDX_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int rank;               // 1 for labels, 3 for images
    uint32_t dims[4];       // dims[0] is the count
    const uint8_t *data;    // points into the caller's bytes, just after the header
    size_t size;            // bytes of data (product of dims)
} idx_file;

// Parses an unsigned-byte IDX file (magic 0x00000801 or 0x00000803). Returns 0 or AE_ERR_DATA with
// the engine's error message, copied into err too if not NULL ("idx: truncated: header says
// 60000x28x28 = 47040000 bytes, file has 1000").
int idx_parse(idx_file *out, const uint8_t *bytes, size_t len, char *err, size_t err_cap);
#endif
