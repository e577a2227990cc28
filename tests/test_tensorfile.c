// test_tensorfile.c — model files: save -> load round trips (parameters, config, outputs, metadata)
// and a table of hostile files, each refused with its status and a message naming the fault.
// Not a test of interop with other readers: tests/test_interop.c does that with PyTorch.
#include <stdint.h>

#include "aevp.h"
#include "cJSON.h"
#include "base/rng.h"
#include "testutil.h"

// Default 28x28x1 input and filters [16, 8]: conv2.weight is (3, 3, 16, 8).
static const char *const CONFIG = "{\"batch_size\":4,\"seed\":3}";
static const char *const METADATA = "{\"dataset\":\"mnist\",\"summary\":\"3 steps\"}";

typedef struct {
    uint8_t *bytes;
    size_t len;
} blob;

// A good file taken apart: the header text without its padding, and the data section.
typedef struct {
    blob file;
    char *header;
    const uint8_t *data;
    size_t data_len;
} good_file;

static float *random_floats(size_t n, uint32_t seed) {
    pcg32 rng;
    pcg32_seed(&rng, seed, 5);
    float *x = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = pcg32_float(&rng);
    return x;
}

static ae_model *trained_model(const char *config) {
    int status = -1;
    ae_model *m = ae_create(config, &status);
    CHECK(m, "create %s: %s", config, ae_last_error());
    if (!m) return NULL;
    int batch = ae_batch_size(m);
    float *images = random_floats((size_t)batch * ae_input_size(m), 9);
    float loss;
    for (int s = 0; s < 3; s++)
        CHECK(ae_train_batch(m, images, batch, &loss) == AE_OK, "train: %s", ae_last_error());
    free(images);
    return m;
}

static void write_u64le(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

// 8-byte length, header bytes as given (no padding added), data.
static blob assemble(const char *header, size_t header_len, const uint8_t *data, size_t data_len) {
    blob b = {malloc(8 + header_len + data_len + 1), 8 + header_len + data_len};
    write_u64le(b.bytes, header_len);
    memcpy(b.bytes + 8, header, header_len);
    if (data_len) memcpy(b.bytes + 8 + header_len, data, data_len);
    return b;
}

static good_file take_apart(blob file) {
    good_file g = {file, NULL, NULL, 0};
    uint64_t header_len = 0;
    for (int i = 0; i < 8; i++) header_len |= (uint64_t)file.bytes[i] << (8 * i);
    g.header = malloc(header_len + 1);
    memcpy(g.header, file.bytes + 8, header_len);
    size_t n = header_len;
    while (n && g.header[n - 1] == ' ') n--;
    g.header[n] = 0;
    g.data = file.bytes + 8 + header_len;
    g.data_len = file.len - 8 - header_len;
    return g;
}

// --- Round trips --------------------------------------------------------------------------------

static void check_same_model(ae_model *a, ae_model *b, const char *what) {
    CHECK(strcmp(ae_config_json(a), ae_config_json(b)) == 0, "%s: config %s became %s", what,
          ae_config_json(a), ae_config_json(b));
    size_t n = ae_param_count(a);
    CHECK(ae_param_count(b) == n, "%s: %zu params became %zu", what, n, ae_param_count(b));
    if (ae_param_count(b) != n) return;
    float *pa = malloc(n * sizeof(float)), *pb = malloc(n * sizeof(float));
    ae_get_params(a, pa);
    ae_get_params(b, pb);
    CHECK(memcmp(pa, pb, n * sizeof(float)) == 0, "%s: parameters differ", what);
    size_t trace = ae_trace_size(a);
    float *ta = malloc(trace * sizeof(float)), *tb = malloc(trace * sizeof(float));
    float *images = random_floats((size_t)3 * ae_input_size(a), 21);
    for (int i = 0; i < 3; i++) {
        ae_trace(a, images + (size_t)i * ae_input_size(a), ta);
        ae_trace(b, images + (size_t)i * ae_input_size(a), tb);
        CHECK(memcmp(ta, tb, trace * sizeof(float)) == 0, "%s: trace of image %d differs", what, i);
    }
    CHECK(ae_steps(b) == 0, "%s: a loaded model starts at step %d", what, ae_steps(b));
    free(pa); free(pb); free(ta); free(tb); free(images);
}

static void test_round_trip(const char *config) {
    ae_model *m = trained_model(config);
    if (!m) return;
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK(ae_save(m, METADATA, &bytes, &len) == AE_OK, "save: %s", ae_last_error());
    int status = -1;
    ae_model *loaded = ae_load(bytes, len, &status);
    CHECK(loaded && status == AE_OK, "load %s: status %d: %s", config, status, ae_last_error());
    if (loaded) check_same_model(m, loaded, config);
    // Saving the loaded model gives the same bytes: nothing is lost or reordered.
    uint8_t *again = NULL;
    size_t again_len = 0;
    if (loaded) {
        CHECK(ae_save(loaded, METADATA, &again, &again_len) == AE_OK, "save again");
        CHECK(again_len == len && memcmp(again, bytes, len) == 0, "%s: save(load(file)) != file",
              config);
    }
    char *meta = NULL;
    CHECK(ae_load_metadata(bytes, len, &meta) == AE_OK, "metadata: %s", ae_last_error());
    cJSON *obj = cJSON_Parse(meta ? meta : "");
    const char *fields[][2] = {{"format", "aevp"}, {"format_version", "1"}, {"dataset", "mnist"},
                               {"summary", "3 steps"}, {"config", ae_config_json(m)}};
    for (int f = 0; f < 5; f++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, fields[f][0]);
        CHECK(cJSON_IsString(item) && strcmp(item->valuestring, fields[f][1]) == 0,
              "metadata %s: want %s in %s", fields[f][0], fields[f][1], meta ? meta : "(null)");
    }
    cJSON_Delete(obj);
    ae_free(meta);
    ae_free(again);
    ae_free(bytes);
    ae_destroy(loaded);
    ae_destroy(m);
}

