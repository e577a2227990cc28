// optim.h — the optimizer step over the flat parameter, gradient and moment arrays, following
// torch.optim's update rules exactly (so the PyTorch golden files match).
#ifndef AEVP_OPTIM_H
#define AEVP_OPTIM_H

#include <stddef.h>

#include "base/enums.h"

// m1, m2: the first and second moment arrays (SGD uses m1 as its momentum buffer, RMSprop m2).
// step is 1 for the first update. weight_decay is decoupled (torch.optim.AdamW's rule, for every
// optimizer): the weights shrink by lr * weight_decay before the update; 0 leaves the rule as it was.
void optim_step(ae_optimizer opt, float *params, const float *grads, float *m1, float *m2,
                size_t count, float lr, float weight_decay, int step);

// The learning rate of update `step` (0 for the first) of a run of `total` updates: constant;
// cosine from lr towards 0 as torch's CosineAnnealingLR(T_max = total); or one-cycle as torch's
// OneCycleLR(max_lr = lr, pct_start = warmup, cycle_momentum = False): cosine from lr/25 up to lr
// over the first warmup share of the run, then cosine down to lr/25/1e4. Only the rate moves.
double schedule_rate(ae_schedule schedule, double lr, double warmup, long step, long total);
#endif
