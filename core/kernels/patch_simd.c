// patch_simd.c — the convolutions' patch GEMMs (kernels.h's patch_rows, patch_dst) in 4-wide SIMD:
// a GEMM over the zero-padded image read in place, its transposed form for weight gradients, and
// the one-output-channel versions. Scalar twins in kernels_scalar.c.
#include "kernels/kernels.h"

#if AEVP_HAVE_SIMD
#include "kernels/simd.h"

// Walks the patch rows in order without a division per row: (img, y, x) is row p's position.
typedef struct {
    int y, x;
    size_t image;
} patch_cursor;

static inline const float *patch_run_at(const patch_rows *P, patch_cursor c) {
    return P->base + c.image + (size_t)c.y * P->row_step + (size_t)c.x * P->col_step;
}

static inline patch_cursor patch_next(const patch_rows *P, patch_cursor c) {
    if (++c.x == P->ow) {
        c.x = 0;
        if (++c.y == P->oh) {
            c.y = 0;
            c.image += P->image_step;
        }
    }
    return c;
}

// The first row of the next output row (of the next image after an image's last).
static inline patch_cursor patch_next_row(const patch_rows *P, patch_cursor c) {
    c.x = P->ow - 1;
    return patch_next(P, c);
}

// The run starts of rows i..i+3 (rows past M repeat row i); *c moves on to row i + 4.
static inline void patch_block(const patch_rows *P, patch_cursor *c, int rows, const float *r[4]) {
    for (int q = 0; q < 4; q++) {
        r[q] = q < rows ? patch_run_at(P, *c) : r[0];
        *c = patch_next(P, *c);
    }
}

// C += or = bias + sum: the sum first, then the bias (ST's order with C preset to the bias).
#define STB(p, v, bv) v4_store(p, bias ? v4_add(bv, v) : (v))

// One output channel (the last conv): per pixel a dot product of its runs with B, vectorised
// along the run, four pixels at a time.
// The destination rows i..i+3 (rows past M repeat row i); *c moves on to row i + 4.
static inline void dst_rows(const patch_dst *D, patch_cursor *c, int rows, int n, float **out) {
    for (int q = 0; q < n; q++) {
        out[q] = q < rows ? D->base + (size_t)c->y * D->row_step + (size_t)c->x * D->col_step : out[0];
        if (++c->x == D->ow) {
            c->x = 0;
            c->y++;
        }
    }
}

static inline void dst_block(const patch_dst *D, patch_cursor *c, int rows, float *out[4]) {
    dst_rows(D, c, rows, 4, out);
}

static void patch_gemv(const patch_rows *P, int M, const float *B, const float *bias, const patch_dst *D) {
    int seg = P->seg, segs = P->segs, step = P->seg_step;
    patch_cursor cur = {0, 0, 0}, dcur = {0, 0, 0};
    for (int i = 0; i < M; i += 6) {
        // Six pixels: six sums in flight cover the multiply-add's latency (eight would not fit
        // in the registers with their loads).
        int rows = M - i < 6 ? M - i : 6;
        const float *r[6];
        float *c[6];
        for (int q = 0; q < 6; q++) {
            r[q] = q < rows ? patch_run_at(P, cur) : r[0];
            cur = patch_next(P, cur);
        }
        dst_rows(D, &dcur, rows, 6, c);
        v4 s0 = v4_splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0;
        float tail[6] = {0, 0, 0, 0, 0, 0};
        for (int sg = 0; sg < segs; sg++) {
            size_t o = (size_t)sg * step;
            const float *b = B + (size_t)sg * seg;
            int t = 0;
            for (; t + 4 <= seg; t += 4) {
                v4 bt = v4_load(b + t);
                s0 = v4_madd(s0, v4_load(r[0] + o + t), bt);
                s1 = v4_madd(s1, v4_load(r[1] + o + t), bt);
                s2 = v4_madd(s2, v4_load(r[2] + o + t), bt);
                s3 = v4_madd(s3, v4_load(r[3] + o + t), bt);
                s4 = v4_madd(s4, v4_load(r[4] + o + t), bt);
                s5 = v4_madd(s5, v4_load(r[5] + o + t), bt);
            }
            for (; t < seg; t++)
                for (int q = 0; q < 6; q++) tail[q] += r[q][o + t] * b[t];
        }
        v4 sums[6] = {s0, s1, s2, s3, s4, s5};
        for (int q = 0; q < rows; q++) {
            float sum = v4_hsum(sums[q]) + tail[q];
            *c[q] = bias ? bias[0] + sum : sum;
        }
    }
}

