// status.h — the engine's status codes, the one vocabulary of failure every layer returns.
// Part of the public API (aevp.h includes it); the messages live in error.h's buffer.
#ifndef AEVP_STATUS_H
#define AEVP_STATUS_H

// 0 is success; every failure also sets the message read by ae_last_error().
enum {
    AE_OK = 0,
    AE_ERR_CONFIG = 1,   // a config field is unknown, of the wrong type or out of range
    AE_ERR_DATA = 2,     // malformed input bytes (IDX file, parameter buffer, model file)
    AE_ERR_NOMEM = 3,    // an allocation failed or a size exceeds the engine's cap
    AE_ERR_ARG = 4,      // a bad argument to an API call (NULL, count out of range, ...)
    AE_ERR_DIVERGED = 5  // a NaN or Inf appeared in the loss
};
#endif
