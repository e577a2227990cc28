// error.c — the last-error buffer behind ae_fail and ae_last_error. One buffer per process: the
// engine runs one call at a time (one WASM instance per worker), so no locking is needed.
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>

static char last_error[512] = "";

int ae_failv(int status, const char *fmt, va_list args) {
    vsnprintf(last_error, sizeof last_error, fmt, args);
    return status;
}

int ae_fail(int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ae_failv(status, fmt, ap);
    va_end(ap);
    return status;
}

const char *error_message(void) { return last_error; }

void error_copy(char *out, size_t cap) {
    if (out && cap > 0) snprintf(out, cap, "%s", last_error);
}
