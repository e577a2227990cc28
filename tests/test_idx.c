// test_idx.c — checks idx_parse on small IDX files built in memory, good and malformed, and on the
// real MNIST/Fashion-MNIST test files when the data cache holds them. Not a test of datasets/fetch.mjs.
#include "aevp.h"
#include "io/idx.h"

#include "testutil.h"

#define KEEP_ALL ((size_t)-1)
#define DATA_FROM_DIMS (-1L)

// One in-memory file: a header of `ndims` big-endian dims after `magic`, then `data_len` bytes of
// a known pattern, then cut to `keep` bytes. Each file gets a buffer of exactly its length, so a
// parser that reads past len is caught by AddressSanitizer (AEVP_SANITIZE=ON).
typedef struct {
    const char *name;
    uint8_t magic[4];
    int ndims;
    uint32_t dims[4];
    long data_len;          // DATA_FROM_DIMS: the product of dims
    size_t keep;            // KEEP_ALL, or the length to cut the file to
    int want_status;
    const char *want_words[3]; // substrings the message must contain (on failure)
} idx_case;

static const idx_case cases[] = {
    {"valid images", {0, 0, 8, 3}, 3, {3, 4, 5}, DATA_FROM_DIMS, KEEP_ALL, AE_OK, {0}},
    {"valid labels", {0, 0, 8, 1}, 1, {7}, DATA_FROM_DIMS, KEEP_ALL, AE_OK, {0}},
    {"valid 1x1x1", {0, 0, 8, 3}, 3, {1, 1, 1}, DATA_FROM_DIMS, KEEP_ALL, AE_OK, {0}},
    {"empty file", {0, 0, 8, 3}, 0, {0}, 0, 0, AE_ERR_DATA, {"truncated", "magic", "0 bytes"}},
    {"3 bytes", {0, 0, 8, 3}, 0, {0}, 0, 3, AE_ERR_DATA, {"truncated", "3 bytes"}},
    {"truncated header", {0, 0, 8, 3}, 2, {10, 28}, 0, KEEP_ALL, AE_ERR_DATA,
     {"truncated", "header needs 16", "has 12"}},
    {"labels header only magic", {0, 0, 8, 1}, 0, {0}, 0, KEEP_ALL, AE_ERR_DATA,
     {"truncated", "needs 8", "has 4"}},
    {"truncated data", {0, 0, 8, 3}, 3, {3, 4, 5}, 59, KEEP_ALL, AE_ERR_DATA,
     {"truncated", "3x4x5 = 60 bytes", "has 59"}},
    {"truncated MNIST", {0, 0, 8, 3}, 3, {60000, 28, 28}, 1000, KEEP_ALL, AE_ERR_DATA,
     {"truncated", "60000x28x28 = 47040000 bytes", "has 1000"}},
    {"trailing bytes", {0, 0, 8, 3}, 3, {3, 4, 5}, 61, KEEP_ALL, AE_ERR_DATA,
     {"trailing bytes", "= 60 bytes", "1 extra"}},
    {"float type", {0, 0, 0x0D, 3}, 3, {1, 2, 2}, 16, KEEP_ALL, AE_ERR_DATA,
     {"element type 0x0d", "float", "unsigned byte"}},
    {"rank 2", {0, 0, 8, 2}, 2, {4, 4}, 16, KEEP_ALL, AE_ERR_DATA, {"rank 2", "expected 1", "or 3"}},
    {"rank 0", {0, 0, 8, 0}, 0, {0}, 0, KEEP_ALL, AE_ERR_DATA, {"rank 0"}},
    {"bad leading bytes", {0, 1, 8, 3}, 3, {1, 1, 1}, 1, KEEP_ALL, AE_ERR_DATA,
     {"bad magic", "expected 00 00 08 01", "got 00 01 08 03"}},
    {"gzip stream", {0x1f, 0x8b, 8, 0}, 0, {0}, 12, KEEP_ALL, AE_ERR_DATA, {"bad magic", "gzip"}},
    {"zero count", {0, 0, 8, 3}, 3, {0, 28, 28}, 0, KEEP_ALL, AE_ERR_DATA,
     {"dimension 0 is 0", "0x28x28", "at least 1"}},
    {"zero column", {0, 0, 8, 3}, 3, {5, 28, 0}, 0, KEEP_ALL, AE_ERR_DATA, {"dimension 2 is 0"}},
    {"label count over data", {0, 0, 8, 1}, 1, {10}, 9, KEEP_ALL, AE_ERR_DATA,
     {"truncated", "10 = 10 bytes", "has 9"}},
    {"image count under data", {0, 0, 8, 3}, 3, {2, 2, 2}, 12, KEEP_ALL, AE_ERR_DATA,
     {"trailing bytes", "2x2x2 = 8", "4 extra"}},
    {"huge dims", {0, 0, 8, 3}, 3, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, 0, KEEP_ALL, AE_ERR_DATA,
     {"too large", "4294967295x4294967295x4294967295", "cap"}},
    {"4 GiB labels", {0, 0, 8, 1}, 1, {0xFFFFFFFFu}, 0, KEEP_ALL, AE_ERR_DATA, {"too large"}},
    {"just over the cap", {0, 0, 8, 3}, 3, {1024, 1024, 1025}, 0, KEEP_ALL, AE_ERR_DATA,
     {"too large", "1073741824"}},
    // Exactly 1 GiB is allowed, so what fails is the length, not the size.
    {"at the cap", {0, 0, 8, 3}, 3, {1024, 1024, 1024}, 0, KEEP_ALL, AE_ERR_DATA,
     {"truncated", "= 1073741824 bytes"}},
};

