// config.c — parses the model configuration from JSON (with cJSON), checks every field, writes it back.
// Not the model: limits that depend on several fields at once (memory, parameter counts) are model.c's.
#include "config.h"
#include "quote.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aevp.h"
#include "cJSON.h"

// The config is typed by a person or sent by the page; anything longer is a mistake or an attack,
// and the cap keeps cJSON's allocations small.
#define CONFIG_MAX_TEXT 65536

// Long or odd strings are shortened in messages so that one stays readable on one line.

void config_defaults(ae_config *cfg) {
    cfg->filters[0] = 16;
    cfg->filters[1] = 8;
    cfg->latent_grid = 3;
    cfg->activation = ACT_RELU;
    cfg->loss = LOSS_BCE;
    cfg->variational = 0;
    cfg->beta = 1.0;
    cfg->optimizer = OPT_ADAM;
    cfg->learning_rate = 0.001;
    cfg->batch_size = 64;
    cfg->epochs = 5;
    cfg->seed = 1;
    cfg->input_h = 28;
    cfg->input_w = 28;
    cfg->input_c = 1;
}

const char *activation_name(ae_activation a) {
    switch (a) {
    case ACT_RELU: return "relu";
    case ACT_LEAKY_RELU: return "leaky_relu";
    case ACT_ELU: return "elu";
    case ACT_TANH: return "tanh";
    case ACT_LINEAR: return "linear";
    case ACT_SIGMOID: return "sigmoid";
    }
    return "unknown";
}

static const char *loss_name(ae_loss l) {
    switch (l) {
    case LOSS_BCE: return "bce";
    case LOSS_MSE: return "mse";
    }
    return "unknown";
}

static const char *optimizer_name(ae_optimizer o) {
    switch (o) {
    case OPT_ADAM: return "adam";
    case OPT_SGD: return "sgd";
    case OPT_RMSPROP: return "rmsprop";
    }
    return "unknown";
}

typedef struct {
    char *text;
    size_t cap;
} error_sink;

static int fail(error_sink *err, const char *fmt, ...) {
    if (err->text && err->cap > 0) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(err->text, err->cap, fmt, args);
        va_end(args);
    }
    return AE_ERR_CONFIG;
}

// Shortest "%.Ng" that reads back as the same double, so a message shows 0.1, not 0.10000000000000001.
// Whole numbers are written out in full (260, not 2.6e+02).
static void format_number(char *out, size_t cap, double v) {
    if (v == floor(v) && fabs(v) < 1e17) {
        snprintf(out, cap, "%.0f", v);
        return;
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(out, cap, "%.*g", digits, v);
        if (strtod(out, NULL) == v) return;
    }
}

static const char *type_name(const cJSON *item) {
    if (cJSON_IsNumber(item)) return "number";
    if (cJSON_IsString(item)) return "string";
    if (cJSON_IsBool(item)) return "boolean";
    if (cJSON_IsNull(item)) return "null";
    if (cJSON_IsArray(item)) return "array";
    if (cJSON_IsObject(item)) return "object";
    return "invalid";
}


// A JSON number with no fractional part, within [lo, hi]. Strings such as "8" are refused:
// a config that type-checks is one the page, the CLI and the model file all agree on.
static int get_integer(const cJSON *item, const char *name, double lo, double hi, double *out,
                       error_sink *err) {
    char seen[32];
    if (!cJSON_IsNumber(item)) return fail(err, "config: %s must be an integer (got %s)", name, type_name(item));
    double v = item->valuedouble;
    format_number(seen, sizeof seen, v);
    if (!isfinite(v) || v != floor(v)) return fail(err, "config: %s must be an integer (got %s)", name, seen);
    if (v < lo || v > hi) return fail(err, "config: %s must be %.0f..%.0f (got %s)", name, lo, hi, seen);
    *out = v;
    return AE_OK;
}

