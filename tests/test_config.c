// test_config.c — checks config.c: defaults, the exact JSON written, round trips, and the exact
// message for each way a config can be wrong. Not a test of the model that a config describes.
#include <float.h>
#include <stdint.h>

#include "aevp.h"
#include "io/config.h"
#include "testutil.h"

#include <math.h>

#include "cJSON.h"

#include "config_fixtures.h"

static void test_defaults(void) {
    ae_config defaults;
    config_defaults(&defaults);
    CHECK(defaults.filters[0] == 16 && defaults.filters[1] == 8, "filters %d %d", defaults.filters[0], defaults.filters[1]);
    CHECK(defaults.latent_grid == 3, "latent_grid %d", defaults.latent_grid);
    CHECK(defaults.activation == ACT_RELU && defaults.loss == LOSS_BCE && defaults.optimizer == OPT_ADAM, "choices");
    CHECK(defaults.learning_rate == 0.001, "learning_rate %.17g", defaults.learning_rate);
    CHECK(defaults.batch_size == 64 && defaults.epochs == 5 && defaults.seed == 1, "batch/epochs/seed");
    CHECK(defaults.variational == 0 && defaults.beta == 1.0, "variational %d beta %g", defaults.variational, defaults.beta);
    CHECK(defaults.input_h == 28 && defaults.input_w == 28 && defaults.input_c == 1, "input");
    CHECK(defaults.init == INIT_PYTORCH && defaults.schedule == SCHEDULE_CONSTANT, "init %d schedule %d",
          defaults.init, defaults.schedule);
    CHECK(defaults.warmup == 0.3 && defaults.weight_decay == 0.0, "warmup %g weight_decay %g", defaults.warmup,
          defaults.weight_decay);

    const char *empty_texts[] = {NULL, "", "{}", " { } \n"};
    for (size_t i = 0; i < sizeof empty_texts / sizeof empty_texts[0]; i++) {
        ae_config cfg = config_sentinel();
        char err[256] = "untouched";
        int rc = config_parse(&cfg, empty_texts[i], err, sizeof err);
        CHECK(rc == AE_OK, "text #%zu: rc %d (%s)", i, rc, err);
        CHECK(config_equal(&cfg, &defaults), "text #%zu does not give the defaults", i);
        CHECK(err[0] == '\0', "text #%zu: err not cleared: %s", i, err);
    }

    char *json = config_to_json(&defaults);
    const char *expected = "{\"filters\":[16,8],\"kernel_size\":3,\"downsample\":\"stride\",\"upsample\":\"transpose\","
                           "\"res_blocks\":0,\"attention\":\"none\",\"latent_grid\":3,\"activation\":\"relu\",\"loss\":\"bce\","
                           "\"variational\":false,\"beta\":1,\"init\":\"pytorch\",\"optimizer\":\"adam\",\"learning_rate\":0.001,"
                           "\"schedule\":\"constant\",\"warmup\":0.3,\"weight_decay\":0,\"batch_size\":64,\"epochs\":5,"
                           "\"seed\":1,\"input\":{\"h\":28,\"w\":28,\"c\":1}}";
    CHECK(json && strcmp(json, expected) == 0, "defaults as JSON:\n  got  %s\n  want %s", json ? json : "(null)", expected);
    free(json);
}

