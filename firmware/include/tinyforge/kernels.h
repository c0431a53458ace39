/*
 * tinyforge kernels (int8, int16x8 and float32): one operator per file in
 * firmware/kernels/, each bit-exact with TensorFlow Lite's reference kernels
 * (BUILTIN_REF); float32 layers that call expf or tanhf within the bound of
 * codegen/verify/float_bound.py.
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
 * All parameters of the integer kernels are computed on the host by codegen;
 * they never see a float. The *_f32 kernels run TFLite's float loops in its
 * order of operations (every build uses -ffp-contract=off).
 */
#ifndef TINYFORGE_KERNELS_H
#define TINYFORGE_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The contract between these kernels and the model.c that codegen generates: argument lists, struct
 * layouts and weight layouts. Any change to it increments the version, and a model.c generated for another
 * version stops the build with "#error Regenerate" (templates/model.c.j2), as nanopb's generated files do. */
#define TF_KERNELS_ABI_VERSION 2

/* The depthwise ring kernels keep a receptive field's row pointers in an array of this many rows; codegen
 * (codegen/compiler/select.py, FAST_DEPTHWISE_MAX_KERNEL_H) chooses them only for filters this tall, and
 * model.c checks that the two agree. */
#define TF_DW_MAX_KERNEL_H 16

/* A compile-time check in C99: a negative array size when cond is false. */
#define TF_STATIC_ASSERT(cond, name) typedef char tf_static_assert_##name[(cond) ? 1 : -1]

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

typedef struct {
    int32_t input_offset;      /* -input zero point */
    int32_t output_offset;     /* output zero point */
    int32_t stride_h, stride_w;
    int32_t dilation_h;        /* the width dilation must be 1: one receptive-field row is one run */
    int32_t pad_h, pad_w;
    int32_t act_min, act_max;
    int32_t max_taps;          /* taps a two-lane sum takes before it is split (see packed_conv_s8.c) */
} tf_packed_params;

/* CONV_2D, int8 activations, int8 per-channel (or per-tensor) weights, int32 bias (may be NULL). */
void conv2d_s8(const tf_conv_params *params, const tf_requant *requant,
               const tf_dims *input_dims, const int8_t *input,
               const tf_dims *filter_dims, const int8_t *filter,
               const int32_t *bias,
               const tf_dims *output_dims, int8_t *output);

/* CONV_2D, int16 activations (16x8): int64 bias (an int32 bias is widened by codegen), 64-bit accumulator. */
void conv2d_s16(const tf_conv_params *params, const tf_requant *requant,
                const tf_dims *input_dims, const int16_t *input,
                const tf_dims *filter_dims, const int8_t *filter,
                const int64_t *bias,
                const tf_dims *output_dims, int16_t *output);

/* DEPTHWISE_CONV_2D; filter_dims is 1 x KH x KW x (input C * depth_multiplier). */
/* TRANSPOSE_CONV: conv2d's parameters (stride, TFLite's top/left padding, offsets, clamp); the filter is
 * [out_c, k_h, k_w, in_c] and the output's size comes from the model's output-shape tensor. */
void transpose_conv_s8(const tf_conv_params *params, const tf_requant *requant,
                       const tf_dims *input_dims, const int8_t *input,
                       const tf_dims *filter_dims, const int8_t *filter,
                       const int32_t *bias,
                       const tf_dims *output_dims, int8_t *output);
void transpose_conv_s16(const tf_conv_params *params, const tf_requant *requant,
                        const tf_dims *input_dims, const int16_t *input,
                        const tf_dims *filter_dims, const int8_t *filter,
                        const int64_t *bias,
                        const tf_dims *output_dims, int16_t *output);

void depthwise_conv2d_s16(const tf_conv_params *params, const tf_requant *requant,
                          const tf_dims *input_dims, const int16_t *input,
                          const tf_dims *filter_dims, const int8_t *filter,
                          const int64_t *bias,
                          const tf_dims *output_dims, int16_t *output);
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

/* One output channel's bias and requantization, for the tuned convolution
 * kernels. codegen selects those kernels only when every channel meets
 * tf_mbqm_fast_halves's conditions (multiplier >= 0, right shift 1..31, sums
 * below 2^30), so they need no fallback. */
