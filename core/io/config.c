// config.c — parses the model configuration from JSON (with cJSON) and writes it back, both by
// walking the one table of fields in config_fields.c. Not the model: limits that depend on several
// fields at once (memory, parameter counts) are model.c's.
#include "io/config.h"
#include "io/config_fields.h"
#include "base/quote.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "cJSON.h"

// The config is typed by a person or sent by the page; anything longer is a mistake or an attack,
// and the cap keeps cJSON's allocations small.
#define CONFIG_MAX_TEXT 65536

// Every refusal is AE_ERR_CONFIG with its message in the engine's error buffer.
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 1, 2)))
#endif
static int fail(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    ae_failv(AE_ERR_CONFIG, fmt, args);
    va_end(args);
    return AE_ERR_CONFIG;
}

static int *int_at(ae_config *cfg, const config_field *f) { return (int *)((char *)cfg + f->offset); }
static double *double_at(ae_config *cfg, const config_field *f) { return (double *)((char *)cfg + f->offset); }
static uint32_t *u32_at(ae_config *cfg, const config_field *f) { return (uint32_t *)((char *)cfg + f->offset); }
static const int *int_of(const ae_config *cfg, const config_field *f) { return (const int *)((const char *)cfg + f->offset); }
static double double_of(const ae_config *cfg, const config_field *f) { return *(const double *)((const char *)cfg + f->offset); }
static uint32_t u32_of(const ae_config *cfg, const config_field *f) { return *(const uint32_t *)((const char *)cfg + f->offset); }

static void set_defaults(ae_config *cfg, const config_field *rows, int count) {
    for (int i = 0; i < count; i++) {
        const config_field *f = &rows[i];
        switch (f->type) {
        case FIELD_INT: case FIELD_BOOL: case FIELD_CHOICE: *int_at(cfg, f) = (int)f->default_value; break;
        case FIELD_U32: *u32_at(cfg, f) = (uint32_t)f->default_value; break;
        case FIELD_NUMBER: *double_at(cfg, f) = f->default_value; break;
        case FIELD_INT_LIST:
            memcpy(int_at(cfg, f), f->default_items, (size_t)f->default_count * sizeof(int));
            *(int *)((char *)cfg + f->count_offset) = f->default_count;
            break;
        case FIELD_OBJECT: set_defaults(cfg, f->fields, f->field_count); break;
        }
    }
}

