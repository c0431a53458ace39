/*
 * ADD (and SUB), int8, with broadcasting up to TF_MAX_DIMS dimensions (int16: add_s16.c).
 *
 * Mirrors tflite::reference_integer_ops::AddElementwise and
 * BroadcastAdd6DSlow (internal/reference/integer_ops/add.h), which
 * BUILTIN_REF runs for int8 ADD, and for int8 SUB too: sub.cc negates
 * input 2's multiplier in Prepare and calls the add kernels ("We are using
 * the add kernels"), so codegen does the same and SUB needs no kernel of
 * its own. Both inputs are shifted left by left_shift (20 for 8-bit, 15 for
 * 16-bit, in add_s16.c), each rescaled to twice the larger input scale, summed, and
 * rescaled to the output, every step with
 * MultiplyByQuantizedMultiplierSmallerThanOneExp. int16 takes this general
 * path when the operator's pot_scale_int16 is false or a scale is not a power
 * of two (add.cc, sub.cc); codegen refuses the power-of-two path.
 */
#include "tinyforge/kernels.h"

#include "broadcast.h"
#include "requantize.h"

void add_s8(const tf_add_params *params, const tf_broadcast *shape,
            const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const int32_t total = tf_shape_size(shape->shape);
    tf_odometer at;
    int32_t i;

    tf_odometer_start(&at);
    for (i = 0; i < total; ++i) {
        const int32_t in1 = params->input1_offset + input1[at.offset[0]];
        const int32_t in2 = params->input2_offset + input2[at.offset[1]];
        /* in * 2^20 fits: |in| <= 255 */
        const int32_t scaled1 = tf_mbqm(in1 * ((int32_t)1 << params->left_shift),
                                        params->input1_multiplier, params->input1_shift);
        const int32_t scaled2 = tf_mbqm(in2 * ((int32_t)1 << params->left_shift),
                                        params->input2_multiplier, params->input2_shift);
        const int32_t sum = tf_mbqm(scaled1 + scaled2, params->output_multiplier,
                                    params->output_shift);
        output[i] = tf_offset_clamp(sum, params->output_offset, params->act_min, params->act_max);
        tf_odometer_next(&at, shape->shape, shape->step1, shape->step2);
    }
}
