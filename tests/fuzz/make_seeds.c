// make_seeds.c — writes the fuzzers' seed corpora (tests/fuzz/corpus/<target>/): a few valid and
// invalid configs, tiny model files made by the engine itself with damaged variants, IDX files.
// Not a fuzzer; run by `bash tests/fuzz/run.sh --seeds`. The seeds are committed: rerun only to change them.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aevp.h"

static int failures = 0;

static void write_file(const char *dir, const char *name, const void *bytes, size_t len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "make_seeds: cannot write %s\n", path);
        failures++;
    }
}

static void write_text(const char *dir, const char *name, const char *text) {
    write_file(dir, name, text, strlen(text));
}

// --- Configs: valid ones that exercise every field, and one of each kind of mistake ------------

static void config_seeds(const char *dir) {
    static const char *const seeds[][2] = {
        {"empty-object.json", "{}"},
        {"defaults.json",
         "{\"filters\":[16,8],\"latent_grid\":3,\"activation\":\"relu\",\"loss\":\"bce\","
         "\"optimizer\":\"adam\",\"learning_rate\":0.001,\"batch_size\":64,\"epochs\":5,"
         "\"seed\":1,\"input\":{\"h\":28,\"w\":28,\"c\":1}}"},
        {"edges.json",
         "{\"filters\":[64,1],\"latent_grid\":8,\"activation\":\"leaky_relu\",\"loss\":\"mse\","
         "\"optimizer\":\"rmsprop\",\"learning_rate\":0.033333333333333333,\"batch_size\":512,"
         "\"epochs\":1000,\"seed\":4294967295,\"input\":{\"h\":256,\"w\":4,\"c\":4}}"},
        {"partial.json", "{\"input\": {\"h\": 32}, \"epochs\": 1e2, \"activation\": \"elu\"}"},
        {"tiny.json", "{\"filters\":[1,1],\"latent_grid\":1,\"batch_size\":1,\"optimizer\":\"sgd\","
                      "\"activation\":\"tanh\",\"learning_rate\":5e-324,\"input\":{\"h\":4,\"w\":4,\"c\":1}}"},
        {"bad-trailing.json", "{\"seed\": 1,}"},
        {"bad-top-level.json", "[16, 8]"},
        {"bad-unknown-key.json", "{\"a\\\"b\\n\\u00e9\": 1}"},
        {"bad-duplicate.json", "{\"input\": {\"h\": 28, \"h\": 28}}"},
        {"bad-filters.json", "{\"filters\": [16.5, \"8\", null]}"},
        {"bad-range.json", "{\"latent_grid\": 12, \"seed\": 4294967296}"},
        {"bad-rate.json", "{\"learning_rate\": 1e999}"},
        {"bad-choice.json", "{\"activation\": \"sigmoid\", \"loss\": null}"},
        {"bad-input.json", "{\"input\": {\"w\": 30, \"c\": 5, \"d\": 1}}"},
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) write_text(dir, seeds[i][0], seeds[i][1]);
}

// --- Model files: tiny models, so that ae_load stays fast, and damaged copies --------------------

static const char *const TINY = "{\"filters\":[1,1],\"latent_grid\":1,\"batch_size\":1,\"epochs\":1,"
                                "\"input\":{\"h\":4,\"w\":4,\"c\":1}}";
static const char *const TINY_TANH = "{\"filters\":[2,1],\"latent_grid\":2,\"batch_size\":1,"
                                     "\"activation\":\"tanh\",\"loss\":\"mse\",\"seed\":7,"
                                     "\"input\":{\"h\":4,\"w\":8,\"c\":2}}";

static int saved_model(const char *config, const char *metadata, uint8_t **out, size_t *len) {
    int status;
    ae_model *m = ae_create(config, &status);
    if (!m) {
        fprintf(stderr, "make_seeds: ae_create: %s\n", ae_last_error());
        failures++;
        return 0;
    }
    int rc = ae_save(m, metadata, out, len);
    ae_destroy(m);
    if (rc != AE_OK) {
        fprintf(stderr, "make_seeds: ae_save: %d\n", rc);
        failures++;
        return 0;
    }
    return 1;
}

static uint64_t header_length(const uint8_t *file) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | file[i];
    return v;
}

// A copy of file with the first occurrence of from (in the header) replaced by to, the header
// padded to 8 bytes again and its length updated, so that only the edit is wrong.
static void write_edited(const char *dir, const char *name, const uint8_t *file, size_t len,
                         const char *from, const char *to) {
    size_t header = (size_t)header_length(file), n = strlen(from), m = strlen(to);
    const uint8_t *text = file + 8;
    for (size_t i = 0; i + n <= header; i++) {
        if (memcmp(text + i, from, n) != 0) continue;
        // The spaces after the header's JSON are padding: dropped here and made again below.
        size_t json_len = header;
        while (json_len > 0 && text[json_len - 1] == ' ') json_len--;
        size_t edited = json_len - n + m, padded = (edited + 7) / 8 * 8, data_len = len - 8 - header;
        uint8_t *copy = malloc(8 + padded + data_len);
        for (int b = 0; b < 8; b++) copy[b] = (uint8_t)((uint64_t)padded >> (8 * b));
        memcpy(copy + 8, text, i);
        memcpy(copy + 8 + i, to, m);
        memcpy(copy + 8 + i + m, text + i + n, json_len - i - n);
        memset(copy + 8 + edited, ' ', padded - edited);
        memcpy(copy + 8 + padded, text + header, data_len);
        write_file(dir, name, copy, 8 + padded + data_len);
        free(copy);
        return;
    }
    fprintf(stderr, "make_seeds: %s: \"%s\" not in the header\n", name, from);
    failures++;
}

