/*
 * TRANSPOSE, int8, int16 and float32, up to TF_MAX_DIMS dimensions.
 *
 * Mirrors tflite::reference_ops::Transpose (internal/reference/transpose.h):
 * output[i0..i5] = input at position i_k along input axis perm[k]. codegen
 * turns perm into one input step per output dimension (the input stride
 * of axis perm[k]), so the copy is a walk over the output.
 */
#include "tinyforge/kernels.h"

#include "broadcast.h"

void transpose_s8(const tf_gather_params *params, const int8_t *input, int8_t *output)
{
    TF_GATHER_WALK(params, input, output);
}

void transpose_s16(const tf_gather_params *params, const int16_t *input, int16_t *output)
{
    TF_GATHER_WALK(params, input, output);
}

void transpose_f32(const tf_gather_params *params, const float *input, float *output)
{
    TF_GATHER_WALK(params, input, output);
}
