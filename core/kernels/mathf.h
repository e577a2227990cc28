// mathf.h — exp and log1p in float as a fixed sequence of multiplies and adds (Cephes' range
// reductions and polynomials), written once for one float here and followed step for step by the
// 4-wide versions in kernels_simd.c: the scalar and SIMD twins give the same bits, as libm's
// expf could not (it cannot be vectorised, and it was a tenth of a training step in the softmax
// and the loss). Included by kernels_scalar.c and kernels_simd.c only.
#ifndef AEVP_KERNELS_MATHF_H
#define AEVP_KERNELS_MATHF_H

#include <math.h>
#include <stdint.h>
#include <string.h>

// exp: x = n ln2 + r, |r| <= ln2 / 2 (ln2 in two parts, so n ln2 is exact), exp(r) by a degree-5
// polynomial in r, times 2^n built in the exponent bits. Within 2 ulp of expf on [-87.3, 88];
// 0 below (where float's normal range ends), +inf above 88.72, NaN stays NaN.
#define MATHF_EXP_LO -87.33654475f
#define MATHF_EXP_HI 88.0f
#define MATHF_EXP_INF 88.72283935f
#define MATHF_LOG2E 1.44269504089f
#define MATHF_LN2_HI 0.693359375f
#define MATHF_LN2_LO -2.12194440e-4f
#define MATHF_EXP_P0 1.9875691500e-4f
#define MATHF_EXP_P1 1.3981999507e-3f
#define MATHF_EXP_P2 8.3334519073e-3f
#define MATHF_EXP_P3 4.1665795894e-2f
#define MATHF_EXP_P4 1.6666665459e-1f
#define MATHF_EXP_P5 5.0000001201e-1f

// log(u), u = m 2^k with m in [sqrt(1/2), sqrt(2)): log(m) by a degree-9 polynomial in m - 1.
#define MATHF_SQRT_HALF 0.707106781186547524f
#define MATHF_LOG_P0 7.0376836292e-2f
#define MATHF_LOG_P1 -1.1514610310e-1f
#define MATHF_LOG_P2 1.1676998740e-1f
#define MATHF_LOG_P3 -1.2420140846e-1f
#define MATHF_LOG_P4 1.4249322787e-1f
#define MATHF_LOG_P5 -1.6668057665e-1f
#define MATHF_LOG_P6 2.0000714765e-1f
#define MATHF_LOG_P7 -2.4999993993e-1f
#define MATHF_LOG_P8 3.3333331174e-1f

static inline float mathf_from_bits(uint32_t b) {
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static inline uint32_t mathf_bits(float f) {
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static inline float mathf_exp(float x) {
    float c = x < MATHF_EXP_LO ? MATHF_EXP_LO : x > MATHF_EXP_HI ? MATHF_EXP_HI : x; // NaN stays
    float n = floorf(c * MATHF_LOG2E + 0.5f);
    float r = c - n * MATHF_LN2_HI;
    r = r - n * MATHF_LN2_LO;
    float p = MATHF_EXP_P0;
    p = p * r + MATHF_EXP_P1;
    p = p * r + MATHF_EXP_P2;
    p = p * r + MATHF_EXP_P3;
    p = p * r + MATHF_EXP_P4;
    p = p * r + MATHF_EXP_P5;
    float y = (p * (r * r) + r) + 1.0f;
    int ni = n == n ? (int)n : 0;
    y = y * mathf_from_bits((uint32_t)(ni + 127) << 23);
    return x < MATHF_EXP_LO ? 0.0f : x > MATHF_EXP_INF ? INFINITY : y;
}

// log1p(x) for x > -1: log(u) of u = 1 + x, plus the rounding of u corrected to first order,
// (x - (u - 1)) / u, so that tiny x keep their digits.
static inline float mathf_log1p(float x) {
    float u = 1.0f + x;
    uint32_t b = mathf_bits(u);
    float k = (float)((int)(b >> 23 & 0xff) - 126);
    float m = mathf_from_bits((b & 0x007fffffu) | 0x3f000000u); // in [1/2, 1)
    if (m < MATHF_SQRT_HALF) {
        k = k - 1.0f;
        m = (m + m) - 1.0f;
    } else {
        m = m - 1.0f;
    }
    float z = m * m;
    float p = MATHF_LOG_P0;
    p = p * m + MATHF_LOG_P1;
    p = p * m + MATHF_LOG_P2;
    p = p * m + MATHF_LOG_P3;
    p = p * m + MATHF_LOG_P4;
    p = p * m + MATHF_LOG_P5;
    p = p * m + MATHF_LOG_P6;
    p = p * m + MATHF_LOG_P7;
    p = p * m + MATHF_LOG_P8;
    float y = (p * m) * z;
    y = y + k * MATHF_LN2_LO;
    y = y - 0.5f * z;
    float l = (m + y) + k * MATHF_LN2_HI;
    return (l + (x - (u - 1.0f)) / u) + (x - x); // the last term keeps a NaN
}

// The BCE of sigmoid(z) against t from the logit z, and the sigmoid: e = exp(-|z|) never
// overflows; the term max(z, 0) - z t + log1p(e) in double (z t exactly), the sigmoid in float,
// 1 / (1 + e) or e / (1 + e).
static inline double mathf_bce_term(float z, float t, float *sigmoid) {
    float e = mathf_exp(-fabsf(z)), inv = 1.0f / (1.0f + e);
    *sigmoid = z >= 0.0f ? inv : e * inv;
    return ((double)(z > 0.0f ? z : 0.0f) - (double)z * (double)t) + (double)mathf_log1p(e);
}
#endif
