// tsne.h — Barnes-Hut t-SNE of points into 2-D, run in slices. The public face, with the contract
// spelled out (limits, determinism, slicing), is ae_tsne_* in aevp.h; this is its implementation.
#ifndef AEVP_TSNE_H
#define AEVP_TSNE_H

#include <stdint.h>

#include "base/error.h"

// The same opaque handle as aevp.h's: the state lives in tsne.c.
typedef struct ae_tsne ae_tsne;

ae_tsne *tsne_create(const float *x, int n, int d, double perplexity, uint32_t seed, int *status);
int tsne_run(ae_tsne *t, int iterations);
int tsne_total(const ae_tsne *t);
const float *tsne_embedding(const ae_tsne *t);
void tsne_destroy(ae_tsne *t);
#endif