static void test_partial(void) {
    // Fields not given keep their defaults, inside input too.
    ae_config cfg, want;
    config_defaults(&want);
    want.input_h = 32;
    want.epochs = 100;
    char err[256];
    int rc = config_parse(&cfg, "{\"input\": {\"h\": 32}, \"epochs\": 1e2}", err, sizeof err);
    CHECK(rc == AE_OK, "rc %d (%s)", rc, err);
    CHECK(config_equal(&cfg, &want), "partial config");

    rc = config_parse(&cfg, "{\"input\": {}, \"filters\": [1.0, 64]}", err, sizeof err);
    want.input_h = 28;
    want.epochs = 5;
    want.filters[0] = 1;
    want.filters[1] = 64;
    CHECK(rc == AE_OK && config_equal(&cfg, &want), "empty input object, integral 1.0: rc %d (%s)", rc, err);

    // The edges of beta are allowed; variational takes JSON booleans.
    config_defaults(&want);
    want.variational = 1;
    want.beta = 100;
    rc = config_parse(&cfg, "{\"variational\": true, \"beta\": 100}", err, sizeof err);
    CHECK(rc == AE_OK && config_equal(&cfg, &want), "variational true, beta 100: rc %d (%s)", rc, err);
    want.variational = 0;
    want.beta = 0;
    rc = config_parse(&cfg, "{\"variational\": false, \"beta\": 0}", err, sizeof err);
    CHECK(rc == AE_OK && config_equal(&cfg, &want), "variational false, beta 0: rc %d (%s)", rc, err);
}

static void test_round_trip(void) {
    ae_config full;
    config_defaults(&full);
    full.filters[0] = 64;
    full.filters[1] = 1;
    full.latent_grid = 8;
    full.activation = ACT_LEAKY_RELU;
    full.loss = LOSS_MSE;
    full.optimizer = OPT_RMSPROP;
    full.init = INIT_HE;
    full.schedule = SCHEDULE_COSINE;
    full.warmup = 0.5;
    full.weight_decay = 1.0 / 3.0;
    full.variational = 1;
    full.beta = 0.1 / 3.0;
    full.learning_rate = 0.1 / 3.0;
    full.batch_size = 512;
    full.epochs = 1000;
    full.seed = 4294967295u;
    full.input_h = 256;
    full.input_w = 4;
    full.input_c = 4;

    char *json = config_to_json(&full);
    CHECK(json != NULL, "config_to_json failed");
    if (!json) return;
    ae_config back = config_sentinel();
    char err[256];
    int rc = config_parse(&back, json, err, sizeof err);
    CHECK(rc == AE_OK, "reparse rc %d (%s) of %s", rc, err, json);
    CHECK(config_equal(&full, &back), "full config does not round-trip: %s", json);
    // Writing the parsed copy gives the same bytes.
    char *again = config_to_json(&back);
    CHECK(again && strcmp(json, again) == 0, "second write differs:\n  %s\n  %s", json, again ? again : "(null)");
    free(again);
    free(json);

    // Every activation, loss and optimizer a user can choose, by name.
    const ae_activation activations[] = {ACT_RELU, ACT_LEAKY_RELU, ACT_ELU, ACT_TANH};
    for (int a = 0; a < 4; a++)
        for (int l = 0; l < 2; l++)
            for (int o = 0; o < 3; o++) {
                ae_config cfg = full;
                cfg.activation = activations[a];
                cfg.loss = (ae_loss)l;
                cfg.optimizer = (ae_optimizer)o;
                char *text = config_to_json(&cfg);
                ae_config parsed = config_sentinel();
                rc = config_parse(&parsed, text, err, sizeof err);
                CHECK(rc == AE_OK && config_equal(&cfg, &parsed), "choices %d/%d/%d: %s", a, l, o, text ? text : "(null)");
                free(text);
            }

    // learning_rate values that need all 17 digits, or sit on the edges of the range.
    const double rates[] = {0.001, 0.1, 1.0 / 3.0, 2.0 / 3.0, 3e-7, 0.1 + 0.2, 1e-300, DBL_MIN,
                            4.9406564584124654e-324, 9.999999999999998, 10.0, 1.0000000000000002};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        ae_config cfg = full;
        cfg.learning_rate = rates[i];
        char *text = config_to_json(&cfg);
        ae_config parsed = config_sentinel();
        rc = config_parse(&parsed, text, err, sizeof err);
        CHECK(rc == AE_OK, "rate %.17g: rc %d (%s)", rates[i], rc, err);
        CHECK(parsed.learning_rate == rates[i], "rate %.17g came back as %.17g from %s", rates[i],
              parsed.learning_rate, text ? text : "(null)");
        free(text);
    }
}