typedef struct {
    int32_t bias;            /* the layer's bias, plus any constant term the kernel leaves out of its sums */
    int32_t multiplier;      /* QuantizeMultiplier's significand */
    int32_t shift_less_one;  /* the right shift (-QuantizeMultiplier's shift) minus one: tf_mbqm_fast_halves */
} tf_channel_requant;

/* DEPTHWISE_CONV_2D with depth multiplier 1, dilation 1 and a multiple of 4
 * channels, four channels per word (DSP pairs on cores that have them); the
 * results of depthwise_conv2d_s8. The receptive field is read from a ring of
 * k_h zero-point-padded input rows, k_h * ((out_w - 1) * stride_w + k_w) * C
 * bytes, so channels[].bias includes input_offset * sum(weights). Output may
 * be input itself when the stride is 1 and the shapes are equal (in-place). */
void depthwise_conv2d_fast_s8(const tf_conv_params *params, const tf_channel_requant *channels,
                              const tf_dims *input_dims, const int8_t *input,
                              const tf_dims *filter_dims, const int8_t *filter,
                              const tf_dims *output_dims, int8_t *output, int8_t *ring);

/* DEPTHWISE_CONV_2D with a 3x3 filter, depth multiplier 1, dilation 1 and a
 * multiple of 4 channels, on cores with the DSP extension (plain C
 * elsewhere): depthwise_conv2d_fast_s8's ring and channel table, and a filter
 * of int16 pairs, 18 words per group of four channels (see
 * depthwise_conv2d_3x3_s8.c). */
void depthwise_conv2d_3x3_s8(const tf_conv_params *params, const tf_channel_requant *channels,
                             const tf_dims *input_dims, const int8_t *input, const tf_dims *filter_dims,
                             const int32_t *filter, const tf_dims *output_dims, int8_t *output, int8_t *ring);

typedef struct {
    int32_t pixels;            /* batches * height * width */
    int32_t in_c, out_c;
    int32_t output_offset;
    int32_t act_min, act_max;
    /* 1 when some channel's real multiplier is 1/2 or more (a right shift below 1, or a left shift):
     * channels[].shift_less_one is then -1 or less and the output stage is TFLite's whole
     * MultiplyByQuantizedMultiplier (tf_mbqm) instead of tf_mbqm_fast_halves. */
    int32_t general_requant;
} tf_pointwise_params;

/* CONV_2D, or DEPTHWISE_CONV_2D over one input channel, on cores with the DSP
 * extension (plain C elsewhere): taps in SMLAD pairs (see conv2d_tap_pairs_s8.c).
 * k_w * in_c must be a multiple of 4 and the receptive field at most
 * TF_TAP_PAIRS_MAX_TAPS bytes (a stack patch for border pixels); no width
 * dilation. The filter has pointwise_conv_s8's layout over the taps in
 * (ky, kx, ic) order; channels[].bias includes input_offset * sum(weights). */
#define TF_TAP_PAIRS_MAX_TAPS 576
void conv2d_tap_pairs_s8(const tf_conv_params *params, const tf_channel_requant *channels,
                         const tf_dims *input_dims, const int8_t *input, const tf_dims *filter_dims,
                         const int8_t *filter, const tf_dims *output_dims, int8_t *output);

/* conv2d_tap_pairs_s8 for cores with SMLAL but not SMLAD (the Cortex-M3): two output pixels per multiply,
 * in the 64-bit sum's two lanes. Only for layers where 128 * sum |w| < 2^22 for every channel (codegen
 * checks); same arguments, filter layout and results. Defined for cores without the DSP extension and
 * ARMv6-M's limits (and on the host), the only ones codegen chooses it for. */
void conv2d_tap_pairs_two_pixels_s8(const tf_conv_params *params, const tf_channel_requant *channels,
                                    const tf_dims *input_dims, const int8_t *input, const tf_dims *filter_dims,
                                    const int8_t *filter, const tf_dims *output_dims, int8_t *output);

/* CONV_2D with a 1x1 filter and stride 1 (padding is then irrelevant), at most 256 input
 * channels, two pixels at a time (see pointwise_conv_s8.c). The filter holds groups of four
 * output channels by quads of four input channels, 16 bytes each (codegen/compiler/layouts/pointwise.py);
 * channels[].bias includes input_offset * sum(weights). scratch holds in_c words, in_c rounded
 * up to a multiple of 4; output may be input itself when out_c <= in_c (in-place). */
