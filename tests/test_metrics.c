// test_metrics.c — checks ae_mse, ae_psnr and ae_ssim against hand-computed values and against the
// numpy SSIM of tests/golden/make_golden.py (tests/golden/ssim.bin). Not a test of ae_evaluate.
#include <stdint.h>

#include "aevp.h"
#include "testutil.h"

#include "golden_records.h"

static void test_mse_psnr(void) {
    const float a[4] = {0.0f, 0.5f, 1.0f, 0.25f};
    const float b[4] = {0.0f, 0.0f, 1.0f, 0.75f};
    // Squared differences 0, 0.25, 0, 0.25: mean 0.125, PSNR 10 log10(8).
    double mse = ae_mse(a, b, 4);
    CHECK(fabs(mse - 0.125) < 1e-15, "mse %.17g, want 0.125", mse);
    CHECK(ae_mse(a, a, 4) == 0.0, "mse of an image with itself %.17g", ae_mse(a, a, 4));
    CHECK(fabs(ae_mse(a + 1, b + 1, 1) - 0.25) < 1e-15, "one-element mse %.17g",
          ae_mse(a + 1, b + 1, 1));
    CHECK(isnan(ae_mse(a, b, 0)), "mse of nothing should be NaN");
    CHECK(isnan(ae_mse(NULL, b, 4)), "mse of NULL should be NaN");

    // Many elements: summed in float, 1e6 squared errors of 0.01 would be off by ~1e-3 relative;
    // in double, by ~1e-11.
    enum { BIG = 1000000 };
    float *x = malloc(BIG * sizeof *x), *y = malloc(BIG * sizeof *y);
    CHECK(x && y, "malloc");
    if (x && y) {
        for (int i = 0; i < BIG; i++) { x[i] = 0.1f; y[i] = 0.0f; }
        double want = (double)0.1f * (double)0.1f;
        double got = ae_mse(x, y, BIG);
        CHECK(fabs(got - want) < 1e-9 * want, "mse of 1e6 equal errors %.17g, want %.17g", got,
              want);
    }
    free(x);
    free(y);

    double want8 = 10.0 * log10(8.0); // 9.0309 dB
    CHECK(fabs(ae_psnr(0.125) - want8) < 1e-12, "psnr(0.125) %.17g, want %.17g", ae_psnr(0.125),
          want8);
    CHECK(fabs(ae_psnr(0.01) - 20.0) < 1e-12, "psnr(0.01) %.17g, want 20", ae_psnr(0.01));
    CHECK(fabs(ae_psnr(1.0)) < 1e-12, "psnr(1) %.17g, want 0", ae_psnr(1.0));
    CHECK(ae_psnr(0.0) == 100.0, "psnr(0) %.17g, want the 100 dB cap", ae_psnr(0.0));
    CHECK(ae_psnr(1e-12) == 100.0, "psnr(1e-12) %.17g, want the 100 dB cap", ae_psnr(1e-12));
    CHECK(fabs(ae_psnr(1e-9) - 90.0) < 1e-9, "psnr(1e-9) %.17g, want 90", ae_psnr(1e-9));
    CHECK(isnan(ae_psnr(-1.0)), "psnr of a negative mse should be NaN");
}

// A deterministic pattern in [0, 1] so the tests need no random generator.
static void fill_pattern(float *x, int count, unsigned seed) {
    uint32_t s = seed * 2654435761u + 12345u;
    for (int i = 0; i < count; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(s >> 8) / 16777216.0f;
    }
}

