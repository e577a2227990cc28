// optim.h — the optimizer step over the flat parameter, gradient and moment arrays, following
// torch.optim's update rules exactly (so the PyTorch golden files match).
#ifndef AEVP_OPTIM_H
#define AEVP_OPTIM_H

#include <stddef.h>

#include "config.h"

// m1, m2: the first and second moment arrays (SGD uses m1 as its momentum buffer, RMSprop m2).
// step is 1 for the first update.
void optim_step(ae_optimizer opt, float *params, const float *grads, float *m1, float *m2,
                size_t count, float lr, int step);
#endif