void pointwise_conv_s8(const tf_pointwise_params *params, const tf_channel_requant *channels,
                       const int8_t *filter, const int8_t *input, int8_t *output, int32_t *scratch);

/* FULLY_CONNECTED blocked over four output rows (SMLAD pairs on cores with
 * the DSP extension); same arguments and results as fully_connected_s8 for a
 * filter offset of 0, the only case codegen sends it. */
void fully_connected_fast_s8(const tf_fc_params *params, const tf_requant *requant,
                             int32_t batches, int32_t input_depth, const int8_t *input,
                             int32_t output_depth, const int8_t *filter,
                             const int32_t *bias, int8_t *output);

/* CONV_2D (one group, width dilation 1) or DEPTHWISE_CONV_2D with one input
 * channel, with two output channels' weights packed per int32 word by codegen
 * (codegen/compiler/layouts/packed.py); the filter is k_h x k_w x input C per channel.
 * With a channels table (layers whose requantization tf_mbqm_fast_halves can do),
 * requant and bias are not read; otherwise channels is NULL. */
void packed_conv_s8(const tf_packed_params *params, const tf_requant *requant,
                    const tf_dims *input_dims, const int8_t *input,
                    int32_t k_h, int32_t k_w, const int32_t *packed_filter,
                    const int32_t *bias, const tf_channel_requant *channels,
                    const tf_dims *output_dims, int8_t *output);

/* SOFTMAX over the last dimension of a [rows][depth] tensor; the output is
 * int8 with scale 1/256 and zero point -128, as TFLite requires. */
void softmax_s8(const tf_softmax_params *params, int32_t rows, int32_t depth,
                const int8_t *input, int8_t *output);
/* int8 input, int16 output at zero point -32768, scale 1/65536 (the int8 SOFTMAX with an int16 output that
 * TFLite's converter writes, e.g. TFLM's keyword_scrambled). */
void softmax_s8_s16(const tf_softmax_params *params, int32_t rows, int32_t depth, const int8_t *input,
                    int16_t *output);

/* Elementwise int8 operator as a table: output[i] = table[input[i] + 128].
 * codegen fills the table with TFLite's result for every input byte. */
void lookup_s8(const int8_t table[256], int32_t count, const int8_t *input, int8_t *output);

/* LOGISTIC and TANH, int16 in and out (16x8): output[i] from input[i] rescaled by
 * (x * multiplier + round) >> shift and interpolated in TFLite's 256-entry sigmoid
 * table (codegen passes both). Output steps are 1/32768. */
void logistic_s16(const uint16_t table[256], int32_t multiplier, int32_t shift, int32_t count,
                  const int16_t *input, int16_t *output);
void tanh_s16(const uint16_t table[256], int32_t multiplier, int32_t shift, int32_t count,
              const int16_t *input, int16_t *output);

/* UNIDIRECTIONAL_SEQUENCE_LSTM gate order, as TFLite numbers its weight tensors. */
enum { TF_LSTM_INPUT = 0, TF_LSTM_FORGET = 1, TF_LSTM_CELL = 2, TF_LSTM_OUTPUT = 3 };

typedef struct {
    const int8_t *input_weights;       /* [n_cell][n_input] */
    const int8_t *recurrent_weights;   /* [n_cell][n_output] */
    const int32_t *input_bias;         /* gate bias - input zero point * row sums */
    const int32_t *recurrent_bias;     /* - output state zero point * row sums (in flash, or computed into
                                        * RAM by unidirectional_sequence_lstm_recurrent_bias_s8) */
    int32_t input_multiplier, input_shift;          /* input * weight scale -> Q3.12 */
    int32_t recurrent_multiplier, recurrent_shift;  /* output state * weight scale -> Q3.12 */
} tf_lstm_gate;