// Another writer may order the header and the data section differently and skip the padding:
// the reader must follow data_offsets, not the order of ae_tensor_info.
static void test_reordered_file(void) {
    ae_model *m = trained_model(CONFIG);
    if (!m) return;
    int count = ae_tensor_count(m);
    size_t n = ae_param_count(m);
    float *params = malloc(n * sizeof(float));
    ae_get_params(m, params);
    uint8_t *data = malloc(n * 4);
    cJSON *root = cJSON_CreateObject();
    size_t at = 0;
    for (int t = count - 1; t >= 0; t--) {
        ae_tensor info;
        ae_tensor_info(m, t, &info);
        cJSON *entry = cJSON_AddObjectToObject(root, info.name);
        cJSON_AddStringToObject(entry, "dtype", "F32");
        cJSON_AddItemToObject(entry, "shape", cJSON_CreateIntArray(info.shape, info.rank));
        cJSON *offsets = cJSON_AddArrayToObject(entry, "data_offsets");
        cJSON_AddItemToArray(offsets, cJSON_CreateNumber((double)at));
        cJSON_AddItemToArray(offsets, cJSON_CreateNumber((double)(at + info.count * 4)));
        for (size_t i = 0; i < info.count; i++, at += 4) {
            uint32_t bits;
            memcpy(&bits, &params[info.offset + i], 4);
            for (int b = 0; b < 4; b++) data[at + b] = (uint8_t)(bits >> (8 * b));
        }
    }
    cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__"); // last, as some writers do
    cJSON_AddStringToObject(meta, "config", ae_config_json(m));
    cJSON_AddStringToObject(meta, "format_version", "1");
    cJSON_AddStringToObject(meta, "format", "aevp");
    char *text = cJSON_PrintUnformatted(root);
    blob file = assemble(text, strlen(text), data, n * 4);
    int status = -1;
    ae_model *loaded = ae_load(file.bytes, file.len, &status);
    CHECK(loaded && status == AE_OK, "reordered file (header %zu bytes): %s", strlen(text),
          ae_last_error());
    if (loaded) check_same_model(m, loaded, "reordered file");
    ae_destroy(loaded);
    ae_destroy(m);
    cJSON_Delete(root);
    free(text); free(file.bytes); free(data); free(params);
}

