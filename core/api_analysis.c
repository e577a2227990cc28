// api_analysis.c — the public face (aevp.h) of what needs no model: metrics, projections, the
// mean-image baseline and the IDX check. Argument checks live in the analysis files themselves.
#include "aevp.h"
#include "analysis/baseline.h"
#include "analysis/metrics.h"
#include "analysis/pca.h"
#include "analysis/tsne.h"
#include "base/error.h"
#include "io/idx.h"
#include "model/model.h"

double ae_mse(const float *a, const float *b, int n) { return metrics_mse(a, b, n); }
double ae_psnr(double mse) { return metrics_psnr(mse); }
double ae_ssim(const float *a, const float *b, int h, int w, int c) { return metrics_ssim(a, b, h, w, c); }

int ae_pca(const float *x, int n, int d, int k, float *mean, float *components, float *variance, float *proj) {
    return pca_fit(x, n, d, k, mean, components, variance, proj);
}

ae_tsne *ae_tsne_create(const float *x, int n, int d, double perplexity, uint32_t seed, int *status) {
    return tsne_create(x, n, d, perplexity, seed, status);
}
int ae_tsne_run(ae_tsne *t, int iterations) { return tsne_run(t, iterations); }
int ae_tsne_total(const ae_tsne *t) { return tsne_total(t); }
const float *ae_tsne_embedding(const ae_tsne *t) { return tsne_embedding(t); }
void ae_tsne_destroy(ae_tsne *t) { tsne_destroy(t); }

int ae_mean_image_u8(ae_model *m, const uint8_t *train, int n_train, const uint8_t *val, int n_val,
                     ae_metrics *out) {
    if (!m || !out) return ae_fail(AE_ERR_ARG, "mean image: no model or result");
    double values[4];
    int rc = baseline_mean_image(train, n_train, val, n_val, m->cfg.input_h, m->cfg.input_w, m->cfg.input_c,
                                 m->cfg.loss, values);
    if (rc != AE_OK) return rc;
    out->loss = values[0];
    out->mse = values[1];
    out->psnr = values[2];
    out->ssim = values[3];
    out->kl = 0;
    out->recon = values[0];
    return AE_OK;
}

int ae_idx_info(const uint8_t *bytes, size_t len, int *rank, uint32_t dims[3]) {
    if (!rank || !dims) return ae_fail(AE_ERR_ARG, "no result buffers");
    idx_file f;
    int rc = idx_parse(&f, bytes, len, NULL, 0);
    if (rc != AE_OK) return rc;
    *rank = f.rank;
    for (int i = 0; i < 3; i++) dims[i] = i < f.rank ? f.dims[i] : 0;
    return AE_OK;
}