typedef struct {
    tf_lstm_gate gates[4];             /* gates[TF_LSTM_INPUT] unused when use_cifg */
    int32_t use_cifg;
    int32_t n_batch, n_time, n_input, n_cell, n_output, time_major;
    int32_t cell_scale_log2;           /* cell state scale is 2^cell_scale_log2 */
    int32_t cell_clip;                 /* 0: no clipping */
    int32_t hidden_multiplier, hidden_shift, hidden_zero_point;  /* Q0.30 product -> int8 output */
    /* exp's Taylor part on [-1/4, 0) for every fraction below a quarter, as codegen computes it
     * (fixedpoint_s16.h tf_exp_negative16): Q3.12 gates through logistic (2^10 entries), through tanh
     * (exp of Q4.11, 2^9 entries), and tanh of the cell state. NULL: computed for each value instead (the
     * weight budget left the tables out, or TFLite computes no tanh of the cell state). */
    const int16_t *exp_q3, *exp_q4, *exp_cell;
} tf_lstm_params;

/* UNIDIRECTIONAL_SEQUENCE_LSTM, TFLite's integer LSTM (int8 weights, int16 cell
 * state). output_state (int8, n_batch x n_output) and cell_state (int16,
 * n_batch x n_cell) persist between calls; scratch holds 4 x n_batch x n_cell int16. */
void unidirectional_sequence_lstm_s8(const tf_lstm_params *params, const int8_t *input,
                                     int8_t *output_state, int16_t *cell_state,
                                     int16_t *scratch, int8_t *output);

/* A gate's recurrent bias, - state_zero_point * (row sums of recurrent_weights [n_cell][n_output]), as
 * TFLite's PrecomputeZeroPointTimesWeightWithBias computes it when it prepares the model. The generated
 * model_reset() calls it when the weight budget keeps these biases out of flash and in RAM. */
void unidirectional_sequence_lstm_recurrent_bias_s8(const int8_t *recurrent_weights, int32_t n_cell,
                                                    int32_t n_output, int32_t state_zero_point, int32_t *bias);

/* The same LSTM with two time steps' input products computed at once (cores with the DSP extension; one
 * sequence per step: batch-major, or time-major with n_batch 1). scratch holds 8 x n_cell int16, then
 * the larger of 8 x (n_input / 4) int16 of widened inputs and 4 x (n_output / 4) of widened state, and 2
 * int16 to align them. */
void unidirectional_sequence_lstm_paired_s8(const tf_lstm_params *params, const int8_t *input,
                                            int8_t *output_state, int16_t *cell_state,
                                            int16_t *scratch, int8_t *output);

/* UNIDIRECTIONAL_SEQUENCE_LSTM, float32: per gate its weights ([n_cell][n_input], [n_cell][n_output]) and
 * bias; the input gate's are NULL with CIFG. activation is the cell gate's and the output's. */
enum { TF_LSTM_F32_TANH = 0, TF_LSTM_F32_SIGMOID = 1, TF_LSTM_F32_RELU = 2, TF_LSTM_F32_RELU6 = 3 };

typedef struct {
    const float *input_weights, *recurrent_weights, *bias;
} tf_lstm_f32_gate;

typedef struct {
    tf_lstm_f32_gate gates[4];
    int32_t use_cifg, n_batch, n_time, n_input, n_cell, n_output, time_major, activation;
    float cell_clip;
} tf_lstm_f32_params;

/* scratch: 5 x n_cell floats per batch row of one step (n_batch rows when time-major, else 1). */
void unidirectional_sequence_lstm_f32(const tf_lstm_f32_params *params, const float *input, float *output_state,
                                      float *cell_state, float *scratch, float *output);

/* ---- elementwise, pooling, reduction and data-movement operators ---- */

/* Shapes are padded to TF_MAX_DIMS with leading ones by codegen (TFLite's
 * broadcast kernels go up to 6-D). */
#define TF_MAX_DIMS 6

/* Output shape and, per output dimension, how many elements one step moves
 * in each input: the input's stride, or 0 where that input is broadcast. */
typedef struct {
    int32_t shape[TF_MAX_DIMS];
    int32_t step1[TF_MAX_DIMS];
    int32_t step2[TF_MAX_DIMS];
} tf_broadcast;

/* ADD (and SUB, whose input2_multiplier codegen negates, as TFLite's sub.cc
 * does): the general 8-bit path of reference_integer_ops::Add. */
typedef struct {
    int32_t input1_offset, input2_offset;  /* -input zero points */
    int32_t output_offset;                 /* output zero point */
    int32_t left_shift;                    /* 20 for 8-bit inputs, 15 for 16-bit */
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} tf_add_params;