static uint8_t pattern_byte(size_t i) { return (uint8_t)(i * 7 + 3); }

static uint8_t *build(const idx_case *c, size_t *len) {
    size_t data_len = (size_t)c->data_len;
    if (c->data_len == DATA_FROM_DIMS) {
        data_len = 1;
        for (int i = 0; i < c->ndims; i++) data_len *= c->dims[i];
    }
    size_t full = 4 + 4 * (size_t)c->ndims + data_len;
    uint8_t *buf = malloc(full ? full : 1);
    if (!buf) return NULL;
    memcpy(buf, c->magic, 4);
    for (int i = 0; i < c->ndims; i++) {
        uint8_t *p = buf + 4 + 4 * i;
        p[0] = (uint8_t)(c->dims[i] >> 24);
        p[1] = (uint8_t)(c->dims[i] >> 16);
        p[2] = (uint8_t)(c->dims[i] >> 8);
        p[3] = (uint8_t)c->dims[i];
    }
    for (size_t i = 0; i < data_len; i++) buf[4 + 4 * (size_t)c->ndims + i] = pattern_byte(i);
    *len = c->keep == KEEP_ALL ? full : c->keep;
    // Shrink to the exact length so that any read past len lands outside the allocation.
    uint8_t *exact = malloc(*len ? *len : 1);
    if (exact) memcpy(exact, buf, *len);
    free(buf);
    return exact;
}

static void run_case(const idx_case *c) {
    size_t len = 0;
    uint8_t *bytes = build(c, &len);
    CHECK(bytes != NULL, "%s: out of memory", c->name);
    if (!bytes) return;
    idx_file f;
    char err[256];
    int rc = idx_parse(&f, bytes, len, err, sizeof err);
    CHECK(rc == c->want_status, "%s: status %d, want %d (%s)", c->name, rc, c->want_status, err);
    if (c->want_status == AE_OK && rc == AE_OK) {
        CHECK(f.rank == c->ndims, "%s: rank %d, want %d", c->name, f.rank, c->ndims);
        size_t product = 1;
        for (int i = 0; i < c->ndims; i++) {
            CHECK(f.dims[i] == c->dims[i], "%s: dims[%d] = %u, want %u", c->name, i,
                  (unsigned)f.dims[i], (unsigned)c->dims[i]);
            product *= c->dims[i];
        }
        CHECK(f.size == product, "%s: size %zu, want %zu", c->name, f.size, product);
        CHECK(f.data == bytes + 4 + 4 * c->ndims, "%s: data does not start after the header", c->name);
        for (size_t i = 0; i < f.size; i++)
            if (f.data[i] != pattern_byte(i)) {
                CHECK(0, "%s: data[%zu] = %u, want %u", c->name, i, f.data[i], pattern_byte(i));
                break;
            }
        CHECK(err[0] == 0, "%s: success left a message: %s", c->name, err);
    } else if (rc != AE_OK) {
        CHECK(strncmp(err, "idx: ", 5) == 0, "%s: message lacks the idx: prefix: %s", c->name, err);
        for (int w = 0; w < 3 && c->want_words[w]; w++)
            CHECK(strstr(err, c->want_words[w]) != NULL, "%s: message lacks \"%s\": %s", c->name,
                  c->want_words[w], err);
        CHECK(f.data == NULL && f.size == 0, "%s: a failed parse left data set", c->name);
    }
    free(bytes);
}

