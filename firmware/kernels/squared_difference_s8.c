/*
 * SQUARED_DIFFERENCE, int8, with broadcasting: the numbers of
 * squared_difference.cc's int8 SquaredDifference. Each input, offset and
 * shifted left by 7, is rescaled to twice the larger input scale; the
 * difference is squared in int32 (at most 32640^2, below 2^31) and rescaled
 * to the output. Every rescale is MultiplyByQuantizedMultiplierSmallerThanOneExp
 * (tf_mbqm with a shift of at most 0). The parameters are ADD's struct.
 */
#include "tinyforge/kernels.h"

#include "broadcast.h"
#include "requantize.h"

void squared_difference_s8(const tf_add_params *params, const tf_broadcast *shape,
                           const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const int32_t total = tf_shape_size(shape->shape);
    tf_odometer at;
    int32_t i;

    tf_odometer_start(&at);
    for (i = 0; i < total; ++i) {
        const int32_t in1 = (params->input1_offset + input1[at.offset[0]]) * ((int32_t)1 << params->left_shift);
        const int32_t in2 = (params->input2_offset + input2[at.offset[1]]) * ((int32_t)1 << params->left_shift);
        const int32_t diff = tf_mbqm(in1, params->input1_multiplier, params->input1_shift) -
                             tf_mbqm(in2, params->input2_multiplier, params->input2_shift);
        const int32_t out = tf_mbqm(diff * diff, params->output_multiplier, params->output_shift);
        output[i] = tf_offset_clamp(out, params->output_offset, params->act_min, params->act_max);
        tf_odometer_next(&at, shape->shape, shape->step1, shape->step2);
    }
}