static int get_int(const cJSON *item, const char *name, int lo, int hi, int *out, error_sink *err) {
    double v;
    int rc = get_integer(item, name, lo, hi, &v, err);
    if (rc == AE_OK) *out = (int)v;
    return rc;
}

// One of a fixed list of names; returns the index into names.
static int get_choice(const cJSON *item, const char *name, const char *const *names, int count,
                      const char *listed, int *out, error_sink *err) {
    if (!cJSON_IsString(item))
        return fail(err, "config: %s must be one of %s (got %s)", name, listed, type_name(item));
    for (int i = 0; i < count; i++) {
        if (strcmp(item->valuestring, names[i]) == 0) {
            *out = i;
            return AE_OK;
        }
    }
    char seen[QUOTE_MAX * 4 + 8];
    ae_quote(seen, sizeof seen, item->valuestring);
    return fail(err, "config: %s must be one of %s (got %s)", name, listed, seen);
}

// cJSON keeps every member of an object, duplicates included; a repeated key is almost always an
// edit gone wrong, and silently taking the first (or the last) would hide it.
static int check_duplicate(const cJSON *object, const cJSON *member, const char *prefix, error_sink *err) {
    for (const cJSON *earlier = object->child; earlier != member; earlier = earlier->next) {
        if (strcmp(earlier->string, member->string) == 0) {
            char key[QUOTE_MAX * 4 + 32];
            char name[QUOTE_MAX * 4 + 32];
            snprintf(key, sizeof key, "%s%s", prefix, member->string);
            ae_quote(name, sizeof name, key);
            return fail(err, "config: duplicate key %s", name);
        }
    }
    return AE_OK;
}

static int unknown_key(const char *prefix, const char *key, error_sink *err) {
    char full[QUOTE_MAX * 4 + 32];
    char name[QUOTE_MAX * 4 + 32];
    snprintf(full, sizeof full, "%s%s", prefix, key);
    ae_quote(name, sizeof name, full);
    return fail(err, "config: unknown key %s", name);
}

static int parse_filters(const cJSON *item, ae_config *cfg, error_sink *err) {
    if (!cJSON_IsArray(item)) return fail(err, "config: filters must be an array of 2 integers (got %s)", type_name(item));
    int count = cJSON_GetArraySize(item);
    if (count != 2)
        return fail(err, "config: filters must be an array of 2 integers (got %d item%s)", count, count == 1 ? "" : "s");
    int i = 0;
    for (const cJSON *element = item->child; element; element = element->next, i++) {
        char name[24];
        snprintf(name, sizeof name, "filters[%d]", i);
        int rc = get_int(element, name, 1, 64, &cfg->filters[i], err);
        if (rc != AE_OK) return rc;
    }
    return AE_OK;
}

// h and w must survive two stride-2 downsamplings exactly, so that the decoder gives back the
// input's size.
static int get_side(const cJSON *item, const char *name, int *out, error_sink *err) {
    int v;
    int rc = get_int(item, name, 4, 256, &v, err);
    if (rc != AE_OK) return rc;
    if (v % 4 != 0) return fail(err, "config: %s must be divisible by 4 (got %d)", name, v);
    *out = v;
    return AE_OK;
}

static int parse_input(const cJSON *item, ae_config *cfg, error_sink *err) {
    if (!cJSON_IsObject(item)) return fail(err, "config: input must be an object (got %s)", type_name(item));
    for (const cJSON *member = item->child; member; member = member->next) {
        int rc = check_duplicate(item, member, "input.", err);
        if (rc != AE_OK) return rc;
        const char *key = member->string;
        if (strcmp(key, "h") == 0) rc = get_side(member, "input.h", &cfg->input_h, err);
        else if (strcmp(key, "w") == 0) rc = get_side(member, "input.w", &cfg->input_w, err);
        else if (strcmp(key, "c") == 0) rc = get_int(member, "input.c", 1, 4, &cfg->input_c, err);
        else rc = unknown_key("input.", key, err);
        if (rc != AE_OK) return rc;
    }
    return AE_OK;
}

