/*
 * CONCATENATION, int8. TFLite's int8 Prepare requires every input to have
 * the output's scale and zero point ("no re-scaling needed for Int8"), so
 * reference_ops::Concatenation is a copy: for each of the `outer` slices
 * before the axis, each input contributes its run of bytes in turn.
 */
#include "tinyforge/kernels.h"

void concatenation_s8(int32_t input_count, const int8_t *const *inputs, const int32_t *run_bytes,
                      int32_t outer, int8_t *output)
{
    int32_t o, k, i;

    for (o = 0; o < outer; ++o) {
        for (k = 0; k < input_count; ++k) {
            const int8_t *from = inputs[k] + o * run_bytes[k];
            for (i = 0; i < run_bytes[k]; ++i) {
                *output++ = from[i];
            }
        }
    }
}
