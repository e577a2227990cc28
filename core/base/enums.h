// enums.h — the shared vocabulary of the layers: activations, losses, optimizers, initialisations,
// schedules and the architecture's choices. Kept here so that kernels and ops need not reach up to the config for them.
#ifndef AEVP_ENUMS_H
#define AEVP_ENUMS_H

typedef enum { ACT_RELU, ACT_LEAKY_RELU, ACT_ELU, ACT_TANH, ACT_LINEAR, ACT_SIGMOID } ae_activation;
typedef enum { LOSS_BCE, LOSS_MSE } ae_loss;
typedef enum { OPT_ADAM, OPT_SGD, OPT_RMSPROP } ae_optimizer;
// pytorch: what torch.nn does by default; he: the rule before init existed (He uniform ahead of
// the ReLU family, Glorot uniform ahead of the rest, zero biases); glorot: Glorot uniform everywhere.
typedef enum { INIT_PYTORCH, INIT_HE, INIT_GLOROT } ae_init;
typedef enum { SCHEDULE_CONSTANT, SCHEDULE_COSINE, SCHEDULE_ONECYCLE } ae_schedule;
// The architecture's choices: how an encoder stage halves the image and a decoder stage doubles
// it, and where the self-attention blocks sit (at the lowest resolution).
typedef enum { DOWN_STRIDE, DOWN_MAXPOOL } ae_downsample;
typedef enum { UP_TRANSPOSE, UP_NEAREST } ae_upsample;
typedef enum { ATTN_NONE, ATTN_ENCODER, ATTN_DECODER, ATTN_BOTH } ae_attention;
#endif