// c[0 .. 4 * width) += sum_p B[p] * the first 4 * width floats of row p's run: width vectors
// held over all pixels (width a constant where it is called: the sums stay in registers).
static inline __attribute__((always_inline)) void gemv_tn_cols(const patch_rows *P, int M, const float *B,
                                                               int ldb, const float *run, float *c, const int width) {
    v4 s[6];
    for (int q = 0; q < width; q++) s[q] = v4_splat(0);
    const float *b = B;
    patch_cursor row = {0, 0, 0};
    for (int p0 = 0; p0 < M; p0 += P->ow) {
        const float *a = run + row.image + (size_t)row.y * P->row_step;
        row = patch_next_row(P, row);
        int end = p0 + P->ow < M ? P->ow : M - p0;
        for (int x = 0; x < end; x++, a += P->col_step, b += ldb) {
            v4 d = v4_splat(*b);
            for (int q = 0; q < width; q++) s[q] = v4_madd(s[q], v4_load(a + 4 * q), d);
        }
    }
    for (int q = 0; q < width; q++) v4_store(c + 4 * q, v4_add(v4_load(c + 4 * q), s[q]));
}

// The GEMV's weight gradient: C (a column, one float per patch element) += sum_p B[p] * row p,
// with the column vectorised along each run.
static void patch_gemv_tn(const patch_rows *P, int M, const float *B, int ldb, float *C, int ldc) {
    int seg = P->seg;
    for (int sg = 0; sg < P->segs; sg++) {
        const float *run = P->base + (size_t)sg * P->seg_step;
        float *c = C + (size_t)sg * seg * ldc;
        int t = 0;
        // 24 floats at a time: six sums in flight cover the multiply-add's latency; then 16.
        for (; ldc == 1 && t + 24 <= seg; t += 24) gemv_tn_cols(P, M, B, ldb, run + t, c + t, 6);
        for (; ldc == 1 && t + 16 <= seg; t += 16) gemv_tn_cols(P, M, B, ldb, run + t, c + t, 4);
        for (; t < seg; t++) {
            float sum = 0;
            for (int p = 0; p < M; p++) sum += run[patch_row_offset(P, p) + t] * B[(size_t)p * ldb];
            c[(size_t)t * ldc] += sum;
        }
    }
}

void patch_gemm_simd(const patch_rows *P, int M, int N, const float *B, const float *bias,
                     const patch_dst *D) {
    int seg = P->seg, segs = P->segs, step = P->seg_step;
    if (N == 1) {
        patch_gemv(P, M, B, bias, D);
        return;
    }
    // Runs shorter than two vectors (a conv of one or two channels): one loop over the patch
    // through a table of offsets instead of loops over short runs.
    int K = segs * seg, offs[64], short_runs = seg < 8 && K <= 64;
    for (int kk = 0; short_runs && kk < K; kk++) offs[kk] = kk / seg * step + kk % seg;
    patch_cursor cur = {0, 0, 0}, dcur = {0, 0, 0};
    for (int i = 0; i < M; i += 4) {
        // A block of four rows; past the last row it repeats row i and stores nothing.
        int rows = M - i < 4 ? M - i : 4;
        const float *rr[4];
        patch_block(P, &cur, rows, rr);
        const float *r0 = rr[0], *r1 = rr[1], *r2 = rr[2], *r3 = rr[3];
        float *c[4];
        dst_block(D, &dcur, rows, c);
        int j = 0;
        for (; j + 8 <= N; j += 8) {
            v4 s00 = v4_splat(0), s01 = s00, s10 = s00, s11 = s00;
            v4 s20 = s00, s21 = s00, s30 = s00, s31 = s00;
            if (short_runs) {
                const float *b = B + j;
                for (int kk = 0; kk < K; kk++, b += N) {
                    MICRO_4X8_STEP(r0, r1, r2, r3, offs[kk], b);
                }
            } else {
                for (int sg = 0; sg < segs; sg++) {
                    const float *a0 = r0 + (size_t)sg * step, *a1 = r1 + (size_t)sg * step;
                    const float *a2 = r2 + (size_t)sg * step, *a3 = r3 + (size_t)sg * step;
                    const float *b = B + (size_t)sg * seg * N + j;
                    for (int t = 0; t < seg; t++, b += N) {
                        MICRO_4X8_STEP(a0, a1, a2, a3, t, b);
                    }
                }
            }
            v4 bv0 = bias ? v4_load(bias + j) : s00, bv1 = bias ? v4_load(bias + j + 4) : s00;
            v4 out[4][2] = {{s00, s01}, {s10, s11}, {s20, s21}, {s30, s31}};
            for (int r = 0; r < rows; r++) {
                STB(c[r] + j, out[r][0], bv0);
                STB(c[r] + j + 4, out[r][1], bv1);
            }
        }
        for (; j + 4 <= N; j += 4) {
            v4 s0 = v4_splat(0), s1 = s0, s2 = s0, s3 = s0;
            for (int sg = 0; sg < segs; sg++) {
                const float *a0 = r0 + (size_t)sg * step, *a1 = r1 + (size_t)sg * step;
                const float *a2 = r2 + (size_t)sg * step, *a3 = r3 + (size_t)sg * step;
                const float *b = B + (size_t)sg * seg * N + j;
                for (int t = 0; t < seg; t++, b += N) {
                    v4 bt = v4_load(b);
                    s0 = v4_madd(s0, v4_splat(a0[t]), bt);
                    s1 = v4_madd(s1, v4_splat(a1[t]), bt);
                    s2 = v4_madd(s2, v4_splat(a2[t]), bt);
                    s3 = v4_madd(s3, v4_splat(a3[t]), bt);
                }
            }
            v4 bv = bias ? v4_load(bias + j) : s0;
            v4 out[4] = {s0, s1, s2, s3};
            for (int r = 0; r < rows; r++) STB(c[r] + j, out[r], bv);
        }
        for (; j < N; j++) {
            for (int r = 0; r < rows; r++) {
                float sum = 0;
                for (int sg = 0; sg < segs; sg++) {
                    const float *a = rr[r] + (size_t)sg * step, *b = B + (size_t)sg * seg * N + j;
                    for (int t = 0; t < seg; t++) sum += a[t] * b[(size_t)t * N];
                }
                c[r][j] = bias ? bias[j] + sum : sum;
            }
        }
    }
}