// --- Hostile files ------------------------------------------------------------------------------

// Header edits, applied to the good file's parsed header; the data section is kept.
static cJSON *entry_of(cJSON *root, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(root, name);
}
static cJSON *offsets_of(cJSON *root, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(entry_of(root, name), "data_offsets");
}
static double offset(cJSON *root, const char *name, int which) {
    return cJSON_GetArrayItem(offsets_of(root, name), which)->valuedouble;
}
static void set_offsets(cJSON *root, const char *name, double begin, double end) {
    cJSON *o = offsets_of(root, name);
    cJSON_SetNumberValue(cJSON_GetArrayItem(o, 0), begin);
    cJSON_SetNumberValue(cJSON_GetArrayItem(o, 1), end);
}
static cJSON *metadata(cJSON *root) { return cJSON_GetObjectItemCaseSensitive(root, "__metadata__"); }
static void set_meta(cJSON *root, const char *key, const char *value) {
    cJSON_ReplaceItemInObjectCaseSensitive(metadata(root), key, cJSON_CreateString(value));
}

static size_t edit_data_len; // the good data section's length, for edits that need it

static void edit_no_metadata(cJSON *r) { cJSON_DeleteItemFromObjectCaseSensitive(r, "__metadata__"); }
static void edit_metadata_array(cJSON *r) {
    cJSON_ReplaceItemInObjectCaseSensitive(r, "__metadata__", cJSON_CreateArray());
}
static void edit_no_config(cJSON *r) { cJSON_DeleteItemFromObjectCaseSensitive(metadata(r), "config"); }
static void edit_bad_config(cJSON *r) {
    cJSON *config = cJSON_Parse(cJSON_GetObjectItemCaseSensitive(metadata(r), "config")->valuestring);
    cJSON_ReplaceItemInObjectCaseSensitive(config, "latent_grid", cJSON_CreateNumber(12));
    char *text = cJSON_PrintUnformatted(config);
    set_meta(r, "config", text);
    free(text);
    cJSON_Delete(config);
}
static void edit_config_other_model(cJSON *r) {
    set_meta(r, "config", "{\"filters\":[16,4],\"batch_size\":4,\"seed\":3}");
}
static void edit_missing_tensor(cJSON *r) { cJSON_DeleteItemFromObjectCaseSensitive(r, "out.bias"); }
static void edit_unknown_tensor(cJSON *r) {
    cJSON_AddItemToObject(r, "foo", cJSON_Duplicate(entry_of(r, "out.bias"), 1));
}
static void edit_duplicate_tensor(cJSON *r) {
    cJSON_AddItemToObject(r, "conv1.bias", cJSON_Duplicate(entry_of(r, "conv1.bias"), 1));
}
static void edit_f16(cJSON *r) {
    cJSON_ReplaceItemInObjectCaseSensitive(entry_of(r, "enc.weight"), "dtype", cJSON_CreateString("F16"));
}
static void edit_shape(cJSON *r) {
    const int shape[4] = {3, 3, 16, 4};
    cJSON_ReplaceItemInObjectCaseSensitive(entry_of(r, "conv2.weight"), "shape",
                                           cJSON_CreateIntArray(shape, 4));
}
static void edit_rank(cJSON *r) {
    const int shape[2] = {3, 3};
    cJSON_ReplaceItemInObjectCaseSensitive(entry_of(r, "conv1.bias"), "shape",
                                           cJSON_CreateIntArray(shape, 2));
}
static void edit_outside(cJSON *r) {
    set_offsets(r, "out.bias", (double)edit_data_len, (double)edit_data_len + 4);
}
static void edit_end_before_begin(cJSON *r) {
    set_offsets(r, "enc.bias", offset(r, "enc.bias", 1), offset(r, "enc.bias", 0));
}
static void edit_overlap(cJSON *r) {
    double begin = offset(r, "enc.bias", 0);
    set_offsets(r, "dec.weight", begin, begin + offset(r, "dec.weight", 1) - offset(r, "dec.weight", 0));
}
static void edit_size(cJSON *r) {
    set_offsets(r, "dec.bias", offset(r, "dec.bias", 0), offset(r, "dec.bias", 1) - 4);
}
static void edit_fractional_offset(cJSON *r) {
    set_offsets(r, "conv1.bias", offset(r, "conv1.bias", 0) + 0.5, offset(r, "conv1.bias", 1));
}
static void edit_negative_offset(cJSON *r) { set_offsets(r, "conv1.weight", -4, 572); }
static void edit_newer(cJSON *r) { set_meta(r, "format_version", "2"); }
static void edit_bad_version(cJSON *r) { set_meta(r, "format_version", "1.0"); }
static void edit_format(cJSON *r) { set_meta(r, "format", "keras"); }
static void edit_meta_number(cJSON *r) { cJSON_AddNumberToObject(metadata(r), "epochs", 5); }
static void edit_config_twice(cJSON *r) {
    cJSON_AddStringToObject(metadata(r), "config", "{\"latent_grid\":2}");
}