void config_defaults(ae_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    set_defaults(cfg, config_fields, config_field_count);
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

// A JSON number with no fractional part, within the field's range. Strings such as "8" are
// refused: a config that type-checks is one the page, the CLI and the model file all agree on.
static int read_integer(const cJSON *item, const char *name, const config_field *f, double *out) {
    char seen[32];
    if (!cJSON_IsNumber(item)) return fail("config: %s must be an integer (got %s)", name, type_name(item));
    double v = item->valuedouble;
    config_format_number(seen, sizeof seen, v);
    if (!isfinite(v) || v != floor(v)) return fail("config: %s must be an integer (got %s)", name, seen);
    if (!f->values && (v < f->min || v > f->max)) {
        char lo[32], hi[32];
        config_format_number(lo, sizeof lo, f->min);
        config_format_number(hi, sizeof hi, f->max);
        return fail("config: %s must be %s..%s (got %s)", name, lo, hi, seen);
    }
    if (f->multiple_of && fmod(v, f->multiple_of) != 0)
        return fail("config: %s must be divisible by %d (got %s)", name, f->multiple_of, seen);
    if (f->values) {
        int allowed = 0;
        for (int i = 0; i < f->value_count; i++) allowed |= v == f->values[i];
        char rule[64];
        config_field_rule(f, rule, sizeof rule);
        if (!allowed) return fail("config: %s must be %s (got %s)", name, rule, seen);
    }
    *out = v;
    return AE_OK;
}

static int read_number(const cJSON *item, const char *name, const config_field *f, double *out) {
    if (!cJSON_IsNumber(item)) return fail("config: %s must be a number (got %s)", name, type_name(item));
    double v = item->valuedouble;
    char seen[32], rule[128];
    config_format_number(seen, sizeof seen, v);
    // cJSON turns an overflowing literal such as 1e999 into inf rather than failing.
    if (!isfinite(v)) return fail("config: %s must be finite (got %s)", name, seen);
    if ((f->min_exclusive ? !(v > f->min) : !(v >= f->min)) || !(v <= f->max)) {
        config_field_rule(f, rule, sizeof rule);
        return fail("config: %s must be %s (got %s)", name, rule, seen);
    }
    *out = v;
    return AE_OK;
}

static int read_choice(const cJSON *item, const char *name, const config_field *f, int *out) {
    char rule[256];
    config_field_rule(f, rule, sizeof rule);
    if (!cJSON_IsString(item)) return fail("config: %s must be %s (got %s)", name, rule, type_name(item));
    for (int i = 0; i < f->choice_count; i++) {
        if (strcmp(item->valuestring, f->choices[i]) == 0) {
            *out = i;
            return AE_OK;
        }
    }
    quoted seen;
    ae_quote(seen, sizeof seen, item->valuestring);
    return fail("config: %s must be %s (got %s)", name, rule, seen);
}

// cJSON keeps every member of an object, duplicates included; a repeated key is almost always an
// edit gone wrong, and silently taking the first (or the last) would hide it.
static int check_duplicate(const cJSON *object, const cJSON *member, const char *prefix) {
    for (const cJSON *earlier = object->child; earlier != member; earlier = earlier->next) {
        if (strcmp(earlier->string, member->string) == 0) {
            char key[QUOTE_MAX * 4 + 32];
            quoted name;
            snprintf(key, sizeof key, "%s%s", prefix, member->string);
            ae_quote(name, sizeof name, key);
            return fail("config: duplicate key %s", name);
        }
    }
    return AE_OK;
}

static int read_object(const cJSON *object, const char *prefix, const config_field *rows, int count,
                       ae_config *cfg);

static int read_list(const cJSON *item, const char *name, const config_field *f, ae_config *cfg) {
    char items[48];
    if (f->min_items == f->max_items) snprintf(items, sizeof items, "%d", f->min_items);
    else snprintf(items, sizeof items, "%d to %d", f->min_items, f->max_items);
    if (!cJSON_IsArray(item))
        return fail("config: %s must be an array of %s integers (got %s)", name, items, type_name(item));
    int count = cJSON_GetArraySize(item);
    if (count < f->min_items || count > f->max_items)
        return fail("config: %s must be an array of %s integers (got %d item%s)", name, items, count,
                    count == 1 ? "" : "s");
    *(int *)((char *)cfg + f->count_offset) = count;
    memset(int_at(cfg, f), 0, (size_t)f->max_items * sizeof(int)); // no default item outlives the list
    int i = 0;
    for (const cJSON *element = item->child; element; element = element->next, i++) {
        char element_name[QUOTE_MAX * 4 + 48];
        double v = 0;
        snprintf(element_name, sizeof element_name, "%s[%d]", name, i);
        int rc = read_integer(element, element_name, f, &v);
        if (rc != AE_OK) return rc;
        int_at(cfg, f)[i] = (int)v;
    }
    return AE_OK;
}

static int read_field(const cJSON *item, const char *name, const config_field *f, ae_config *cfg) {
    double v = 0;
    int rc = AE_OK, choice = 0;
    switch (f->type) {
    case FIELD_INT:
        rc = read_integer(item, name, f, &v);
        if (rc == AE_OK) *int_at(cfg, f) = (int)v;
        return rc;
    case FIELD_U32:
        rc = read_integer(item, name, f, &v);
        if (rc == AE_OK) *u32_at(cfg, f) = (uint32_t)v;
        return rc;
    case FIELD_NUMBER:
        rc = read_number(item, name, f, &v);
        if (rc == AE_OK) *double_at(cfg, f) = v;
        return rc;
    case FIELD_BOOL:
        if (!cJSON_IsBool(item)) return fail("config: %s must be true or false (got %s)", name, type_name(item));
        *int_at(cfg, f) = cJSON_IsTrue(item);
        return AE_OK;
    case FIELD_CHOICE:
        rc = read_choice(item, name, f, &choice);
        if (rc == AE_OK) *int_at(cfg, f) = choice;
        return rc;
    case FIELD_INT_LIST: return read_list(item, name, f, cfg);
    case FIELD_OBJECT: {
        if (!cJSON_IsObject(item)) return fail("config: %s must be an object (got %s)", name, type_name(item));
        char prefix[QUOTE_MAX * 4 + 48];
        snprintf(prefix, sizeof prefix, "%s.", name);
        return read_object(item, prefix, f->fields, f->field_count, cfg);
    }
    }
    return AE_OK;
}

static int read_object(const cJSON *object, const char *prefix, const config_field *rows, int count,
                       ae_config *cfg) {
    for (const cJSON *member = object->child; member; member = member->next) {
        int rc = check_duplicate(object, member, prefix);
        if (rc != AE_OK) return rc;
        const config_field *f = NULL;
        for (int i = 0; i < count && !f; i++)
            if (strcmp(rows[i].name, member->string) == 0) f = &rows[i];
        char name[QUOTE_MAX * 4 + 32];
        snprintf(name, sizeof name, "%s%s", prefix, member->string);
        if (!f) {
            quoted shown;
            ae_quote(shown, sizeof shown, name);
            return fail("config: unknown key %s", shown);
        }
        rc = read_field(member, name, f, cfg);
        if (rc != AE_OK) return rc;
    }
    return AE_OK;
}

// The rules that tie fields together, after each field has passed its own.
static int check_together(const ae_config *cfg) {
    int least = 1 << cfg->depth;
    const char *stages = cfg->depth == 1 ? "encoder stage" : "encoder stages";
    if (cfg->input_h < least)
        return fail("config: input.h must be at least %d for %d %s, as each stage halves it (got %d)", least,
                    cfg->depth, stages, cfg->input_h);
    if (cfg->input_w < least)
        return fail("config: input.w must be at least %d for %d %s, as each stage halves it (got %d)", least,
                    cfg->depth, stages, cfg->input_w);
    return AE_OK;
}

// Fills a copy and commits it only on success, so a rejected config leaves *cfg as it was.
static int parse(ae_config *cfg, const char *json) {
    ae_config parsed;
    config_defaults(&parsed);
    if (!json || json[0] == '\0') {
        *cfg = parsed;
        return AE_OK;
    }
    size_t length = strlen(json);
    if (length > CONFIG_MAX_TEXT)
        return fail("config: text must be at most %d bytes (got %zu)", CONFIG_MAX_TEXT, length);

    // ParseWithOpts reports where parsing stopped through end, which avoids cJSON's global error
    // pointer; requiring the terminator makes trailing garbage ("{} x") an error too.
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json, &end, 1);
    if (!root) {
        size_t offset = end && end >= json ? (size_t)(end - json) : 0;
        return fail("config: invalid JSON near offset %zu", offset);
    }
    int rc = cJSON_IsObject(root)
                 ? read_object(root, "", config_fields, config_field_count, &parsed)
                 : fail("config: top level must be an object (got %s)", type_name(root));
    cJSON_Delete(root);
    if (rc == AE_OK) rc = check_together(&parsed);
    if (rc == AE_OK) *cfg = parsed;
    return rc;
}