typedef struct {
    int32_t input1_offset, input2_offset;  /* -input zero points */
    int32_t output_offset;
    int32_t output_multiplier, output_shift;  /* input1_scale * input2_scale / output_scale */
    int32_t act_min, act_max;
} tf_mul_params;

typedef struct {
    int32_t stride_h, stride_w;
    int32_t filter_h, filter_w;
    int32_t pad_h, pad_w;      /* top / left, as TFLite's ComputePaddingHeightWidth */
    int32_t act_min, act_max;
} tf_pool_params;

/* AVERAGE_POOL_2D / MAX_POOL_2D with int16 activations (16x8); tf_pool_params with int16 clamps. */
void average_pool2d_s16(const tf_pool_params *params, const tf_dims *input_dims, const int16_t *input,
                        const tf_dims *output_dims, int16_t *output);
void max_pool2d_s16(const tf_pool_params *params, const tf_dims *input_dims, const int16_t *input,
                    const tf_dims *output_dims, int16_t *output);

typedef struct {
    int32_t input_shape[TF_MAX_DIMS];
    int32_t output_shape[TF_MAX_DIMS];
    int32_t before[TF_MAX_DIMS];   /* padding before each dimension */
    int32_t pad_value;             /* int8 and int16 */
    float pad_value_f32;           /* float32 */
} tf_pad_params;

/* A strided walk over the input: output element (i0..i5) is
 * input[start + sum(i_k * step[k])]. */
typedef struct {
    int32_t shape[TF_MAX_DIMS];   /* output shape */
    int32_t step[TF_MAX_DIMS];    /* input elements per output step */
    int32_t start;
} tf_gather_params;

typedef struct {
    int32_t kept_shape[TF_MAX_DIMS];     /* the output, padded */
    int32_t kept_step[TF_MAX_DIMS];      /* input elements per output step */
    int32_t reduced_shape[TF_MAX_DIMS];  /* the reduced axes, padded */
    int32_t reduced_step[TF_MAX_DIMS];
    int32_t count;                       /* elements per mean: product of reduced_shape */
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift;           /* input_scale / (output_scale * count) */
} tf_mean_params;

/* RELU family, 16x8: a rescale (input scale / output scale) and the activation's int16 clamp. */
typedef struct {
    int32_t multiplier, shift;
    int32_t act_min, act_max;
} tf_relu_s16_params;

void relu_s16(const tf_relu_s16_params *params, int32_t count, const int16_t *input, int16_t *output);

void mean_s16(const tf_mean_params *params, const int16_t *input, int16_t *output);

void add_s8(const tf_add_params *params, const tf_broadcast *shape,
            const int8_t *input1, const int8_t *input2, int8_t *output);

/* ADD (and SUB) of int8 tensors of one shape: each input byte's rescaled value looked up (tables of 256,
 * by value + 128, computed by codegen as add_s8 computes them), the sum requantized with
 * tf_mbqm_fast_halves (see add_elementwise_s8.c). Output may be input1 itself. */
typedef struct {
    const int32_t *table1, *table2;
    int32_t output_multiplier, output_shift_less_one;
    int32_t output_offset;
    int32_t act_min, act_max;
} tf_add_elementwise_params;
void add_elementwise_s8(const tf_add_elementwise_params *params, int32_t count, const int8_t *input1,
                        const int8_t *input2, int8_t *output);
/* SQUARED_DIFFERENCE, int8: (input1 - input2)^2, each rescaled as ADD's inputs are (left shift 7). */
void squared_difference_s8(const tf_add_params *params, const tf_broadcast *shape,
                           const int8_t *input1, const int8_t *input2, int8_t *output);
/* PRELU, int8: x >= 0 rescaled by multiplier_1, x * alpha by multiplier_2 (offsets applied first). */
typedef struct {
    int32_t input_offset, alpha_offset, output_offset;
    int32_t multiplier_1, shift_1;
    int32_t multiplier_2, shift_2;
} tf_prelu_params;
void prelu_s8(const tf_prelu_params *params, const tf_broadcast *shape, const int8_t *input,
              const int8_t *alpha, int8_t *output);
void add_s16(const tf_add_params *params, const tf_broadcast *shape,
             const int16_t *input1, const int16_t *input2, int16_t *output);
void mul_s8(const tf_mul_params *params, const tf_broadcast *shape,
            const int8_t *input1, const int8_t *input2, int8_t *output);