typedef struct {
    const char *what;
    void (*edit)(cJSON *root);          // a header edit, or
    blob (*make)(const good_file *g);   // a file built from scratch
    int status;
    const char *message;                // a part of ae_last_error()
} hostile;

static blob make_empty(const good_file *g) { return (blob){malloc(1), 0}; }
static blob make_7_bytes(const good_file *g) {
    blob b = {malloc(7), 7};
    memcpy(b.bytes, g->file.bytes, 7);
    return b;
}
static blob with_length(const good_file *g, uint64_t header_len) {
    blob b = {malloc(g->file.len), g->file.len};
    memcpy(b.bytes, g->file.bytes, b.len);
    write_u64le(b.bytes, header_len);
    return b;
}
static blob make_long_header(const good_file *g) { return with_length(g, g->file.len); }
static blob make_zero_header(const good_file *g) { return with_length(g, 0); }
static blob make_huge_header(const good_file *g) { return with_length(g, (uint64_t)1 << 63); }
static blob make_not_json(const good_file *g) {
    return assemble("{\"__metadata__\": oops}  ", 24, g->data, g->data_len);
}
static blob make_array(const good_file *g) { return assemble("[1, 2, 3]", 9, g->data, g->data_len); }
static blob make_trailing(const good_file *g) {
    size_t n = strlen(g->header);
    char *text = malloc(n + 3);
    memcpy(text, g->header, n);
    memcpy(text + n, " x", 3);
    blob b = assemble(text, n + 2, g->data, g->data_len);
    free(text);
    return b;
}
static blob make_nul(const good_file *g) {
    // A NUL inside a tensor name: "conv1.weight\0x" must not pass for conv1.weight.
    blob b = assemble(g->header, strlen(g->header), g->data, g->data_len);
    char *name = strstr((char *)b.bytes + 8, "\"conv1.weight\"");
    name[13] = 0;
    return b;
}
static blob with_value(const good_file *g, size_t index, uint32_t bits) {
    blob b = assemble(g->header, strlen(g->header), g->data, g->data_len);
    for (int i = 0; i < 4; i++) b.bytes[b.len - g->data_len + 4 * index + i] = (uint8_t)(bits >> (8 * i));
    return b;
}
static blob make_nan(const good_file *g) { return with_value(g, 200, 0x7fc00000u); }
static blob make_inf(const good_file *g) { return with_value(g, 6, 0xff800000u); }
static blob make_truncated(const good_file *g) {
    return assemble(g->header, strlen(g->header), g->data, g->data_len - 100);
}
static blob make_extra(const good_file *g) {
    blob b = assemble(g->header, strlen(g->header), g->data, g->data_len);
    uint8_t *grown = realloc(b.bytes, b.len + 4);
    memset(grown + b.len, 0, 4);
    return (blob){grown, b.len + 4};
}

