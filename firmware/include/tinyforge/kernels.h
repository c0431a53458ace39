/*
 * tinyforge int8 kernels: one operator per file in firmware/kernels/, each
 * bit-exact with TensorFlow Lite's reference kernels (BUILTIN_REF).
 *
 * Conventions (as TFLite stores tensors):
 *   - activations are NHWC int8; conv filters are OHWI; depthwise filters are
 *     1 x H x W x (C * depth_multiplier); fully-connected weights are [out][in].
 *   - offsets are the negated input zero point and the output zero point, as
 *     TFLite's reference kernels take them;
 *   - requantization uses TFLite's QuantizeMultiplier representation:
 *     real_multiplier = multiplier * 2^(shift - 31), applied with
 *     MultiplyByQuantizedMultiplier: double rounding (gemmlowp semantics) in
 *     the conv kernels, single rounding in FULLY_CONNECTED, because that is
 *     what the TF 2.21 interpreter's reference kernels were measured to do.
 * All parameters are computed on the host by codegen; kernels never see a float.
 */
#ifndef TINYFORGE_KERNELS_H
#define TINYFORGE_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t n, h, w, c;
} tf_dims;

/* Output requantization: per output channel when per_channel != 0,
 * otherwise multiplier[0] / shift[0] for the whole tensor. */
typedef struct {
    const int32_t *multiplier;
    const int32_t *shift;
    int32_t per_channel;
} tf_requant;

typedef struct {
    int32_t input_offset;      /* -input zero point */
    int32_t output_offset;     /* output zero point */
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_h, pad_w;      /* top / left padding, computed as TFLite does */
    int32_t depth_multiplier;  /* DEPTHWISE_CONV_2D only; 1 otherwise */
    int32_t act_min, act_max;  /* fused activation clamp in the output's int8 domain */
} tf_conv_params;

typedef struct {
    int32_t input_offset;      /* -input zero point */
    int32_t filter_offset;     /* -weights zero point (0 for TFLite int8 weights) */
    int32_t output_offset;     /* output zero point */
    int32_t act_min, act_max;
} tf_fc_params;

typedef struct {
    int32_t input_multiplier;  /* from TFLite's PreprocessSoftmaxScaling(beta, input_scale, 5) */
    int32_t input_left_shift;
    int32_t diff_min;          /* -CalculateInputRadius(5, input_left_shift, 31) */
} tf_softmax_params;

/* CONV_2D, int8 activations, int8 per-channel (or per-tensor) weights, int32 bias (may be NULL). */
void conv2d_s8(const tf_conv_params *params, const tf_requant *requant,
               const tf_dims *input_dims, const int8_t *input,
               const tf_dims *filter_dims, const int8_t *filter,
               const int32_t *bias,
               const tf_dims *output_dims, int8_t *output);

/* DEPTHWISE_CONV_2D; filter_dims is 1 x KH x KW x (input C * depth_multiplier). */
void depthwise_conv2d_s8(const tf_conv_params *params, const tf_requant *requant,
                         const tf_dims *input_dims, const int8_t *input,
                         const tf_dims *filter_dims, const int8_t *filter,
                         const int32_t *bias,
                         const tf_dims *output_dims, int8_t *output);

/* FULLY_CONNECTED: output[b][o] = requant(sum_i (in[b][i] + in_off) * (w[o][i] + w_off) + bias[o]). */
void fully_connected_s8(const tf_fc_params *params, const tf_requant *requant,
                        int32_t batches, int32_t input_depth, const int8_t *input,
                        int32_t output_depth, const int8_t *filter,
                        const int32_t *bias, int8_t *output);

/* SOFTMAX over the last dimension of a [rows][depth] tensor; the output is
 * int8 with scale 1/256 and zero point -128, as TFLite requires. */
void softmax_s8(const tf_softmax_params *params, int32_t rows, int32_t depth,
                const int8_t *input, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TINYFORGE_KERNELS_H */
