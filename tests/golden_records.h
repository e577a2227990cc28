// golden_records.h — reads the record files of tests/golden/ (written by make_golden.py), shared
// by the golden and metrics tests. Not a general file format: test data only.
#ifndef AEVP_GOLDEN_RECORDS_H
#define AEVP_GOLDEN_RECORDS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// One record of a golden .bin: [u32 name_length][name][u32 count][count f32], little-endian.
typedef struct {
    char name[64];
    uint32_t count;
    float *values;
} record;

static uint32_t read_u32le(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

// Parses every record into recs (at most cap); returns how many, or -1 if the bytes are truncated
// or a name is too long. Values are copied out one by one because records follow names of any
// length, so the floats in the file are not aligned.
static int parse_records(const unsigned char *bytes, size_t len, record *recs, int cap) {
    size_t pos = 0;
    int n = 0;
    while (pos < len) {
        if (n == cap || len - pos < 4) return -1;
        uint32_t name_len = read_u32le(bytes + pos);
        pos += 4;
        if (name_len >= sizeof recs[n].name || len - pos < (size_t)name_len + 4) return -1;
        memcpy(recs[n].name, bytes + pos, name_len);
        recs[n].name[name_len] = 0;
        pos += name_len;
        uint32_t count = read_u32le(bytes + pos);
        pos += 4;
        if ((len - pos) / 4 < count) return -1;
        recs[n].count = count;
        recs[n].values = malloc((size_t)count * sizeof(float) + 1);
        if (!recs[n].values) return -1;
        for (uint32_t i = 0; i < count; i++) {
            uint32_t bits = read_u32le(bytes + pos + 4 * (size_t)i);
            memcpy(&recs[n].values[i], &bits, sizeof bits);
        }
        pos += 4 * (size_t)count;
        n++;
    }
    return n;
}

static const record *find_record(const record *recs, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(recs[i].name, name) == 0) return &recs[i];
    return NULL;
}

// One case of tests/golden/cases.txt: the reference's tensors (in the order of the flat buffer)
// and trace stages (in the order of ae_stage_info), as make_golden.py's PyTorch twin names them.
enum { MANIFEST_MAX = 96, MANIFEST_NAME = 64 };
typedef struct {
    char name[MANIFEST_NAME], kind[MANIFEST_NAME];
    int h, w, c;
} manifest_stage;
typedef struct {
    int tensor_count, stage_count;
    char tensors[MANIFEST_MAX][MANIFEST_NAME];
    manifest_stage stages[MANIFEST_MAX];
} manifest_case;

// Fills out with the lines of case_name ("case NAME", then "tensor NAME" and
// "stage NAME KIND H W C" lines up to the next case). Returns 1 if the case is there and every
// line of it parses, else 0.
static int parse_manifest(const char *text, const char *case_name, manifest_case *out) {
    memset(out, 0, sizeof *out);
    int in_case = 0, found = 0;
    const char *line = text;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[256], word[MANIFEST_NAME];
        if (len >= sizeof buf) return 0;
        memcpy(buf, line, len);
        buf[len] = 0;
        line = end ? end + 1 : NULL;
        if (buf[0] == '#' || buf[0] == 0) continue;
        if (sscanf(buf, "case %63s", word) == 1) {
            in_case = strcmp(word, case_name) == 0;
            found = found || in_case;
            continue;
        }
        if (!in_case) continue;
        if (strncmp(buf, "tensor ", 7) == 0) {
            if (out->tensor_count == MANIFEST_MAX ||
                sscanf(buf, "tensor %63s", out->tensors[out->tensor_count]) != 1)
                return 0;
            out->tensor_count++;
        } else {
            manifest_stage *st = &out->stages[out->stage_count];
            if (out->stage_count == MANIFEST_MAX ||
                sscanf(buf, "stage %63s %63s %d %d %d", st->name, st->kind, &st->h, &st->w,
                       &st->c) != 5)
                return 0;
            out->stage_count++;
        }
    }
    return found;
}
#endif
