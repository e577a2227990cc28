// config_fields.c — the rows of the config table and the JSON schema built from them: every
// field's name, type, range or choices, default, rule and help. Not the parser (config.c).
#include "io/config_fields.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "io/config.h"

// The names of each enum, in its order; the config offers the first choice_count of them.
static const char *const activation_names[] = {"relu", "leaky_relu", "elu", "tanh", "linear", "sigmoid"};
static const char *const loss_names[] = {"bce", "mse"};
static const char *const init_names[] = {"pytorch", "he", "glorot"};
static const char *const optimizer_names[] = {"adam", "sgd", "rmsprop"};
static const char *const schedule_names[] = {"constant", "cosine", "onecycle"};
static const char *const downsample_names[] = {"stride", "maxpool"};
static const char *const upsample_names[] = {"transpose", "nearest"};
static const char *const attention_names[] = {"none", "encoder", "decoder", "both"};
static const int default_filters[] = {16, 8};
static const int kernel_sizes[] = {3, 5};

#define AT(member) offsetof(ae_config, member)

static const config_field input_fields[] = {
    {.name = "h", .type = FIELD_INT, .offset = AT(input_h), .min = 4, .max = 256,
     .default_value = 28, .help = "Image height in pixels: at least 2^depth, as each encoder stage halves it (rounding up)."},
    {.name = "w", .type = FIELD_INT, .offset = AT(input_w), .min = 4, .max = 256,
     .default_value = 28, .help = "Image width in pixels: at least 2^depth, as each encoder stage halves it (rounding up)."},
    {.name = "c", .type = FIELD_INT, .offset = AT(input_c), .min = 1, .max = 4, .default_value = 1,
     .help = "Channels per pixel: 1 for grey, 3 for colour."},
};