// A failure must still return a status when there is nowhere, or little room, to write.
static void check_error_buffers(void) {
    const uint8_t bad[4] = {0, 0, 0x0D, 3};
    idx_file f;
    CHECK(idx_parse(&f, bad, sizeof bad, NULL, 0) == AE_ERR_DATA, "NULL err buffer");
    char small[8];
    memset(small, 'x', sizeof small);
    CHECK(idx_parse(&f, bad, sizeof bad, small, sizeof small) == AE_ERR_DATA, "small err buffer");
    CHECK(memchr(small, 0, sizeof small) != NULL, "small err buffer not NUL-terminated");
    CHECK(idx_parse(&f, NULL, 0, NULL, 0) == AE_ERR_DATA, "NULL bytes with len 0 is an empty file");
    CHECK(idx_parse(NULL, bad, sizeof bad, NULL, 0) == AE_ERR_ARG, "NULL output");
    CHECK(idx_parse(&f, NULL, 16, NULL, 0) == AE_ERR_ARG, "NULL bytes with len 16");
}

static uint8_t *read_idx(const char *set, const char *file, size_t *len) {
    char rel[256], path[1024];
    snprintf(rel, sizeof rel, "datasets/cache/%s/%s", set, file);
    return test_read_file(test_path(path, sizeof path, rel), len);
}

// The real test split, when datasets/fetch.mjs has filled the cache; absent is not a failure.
static void check_real_set(const char *set) {
    size_t img_len = 0, lbl_len = 0;
    uint8_t *img = read_idx(set, "t10k-images-idx3-ubyte", &img_len);
    uint8_t *lbl = read_idx(set, "t10k-labels-idx1-ubyte", &lbl_len);
    if (!img || !lbl) {
        printf("test_idx: %s test files not in %s/datasets/cache/%s: skipped the real-file checks "
               "(run node datasets/fetch.mjs)\n", set, test_source_dir, set);
        free(img);
        free(lbl);
        return;
    }
    idx_file images, labels;
    char err[256];
    int rc = idx_parse(&images, img, img_len, err, sizeof err);
    CHECK(rc == AE_OK, "%s images: %s", set, err);
    if (rc == AE_OK)
        CHECK(images.rank == 3 && images.dims[0] == 10000 && images.dims[1] == 28 &&
                  images.dims[2] == 28 && images.size == 7840000,
              "%s images: rank %d, %ux%ux%u", set, images.rank, (unsigned)images.dims[0],
              (unsigned)images.dims[1], (unsigned)images.dims[2]);
    rc = idx_parse(&labels, lbl, lbl_len, err, sizeof err);
    CHECK(rc == AE_OK, "%s labels: %s", set, err);
    if (rc == AE_OK) {
        CHECK(labels.rank == 1 && labels.dims[0] == 10000, "%s labels: rank %d, count %u", set,
              labels.rank, (unsigned)labels.dims[0]);
        int per_class[10] = {0};
        size_t out_of_range = 0;
        for (size_t i = 0; i < labels.size; i++) {
            if (labels.data[i] < 10) per_class[labels.data[i]]++;
            else out_of_range++;
        }
        CHECK(out_of_range == 0, "%s labels: %zu outside 0..9", set, out_of_range);
        for (int k = 0; k < 10; k++) CHECK(per_class[k] > 0, "%s labels: class %d never occurs", set, k);
    }
    printf("test_idx: parsed the real %s test split\n", set);
    free(img);
    free(lbl);
}

int main(int argc, char **argv) {
    test_init(argc, argv);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i]);
    check_error_buffers();
    check_real_set("mnist");
    check_real_set("fashion");
    return test_finish("test_idx");
}
