// config_fields.h — the one table of config fields that config_parse, config_to_json, the
// defaults and the schema the page reads are all driven by. Internal to io: callers use config.h.
#ifndef AEVP_CONFIG_FIELDS_H
#define AEVP_CONFIG_FIELDS_H

#include <stddef.h>

typedef enum { FIELD_INT, FIELD_U32, FIELD_NUMBER, FIELD_BOOL, FIELD_CHOICE, FIELD_INT_LIST, FIELD_OBJECT } field_type;

// One row: where the value lives in ae_config, what it may be, what it is by default. Adding a
// config field is adding a row (and a member to ae_config).
typedef struct config_field {
    const char *name;
    field_type type;
    size_t offset;                 // of the value in ae_config (int, uint32_t, double or an enum)
    double min, max;               // int, u32, number; each item of an int_list
    int min_exclusive;             // number: must be > min
    int multiple_of;               // int: 0 for any
    const int *values;             // int: the only values allowed (NULL for any in the range)
    int value_count;
    int min_items, max_items;      // int_list: how many items
    size_t count_offset;           // int_list: of the int in ae_config that holds how many were given
    const char *const *choices;    // choice: names in the order of the enum
    int choice_count;
    double default_value;          // int, u32, number, bool (0/1), choice (the index)
    const int *default_items;      // int_list
    int default_count;             // int_list: how many default_items
    const struct config_field *fields; // object: its own rows
    int field_count;
    const char *help;              // one line for the page
} config_field;

extern const config_field config_fields[];
extern const int config_field_count;

// The text after "must be" in a message: "1..8", "> 0 and <= 10", "one of bce, mse", ...
void config_field_rule(const config_field *f, char *out, size_t cap);
// Shortest "%.Ng" that reads back as the same double; whole numbers written out in full.
void config_format_number(char *out, size_t cap, double v);
// The same as a JSON number (always '.', "null" for a non-finite value).
void config_json_number(char *out, size_t cap, double v);
#endif