void mul_s16(const tf_mul_params *params, const tf_broadcast *shape,
             const int16_t *input1, const int16_t *input2, int16_t *output);
/* RESIZE_NEAREST_NEIGHBOR: NHWC; rows[y] / columns[x] are the input row / column that output row y / column x
 * copies (TFLite's GetNearestNeighbor, computed by codegen); pixel_bytes = channels * element size. */
typedef struct {
    int32_t batches, input_height, input_width, output_height, output_width, pixel_bytes;
    const int16_t *rows;
    const int16_t *columns;
} tf_resize_nearest_params;

void resize_nearest_neighbor(const tf_resize_nearest_params *params, const int8_t *input, int8_t *output);

/* RESIZE_BILINEAR: per output row (and column) three int16 values: the two input rows (columns) blended
 * and the weight of the second in 1/1024ths. */
typedef struct {
    int32_t batches, input_height, input_width, output_height, output_width, channels;
    const int16_t *rows;
    const int16_t *columns;
} tf_resize_bilinear_params;

void resize_bilinear_s8(const tf_resize_bilinear_params *params, const int8_t *input, int8_t *output);
void resize_bilinear_s16(const tf_resize_bilinear_params *params, const int16_t *input, int16_t *output);

/* float32 layers: TFLite's float reference loops, in its order of operations (built with -ffp-contract=off).
 * act_min / act_max are the fused activation's range (-FLT_MAX / FLT_MAX without one). */
typedef struct {
    float act_min, act_max;
} tf_float_range;

typedef struct {
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_h, pad_w;      /* top / left padding, computed as TFLite does */
    int32_t depth_multiplier;  /* DEPTHWISE_CONV_2D only; 1 otherwise */
    tf_float_range range;
} tf_conv_f32_params;

typedef struct {
    int32_t stride_h, stride_w;
    int32_t filter_h, filter_w;
    int32_t pad_h, pad_w;
    tf_float_range range;
} tf_pool_f32_params;

void conv2d_f32(const tf_conv_f32_params *params, const tf_dims *input_dims, const float *input,
                const tf_dims *filter_dims, const float *filter, const float *bias,
                const tf_dims *output_dims, float *output);
void depthwise_conv2d_f32(const tf_conv_f32_params *params, const tf_dims *input_dims, const float *input,
                          const tf_dims *filter_dims, const float *filter, const float *bias,
                          const tf_dims *output_dims, float *output);
void fully_connected_f32(const tf_float_range *range, int32_t batches, int32_t input_depth, const float *input,
                         int32_t output_depth, const float *weights, const float *bias, float *output);
void average_pool2d_f32(const tf_pool_f32_params *params, const tf_dims *input_dims, const float *input,
                        const tf_dims *output_dims, float *output);
void max_pool2d_f32(const tf_pool_f32_params *params, const tf_dims *input_dims, const float *input,
                    const tf_dims *output_dims, float *output);
void add_f32(const tf_float_range *range, const tf_broadcast *shape, const float *input1, const float *input2,
             float *output);
void sub_f32(const tf_float_range *range, const tf_broadcast *shape, const float *input1, const float *input2,
             float *output);
void mul_f32(const tf_float_range *range, const tf_broadcast *shape, const float *input1, const float *input2,
             float *output);
void div_f32(const tf_float_range *range, const tf_broadcast *shape, const float *input1, const float *input2,
             float *output);
void clamp_f32(const tf_float_range *range, int32_t count, const float *input, float *output);
void softmax_f32(int32_t rows, int32_t depth, float beta, const float *input, float *output);
void logistic_f32(int32_t count, const float *input, float *output);
void tanh_f32(int32_t count, const float *input, float *output);

/* ARG_MAX / ARG_MIN: the input as [outer][axis_size][inner]; indices written as int32 or int64 (index_bytes). */
typedef struct {
    int32_t outer, axis_size, inner, index_bytes;
} tf_arg_params;

void arg_max_s8(const tf_arg_params *params, const int8_t *input, void *output);
void arg_min_s8(const tf_arg_params *params, const int8_t *input, void *output);
void arg_max_f32(const tf_arg_params *params, const float *input, void *output);
void arg_min_f32(const tf_arg_params *params, const float *input, void *output);