static void test_ssim_identities(void) {
    static const int shapes[][3] = {{28, 28, 1}, {32, 32, 3}, {4, 4, 1}, {5, 9, 2}, {11, 11, 4}};
    static float a[32 * 32 * 4], b[32 * 32 * 4];
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int h = shapes[s][0], w = shapes[s][1], c = shapes[s][2];
        fill_pattern(a, h * w * c, (unsigned)s + 1);
        fill_pattern(b, h * w * c, (unsigned)s + 100);
        double same = ae_ssim(a, a, h, w, c);
        CHECK(fabs(same - 1.0) < 1e-12, "ssim(x, x) %.17g at %dx%dx%d, want 1", same, h, w, c);
        double ab = ae_ssim(a, b, h, w, c), ba = ae_ssim(b, a, h, w, c);
        CHECK(fabs(ab - ba) < 1e-12, "ssim not symmetric at %dx%dx%d: %.17g vs %.17g", h, w, c,
              ab, ba);
        CHECK(ab < 0.5, "ssim of unrelated noise %.17g at %dx%dx%d, want well below 1", ab, h, w,
              c);
    }
    // Constant images: no variance, so SSIM is the luminance term alone,
    // (2 mx my + C1) / (mx^2 + my^2 + C1) with C1 = 1e-4; 0.25 and 0.75 are exact in float.
    for (int i = 0; i < 16 * 16; i++) { a[i] = 0.25f; b[i] = 0.75f; }
    double want = (2 * 0.25 * 0.75 + 1e-4) / (0.25 * 0.25 + 0.75 * 0.75 + 1e-4);
    double got = ae_ssim(a, b, 16, 16, 1);
    CHECK(fabs(got - want) < 1e-12, "ssim of constants %.17g, want %.17g", got, want);

    CHECK(isnan(ae_ssim(NULL, b, 4, 4, 1)), "ssim of NULL should be NaN");
    CHECK(isnan(ae_ssim(a, b, 0, 4, 1)), "ssim of an empty image should be NaN");
    CHECK(isnan(ae_ssim(a, b, 4, 4, 0)), "ssim with no channels should be NaN");
}

static void test_ssim_reference(void) {
    char path[4096];
    size_t len = 0;
    unsigned char *bytes = test_read_file(test_path(path, sizeof path, "tests/golden/ssim.bin"),
                                          &len);
    CHECK(bytes != NULL, "cannot read %s (it is committed; regenerate with make_golden.py)", path);
    if (!bytes) return;
    record recs[8];
    int n = parse_records(bytes, len, recs, 8);
    free(bytes);
    CHECK(n > 0, "%s is malformed", path);
    if (n <= 0) return;
    const record *shapes = find_record(recs, n, "shapes"), *a = find_record(recs, n, "a"),
                 *b = find_record(recs, n, "b"), *ssim = find_record(recs, n, "ssim");
    CHECK(shapes && a && b && ssim, "%s lacks a record (shapes, a, b, ssim)", path);
    if (shapes && a && b && ssim) {
        CHECK(shapes->count == 3 * ssim->count && a->count == b->count,
              "record sizes disagree: shapes %u, ssim %u, a %u, b %u", shapes->count,
              ssim->count, a->count, b->count);
        size_t offset = 0;
        for (uint32_t i = 0; i < ssim->count && shapes->count == 3 * ssim->count; i++) {
            int h = (int)shapes->values[3 * i], w = (int)shapes->values[3 * i + 1],
                c = (int)shapes->values[3 * i + 2];
            size_t size = (size_t)h * w * c;
            if (offset + size > a->count) {
                CHECK(0, "pair %u (%dx%dx%d) runs past the images", i, h, w, c);
                break;
            }
            double got = ae_ssim(a->values + offset, b->values + offset, h, w, c);
            double want = ssim->values[i];
            // The reference is a float32 rounding of numpy's float64 value: ~3e-8 at most.
            CHECK(fabs(got - want) <= 1e-5, "ssim pair %u (%dx%dx%d): %.9g, numpy %.9g", i, h, w,
                  c, got, want);
            printf("ssim %dx%dx%d: %.9f (numpy %.9f, diff %.2g)\n", h, w, c, got, want,
                   got - want);
            offset += size;
        }
    }
    for (int i = 0; i < n; i++) free(recs[i].values);
}

int main(int argc, char **argv) {
    test_init(argc, argv);
    test_mse_psnr();
    test_ssim_identities();
    test_ssim_reference();
    return test_finish("test_metrics");
}