static void tensorfile_seeds(const char *dir) {
    uint8_t *file, *other;
    size_t len, other_len;
    if (!saved_model(TINY, "{\"dataset\":\"mnist\",\"note\":\"fuzz seed\"}", &file, &len)) return;
    if (!saved_model(TINY_TANH, NULL, &other, &other_len)) {
        free(file);
        return;
    }
    write_file(dir, "tiny.safetensors", file, len);
    write_file(dir, "tiny-tanh.safetensors", other, other_len);

    size_t header_end = 8 + (size_t)header_length(file);
    write_file(dir, "truncated-data.safetensors", file, len - 4);
    write_file(dir, "header-only.safetensors", file, header_end);
    write_file(dir, "truncated-header.safetensors", file, header_end / 2);

    uint8_t *copy = malloc(len + 4);
    memcpy(copy, file, len);
    memset(copy + len, 0, 4);
    write_file(dir, "extra-data.safetensors", copy, len + 4);
    memcpy(copy, file, len);
    memset(copy, 0, 8);
    copy[0] = 1; // a header length too short for any JSON object
    write_file(dir, "short-header-length.safetensors", copy, len);
    memcpy(copy, file, len);
    const uint8_t nan_bits[4] = {0x00, 0x00, 0xc0, 0x7f};
    memcpy(copy + len - 4, nan_bits, 4);
    write_file(dir, "nan-value.safetensors", copy, len);
    free(copy);

    write_edited(dir, "newer-version.safetensors", file, len, "\"format_version\":\"1\"",
                 "\"format_version\":\"2\"");
    write_edited(dir, "f16.safetensors", file, len, "\"F32\"", "\"F16\"");
    write_edited(dir, "bad-config.safetensors", file, len, "\"latent_grid\\\":1", "\"latent_grid\\\":9");
    write_edited(dir, "bad-offsets.safetensors", file, len, "\"data_offsets\":[0,", "\"data_offsets\":[4,");
    write_edited(dir, "overlap.safetensors", file, len, "[76,80]", "[36,40]");
    write_edited(dir, "outside.safetensors", file, len, "[212,216]", "[216,220]");
    write_edited(dir, "entry-not-object.safetensors", file, len,
                 "\"out.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[212,216]}",
                 "\"out.bias\":[212,216]");
    // Over the engine's memory cap: refused before anything is allocated, so still fast.
    write_edited(dir, "too-big.safetensors", file, len,
                 ":1,\\\"epochs\\\":1,\\\"seed\\\":1,\\\"input\\\":{\\\"h\\\":4,\\\"w\\\":4,\\\"c\\\":1}",
                 ":512,\\\"epochs\\\":1,\\\"seed\\\":1,\\\"input\\\":{\\\"h\\\":256,\\\"w\\\":256,\\\"c\\\":4}");

    static const char no_config[] = "{\"__metadata__\":{\"format\":\"aevp\",\"format_version\":\"1\"}}";
    uint8_t minimal[8 + sizeof no_config - 1] = {sizeof no_config - 1};
    memcpy(minimal + 8, no_config, sizeof no_config - 1);
    write_file(dir, "no-config.safetensors", minimal, sizeof minimal);
    free(file);
    free(other);
}

// --- IDX files: small labels and images, and each kind of bad header --------------------------

static void idx_seeds(const char *dir) {
    const uint8_t labels[] = {0, 0, 8, 1, 0, 0, 0, 5, 7, 2, 1, 0, 4};
    write_file(dir, "labels.idx", labels, sizeof labels);

    uint8_t images[16 + 2 * 4 * 4] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4};
    for (int i = 16; i < (int)sizeof images; i++) images[i] = (uint8_t)(i * 37);
    write_file(dir, "images.idx", images, sizeof images);
    write_file(dir, "truncated.idx", images, sizeof images - 1);
    write_file(dir, "header-only.idx", images, 12);

    uint8_t copy[sizeof images + 1];
    memcpy(copy, images, sizeof images);
    copy[sizeof images] = 0;
    write_file(dir, "trailing.idx", copy, sizeof images + 1);
    memcpy(copy, images, sizeof images);
    copy[2] = 0x0d; // float elements
    write_file(dir, "float.idx", copy, sizeof images);
    memcpy(copy, images, sizeof images);
    copy[3] = 2; // rank 2
    write_file(dir, "rank2.idx", copy, sizeof images);
    memcpy(copy, images, sizeof images);
    copy[11] = 0; // a zero dimension
    write_file(dir, "zero-dim.idx", copy, sizeof images);
    memcpy(copy, images, sizeof images);
    memset(copy + 4, 0xff, 12); // 2^32-1 in every dimension
    write_file(dir, "huge.idx", copy, sizeof images);
    const uint8_t gzip[] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0};
    write_file(dir, "gzip.idx", gzip, sizeof gzip);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds CORPUS_DIR (writes CORPUS_DIR/{config,tensorfile,idx}/)\n");
        return 2;
    }
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/config", argv[1]);
    config_seeds(dir);
    snprintf(dir, sizeof dir, "%s/tensorfile", argv[1]);
    tensorfile_seeds(dir);
    snprintf(dir, sizeof dir, "%s/idx", argv[1]);
    idx_seeds(dir);
    return failures ? 1 : 0;
}