static void test_activation_names(void) {
    CHECK(strcmp(activation_name(ACT_RELU), "relu") == 0, "relu");
    CHECK(strcmp(activation_name(ACT_LEAKY_RELU), "leaky_relu") == 0, "leaky_relu");
    CHECK(strcmp(activation_name(ACT_ELU), "elu") == 0, "elu");
    CHECK(strcmp(activation_name(ACT_TANH), "tanh") == 0, "tanh");
    CHECK(strcmp(activation_name(ACT_LINEAR), "linear") == 0, "linear");
    CHECK(strcmp(activation_name(ACT_SIGMOID), "sigmoid") == 0, "sigmoid");
}

typedef struct {
    const char *json;
    const char *message;
} bad_config;

static const bad_config bad_configs[] = {
    // the text itself; cJSON's offset is at the bad character or, inside a string, just past it
    {"{\"seed\":", "config: invalid JSON near offset 8"},
    {"{\"seed\": 1,}", "config: invalid JSON near offset 12"},
    {"{} x", "config: invalid JSON near offset 3"},
    {"{'seed': 1}", "config: invalid JSON near offset 2"},
    {"   ", "config: invalid JSON near offset 3"},
    {"[16, 8]", "config: top level must be an object (got array)"},
    {"42", "config: top level must be an object (got number)"},
    {"\"relu\"", "config: top level must be an object (got string)"},
    {"null", "config: top level must be an object (got null)"},
    // keys
    {"{\"foo\": 1}", "config: unknown key \"foo\""},
    {"{\"Seed\": 1}", "config: unknown key \"Seed\""},
    {"{\"a\\\"b\\n\": 1}", "config: unknown key \"a\\\"b\\x0a\""},
    {"{\"aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeee\": 1}",
     "config: unknown key \"aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd...\""},
    {"{\"seed\": 1, \"seed\": 2}", "config: duplicate key \"seed\""},
    {"{\"foo\": 1, \"seed\": -1}", "config: unknown key \"foo\""}, // the first problem, in text order
    // filters
    {"{\"filters\": 16}", "config: filters must be an array of 1 to 4 integers (got number)"},
    {"{\"filters\": {\"a\": 1}}", "config: filters must be an array of 1 to 4 integers (got object)"},
    {"{\"filters\": [16, 8, 4, 2, 1]}", "config: filters must be an array of 1 to 4 integers (got 5 items)"},
    {"{\"filters\": []}", "config: filters must be an array of 1 to 4 integers (got 0 items)"},
    {"{\"filters\": [16, 0]}", "config: filters[1] must be 1..128 (got 0)"},
    {"{\"filters\": [129, 8]}", "config: filters[0] must be 1..128 (got 129)"},
    {"{\"filters\": [8, 8, 8, 200]}", "config: filters[3] must be 1..128 (got 200)"},
    {"{\"kernel_size\": 4}", "config: kernel_size must be 3 or 5 (got 4)"},
    {"{\"kernel_size\": 7}", "config: kernel_size must be 3 or 5 (got 7)"},
    {"{\"kernel_size\": \"3\"}", "config: kernel_size must be an integer (got string)"},
    {"{\"downsample\": \"avgpool\"}", "config: downsample must be one of stride, maxpool (got \"avgpool\")"},
    {"{\"upsample\": \"bilinear\"}", "config: upsample must be one of transpose, nearest (got \"bilinear\")"},
    {"{\"res_blocks\": 4}", "config: res_blocks must be 0..3 (got 4)"},
    {"{\"res_blocks\": -1}", "config: res_blocks must be 0..3 (got -1)"},
    {"{\"attention\": true}", "config: attention must be one of none, encoder, decoder, both (got boolean)"},
    {"{\"filters\": [4, 4, 4], \"input\": {\"h\": 6}}",
     "config: input.h must be at least 8 for 3 encoder stages, as each stage halves it (got 6)"},
    {"{\"filters\": [4, 4, 4, 4], \"input\": {\"h\": 16, \"w\": 12}}",
     "config: input.w must be at least 16 for 4 encoder stages, as each stage halves it (got 12)"},
    {"{\"filters\": [16, \"8\"]}", "config: filters[1] must be an integer (got string)"},
    {"{\"filters\": [16.5, 8]}", "config: filters[0] must be an integer (got 16.5)"},
    {"{\"filters\": [null, 8]}", "config: filters[0] must be an integer (got null)"},
    // latent_grid
    {"{\"latent_grid\": 12}", "config: latent_grid must be 1..8 (got 12)"},
    {"{\"latent_grid\": 0}", "config: latent_grid must be 1..8 (got 0)"},
    {"{\"latent_grid\": -3}", "config: latent_grid must be 1..8 (got -3)"},
    {"{\"latent_grid\": 2.5}", "config: latent_grid must be an integer (got 2.5)"},
    {"{\"latent_grid\": true}", "config: latent_grid must be an integer (got boolean)"},
    // activation, loss, optimizer
    {"{\"activation\": \"swish\"}", "config: activation must be one of relu, leaky_relu, elu, tanh (got \"swish\")"},
    {"{\"activation\": \"RELU\"}", "config: activation must be one of relu, leaky_relu, elu, tanh (got \"RELU\")"},
    {"{\"activation\": \"sigmoid\"}", "config: activation must be one of relu, leaky_relu, elu, tanh (got \"sigmoid\")"},
    {"{\"activation\": 1}", "config: activation must be one of relu, leaky_relu, elu, tanh (got number)"},
    {"{\"loss\": \"l1\"}", "config: loss must be one of bce, mse (got \"l1\")"},
    {"{\"loss\": null}", "config: loss must be one of bce, mse (got null)"},
    {"{\"optimizer\": \"adamw\"}", "config: optimizer must be one of adam, sgd, rmsprop (got \"adamw\")"},
    {"{\"optimizer\": [\"adam\"]}", "config: optimizer must be one of adam, sgd, rmsprop (got array)"},
    // learning_rate
    {"{\"learning_rate\": \"0.01\"}", "config: learning_rate must be a number (got string)"},
    {"{\"learning_rate\": false}", "config: learning_rate must be a number (got boolean)"},
    {"{\"learning_rate\": 0}", "config: learning_rate must be > 0 and <= 10 (got 0)"},
    {"{\"learning_rate\": -0.1}", "config: learning_rate must be > 0 and <= 10 (got -0.1)"},
    {"{\"learning_rate\": 10.5}", "config: learning_rate must be > 0 and <= 10 (got 10.5)"},
    {"{\"learning_rate\": 1e999}", "config: learning_rate must be finite (got inf)"},
    // variational, beta
    {"{\"variational\": 1}", "config: variational must be true or false (got number)"},
    {"{\"variational\": \"true\"}", "config: variational must be true or false (got string)"},
    {"{\"variational\": null}", "config: variational must be true or false (got null)"},
    {"{\"beta\": 500}", "config: beta must be 0..100 (got 500)"},
    {"{\"beta\": -0.5}", "config: beta must be 0..100 (got -0.5)"},
    {"{\"beta\": 100.00000000000001}", "config: beta must be 0..100 (got 100.00000000000001)"},
    {"{\"beta\": 1e999}", "config: beta must be finite (got inf)"},
    {"{\"beta\": \"1\"}", "config: beta must be a number (got string)"},
    {"{\"beta\": true}", "config: beta must be a number (got boolean)"},
    // batch_size, epochs, seed
    {"{\"batch_size\": 0}", "config: batch_size must be 1..512 (got 0)"},
    {"{\"batch_size\": 513}", "config: batch_size must be 1..512 (got 513)"},
    {"{\"batch_size\": 64.5}", "config: batch_size must be an integer (got 64.5)"},
    {"{\"batch_size\": 1e999}", "config: batch_size must be an integer (got inf)"},
    {"{\"epochs\": 0}", "config: epochs must be 1..1000 (got 0)"},
    {"{\"epochs\": 1001}", "config: epochs must be 1..1000 (got 1001)"},
    {"{\"epochs\": \"5\"}", "config: epochs must be an integer (got string)"},
    {"{\"seed\": -1}", "config: seed must be 0..4294967295 (got -1)"},
    {"{\"seed\": 4294967296}", "config: seed must be 0..4294967295 (got 4294967296)"},
    {"{\"seed\": 1.5}", "config: seed must be an integer (got 1.5)"},
    {"{\"seed\": null}", "config: seed must be an integer (got null)"},
    // input
    {"{\"input\": [28, 28, 1]}", "config: input must be an object (got array)"},
    {"{\"input\": \"28x28\"}", "config: input must be an object (got string)"},
    {"{\"input\": {\"h\": 0}}", "config: input.h must be 4..256 (got 0)"},
    {"{\"input\": {\"h\": 260}}", "config: input.h must be 4..256 (got 260)"},
    {"{\"input\": {\"w\": 2}}", "config: input.w must be 4..256 (got 2)"},
    {"{\"input\": {\"w\": 512}}", "config: input.w must be 4..256 (got 512)"},
    {"{\"input\": {\"h\": \"28\"}}", "config: input.h must be an integer (got string)"},
    {"{\"input\": {\"w\": 28.5}}", "config: input.w must be an integer (got 28.5)"},
    {"{\"input\": {\"c\": 0}}", "config: input.c must be 1..4 (got 0)"},
    {"{\"input\": {\"c\": 5}}", "config: input.c must be 1..4 (got 5)"},
    {"{\"input\": {\"c\": 1.5}}", "config: input.c must be an integer (got 1.5)"},
    {"{\"input\": {\"d\": 1}}", "config: unknown key \"input.d\""},
    {"{\"input\": {\"h\": 28, \"h\": 28}}", "config: duplicate key \"input.h\""},
    // init, schedule, warmup, weight_decay
    {"{\"init\": \"kaiming\"}", "config: init must be one of pytorch, he, glorot (got \"kaiming\")"},
    {"{\"init\": 0}", "config: init must be one of pytorch, he, glorot (got number)"},
    {"{\"schedule\": \"step\"}", "config: schedule must be one of constant, cosine, onecycle (got \"step\")"},
    {"{\"warmup\": 0.75}", "config: warmup must be 0..0.5 (got 0.75)"},
    {"{\"warmup\": -0.1}", "config: warmup must be 0..0.5 (got -0.1)"},
    {"{\"warmup\": \"0.3\"}", "config: warmup must be a number (got string)"},
    {"{\"weight_decay\": 2}", "config: weight_decay must be 0..1 (got 2)"},
    {"{\"weight_decay\": 1e999}", "config: weight_decay must be finite (got inf)"},
};

