/*
 * STRIDED_SLICE, int8 and int16 (the output keeps the input's quantization).
 *
 * tflite::reference_ops::StridedSlice walks start, start + stride, ...
 * for each axis after resolving masks and negative indices with
 * strided_slice_logic.h. codegen does that resolution ahead of time, so
 * here each output dimension has a count and a step in input elements, and
 * `start` is the input element of output element 0.
 */
#include "tinyforge/kernels.h"

#include "broadcast.h"

void strided_slice_s8(const tf_gather_params *params, const int8_t *input, int8_t *output)
{
    const int32_t total = tf_shape_size(params->shape);
    tf_odometer at;
    int32_t i;

    tf_odometer_start(&at);
    for (i = 0; i < total; ++i) {
        output[i] = input[params->start + at.offset[0]];
        tf_odometer_next(&at, params->shape, params->step, 0);
    }
}

void strided_slice_s16(const tf_gather_params *params, const int16_t *input, int16_t *output)
{
    const int32_t total = tf_shape_size(params->shape);
    tf_odometer at;
    int32_t i;

    tf_odometer_start(&at);
    for (i = 0; i < total; ++i) {
        output[i] = input[params->start + at.offset[0]];
        tf_odometer_next(&at, params->shape, params->step, 0);
    }
}
