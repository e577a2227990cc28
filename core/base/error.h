// error.h — the engine's one last-error buffer, shared by every layer that reports a failure:
// a failure returns a status and sets a message naming the field, the rule and the value seen.
#ifndef AEVP_ERROR_H
#define AEVP_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#include "base/status.h"

// Formats the message that ae_last_error() returns and gives back status, so that a failure is
// reported in one line: `return ae_fail(AE_ERR_DATA, "model file: ...", ...);`.
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
int ae_fail(int status, const char *fmt, ...);
// The same from a va_list, for a layer's own shorthand (config.c's, idx.c's).
int ae_failv(int status, const char *fmt, va_list args);

// The message of the most recent failure ("" before any).
const char *error_message(void);

// Copies the message into a caller's buffer (cut to fit, always terminated; nothing if cap is 0),
// for the internal parsers whose callers ask for the text itself.
void error_copy(char *out, size_t cap);
#endif
