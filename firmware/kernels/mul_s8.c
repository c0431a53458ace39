/*
 * MUL, int8, with broadcasting up to TF_MAX_DIMS dimensions (int16: mul_s16.c).
 *
 * Mirrors tflite::reference_integer_ops::MulElementwise and
 * BroadcastMul6DSlow (internal/reference/integer_ops/mul.h): the product of
 * the offset inputs, rescaled by input1_scale * input2_scale / output_scale
 * with MultiplyByQuantizedMultiplier.
 */
#include "tinyforge/kernels.h"

#include "broadcast.h"
#include "requantize.h"

void mul_s8(const tf_mul_params *params, const tf_broadcast *shape,
            const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const int32_t total = tf_shape_size(shape->shape);
    tf_odometer at;
    int32_t i;

    tf_odometer_start(&at);
    for (i = 0; i < total; ++i) {
        const int32_t in1 = params->input1_offset + input1[at.offset[0]];
        const int32_t in2 = params->input2_offset + input2[at.offset[1]];
        const int32_t product = tf_mbqm(in1 * in2, params->output_multiplier, params->output_shift);
        output[i] = tf_offset_clamp(product, params->output_offset, params->act_min, params->act_max);
        tf_odometer_next(&at, shape->shape, shape->step1, shape->step2);
    }
}
