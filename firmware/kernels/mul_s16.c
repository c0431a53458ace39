/*
 * MUL, int16 (16x8), with broadcasting: mul_s8's arithmetic, clamped to int16.
 *
 * Its own file, not beside the int8 kernel: a second caller of the static inline requantization in the same
 * translation unit changed GCC's inlining in the int8 kernel (ResNet-8's ADD layers ran 1.4 % more
 * instructions on the M33).
 */
#include "tinyforge/kernels.h"

#include "broadcast.h"
#include "requantize.h"

void mul_s16(const tf_mul_params *params, const tf_broadcast *shape,
             const int16_t *input1, const int16_t *input2, int16_t *output)
{
    const int32_t total = tf_shape_size(shape->shape);
    tf_odometer at;
    int32_t i;

    tf_odometer_start(&at);
    for (i = 0; i < total; ++i) {
        const int32_t in1 = params->input1_offset + input1[at.offset[0]];
        const int32_t in2 = params->input2_offset + input2[at.offset[1]];
        int32_t product = tf_mbqm(in1 * in2, params->output_multiplier, params->output_shift)
                          + params->output_offset;
        product = product < params->act_min ? params->act_min : (product > params->act_max ? params->act_max : product);
        output[i] = (int16_t)product;
        tf_odometer_next(&at, shape->shape, shape->step1, shape->step2);
    }
}
