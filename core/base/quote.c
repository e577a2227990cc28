// quote.c — see quote.h: untrusted text, quoted and escaped for an error message.
// Pure string work, no allocation.
#include <stdio.h>

#include "base/quote.h"

// s as a quoted, escaped, shortened string: a key or value seen in the text, echoed back safely.
void ae_quote(char *out, size_t cap, const char *s) {
    size_t n = 0, used = 0;
    out[n++] = '"';
    // Room is kept for the widest escape (4) plus the closing '..."' and NUL (5).
    for (; s[used] && used < QUOTE_MAX && n + 9 < cap; used++) {
        unsigned char ch = (unsigned char)s[used];
        if (ch == '"' || ch == '\\') {
            out[n++] = '\\';
            out[n++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", ch);
        } else {
            out[n++] = (char)ch;
        }
    }
    if (s[used]) {
        out[n++] = '.';
        out[n++] = '.';
        out[n++] = '.';
    }
    out[n++] = '"';
    out[n] = '\0';
}
