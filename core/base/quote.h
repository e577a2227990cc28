// quote.h — echoes untrusted text back in an error message: in double quotes, escaped, and cut
// short. Used by the parsers (config, model files); not a general string library.
#ifndef AEVP_QUOTE_H
#define AEVP_QUOTE_H

#include <stddef.h>

#define QUOTE_MAX 40   // characters of the text shown before "..."

// A buffer that always holds a quoted text: every character escaped at most 4 wide, plus quotes.
typedef char quoted[QUOTE_MAX * 4 + 8];

void ae_quote(char *out, size_t cap, const char *s);
#endif