static const hostile HOSTILE[] = {
    {"empty", NULL, make_empty, AE_ERR_DATA, "model file: 0 bytes is too short"},
    {"7 bytes", NULL, make_7_bytes, AE_ERR_DATA, "model file: 7 bytes is too short"},
    {"header length larger than the file", NULL, make_long_header, AE_ERR_DATA, "exceeds the file"},
    {"header length 0", NULL, make_zero_header, AE_ERR_DATA, "header length 0 is too short"},
    {"header length 2^63", NULL, make_huge_header, AE_ERR_DATA,
     "header length 9223372036854775808 exceeds the file"},
    {"header not JSON", NULL, make_not_json, AE_ERR_DATA, "the header is not valid JSON"},
    {"header a JSON array", NULL, make_array, AE_ERR_DATA, "the header is not a JSON object"},
    {"text after the header's JSON", NULL, make_trailing, AE_ERR_DATA, "after its JSON value"},
    {"NUL in a tensor name", NULL, make_nul, AE_ERR_DATA, "NUL byte"},
    {"no __metadata__", edit_no_metadata, NULL, AE_ERR_DATA, "the header has no __metadata__"},
    {"__metadata__ an array", edit_metadata_array, NULL, AE_ERR_DATA, "__metadata__ is not an object"},
    {"a number in __metadata__", edit_meta_number, NULL, AE_ERR_DATA,
     "__metadata__ field \"epochs\" is not a string"},
    {"config twice", edit_config_twice, NULL, AE_ERR_DATA, "field \"config\" appears 2 times"},
    {"format not aevp", edit_format, NULL, AE_ERR_DATA, "format \"keras\" is not \"aevp\""},
    {"newer format_version", edit_newer, NULL, AE_ERR_DATA,
     "model file: format_version \"2\" is newer than this AeVP reads (1)"},
    {"format_version 1.0", edit_bad_version, NULL, AE_ERR_DATA, "\"1.0\" is not a version number"},
    {"config missing", edit_no_config, NULL, AE_ERR_DATA, "__metadata__ has no \"config\""},
    {"config invalid", edit_bad_config, NULL, AE_ERR_CONFIG,
     "model file: config: latent_grid must be 1..8 (got 12)"},
    {"config of another model", edit_config_other_model, NULL, AE_ERR_DATA,
     "tensor \"conv2.weight\" has shape [3,3,16,8], the config needs [3,3,16,4]"},
    {"tensor missing", edit_missing_tensor, NULL, AE_ERR_DATA, "model file: missing tensor \"out.bias\""},
    {"unknown tensor", edit_unknown_tensor, NULL, AE_ERR_DATA, "model file: unknown tensor \"foo\""},
    {"tensor twice", edit_duplicate_tensor, NULL, AE_ERR_DATA, "tensor \"conv1.bias\" appears twice"},
    {"dtype F16", edit_f16, NULL, AE_ERR_DATA, "tensor \"enc.weight\" has dtype \"F16\""},
    {"wrong shape", edit_shape, NULL, AE_ERR_DATA,
     "model file: tensor \"conv2.weight\" has shape [3,3,16,4], the config needs [3,3,16,8]"},
    {"wrong rank", edit_rank, NULL, AE_ERR_DATA, "\"conv1.bias\" has shape [3,3], the config needs [16]"},
    {"offsets outside the data section", edit_outside, NULL, AE_ERR_DATA,
     "tensor \"out.bias\" has data_offsets [42696, 42700], outside the data section (42696 bytes)"},
    {"end before begin", edit_end_before_begin, NULL, AE_ERR_DATA, "end is before begin"},
    {"overlapping tensors", edit_overlap, NULL, AE_ERR_DATA,
     "model file: tensors \"enc.bias\" and \"dec.weight\" overlap"},
    {"size mismatch", edit_size, NULL, AE_ERR_DATA, "1564 bytes, its shape needs 1568"},
    {"fractional offset", edit_fractional_offset, NULL, AE_ERR_DATA, "data_offsets must be [begin, end]"},
    {"negative offset", edit_negative_offset, NULL, AE_ERR_DATA, "data_offsets must be [begin, end]"},
    {"NaN in the data", NULL, make_nan, AE_ERR_DATA, "tensor \"conv2.weight\" value 40 is not finite (nan)"},
    {"-Inf in the data", NULL, make_inf, AE_ERR_DATA, "tensor \"conv1.weight\" value 6 is not finite (-inf)"},
    {"truncated data", NULL, make_truncated, AE_ERR_DATA,
     "the data section holds 42596 bytes, the tensors need 42696: the file is truncated"},
    {"bytes after the data", NULL, make_extra, AE_ERR_DATA, "4 more than the tensors need"},
};
enum { HOSTILE_COUNT = sizeof HOSTILE / sizeof HOSTILE[0] };

