/*
 * MEAN, int8, over any set of axes.
 *
 * Mirrors the integer tflite::reference_ops::QuantizedMeanOrSum that TF 2.21
 * runs for int8 MEAN (reduce.cc): the raw int8 values are summed per output,
 * the input zero point times the count is taken off, and the division by the
 * count is folded into the output multiplier (codegen: quant.mean_multiplier),
 * applied with MultiplyByQuantizedMultiplier, then the output zero point and
 * the int8 clamp.
 *
 * Outputs are visited in order; the reduced elements of each are summed by a
 * second walk with the reduced axes' counts and input steps.
 */
#include "tinyforge/kernels.h"

#include "broadcast.h"
#include "requantize.h"

void mean_s8(const tf_mean_params *params, const int8_t *input, int8_t *output)
{
    const int32_t outputs = tf_shape_size(params->kept_shape);
    tf_odometer out_at;
    int32_t o, r;

    tf_odometer_start(&out_at);
    for (o = 0; o < outputs; ++o) {
        tf_odometer in_at;
        int32_t sum = 0;
        tf_odometer_start(&in_at);
        for (r = 0; r < params->count; ++r) {
            sum += input[out_at.offset[0] + in_at.offset[0]];
            tf_odometer_next(&in_at, params->reduced_shape, params->reduced_step, 0);
        }
        sum = tf_mbqm(sum - params->input_zero_point * params->count, params->multiplier, params->shift);
        output[o] = tf_offset_clamp(sum, params->output_zero_point, -128, 127);
        tf_odometer_next(&out_at, params->kept_shape, params->kept_step, 0);
    }
}
