/*
 * RELU, RELU6 and RELU_N1_TO_1 with int16 activations (16x8, zero points 0):
 * TFLite's QuantizedReluX<int16_t>. Each value is rescaled by input scale /
 * output scale (MultiplyByQuantizedMultiplier) and clamped to the
 * activation's int16 range. Input and output may be the same buffer.
 */
#include "tinyforge/kernels.h"

#include "requantize.h"

void relu_s16(const tf_relu_s16_params *params, int32_t count, const int16_t *input, int16_t *output)
{
    int32_t i;

    for (i = 0; i < count; ++i) {
        const int32_t v = tf_mbqm(input[i], params->multiplier, params->shift);
        output[i] = (int16_t)(v < params->act_min ? params->act_min : (v > params->act_max ? params->act_max : v));
    }
}
