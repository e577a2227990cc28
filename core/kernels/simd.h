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
#define v4_max(a, b) wasm_f32x4_pmax(a, b) // a where either is NaN, as v4_min
#define v4_gt(a, b) wasm_f32x4_gt(a, b)
#define v4_select(mask, a, b) wasm_v128_bitselect(a, b, mask)
#define v4_min(a, b) wasm_f32x4_pmin(a, b)
#define v4_lt(a, b) wasm_f32x4_lt(a, b)
#define v4_ge(a, b) wasm_f32x4_ge(a, b)
#define v4_div(a, b) wasm_f32x4_div(a, b)
#define v4_floor(a) wasm_f32x4_floor(a)
#define v4_and_bits(a, m) wasm_v128_and(a, wasm_i32x4_splat((int32_t)(m)))
#define v4_or_bits(a, m) wasm_v128_or(a, wasm_i32x4_splat((int32_t)(m)))
// (bits >> 23) & 0xff as floats: the biased exponent.
#define v4_exponent_field(a) wasm_f32x4_convert_i32x4(wasm_i32x4_shr(wasm_v128_and(a, wasm_i32x4_splat(0x7f800000)), 23))
// 2^n for whole n in [-126, 127] (NaN: 1, like the scalar twin).
#define v4_pow2(n) wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23)
// Two doubles: the float lanes 0, 1 (d2_lo) or 2, 3 (d2_hi) widened, for sums kept in double.
typedef v128_t d2;
#define d2_lo(v) wasm_f64x2_promote_low_f32x4(v)
#define d2_hi(v) wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1))
#define d2_zero() wasm_f64x2_splat(0.0)
#define d2_add(a, b) wasm_f64x2_add(a, b)
#define d2_sub(a, b) wasm_f64x2_sub(a, b)
#define d2_mul(a, b) wasm_f64x2_mul(a, b)
#define d2_store(p, v) wasm_v128_store(p, v)
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
#define v4_min(a, b) _mm_min_ps(b, a)
#define v4_lt(a, b) _mm_cmplt_ps(a, b)
#define v4_ge(a, b) _mm_cmpge_ps(a, b)
#define v4_div(a, b) _mm_div_ps(a, b)
#define v4_floor(a) _mm_floor_ps(a)
#define v4_and_bits(a, m) _mm_and_ps(a, _mm_castsi128_ps(_mm_set1_epi32((int)(m))))
#define v4_or_bits(a, m) _mm_or_ps(a, _mm_castsi128_ps(_mm_set1_epi32((int)(m))))
#define v4_exponent_field(a) _mm_cvtepi32_ps(_mm_srli_epi32(_mm_and_si128(_mm_castps_si128(a), _mm_set1_epi32(0x7f800000)), 23))
typedef __m128d d2;
#define d2_lo(v) _mm_cvtps_pd(v)
#define d2_hi(v) _mm_cvtps_pd(_mm_movehl_ps(v, v))
#define d2_zero() _mm_setzero_pd()
#define d2_add(a, b) _mm_add_pd(a, b)
#define d2_sub(a, b) _mm_sub_pd(a, b)
#define d2_mul(a, b) _mm_mul_pd(a, b)
#define d2_store(p, v) _mm_storeu_pd(p, v)
#define v4_pow2(n) _mm_castsi128_ps(_mm_slli_epi32(_mm_add_epi32(_mm_cvttps_epi32(n), _mm_set1_epi32(127)), 23))
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
