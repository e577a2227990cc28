// error.h — the engine's one last-error buffer, shared by every file that reports a failure.
// Internal to the engine (not part of aevp.h): callers read the message with ae_last_error().
#ifndef AEVP_ERROR_H
#define AEVP_ERROR_H

// Formats the message that ae_last_error() returns and gives back status, so that a failure is
// reported in one line: `return ae_fail(AE_ERR_DATA, "model file: ...", ...);`.
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
int ae_fail(int status, const char *fmt, ...);

#endif