const config_field config_fields[] = {
    {.name = "filters", .type = FIELD_INT_LIST, .offset = AT(filters), .min = 1, .max = 128, .min_items = 1,
     .max_items = AE_MAX_DEPTH, .count_offset = AT(depth), .default_items = default_filters, .default_count = 2,
     .help = "Feature maps of each encoder stage, one number per stage (1 to 4 stages; each halves the "
             "image). The decoder mirrors them."},
    {.name = "kernel_size", .type = FIELD_INT, .offset = AT(kernel_size), .min = 3, .max = 5,
     .values = kernel_sizes, .value_count = 2, .default_value = 3,
     .help = "Every convolution's window: 3x3 or 5x5 pixels (a 5x5 sees more context, at 2.8 times the cost)."},
    {.name = "downsample", .type = FIELD_CHOICE, .offset = AT(downsample), .choices = downsample_names,
     .choice_count = 2, .default_value = DOWN_STRIDE,
     .help = "How an encoder stage halves the image: a stride-2 convolution, or a convolution then 2x2 max-pooling."},
    {.name = "upsample", .type = FIELD_CHOICE, .offset = AT(upsample), .choices = upsample_names,
     .choice_count = 2, .default_value = UP_TRANSPOSE,
     .help = "How a decoder stage doubles it: a stride-2 transposed convolution, or nearest-neighbour x2 then a "
             "convolution (no checkerboard artifacts)."},
    {.name = "res_blocks", .type = FIELD_INT, .offset = AT(res_blocks), .min = 0, .max = 3, .default_value = 0,
     .help = "Residual blocks per stage, in the encoder and the decoder: conv, activation, conv, plus the input."},
    {.name = "attention", .type = FIELD_CHOICE, .offset = AT(attention), .choices = attention_names,
     .choice_count = 4, .default_value = ATTN_NONE,
     .help = "Self-attention over the positions of the smallest maps, in the encoder, the decoder or both: each "
             "position mixes in the others it finds relevant."},
    {.name = "latent_grid", .type = FIELD_INT, .offset = AT(latent_grid), .min = 1, .max = 8,
     .default_value = 3, .help = "The bottleneck is a g x g grid: g*g numbers describe an image."},
    {.name = "activation", .type = FIELD_CHOICE, .offset = AT(activation), .choices = activation_names,
     .choice_count = 4, .default_value = ACT_RELU, .help = "The non-linearity after every hidden layer."},
    {.name = "loss", .type = FIELD_CHOICE, .offset = AT(loss), .choices = loss_names, .choice_count = 2,
     .default_value = LOSS_BCE,
     .help = "Binary cross-entropy from the logits, or mean squared error after the sigmoid."},
    {.name = "variational", .type = FIELD_BOOL, .offset = AT(variational), .default_value = 0,
     .help = "A variational autoencoder: the encoder gives a mean and a variance per unit."},
    {.name = "beta", .type = FIELD_NUMBER, .offset = AT(beta), .min = 0, .max = 100, .default_value = 1,
     .help = "A VAE's weight on the KL term: larger gives smoother, blurrier codes."},
    {.name = "init", .type = FIELD_CHOICE, .offset = AT(init), .choices = init_names, .choice_count = 3,
     .default_value = INIT_PYTORCH,
     .help = "First weights: PyTorch's default, He (AeVP's rule before this field), or Glorot."},
    {.name = "optimizer", .type = FIELD_CHOICE, .offset = AT(optimizer), .choices = optimizer_names,
     .choice_count = 3, .default_value = OPT_ADAM,
     .help = "Adam (0.9, 0.999), SGD with momentum 0.9, or RMSprop (0.99)."},
    {.name = "learning_rate", .type = FIELD_NUMBER, .offset = AT(learning_rate), .min = 0, .max = 10,
     .min_exclusive = 1, .default_value = 0.001, .help = "The step size (a schedule's peak)."},
    {.name = "schedule", .type = FIELD_CHOICE, .offset = AT(schedule), .choices = schedule_names,
     .choice_count = 3, .default_value = SCHEDULE_CONSTANT,
     .help = "The rate over the run: constant, cosine down to 0, or one-cycle (warm up, then cosine down)."},
    {.name = "warmup", .type = FIELD_NUMBER, .offset = AT(warmup), .min = 0, .max = 0.5,
     .default_value = 0.3, .help = "One-cycle only: the share of the run spent rising to the peak rate."},
    {.name = "weight_decay", .type = FIELD_NUMBER, .offset = AT(weight_decay), .min = 0, .max = 1,
     .default_value = 0, .help = "Decoupled weight decay (AdamW): each step shrinks weights by rate x decay."},
    {.name = "batch_size", .type = FIELD_INT, .offset = AT(batch_size), .min = 1, .max = 512,
     .default_value = 64, .help = "Images per optimizer step."},
    {.name = "epochs", .type = FIELD_INT, .offset = AT(epochs), .min = 1, .max = 1000, .default_value = 5,
     .help = "Passes over the training set."},
    {.name = "seed", .type = FIELD_U32, .offset = AT(seed), .min = 0, .max = 4294967295.0, .default_value = 1,
     .help = "Fixes the first weights, the shuffles and a VAE's noise: the same seed, the same run."},
    {.name = "input", .type = FIELD_OBJECT, .fields = input_fields,
     .field_count = (int)(sizeof input_fields / sizeof input_fields[0]),
     .help = "The image size the model takes and gives back."},
};
const int config_field_count = (int)(sizeof config_fields / sizeof config_fields[0]);

const char *activation_name(ae_activation a) {
    return (unsigned)a < sizeof activation_names / sizeof activation_names[0] ? activation_names[a] : "unknown";
}

void config_format_number(char *out, size_t cap, double v) {
    if (v == floor(v) && fabs(v) < 1e17) {
        snprintf(out, cap, "%.0f", v);
        return;
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(out, cap, "%.*g", digits, v);
        if (strtod(out, NULL) == v) return;
    }
}

// cJSON's own printer is not used for doubles: it keeps its 15-digit form whenever that reads back
// within DBL_EPSILON (relative), so 0.1 + 0.2 would be written as 0.3 and drift through each save.
void config_json_number(char *out, size_t cap, double v) {
    if (!isfinite(v)) {
        snprintf(out, cap, "null"); // what cJSON writes too; config_parse then refuses it
        return;
    }
    config_format_number(out, cap, v);
    // snprintf and strtod follow the C locale of the process; JSON's decimal point is always '.'.
    char point = localeconv()->decimal_point[0];
    if (point != '.')
        for (char *c = out; *c; c++)
            if (*c == point) *c = '.';
}

static void range_rule(const config_field *f, char *out, size_t cap) {
    char lo[32], hi[32];
    config_format_number(lo, sizeof lo, f->min);
    config_format_number(hi, sizeof hi, f->max);
    if (f->min_exclusive) snprintf(out, cap, "> %s and <= %s", lo, hi);
    else snprintf(out, cap, "%s..%s", lo, hi);
}

