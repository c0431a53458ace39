/*
 * RELU, RELU6 and RELU_N1_TO_1, float32: each value clamped to the
 * activation's range, lower bound first, as TFLite's float kernels compare.
 * Input and output may be the same buffer.
 */
#include "tinyforge/kernels.h"

#include "float_clamp.h"

void clamp_f32(const tf_float_range *range, int32_t count, const float *input, float *output)
{
    int32_t i;

    for (i = 0; i < count; ++i) {
        output[i] = tf_clamp_f32(input[i], range);
    }
}