static void test_bad_configs(void) {
    const size_t count = sizeof bad_configs / sizeof bad_configs[0];
    CHECK(count >= 25, "only %zu bad configs", count);
    for (size_t i = 0; i < count; i++) {
        const bad_config *bad = &bad_configs[i];
        ae_config cfg = config_sentinel();
        const ae_config before = cfg;
        char err[256] = "";
        int rc = config_parse(&cfg, bad->json, err, sizeof err);
        CHECK(rc == AE_ERR_CONFIG, "%s: rc %d, want AE_ERR_CONFIG", bad->json, rc);
        CHECK(strcmp(err, bad->message) == 0, "%s:\n  got  %s\n  want %s", bad->json, err, bad->message);
        CHECK(config_equal(&cfg, &before), "%s: a rejected config changed the struct", bad->json);
    }
}

static void test_text_length(void) {
    // The cap is on the text: exactly 64 KiB of valid JSON passes, one byte more does not.
    const size_t cap = 65536;
    char *text = malloc(cap + 2);
    CHECK(text != NULL, "malloc");
    if (!text) return;
    memset(text, ' ', cap + 1);
    text[0] = '{';
    text[cap - 1] = '}';
    text[cap] = '\0';
    ae_config cfg;
    char err[256];
    int rc = config_parse(&cfg, text, err, sizeof err);
    CHECK(rc == AE_OK, "64 KiB of JSON: rc %d (%s)", rc, err);

    text[cap - 1] = ' ';
    text[cap] = '}';
    text[cap + 1] = '\0';
    rc = config_parse(&cfg, text, err, sizeof err);
    CHECK(rc == AE_ERR_CONFIG, "64 KiB + 1: rc %d", rc);
    CHECK(strcmp(err, "config: text must be at most 65536 bytes (got 65537)") == 0, "got %s", err);
    free(text);
}