static blob build_hostile(const hostile *h, const good_file *g) {
    if (h->make) return h->make(g);
    cJSON *root = cJSON_Parse(g->header);
    h->edit(root);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    blob b = assemble(text, strlen(text), g->data, g->data_len);
    free(text);
    return b;
}

static void test_hostile_files(void) {
    ae_model *m = trained_model(CONFIG);
    if (!m) return;
    blob file = {NULL, 0};
    CHECK(ae_save(m, METADATA, &file.bytes, &file.len) == AE_OK, "save: %s", ae_last_error());
    good_file g = take_apart(file);
    edit_data_len = g.data_len;
    CHECK(g.data_len == 42696, "the table's messages assume 10674 parameters (got %zu bytes)", g.data_len);
    for (int i = 0; i < HOSTILE_COUNT; i++) {
        const hostile *h = &HOSTILE[i];
        blob b = build_hostile(h, &g);
        int status = -1;
        ae_model *loaded = ae_load(b.bytes, b.len, &status);
        CHECK(!loaded && status == h->status, "%s: status %d, want %d (%s)", h->what, status,
              h->status, ae_last_error());
        CHECK(strstr(ae_last_error(), h->message), "%s: message \"%s\" lacks \"%s\"", h->what,
              ae_last_error(), h->message);
        printf("  %-36s %d  %s\n", h->what, status, ae_last_error());
        ae_destroy(loaded);
        free(b.bytes);
    }
    printf("%d hostile files refused\n", HOSTILE_COUNT);

    // Every prefix of the header, as the whole file in a buffer of exactly its size: the parser
    // must stop at the header's end (the sanitizer build catches a read past it) and refuse.
    size_t header_len = strlen(g.header);
    for (size_t cut = 0; cut <= header_len; cut++) {
        blob b = assemble(g.header, cut, NULL, 0);
        uint8_t *exact = malloc(b.len);
        memcpy(exact, b.bytes, b.len);
        int status = -1;
        ae_model *loaded = ae_load(exact, b.len, &status);
        CHECK(!loaded && status == AE_ERR_DATA, "header cut at %zu of %zu: status %d", cut,
              header_len, status);
        ae_destroy(loaded);
        free(exact);
        free(b.bytes);
    }

    // The size cap is checked before any byte past the length is read, so a fake length will do.
    int status = -1;
    CHECK(!ae_load(file.bytes, (size_t)300 << 20, &status) && status == AE_ERR_DATA &&
              strstr(ae_last_error(), "exceeds the limit of 256 MiB"),
          "300 MiB file: %d %s", status, ae_last_error());
    blob big = assemble(g.header, strlen(g.header), g.data, g.data_len);
    write_u64le(big.bytes, (uint64_t)2 << 20);
    uint8_t *padded = realloc(big.bytes, 8 + ((size_t)2 << 20));
    memset(padded + big.len, ' ', 8 + ((size_t)2 << 20) - big.len);
    CHECK(!ae_load(padded, 8 + ((size_t)2 << 20), &status) &&
              strstr(ae_last_error(), "header length 2097152 exceeds the limit of 1048576 bytes"),
          "2 MiB header: %s", ae_last_error());
    free(padded);
    CHECK(!ae_load(NULL, 100, NULL), "NULL bytes accepted");

    // The metadata of a file ae_load refuses for its version is still readable; framing faults
    // are refused the same way by both.
    cJSON *root = cJSON_Parse(g.header);
    edit_newer(root);
    char *text = cJSON_PrintUnformatted(root);
    blob newer = assemble(text, strlen(text), g.data, g.data_len);
    char *meta = NULL;
    CHECK(ae_load_metadata(newer.bytes, newer.len, &meta) == AE_OK && meta &&
              strstr(meta, "\"format_version\":\"2\""), "metadata of a newer file: %s",
          meta ? meta : ae_last_error());
    ae_free(meta);
    meta = (char *)1;
    blob truncated = make_huge_header(&g);
    CHECK(ae_load_metadata(truncated.bytes, truncated.len, &meta) == AE_ERR_DATA && meta == NULL &&
              strstr(ae_last_error(), "exceeds the file"), "metadata of a bad file: %s", ae_last_error());
    CHECK(ae_load_metadata(g.file.bytes, g.file.len, NULL) == AE_ERR_ARG, "NULL json_out accepted");
    free(truncated.bytes);
    free(newer.bytes);
    free(text);
    cJSON_Delete(root);
    free(g.header);
    ae_free(file.bytes);
    ae_destroy(m);
}

