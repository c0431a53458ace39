/*
 * TANH, float32: std::tanh on each value, as TFLite's reference_ops::Tanh,
 * through the C library's tanhf. Input and output may be the same buffer.
 */
#include <math.h>

#include "tinyforge/kernels.h"

void tanh_f32(int32_t count, const float *input, float *output)
{
    int32_t i;

    for (i = 0; i < count; ++i) {
        output[i] = tanhf(input[i]);
    }
}