static int parse_member(const cJSON *member, ae_config *cfg, error_sink *err) {
    static const char *const activations[] = {"relu", "leaky_relu", "elu", "tanh"};
    static const char *const losses[] = {"bce", "mse"};
    static const char *const optimizers[] = {"adam", "sgd", "rmsprop"};
    const char *key = member->string;
    int choice = 0, rc;

    if (strcmp(key, "filters") == 0) return parse_filters(member, cfg, err);
    if (strcmp(key, "latent_grid") == 0) return get_int(member, "latent_grid", 1, 8, &cfg->latent_grid, err);
    if (strcmp(key, "activation") == 0) {
        // The order of the names is the order of ae_activation; linear and sigmoid stay internal.
        rc = get_choice(member, "activation", activations, 4, "relu, leaky_relu, elu, tanh", &choice, err);
        if (rc == AE_OK) cfg->activation = (ae_activation)choice;
        return rc;
    }
    if (strcmp(key, "loss") == 0) {
        rc = get_choice(member, "loss", losses, 2, "bce, mse", &choice, err);
        if (rc == AE_OK) cfg->loss = (ae_loss)choice;
        return rc;
    }
    if (strcmp(key, "optimizer") == 0) {
        rc = get_choice(member, "optimizer", optimizers, 3, "adam, sgd, rmsprop", &choice, err);
        if (rc == AE_OK) cfg->optimizer = (ae_optimizer)choice;
        return rc;
    }
    if (strcmp(key, "learning_rate") == 0) {
        if (!cJSON_IsNumber(member)) return fail(err, "config: learning_rate must be a number (got %s)", type_name(member));
        double v = member->valuedouble;
        char seen[32];
        format_number(seen, sizeof seen, v);
        // cJSON turns an overflowing literal such as 1e999 into inf rather than failing.
        if (!isfinite(v)) return fail(err, "config: learning_rate must be finite (got %s)", seen);
        if (!(v > 0 && v <= 10)) return fail(err, "config: learning_rate must be > 0 and <= 10 (got %s)", seen);
        cfg->learning_rate = v;
        return AE_OK;
    }
    if (strcmp(key, "variational") == 0) {
        if (!cJSON_IsBool(member))
            return fail(err, "config: variational must be true or false (got %s)", type_name(member));
        cfg->variational = cJSON_IsTrue(member);
        return AE_OK;
    }
    if (strcmp(key, "beta") == 0) {
        if (!cJSON_IsNumber(member)) return fail(err, "config: beta must be a number (got %s)", type_name(member));
        double v = member->valuedouble;
        char seen[32];
        format_number(seen, sizeof seen, v);
        if (!isfinite(v)) return fail(err, "config: beta must be finite (got %s)", seen);
        if (!(v >= 0 && v <= 100)) return fail(err, "config: beta must be 0..100 (got %s)", seen);
        cfg->beta = v;
        return AE_OK;
    }
    if (strcmp(key, "batch_size") == 0) return get_int(member, "batch_size", 1, 512, &cfg->batch_size, err);
    if (strcmp(key, "epochs") == 0) return get_int(member, "epochs", 1, 1000, &cfg->epochs, err);
    if (strcmp(key, "seed") == 0) {
        double v;
        rc = get_integer(member, "seed", 0, 4294967295.0, &v, err);
        if (rc == AE_OK) cfg->seed = (uint32_t)v;
        return rc;
    }
    if (strcmp(key, "input") == 0) return parse_input(member, cfg, err);
    return unknown_key("", key, err);
}