// A checkpoint carries the optimizer's state: training resumed from it takes the same next step,
// bit for bit, as the model that never stopped. Each optimizer keeps different state.
static void test_checkpoint(const char *config) {
    ae_model *m = trained_model(config);
    if (!m) return;
    uint8_t *bytes = NULL, *plain = NULL;
    size_t len = 0, plain_len = 0;
    CHECK(ae_save_checkpoint(m, METADATA, &bytes, &len) == AE_OK, "checkpoint: %s", ae_last_error());
    CHECK(ae_save(m, METADATA, &plain, &plain_len) == AE_OK, "save: %s", ae_last_error());
    CHECK(len > plain_len + 2 * 4 * ae_param_count(m), "checkpoint of %zu bytes, plain %zu", len, plain_len);
    int status = -1;
    ae_model *resumed = ae_load(bytes, len, &status);
    CHECK(resumed && status == AE_OK, "load checkpoint %s: %s", config, ae_last_error());
    ae_model *fresh = ae_load(plain, plain_len, &status);
    CHECK(fresh, "load plain file: %s", ae_last_error());
    if (resumed && fresh) {
        CHECK(ae_steps(resumed) == ae_steps(m) && ae_steps(fresh) == 0, "steps %d, resumed %d, plain %d",
              ae_steps(m), ae_steps(resumed), ae_steps(fresh));
        int batch = ae_batch_size(m);
        size_t n = ae_param_count(m);
        float *images = random_floats((size_t)batch * ae_input_size(m), 31), la = 0, lb = 0, lc = 0;
        CHECK(ae_train_batch(m, images, batch, &la) == AE_OK && ae_train_batch(resumed, images, batch, &lb) == AE_OK &&
                  ae_train_batch(fresh, images, batch, &lc) == AE_OK, "next step: %s", ae_last_error());
        float *pa = malloc(n * sizeof(float)), *pb = malloc(n * sizeof(float)), *pc = malloc(n * sizeof(float));
        ae_get_params(m, pa);
        ae_get_params(resumed, pb);
        ae_get_params(fresh, pc);
        CHECK(la == lb && memcmp(pa, pb, n * sizeof(float)) == 0, "%s: the resumed step differs (loss %.9g vs %.9g)",
              config, la, lb);
        CHECK(memcmp(pa, pc, n * sizeof(float)) != 0, "%s: a plain file resumed the same: the check cannot fail", config);
        free(pa); free(pb); free(pc); free(images);
    }
    // Only one of the two moments is a damaged checkpoint.
    good_file g = take_apart((blob){bytes, len});
    cJSON *root = cJSON_Parse(g.header);
    cJSON_DeleteItemFromObjectCaseSensitive(root, "optimizer.m2");
    char *text = cJSON_PrintUnformatted(root);
    blob edited = assemble(text, strlen(text), g.data, g.data_len - 4 * ae_param_count(m));
    CHECK(!ae_load(edited.bytes, edited.len, &status) && strstr(ae_last_error(), "missing tensor \"optimizer.m2\""),
          "half a checkpoint: %s", ae_last_error());
    free(edited.bytes); free(text); cJSON_Delete(root); free(g.header);
    ae_free(bytes); ae_free(plain);
    ae_destroy(resumed); ae_destroy(fresh); ae_destroy(m);
}

