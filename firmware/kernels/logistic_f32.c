/*
 * LOGISTIC, float32: TFLite's reference_ops::Logistic for float. Above
 * 16.619047 the answer is 1; below -9 it is expf(x); between,
 * 1 / (1 + expf(-x)). Input and output may be the same buffer.
 */
#include <math.h>

#include "tinyforge/kernels.h"

void logistic_f32(int32_t count, const float *input, float *output)
{
    const float cutoff_upper = 16.619047164916992188f;
    const float cutoff_lower = -9.0f;
    int32_t i;

    for (i = 0; i < count; ++i) {
        const float x = input[i];
        float y;
        if (x > cutoff_upper) {
            y = 1.0f;
        } else if (x < cutoff_lower) {
            y = expf(x);
        } else {
            y = 1.0f / (1.0f + expf(-x));
        }
        output[i] = y;
    }
}
