/*
 * STRIDED_SLICE, int8, int16 and float32 (the output keeps the input's quantization).
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
    TF_GATHER_WALK(params, input, output);
}

void strided_slice_s16(const tf_gather_params *params, const int16_t *input, int16_t *output)
{
    TF_GATHER_WALK(params, input, output);
}

void strided_slice_f32(const tf_gather_params *params, const float *input, float *output)
{
    TF_GATHER_WALK(params, input, output);
}
