/*
 * FULLY_CONNECTED, int8 activations and weights, int32 bias.
 *
 * Mirrors tflite::reference_integer_ops::FullyConnected and, when
 * requant->per_channel is set, FullyConnectedPerChannel
 * (tensorflow/lite/kernels/internal/reference/integer_ops/fully_connected.h).
 * Unlike the conv kernels, TFLite adds a filter offset here; it is 0 for
 * int8 weights (symmetric) but kept so the arithmetic stays identical.
 *
 * Requantization is the single-rounding MultiplyByQuantizedMultiplier, not
 * the double-rounding one the conv kernels use: that is what the TF 2.21
 * BUILTIN_REF interpreter's int8 FULLY_CONNECTED was measured to do (the
 * double-rounding form got 2 to 4 outputs in 1000 wrong in
 * tests/test_kernels.py).
 */
#include "tinyforge/kernels.h"

#include "requantize.h"

void fully_connected_s8(const tf_fc_params *params, const tf_requant *requant,
                        int32_t batches, int32_t input_depth, const int8_t *input,
                        int32_t output_depth, const int8_t *filter,
                        const int32_t *bias, int8_t *output)
{
    int32_t b, o, i;

    for (b = 0; b < batches; ++b) {
        const int8_t *in_row = input + b * input_depth;
        for (o = 0; o < output_depth; ++o) {
            const int8_t *w_row = filter + o * input_depth;
            const int32_t q = requant->per_channel ? o : 0;
            int32_t acc = 0;
            for (i = 0; i < input_depth; ++i) {
                acc += ((int32_t)w_row[i] + params->filter_offset) *
                       ((int32_t)in_row[i] + params->input_offset);
            }
            if (bias != 0) {
                acc += bias[o];
            }
            /* Single rounding: see tf_mbqm_single for why FC differs from conv. */
            acc = tf_mbqm_single(acc, requant->multiplier[q], requant->shift[q]);
            output[b * output_depth + o] = tf_offset_clamp(acc, params->output_offset,
                                                           params->act_min, params->act_max);
        }
    }
}