static void test_error_buffer(void) {
    // A short buffer gets a truncated, terminated message; no buffer at all is allowed.
    ae_config cfg;
    char small[12];
    memset(small, 'x', sizeof small);
    int rc = config_parse(&cfg, "{\"latent_grid\": 12}", small, sizeof small);
    CHECK(rc == AE_ERR_CONFIG, "rc %d", rc);
    CHECK(strcmp(small, "config: lat") == 0, "truncated to %s", small);
    rc = config_parse(&cfg, "{\"latent_grid\": 12}", NULL, 0);
    CHECK(rc == AE_ERR_CONFIG, "rc %d with no error buffer", rc);
    rc = config_parse(&cfg, "{\"latent_grid\": 2}", NULL, 0);
    CHECK(rc == AE_OK && cfg.latent_grid == 2, "rc %d with no error buffer", rc);
}

// The schema the page reads must say what config_parse does: the same fields in the same order
// with the same defaults, and each stated range and choice list is exactly what parsing accepts.
static int accepts(const char *json) {
    ae_config cfg;
    return config_parse(&cfg, json, NULL, 0) == AE_OK;
}

static void check_schema_field(const cJSON *field, const cJSON *value, const char *path) {
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(field, "type"));
    const cJSON *fallback = cJSON_GetObjectItemCaseSensitive(field, "default");
    CHECK(type && cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(field, "rule")) &&
              cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(field, "help")),
          "%s: type, rule or help missing", path);
    if (!type) return;
    if (strcmp(type, "object") == 0) {
        const cJSON *child = cJSON_GetObjectItemCaseSensitive(field, "fields")->child;
        const cJSON *member = value ? value->child : NULL;
        for (; child && member; child = child->next, member = member->next) {
            const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(child, "name"));
            CHECK(name && strcmp(name, member->string) == 0, "%s: field %s, the config writes %s", path,
                  name ? name : "?", member->string);
            char inner[96];
            snprintf(inner, sizeof inner, "%s.%s", path, member->string);
            check_schema_field(child, member, inner);
        }
        CHECK(!child && !member, "%s: the schema and the config have different fields", path);
        return;
    }
    CHECK(fallback && cJSON_Compare(fallback, value, 1), "%s: the schema's default is not the config's", path);
    // Probe the edges through a config with only this field (nested fields inside their object).
    const char *dot = strchr(path, '.');
    char probe[256];
