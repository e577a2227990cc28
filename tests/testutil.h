// testutil.h — the little that every C test shares: checks that count failures, file reading,
// and the path of the data-set cache. Tests return non-zero when any check failed.
#ifndef AEVP_TESTUTIL_H
#define AEVP_TESTUTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures = 0;
static const char *test_source_dir = ".";

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            test_failures++;                                                 \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                    \
            fprintf(stderr, "\n");                                           \
        }                                                                    \
    } while (0)

static inline void test_init(int argc, char **argv) {
    if (argc > 1) test_source_dir = argv[1];
}

static inline int test_finish(const char *name) {
    if (test_failures) fprintf(stderr, "%s: %d check(s) failed\n", name, test_failures);
    else printf("%s: all checks passed\n", name);
    return test_failures ? 1 : 0;
}

// Reads a whole file; returns malloc'd bytes (with a trailing NUL) or NULL.
static inline unsigned char *test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) { free(buf); buf = NULL; }
    fclose(f);
    if (buf) { buf[size] = 0; if (len) *len = (size_t)size; }
    return buf;
}

// Path of a file under the source directory, e.g. test_path(buf, "tests/golden/x.bin").
static inline const char *test_path(char *buf, size_t cap, const char *rel) {
    snprintf(buf, cap, "%s/%s", test_source_dir, rel);
    return buf;
}
#endif
