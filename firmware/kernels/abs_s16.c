/*
 * ABS with int16 activations (16x8, zero points 0): elementwise.cc's
 * AbsEvalQuantized<int16_t>. |x|, rescaled by input scale / output scale
 * (MultiplyByQuantizedMultiplier) when the two scales differ, clamped to
 * int16. Input and output may be the same buffer.
 */
#include "tinyforge/kernels.h"

#include "requantize.h"

void abs_s16(const tf_abs_s16_params *params, int32_t count, const int16_t *input, int16_t *output)
{
    int32_t i;

    for (i = 0; i < count; ++i) {
        const int32_t magnitude = input[i] < 0 ? -(int32_t)input[i] : input[i];
        const int32_t v = params->rescale ? tf_mbqm(magnitude, params->multiplier, params->shift) : magnitude;
        output[i] = (int16_t)(v > 32767 ? 32767 : v);
    }
}
