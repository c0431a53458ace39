/*
 * ADD (and SUB), int16 (16x8), with broadcasting: add_s8's arithmetic with left_shift 15, clamped to int16.
 *
 * Its own file, not beside the int8 kernel: a second caller of the static inline requantization in the same
 * translation unit changed GCC's inlining in the int8 kernel (ResNet-8's ADD layers ran 1.4 % more
 * instructions on the M33).
 */
#include "tinyforge/kernels.h"

#include "broadcast.h"
#include "requantize.h"

void add_s16(const tf_add_params *params, const tf_broadcast *shape,
             const int16_t *input1, const int16_t *input2, int16_t *output)
{
    const int32_t total = tf_shape_size(shape->shape);
    tf_odometer at;
    int32_t i;

    tf_odometer_start(&at);
    for (i = 0; i < total; ++i) {
        const int32_t in1 = params->input1_offset + input1[at.offset[0]];
        const int32_t in2 = params->input2_offset + input2[at.offset[1]];
        /* in * 2^15 fits: |in| <= 32768 */
        const int32_t scaled1 = tf_mbqm(in1 * ((int32_t)1 << params->left_shift),
                                        params->input1_multiplier, params->input1_shift);
        const int32_t scaled2 = tf_mbqm(in2 * ((int32_t)1 << params->left_shift),
                                        params->input2_multiplier, params->input2_shift);
        int32_t sum = tf_mbqm(scaled1 + scaled2, params->output_multiplier, params->output_shift)
                      + params->output_offset;
        sum = sum < params->act_min ? params->act_min : (sum > params->act_max ? params->act_max : sum);
        output[i] = (int16_t)sum;
        tf_odometer_next(&at, shape->shape, shape->step1, shape->step2);
    }
}