// Fills a copy and commits it only on success, so a rejected config leaves *cfg as it was.
int config_parse(ae_config *cfg, const char *json, char *err_text, size_t err_cap) {
    error_sink err = {err_text, err_cap};
    if (err_text && err_cap > 0) err_text[0] = '\0';
    ae_config parsed;
    config_defaults(&parsed);
    if (!json || json[0] == '\0') {
        *cfg = parsed;
        return AE_OK;
    }
    size_t length = strlen(json);
    if (length > CONFIG_MAX_TEXT)
        return fail(&err, "config: text must be at most %d bytes (got %zu)", CONFIG_MAX_TEXT, length);

    // ParseWithOpts reports where parsing stopped through end, which avoids cJSON's global error
    // pointer; requiring the terminator makes trailing garbage ("{} x") an error too.
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json, &end, 1);
    if (!root) {
        size_t offset = end && end >= json ? (size_t)(end - json) : 0;
        return fail(&err, "config: invalid JSON near offset %zu", offset);
    }
    int rc = AE_OK;
    if (!cJSON_IsObject(root)) {
        rc = fail(&err, "config: top level must be an object (got %s)", type_name(root));
    } else {
        for (const cJSON *member = root->child; member && rc == AE_OK; member = member->next) {
            rc = check_duplicate(root, member, "", &err);
            if (rc == AE_OK) rc = parse_member(member, &parsed, &err);
        }
    }
    cJSON_Delete(root);
    if (rc == AE_OK) *cfg = parsed;
    return rc;
}

// A double as a JSON number that reads back as the same double. cJSON's own printer is not used:
// it keeps its 15-digit form whenever that reads back within DBL_EPSILON (relative), so it writes
// 0.1 + 0.2 as 0.3 and a learning rate would drift by an ulp through each save and load.
static void json_number(char *out, size_t cap, double v) {
    if (!isfinite(v)) {
        // What cJSON writes too; config_parse then refuses it, as it should.
        snprintf(out, cap, "null");
        return;
    }
    format_number(out, cap, v);
    // snprintf and strtod follow the C locale of the process; JSON's decimal point is always '.'.
    char point = localeconv()->decimal_point[0];
    if (point != '.')
        for (char *c = out; *c; c++)
            if (*c == point) *c = '.';
}

// The order is fixed so that the same config always gives the same bytes (model files, URLs).
char *config_to_json(const ae_config *cfg) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    int ok = 1;
    const int filters[2] = {cfg->filters[0], cfg->filters[1]};
    cJSON *filter_array = cJSON_CreateIntArray(filters, 2);
    ok = ok && filter_array && cJSON_AddItemToObject(root, "filters", filter_array);
    if (filter_array && !ok) cJSON_Delete(filter_array);
    ok = ok && cJSON_AddNumberToObject(root, "latent_grid", cfg->latent_grid);
    ok = ok && cJSON_AddStringToObject(root, "activation", activation_name(cfg->activation));
    ok = ok && cJSON_AddStringToObject(root, "loss", loss_name(cfg->loss));
    ok = ok && cJSON_AddBoolToObject(root, "variational", cfg->variational);
    char beta[40];
    json_number(beta, sizeof beta, cfg->beta);
    ok = ok && cJSON_AddRawToObject(root, "beta", beta);
    ok = ok && cJSON_AddStringToObject(root, "optimizer", optimizer_name(cfg->optimizer));
    char rate[40];
    json_number(rate, sizeof rate, cfg->learning_rate);
    ok = ok && cJSON_AddRawToObject(root, "learning_rate", rate);
    ok = ok && cJSON_AddNumberToObject(root, "batch_size", cfg->batch_size);
    ok = ok && cJSON_AddNumberToObject(root, "epochs", cfg->epochs);
    ok = ok && cJSON_AddNumberToObject(root, "seed", (double)cfg->seed);
    cJSON *input = ok ? cJSON_AddObjectToObject(root, "input") : NULL;
    ok = ok && input;
    ok = ok && cJSON_AddNumberToObject(input, "h", cfg->input_h);
    ok = ok && cJSON_AddNumberToObject(input, "w", cfg->input_w);
    ok = ok && cJSON_AddNumberToObject(input, "c", cfg->input_c);
    // Printed with cJSON's default hooks, i.e. malloc: the caller frees it with free().
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}
