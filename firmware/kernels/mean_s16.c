/*
 * MEAN, int16 (16x8, zero points 0), over any set of axes: mean_s8.c's walk
 * and arithmetic (TFLite's QuantizedMeanOrSum: the int32 sum, the division by
 * the count folded into the multiplier) with the int16 clamp. codegen keeps
 * the count below 2^16 so the sum fits int32.
 */
#include "tinyforge/kernels.h"

#include "broadcast.h"
#include "requantize.h"

void mean_s16(const tf_mean_params *params, const int16_t *input, int16_t *output)
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
        sum = tf_mbqm(sum - params->input_zero_point * params->count, params->multiplier, params->shift) +
              params->output_zero_point;
        output[o] = (int16_t)(sum < -32768 ? -32768 : (sum > 32767 ? 32767 : sum));
        tf_odometer_next(&out_at, params->kept_shape, params->kept_step, 0);
    }
}