int config_parse(ae_config *cfg, const char *json, char *err_text, size_t err_cap) {
    if (err_text && err_cap > 0) err_text[0] = '\0';
    int rc = parse(cfg, json);
    if (rc != AE_OK) error_copy(err_text, err_cap);
    return rc;
}

static int write_fields(cJSON *object, const config_field *rows, int count, const ae_config *cfg) {
    int ok = 1;
    for (int i = 0; ok && i < count; i++) {
        const config_field *f = &rows[i];
        char number[40];
        switch (f->type) {
        case FIELD_INT: ok = cJSON_AddNumberToObject(object, f->name, *int_of(cfg, f)) != NULL; break;
        case FIELD_U32: ok = cJSON_AddNumberToObject(object, f->name, (double)u32_of(cfg, f)) != NULL; break;
        case FIELD_NUMBER:
            config_json_number(number, sizeof number, double_of(cfg, f));
            ok = cJSON_AddRawToObject(object, f->name, number) != NULL;
            break;
        case FIELD_BOOL: ok = cJSON_AddBoolToObject(object, f->name, *int_of(cfg, f)) != NULL; break;
        case FIELD_CHOICE: {
            int index = *int_of(cfg, f);
            const char *name = index >= 0 && index < f->choice_count ? f->choices[index] : "unknown";
            ok = cJSON_AddStringToObject(object, f->name, name) != NULL;
            break;
        }
        case FIELD_INT_LIST: {
            cJSON *list = cJSON_CreateIntArray(int_of(cfg, f), *(const int *)((const char *)cfg + f->count_offset));
            ok = list && cJSON_AddItemToObject(object, f->name, list);
            if (list && !ok) cJSON_Delete(list);
            break;
        }
        case FIELD_OBJECT: {
            cJSON *child = cJSON_AddObjectToObject(object, f->name);
            ok = child && write_fields(child, f->fields, f->field_count, cfg);
            break;
        }
        }
    }
    return ok;
}

// The order is the table's, so that the same config always gives the same bytes (model files, URLs).
char *config_to_json(const ae_config *cfg) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    // Printed with cJSON's default hooks, i.e. malloc: the caller frees it with free().
    char *text = write_fields(root, config_fields, config_field_count, cfg) ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}
