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

/* -O3 inlines the three requantizations (at -Os each was a call) */
#if defined(__GNUC__) && !defined(__clang__)   /* clang has no per-file optimize pragma */
#pragma GCC optimize("O3")
#endif

void add_s8(const tf_add_params *params, const tf_broadcast *shape,
            const int8_t *input1, const int8_t *input2, int8_t *output)
{
    /* The innermost dimension as a run of constant steps, the odometer once per run: per element it cost more
     * than the arithmetic (ResNet-8's last ADD took 124 instructions an element). */
    const int32_t total = tf_shape_size(shape->shape);
    const int32_t run = shape->shape[TF_MAX_DIMS - 1];
    const int32_t step1 = shape->step1[TF_MAX_DIMS - 1], step2 = shape->step2[TF_MAX_DIMS - 1];
    const int32_t offset1 = params->input1_offset, offset2 = params->input2_offset;
    const int32_t left_shift = params->left_shift;
    /* locals: a store through int8_t * may alias the parameters, which GCC would then load for every element */
    const int32_t multiplier1 = params->input1_multiplier, shift1 = params->input1_shift;
    const int32_t multiplier2 = params->input2_multiplier, shift2 = params->input2_shift;
    const int32_t out_multiplier = params->output_multiplier, out_shift = params->output_shift;
    const int32_t out_offset = params->output_offset, act_min = params->act_min, act_max = params->act_max;
    tf_odometer at;
    int32_t i, j;

    if (run <= 0) {
        return;
    }
    tf_odometer_start(&at);
    for (i = 0; i < total; i += run) {
        const int8_t *x1 = input1 + at.offset[0];
        const int8_t *x2 = input2 + at.offset[1];
        for (j = 0; j < run; ++j, x1 += step1, x2 += step2) {
            /* in * 2^20 fits: |in| <= 255 */
            const int32_t scaled1 = tf_mbqm((offset1 + *x1) * ((int32_t)1 << left_shift), multiplier1, shift1);
            const int32_t scaled2 = tf_mbqm((offset2 + *x2) * ((int32_t)1 << left_shift), multiplier2, shift2);
            const int32_t sum = tf_mbqm(scaled1 + scaled2, out_multiplier, out_shift);
            output[i + j] = tf_offset_clamp(sum, out_offset, act_min, act_max);
        }
        /* on to the next run: the odometer from the run's last element, whose step wraps the innermost index */
        at.idx[TF_MAX_DIMS - 1] = run - 1;
        at.offset[0] += step1 * (run - 1);
        at.offset[1] += step2 * (run - 1);
        tf_odometer_next(&at, shape->shape, shape->step1, shape->step2);
    }
}
