// idx.c — parses unsigned-byte IDX files (MNIST, Fashion-MNIST) held in memory.
// Not a reader of files or gzip streams, and not a reader of the other IDX element types.
#include "io/idx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"

// Large enough for 60000x28x28 with room to spare, small enough that a corrupt header cannot
// make a caller allocate or index gigabytes; also keeps every size within a 32-bit size_t (WASM).
#define IDX_MAX_DATA_BYTES ((uint64_t)1 << 30)

// Every refusal is AE_ERR_DATA with its message in the engine's error buffer.
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 1, 2)))
#endif
static int idx_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ae_failv(AE_ERR_DATA, fmt, ap);
    va_end(ap);
    return AE_ERR_DATA;
}

static uint32_t read_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static const char *idx_type_name(uint8_t type) {
    switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return "unknown";
    }
}

// "60000x28x28", for messages that quote what the header claims.
static void format_dims(char *buf, size_t cap, const uint32_t *dims, int rank) {
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < rank && used < cap; i++) {
        int n = snprintf(buf + used, cap - used, i ? "x%u" : "%u", (unsigned)dims[i]);
        if (n < 0) break;
        used += (size_t)n;
    }
}

static int parse(idx_file *out, const uint8_t *bytes, size_t len) {
    if (!out || (!bytes && len)) return ae_fail(AE_ERR_ARG, "idx: NULL %s", out ? "bytes" : "output");
    memset(out, 0, sizeof *out);

    if (len < 4)
        return idx_fail("idx: truncated: the 4-byte magic number is missing, file has %zu bytes", len);
    if (bytes[0] == 0x1f && bytes[1] == 0x8b)
        return idx_fail("idx: bad magic: got 1f 8b, the start of a gzip stream: decompress it first");
    if (bytes[0] != 0 || bytes[1] != 0)
        return idx_fail("idx: bad magic: expected 00 00 08 01 (labels) or 00 00 08 03 (images), "
                        "got %02x %02x %02x %02x", bytes[0], bytes[1], bytes[2], bytes[3]);
    if (bytes[2] != 0x08)
        return idx_fail("idx: unsupported element type 0x%02x (%s): only unsigned bytes (0x08) are read",
                        bytes[2], idx_type_name(bytes[2]));
    int rank = bytes[3];
    if (rank != 1 && rank != 3)
        return idx_fail("idx: unsupported rank %d: expected 1 (labels) or 3 (images)", rank);

    size_t header = 4 + 4 * (size_t)rank;
    if (len < header)
        return idx_fail("idx: truncated: a rank-%d header needs %zu bytes, file has %zu",
                        rank, header, len);

    uint32_t dims[4] = {0, 0, 0, 0};
    for (int i = 0; i < rank; i++) dims[i] = read_be32(bytes + 4 + 4 * i);
    char shape[64];
    format_dims(shape, sizeof shape, dims, rank);

    for (int i = 0; i < rank; i++)
        if (dims[i] == 0)
            return idx_fail("idx: dimension %d is 0 (header says %s): every dimension must be at least 1",
                            i, shape);

    // The running product stays <= 2^30 before each multiply by a 32-bit dim, so it fits in 64 bits.
    uint64_t product = 1;
    for (int i = 0; i < rank; i++) {
        product *= dims[i];
        if (product > IDX_MAX_DATA_BYTES)
            return idx_fail("idx: too large: header says %s, more than the %llu-byte cap on data",
                            shape, (unsigned long long)IDX_MAX_DATA_BYTES);
    }

    size_t have = len - header;
    if (have < product)
        return idx_fail("idx: truncated: header says %s = %llu bytes of data, file has %zu after the "
                        "%zu-byte header", shape, (unsigned long long)product, have, header);
    if (have > product)
        return idx_fail("idx: trailing bytes: header says %s = %llu bytes of data, file has %zu after "
                        "the %zu-byte header (%llu extra)", shape, (unsigned long long)product, have,
                        header, (unsigned long long)(have - product));

    out->rank = rank;
    memcpy(out->dims, dims, sizeof dims);
    out->data = bytes + header;
    out->size = (size_t)product;
    return AE_OK;
}

int idx_parse(idx_file *out, const uint8_t *bytes, size_t len, char *err, size_t err_cap) {
    if (err && err_cap) err[0] = 0;
    int rc = parse(out, bytes, len);
    if (rc != AE_OK) error_copy(err, err_cap);
    return rc;
}