// A file from before the init field (the presets, say) drew its weights by the old rule, and says
// so once loaded: trained again from its seed, it is the same model.
static void test_legacy_init(void) {
    char path[1024];
    size_t len = 0;
    uint8_t *bytes = test_read_file(test_path(path, sizeof path, "web/presets/mnist-2x2.safetensors"), &len);
    CHECK(bytes, "cannot read %s", path);
    if (!bytes) return;
    CHECK(!strstr((const char *)bytes + 8, "\"init\""), "the preset already names init: pick an older file");
    int status = -1;
    ae_model *m = ae_load(bytes, len, &status);
    CHECK(m && strstr(ae_config_json(m), "\"init\":\"he\""), "legacy file config: %s",
          m ? ae_config_json(m) : ae_last_error());
    ae_destroy(m);
    free(bytes);
}

int main(int argc, char **argv) {
    test_init(argc, argv);
    test_round_trip(CONFIG);
    test_round_trip("{\"input\":{\"h\":12,\"w\":8,\"c\":3},\"filters\":[4,5],\"latent_grid\":1,"
                    "\"activation\":\"tanh\",\"loss\":\"mse\",\"optimizer\":\"sgd\",\"batch_size\":2}");
    // A VAE: enc.weight is (inner, 2 * latent) and the config keeps variational and beta.
    test_round_trip("{\"variational\":true,\"beta\":0.25,\"filters\":[3,2],\"latent_grid\":2,"
                    "\"batch_size\":2,\"input\":{\"h\":8,\"w\":8,\"c\":1}}");
    test_reordered_file();
    test_hostile_files();
    test_checkpoint(CONFIG);
    test_checkpoint("{\"optimizer\":\"sgd\",\"filters\":[3,2],\"latent_grid\":2,\"batch_size\":2,"
                    "\"input\":{\"h\":8,\"w\":8,\"c\":1}}");
    test_checkpoint("{\"optimizer\":\"rmsprop\",\"variational\":true,\"weight_decay\":0.01,\"filters\":[3,2],"
                    "\"latent_grid\":2,\"batch_size\":2,\"input\":{\"h\":8,\"w\":8,\"c\":1}}");
    test_legacy_init();
    return test_finish("test_tensorfile");
}