#define PROBE(fmt, ...)                                                                               \
    (dot ? snprintf(probe, sizeof probe, "{\"%.*s\": {\"%s\": " fmt "}}", (int)(dot - path), path, dot + 1, __VA_ARGS__) \
         : snprintf(probe, sizeof probe, "{\"%s\": " fmt "}", path, __VA_ARGS__))
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(field, "min"), *max = cJSON_GetObjectItemCaseSensitive(field, "max");
    if (strcmp(type, "int") == 0) {
        const cJSON *multiple = cJSON_GetObjectItemCaseSensitive(field, "multiple_of");
        double step = multiple ? multiple->valuedouble : 1;
        PROBE("%.0f", min->valuedouble); CHECK(accepts(probe), "%s refused at its min", probe);
        PROBE("%.0f", max->valuedouble); CHECK(accepts(probe), "%s refused at its max", probe);
        PROBE("%.0f", min->valuedouble - 1); CHECK(!accepts(probe), "%s accepted below its min", probe);
        PROBE("%.0f", max->valuedouble + 1); CHECK(!accepts(probe), "%s accepted above its max", probe);
        if (step > 1) {
            PROBE("%.0f", min->valuedouble + 1); CHECK(!accepts(probe), "%s accepted off its multiple", probe);
        }
    } else if (strcmp(type, "number") == 0) {
        int exclusive = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(field, "min_exclusive"));
        PROBE("%.17g", min->valuedouble); CHECK(accepts(probe) == !exclusive, "%s at its min", probe);
        PROBE("%.17g", max->valuedouble); CHECK(accepts(probe), "%s refused at its max", probe);
        PROBE("%.17g", nextafter(max->valuedouble, 1e300)); CHECK(!accepts(probe), "%s accepted above its max", probe);
        PROBE("%.17g", nextafter(min->valuedouble, -1e300)); CHECK(!accepts(probe), "%s accepted below its min", probe);
    } else if (strcmp(type, "choice") == 0) {
        for (const cJSON *c = cJSON_GetObjectItemCaseSensitive(field, "choices")->child; c; c = c->next) {
            PROBE("\"%s\"", c->valuestring); CHECK(accepts(probe), "%s refused", probe);
        }
        PROBE("\"%s\"", "no-such-choice"); CHECK(!accepts(probe), "%s accepted", probe);
    } else if (strcmp(type, "int_list") == 0) {
        int items = (int)cJSON_GetObjectItemCaseSensitive(field, "max_items")->valuedouble;
        char list[128] = "";
        for (int i = 0; i < items; i++) snprintf(list + strlen(list), sizeof list - strlen(list), "%s%.0f", i ? "," : "", max->valuedouble);
        PROBE("[%s]", list); CHECK(accepts(probe), "%s refused", probe);
        PROBE("[%s,1]", list); CHECK(!accepts(probe), "%s accepted with one item too many", probe);
    } else {
        CHECK(strcmp(type, "bool") == 0, "%s: unknown type %s", path, type);
    }