/* GATHER: params as [outer][axis_size][slice_bytes]; count int32 indices, one slice copied per index. */
typedef struct {
    int32_t outer, axis_size, slice_bytes, count;
} tf_gather_slices_params;

void gather(const tf_gather_slices_params *params, const int8_t *input, const int32_t *indices, int8_t *output);

/* BATCH_MATMUL, int8: three broadcast batch dimensions (step 0 repeats an operand), lhs rows x depth times rhs
 * depth x cols (adj_x / adj_y: stored transposed), offsets applied, rescaled to the output. */
typedef struct {
    int32_t batch[3], lhs_step[3], rhs_step[3];
    int32_t rows, cols, depth, adj_x, adj_y;
    int32_t lhs_offset, rhs_offset, output_offset;
    int32_t multiplier, shift;
} tf_batch_matmul_params;

void batch_matmul_s8(const tf_batch_matmul_params *params, const int8_t *lhs, const int8_t *rhs, int8_t *output);
void batch_matmul_s16(const tf_batch_matmul_params *params, const int16_t *lhs, const int16_t *rhs,
                      int16_t *output);

/* SOFTMAX, 16x8: the input rescale (input scale * beta / (10 / 65535)) and TFLite's two 513-entry tables. */
typedef struct {
    int32_t input_multiplier, input_left_shift;
    const int16_t *exp_lut;
    const int16_t *reciprocal_lut;
} tf_softmax_s16_params;

void softmax_s16(const tf_softmax_s16_params *params, int32_t rows, int32_t depth, const int16_t *input,
                 int16_t *output);

/* EXP, RSQRT, 16x8: TFLite's 513-entry int16 table, interpolated in 512 segments. */
void lookup_s16(const int16_t table[513], int32_t count, const int16_t *input, int16_t *output);

/* ABS, 16x8: |x|, rescaled (input scale / output scale) only when the scales differ. */
typedef struct {
    int32_t rescale, multiplier, shift;
} tf_abs_s16_params;

void abs_s16(const tf_abs_s16_params *params, int32_t count, const int16_t *input, int16_t *output);

/* CAST: count elements from one type to another (TFLite's static_cast; cast.c says how floats leave). */
typedef enum { TF_ELEMENT_INT8, TF_ELEMENT_INT16, TF_ELEMENT_INT32, TF_ELEMENT_FLOAT32 } tf_element_type;

typedef struct {
    int32_t count;
    tf_element_type from, to;
} tf_cast_params;

void cast(const tf_cast_params *params, const void *input, void *output);

/* SPACE_TO_DEPTH and DEPTH_TO_SPACE: NHWC, block b; the input's batches, height and width, and run_bytes,
 * the pixel of the shallower side (its channels times the element size): the input's for SPACE_TO_DEPTH, the
 * output's for DEPTH_TO_SPACE. Bytes are moved, so one kernel serves every element type. */
typedef struct {
    int32_t batches, input_height, input_width, block, run_bytes;
} tf_space_depth_params;

void space_to_depth(const tf_space_depth_params *params, const int8_t *input, int8_t *output);
void depth_to_space(const tf_space_depth_params *params, const int8_t *input, int8_t *output);

/* LEAKY_RELU, int16: the identity and alpha rescales (in_scale / out_scale, in_scale * alpha / out_scale). */
typedef struct {
    int32_t identity_multiplier, identity_shift;
    int32_t alpha_multiplier, alpha_shift;
} tf_leaky_relu_params;

void leaky_relu_s16(const tf_leaky_relu_params *params, int32_t count, const int16_t *input, int16_t *output);

/* MAXIMUM / MINIMUM: the larger / smaller stored value, as TFLite compares them. */
void maximum_s8(const tf_broadcast *shape, const int8_t *input1, const int8_t *input2, int8_t *output);
void minimum_s8(const tf_broadcast *shape, const int8_t *input1, const int8_t *input2, int8_t *output);
void maximum_s16(const tf_broadcast *shape, const int16_t *input1, const int16_t *input2, int16_t *output);
void minimum_s16(const tf_broadcast *shape, const int16_t *input1, const int16_t *input2, int16_t *output);
/* NHWC pooling; input and output share scale and zero point. */
void average_pool2d_s8(const tf_pool_params *params, const tf_dims *input_dims, const int8_t *input,
                       const tf_dims *output_dims, int8_t *output);