void config_field_rule(const config_field *f, char *out, size_t cap) {
    char range[80];
    range_rule(f, range, sizeof range);
    switch (f->type) {
    case FIELD_INT:
    case FIELD_U32:
        if (f->values) {
            size_t used = 0;
            for (int i = 0; i < f->value_count && used < cap; i++)
                used += (size_t)snprintf(out + used, cap - used, "%s%d", i == 0 ? "" : i + 1 < f->value_count ? ", " : " or ",
                                         f->values[i]);
        } else if (f->multiple_of) snprintf(out, cap, "%s and divisible by %d", range, f->multiple_of);
        else snprintf(out, cap, "%s", range);
        return;
    case FIELD_NUMBER: snprintf(out, cap, "%s", range); return;
    case FIELD_BOOL: snprintf(out, cap, "true or false"); return;
    case FIELD_CHOICE: {
        size_t used = (size_t)snprintf(out, cap, "one of ");
        for (int i = 0; i < f->choice_count && used < cap; i++)
            used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? ", " : "", f->choices[i]);
        return;
    }
    case FIELD_INT_LIST:
        if (f->min_items == f->max_items) snprintf(out, cap, "an array of %d integers, each %s", f->min_items, range);
        else snprintf(out, cap, "an array of %d to %d integers, each %s", f->min_items, f->max_items, range);
        return;
    case FIELD_OBJECT: snprintf(out, cap, "an object"); return;
    }
}

static const char *const type_names[] = {"int", "int", "number", "bool", "choice", "int_list", "object"};

static int add_raw_number(cJSON *o, const char *key, double v) {
    char text[40];
    config_json_number(text, sizeof text, v);
    return cJSON_AddRawToObject(o, key, text) != NULL;
}

static cJSON *field_schema(const config_field *f) {
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    char rule[256];
    ok = ok && cJSON_AddStringToObject(o, "name", f->name);
    ok = ok && cJSON_AddStringToObject(o, "type", type_names[f->type]);
    switch (f->type) {
    case FIELD_INT:
    case FIELD_U32:
    case FIELD_NUMBER:
        ok = ok && add_raw_number(o, "min", f->min) && add_raw_number(o, "max", f->max);
        if (f->min_exclusive) ok = ok && cJSON_AddTrueToObject(o, "min_exclusive");
        if (f->multiple_of) ok = ok && cJSON_AddNumberToObject(o, "multiple_of", f->multiple_of);
        if (f->values) {
            cJSON *list = cJSON_CreateIntArray(f->values, f->value_count);
            ok = ok && list && cJSON_AddItemToObject(o, "values", list);
        }
        ok = ok && add_raw_number(o, "default", f->default_value);
        break;
    case FIELD_BOOL: ok = ok && cJSON_AddBoolToObject(o, "default", f->default_value != 0); break;
    case FIELD_CHOICE: {
        cJSON *list = cJSON_CreateStringArray(f->choices, f->choice_count);
        ok = ok && list && cJSON_AddItemToObject(o, "choices", list);
        ok = ok && cJSON_AddStringToObject(o, "default", f->choices[(int)f->default_value]);
        break;
    }
    case FIELD_INT_LIST: {
        ok = ok && cJSON_AddNumberToObject(o, "min_items", f->min_items) && cJSON_AddNumberToObject(o, "max_items", f->max_items);
        ok = ok && add_raw_number(o, "min", f->min) && add_raw_number(o, "max", f->max);
        cJSON *list = cJSON_CreateIntArray(f->default_items, f->default_count);
        ok = ok && list && cJSON_AddItemToObject(o, "default", list);
        break;
    }
    case FIELD_OBJECT: {
        cJSON *list = cJSON_AddArrayToObject(o, "fields");
        ok = ok && list;
        for (int i = 0; ok && i < f->field_count; i++) {
            cJSON *child = field_schema(&f->fields[i]);
            ok = child && cJSON_AddItemToArray(list, child);
        }
        break;
    }
    }
    config_field_rule(f, rule, sizeof rule);
    ok = ok && cJSON_AddStringToObject(o, "rule", rule);
    ok = ok && cJSON_AddStringToObject(o, "help", f->help);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

const char *config_schema_json(void) {
    static char *text = NULL; // built once and kept: the engine is single-threaded per instance
    if (text) return text;
    cJSON *root = cJSON_CreateObject();
    cJSON *list = root ? cJSON_AddArrayToObject(root, "fields") : NULL;
    int ok = list != NULL;
    for (int i = 0; ok && i < config_field_count; i++) {
        cJSON *field = field_schema(&config_fields[i]);
        ok = field && cJSON_AddItemToArray(list, field);
    }
    if (ok) text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}
