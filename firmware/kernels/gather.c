/*
 * GATHER, any element type: TFLite's reference Gather with batch_dims 0. The
 * params tensor is seen as [outer][axis_size][slice_bytes]; for each outer
 * block, the slice of every index is copied in order. An index outside
 * [0, axis_size) (only possible for indices computed at run time; codegen
 * checks constant ones) leaves its slice's bytes as they were, where TFLite
 * stops with an error.
 */
#include "tinyforge/kernels.h"

void gather(const tf_gather_slices_params *params, const int8_t *input, const int32_t *indices, int8_t *output)
{
    const int32_t slice = params->slice_bytes;
    int32_t o, n, b;

    for (o = 0; o < params->outer; ++o) {
        const int8_t *block = input + o * params->axis_size * slice;
        for (n = 0; n < params->count; ++n) {
            const int32_t index = indices[n];
            if (index >= 0 && index < params->axis_size) {
                for (b = 0; b < slice; ++b) {
                    output[b] = block[index * slice + b];
                }
            }
            output += slice;
        }
    }
}