void max_pool2d_s8(const tf_pool_params *params, const tf_dims *input_dims, const int8_t *input,
                   const tf_dims *output_dims, int8_t *output);
/* For each of `outer` slices, input k contributes run_bytes[k] bytes. */
void concatenation_s8(int32_t input_count, const int8_t *const *inputs, const int32_t *run_bytes,
                      int32_t outer, int8_t *output);
void pad_s8(const tf_pad_params *params, const int8_t *input, int8_t *output);
void pad_s16(const tf_pad_params *params, const int16_t *input, int16_t *output);
void pad_f32(const tf_pad_params *params, const float *input, float *output);
void mean_s8(const tf_mean_params *params, const int8_t *input, int8_t *output);
/* REDUCE_MAX: the walk of MEAN (count, shapes and steps; the rescaling fields unused). */
void reduce_max_s8(const tf_mean_params *params, const int8_t *input, int8_t *output);
void reduce_max_s16(const tf_mean_params *params, const int16_t *input, int16_t *output);
void strided_slice_s8(const tf_gather_params *params, const int8_t *input, int8_t *output);
void strided_slice_s16(const tf_gather_params *params, const int16_t *input, int16_t *output);
void strided_slice_f32(const tf_gather_params *params, const float *input, float *output);
void transpose_s8(const tf_gather_params *params, const int8_t *input, int8_t *output);
void transpose_s16(const tf_gather_params *params, const int16_t *input, int16_t *output);
void transpose_f32(const tf_gather_params *params, const float *input, float *output);

typedef struct {
    double scale;                      /* quantize_f32: output scale; dequantize_f32: input scale */
    int32_t multiplier, shift;         /* requantize: input scale / output scale */
    int32_t input_zero_point, output_zero_point;
    int32_t input_bits, output_bits;   /* 8, 16 or 32 for the integer side(s) */
    int32_t output_min, output_max;    /* range of the integer output type */
} tf_quantize_params;

/* QUANTIZE float32 -> int8/int16: clamp(round(x / scale) + zero point). */
void quantize_f32(const tf_quantize_params *params, int32_t count, const float *input, void *output);
/* QUANTIZE between int8, int16 and int32: requantize to another scale and zero point (input_bits, output_bits). */
void requantize(const tf_quantize_params *params, int32_t count, const void *input, void *output);
/* DEQUANTIZE int8/int16 -> float32: scale * (q - zero point), computed in double as TFLite does. */
void dequantize_f32(const tf_quantize_params *params, int32_t count, const void *input, float *output);

typedef struct {
    int32_t filter_offset;     /* -weights zero point (0 for TFLite int8 weights) */
    int32_t act_min, act_max;  /* fused activation clamp in the int16 output domain */
} tf_fc_s16_params;

/* FULLY_CONNECTED, 16x8: int16 activations (zero point 0), int8 weights, int64 bias (may be NULL). */
void fully_connected_s16(const tf_fc_s16_params *params, const tf_requant *requant,
                         int32_t batches, int32_t input_depth, const int16_t *input,
                         int32_t output_depth, const int8_t *filter,
                         const int64_t *bias, int16_t *output);

typedef struct {
    const int8_t *weights_feature;     /* [n_filter][n_input] */
    const int16_t *weights_time;       /* [n_filter][n_memory] */
    const int32_t *bias;               /* [n_unit] or NULL */
    int32_t n_batch, n_input, n_filter, n_memory, n_unit, rank;
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier_1, shift_1;     /* input * feature weight scale -> state scale */
    int32_t multiplier_2, shift_2;     /* state * time weight scale -> output scale */
    int32_t act_min, act_max;
} tf_svdf_params;

/* SVDF (integer): state is int16 [n_batch][n_filter][n_memory] and persists between calls. */
void svdf_s8(const tf_svdf_params *params, const int8_t *input, int16_t *state, int8_t *output);

/* SPLIT, SPLIT_V, UNPACK, PACK: copy `rows` runs of `bytes` bytes between strided layouts. */
void strided_copy_s8(int32_t rows, int32_t bytes, const int8_t *src, int32_t src_stride,
                     int8_t *dst, int32_t dst_stride);

#ifdef __cplusplus
}
#endif

#endif /* TINYFORGE_KERNELS_H */
