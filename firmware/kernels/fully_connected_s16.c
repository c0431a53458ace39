/*
 * FULLY_CONNECTED with int16 activations and int8 weights (TFLite's 16x8
 * quantization), int64 or no bias.
 *
 * Mirrors tflite::reference_integer_ops::FullyConnected for int16_t
 * (internal/reference/integer_ops/fully_connected.h): the int16 zero points
 * are 0 (symmetric), the accumulator is 64-bit, and requantization is the
 * single-rounding MultiplyByQuantizedMultiplier applied to the 64-bit
 * accumulator: round(acc * multiplier / 2^(31 - shift)), ties toward
 * +infinity. That is what the TF 2.21 interpreter was measured to do (the
 * int64 overload in internal/common.cc, which first rounds the multiplier
 * to 16 bits, got one output in thirty wrong when this was written;
 * tests/test_typed_io_and_stateful_ops.py checks the 16x8 models).
 */
#include "tinyforge/kernels.h"

#include "requantize_s64.h"

void fully_connected_s16(const tf_fc_s16_params *params, const tf_requant *requant,
                         int32_t batches, int32_t input_depth, const int16_t *input,
                         int32_t output_depth, const int8_t *filter,
                         const int64_t *bias, int16_t *output)
{
    int32_t b, o, i;

    for (b = 0; b < batches; ++b) {
        const int16_t *in_row = input + b * input_depth;
        for (o = 0; o < output_depth; ++o) {
            const int8_t *w_row = filter + o * input_depth;
            const int32_t q = requant->per_channel ? o : 0;
            int64_t acc = 0;
            int32_t out;
            for (i = 0; i < input_depth; ++i) {
                acc += (int64_t)((int32_t)w_row[i] + params->filter_offset) * in_row[i];
            }
            if (bias != 0) {
                acc += bias[o];
            }
            out = tf_mbqm64(acc, requant->multiplier[q], requant->shift[q]);
            out = out < params->act_min ? params->act_min : (out > params->act_max ? params->act_max : out);
            output[b * output_depth + o] = (int16_t)out;
        }
    }
}