void patch_gemm_tn_simd(const patch_rows *P, int M, int N, const float *B, int ldb, float *C,
                        int ldc) {
    int K = P->segs * P->seg;
    if (N == 1) {
        patch_gemv_tn(P, M, B, ldb, C, ldc);
        return;
    }
    int run = 0, at = 0; // patch column i is element `at` of run `run`
    for (int i = 0; i < K; i += 4) {
        // Rows i..i+3 of C are patch columns kk: each one a fixed offset from a pixel's run start.
        int rows = K - i < 4 ? K - i : 4;
        size_t o[4];
        for (int r = 0; r < 4; r++) {
            o[r] = r < rows ? (size_t)run * P->seg_step + at : o[0];
            if (++at == P->seg) {
                at = 0;
                run++;
            }
        }
        const float *a0 = P->base + o[0], *a1 = P->base + o[1], *a2 = P->base + o[2], *a3 = P->base + o[3];
        float *c[4] = {C + (size_t)i * ldc, C + (size_t)(i + 1) * ldc, C + (size_t)(i + 2) * ldc,
                       C + (size_t)(i + 3) * ldc};
        // Four columns in one run (the usual case) are four consecutive floats: one address.
        int consecutive = rows == 4 && o[3] == o[0] + 3;
        int j = 0;
        for (; j + 8 <= N; j += 8) {
            v4 s00 = v4_splat(0), s01 = s00, s10 = s00, s11 = s00;
            v4 s20 = s00, s21 = s00, s30 = s00, s31 = s00;
            const float *b = B + j;
            patch_cursor row = {0, 0, 0};
            for (int p0 = 0; p0 < M; p0 += P->ow) {
                size_t off = row.image + (size_t)row.y * P->row_step;
                row = patch_next_row(P, row);
                int end = p0 + P->ow < M ? P->ow : M - p0;
                if (consecutive) {
                    for (int x = 0; x < end; x++, off += P->col_step, b += ldb) {
                        const float *a = a0 + off;
                        MICRO_4X8_STEP(a, a + 1, a + 2, a + 3, 0, b);
                    }
                } else {
                    for (int x = 0; x < end; x++, off += P->col_step, b += ldb) {
                        MICRO_4X8_STEP(a0, a1, a2, a3, off, b);
                    }
                }
            }
            v4 out[4][2] = {{s00, s01}, {s10, s11}, {s20, s21}, {s30, s31}};
            for (int r = 0; r < rows; r++) {
                v4_store(c[r] + j, v4_add(v4_load(c[r] + j), out[r][0]));
                v4_store(c[r] + j + 4, v4_add(v4_load(c[r] + j + 4), out[r][1]));
            }
        }
        for (; j + 4 <= N; j += 4) {
            v4 s0 = v4_splat(0), s1 = s0, s2 = s0, s3 = s0;
            const float *b = B + j;
            patch_cursor row = {0, 0, 0};
            for (int p0 = 0; p0 < M; p0 += P->ow) {
                size_t off = row.image + (size_t)row.y * P->row_step;
                row = patch_next_row(P, row);
                int end = p0 + P->ow < M ? P->ow : M - p0;
                for (int x = 0; x < end; x++, off += P->col_step, b += ldb) {
                    v4 bt = v4_load(b);
                    s0 = v4_madd(s0, v4_splat(a0[off]), bt);
                    s1 = v4_madd(s1, v4_splat(a1[off]), bt);
                    s2 = v4_madd(s2, v4_splat(a2[off]), bt);
                    s3 = v4_madd(s3, v4_splat(a3[off]), bt);
                }
            }
            v4 out[4] = {s0, s1, s2, s3};
            for (int r = 0; r < rows; r++) v4_store(c[r] + j, v4_add(v4_load(c[r] + j), out[r]));
        }
        for (; j < N; j++) {
            const float *aa[4] = {a0, a1, a2, a3};
            for (int r = 0; r < rows; r++) {
                float sum = 0;
                for (int p = 0; p < M; p++)
                    sum += aa[r][patch_row_offset(P, p)] *
                           B[(size_t)p * ldb + j];
                c[r][j] += sum;
            }
        }
    }
}
#endif