#undef PROBE
}

static void test_schema(void) {
    const char *text = config_schema_json();
    CHECK(text != NULL, "no schema");
    CHECK(text == config_schema_json(), "the schema is built once");
    cJSON *schema = cJSON_Parse(text);
    ae_config defaults;
    config_defaults(&defaults);
    char *written = config_to_json(&defaults);
    cJSON *config = cJSON_Parse(written);
    CHECK(schema && config, "schema or defaults do not parse: %s", text ? text : "(null)");
    if (schema && config) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(schema, "fields")->child;
        const cJSON *member = config->child;
        int count = 0;
        for (; f && member; f = f->next, member = member->next, count++) {
            const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "name"));
            CHECK(name && strcmp(name, member->string) == 0, "schema field %d is %s, the config writes %s", count,
                  name ? name : "?", member->string);
            if (name) check_schema_field(f, member, name);
        }
        CHECK(!f && !member, "the schema and the written config have different field counts");
        CHECK(count >= 16, "only %d fields", count);
    }
    cJSON_Delete(schema);
    cJSON_Delete(config);
    free(written);
}

int main(int argc, char **argv) {
    test_init(argc, argv);
    test_defaults();
    test_partial();
    test_round_trip();
    test_activation_names();
    test_bad_configs();
    test_text_length();
    test_error_buffer();
    test_schema();
    return test_finish("test_config");
}
