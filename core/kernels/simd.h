// simd.h — the tiny 4-wide vector layer the SIMD kernels are written over: wasm simd128 (with
// relaxed SIMD's fused multiply-add in the relaxed build) or SSE4.1. Included by kernels_simd.c
// and patch_simd.c only; AEVP_HAVE_SIMD (kernels.h) says whether it applies.
#ifndef AEVP_KERNELS_SIMD_H
#define AEVP_KERNELS_SIMD_H

#include "kernels/kernels.h"

#if AEVP_HAVE_SIMD

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
typedef v128_t v4;
#define v4_load(p) wasm_v128_load(p)
#define v4_store(p, v) wasm_v128_store(p, v)
#define v4_splat(x) wasm_f32x4_splat(x)
#define v4_add(a, b) wasm_f32x4_add(a, b)
#define v4_mul(a, b) wasm_f32x4_mul(a, b)
#define v4_sub(a, b) wasm_f32x4_sub(a, b)
#define v4_max(a, b) wasm_f32x4_pmax(a, b)
#define v4_gt(a, b) wasm_f32x4_gt(a, b)
#define v4_select(mask, a, b) wasm_v128_bitselect(a, b, mask)
#if defined(__wasm_relaxed_simd__)
// The relaxed-SIMD build: a * b + acc, fused where the machine has FMA (one rounding), else a
// multiply and an add: results may differ across machines in the last bits (README).
#define v4_madd(acc, a, b) wasm_f32x4_relaxed_madd(a, b, acc)
#endif
#else
#include <smmintrin.h>
typedef __m128 v4;
#define v4_load(p) _mm_loadu_ps(p)
#define v4_store(p, v) _mm_storeu_ps(p, v)
#define v4_splat(x) _mm_set1_ps(x)
#define v4_add(a, b) _mm_add_ps(a, b)
#define v4_mul(a, b) _mm_mul_ps(a, b)
#define v4_sub(a, b) _mm_sub_ps(a, b)
#define v4_max(a, b) _mm_max_ps(b, a)
#define v4_gt(a, b) _mm_cmpgt_ps(a, b)
#define v4_select(mask, a, b) _mm_blendv_ps(b, a, mask)
#endif

static inline float v4_hsum(v4 v) {
    float lanes[4];
    v4_store(lanes, v);
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

#ifndef v4_madd
#define v4_madd(acc, a, b) v4_add(acc, v4_mul(a, b))
#endif

// One step of the 4 x 8 micro-kernels: rows r of A (a0..a3, element at offset o) times the 8
// floats of B at b, into the accumulators s00..s31 (row, half) declared by the caller.
#define MICRO_4X8_STEP(a0, a1, a2, a3, o, b)                                                  \
    do {                                                                                      \
        v4 b0_ = v4_load(b), b1_ = v4_load((b) + 4);                                          \
        v4 x0_ = v4_splat((a0)[o]), x1_ = v4_splat((a1)[o]);                                  \
        v4 x2_ = v4_splat((a2)[o]), x3_ = v4_splat((a3)[o]);                                  \
        s00 = v4_madd(s00, x0_, b0_); s01 = v4_madd(s01, x0_, b1_);                           \
        s10 = v4_madd(s10, x1_, b0_); s11 = v4_madd(s11, x1_, b1_);                           \
        s20 = v4_madd(s20, x2_, b0_); s21 = v4_madd(s21, x2_, b1_);                           \
        s30 = v4_madd(s30, x3_, b0_); s31 = v4_madd(s31, x3_, b1_);                           \
    } while (0)
#endif
#endif
